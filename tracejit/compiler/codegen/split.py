"""A program's module cut into parts LLVM compiles independently (in parallel threads, each
to its own object file, ``runtime/parallel_llvm.py``), each at the optimization level it benefits from.

A part is LLVM IR text that defines some of the module's functions and declares the others it
calls (external functions resolve across the objects when the engine loads them together).
Functions move between parts in *units* that keep every inlining possible (:func:`_units`: a
``noinline`` kernel called by its task wrapper and the driver, a loop body called by an
unoptimized driver); internal helpers (the vector math library's tables) and small inlinable
functions are copied, internal, into every part that uses them. The main part (driver, call
wrapper, task wrappers, kernels inlined into the driver) is compiled at :data:`LIGHT_LEVEL` when
it holds no loop: glue run once a call, where O3's vectorizers and unrollers find nothing; the
math library's cold slow paths make a part of their own at that level (``docs/design.md``,
"Compile latency").
"""
from __future__ import annotations

import heapq
import re
from dataclasses import dataclass

from llvmlite import ir

MIN_PART = 200  # instructions (helpers counted) below which the units that could move stay in the main part
COPY_MAX = 40  # instructions of an inlinable function copied into each part that uses it
MIN_COLD = 100  # instructions of cold helpers below which they stay with their callers
FULL_LEVEL, LIGHT_LEVEL = 3, 1


@dataclass(frozen=True)
class Part:
    """One independently compiled piece of a module: its IR text, the functions it defines
    (besides internal helpers), its optimization level and its size in instructions."""

    text: str
    defines: tuple[str, ...]
    level: int
    size: int


_NAME = re.compile(r'@("(?:[^"\\]|\\.)*"|[-\w.$]+)')


def _names_used(text: str) -> set[str]:
    """The global names (``@name``, ``@"name"``) that IR text refers to."""
    return {m[1:-1] if m.startswith('"') else m for m in _NAME.findall(text)}


def _size(fn: ir.Function) -> int:
    return sum(len(block.instructions) for block in fn.blocks)


def has_loop(fn: ir.Function) -> bool:
    """Whether ``fn``'s control flow has a cycle (an edge back to a block on the DFS path)."""
    succ = {block.name: [op.name for op in getattr(block.terminator, "operands", ()) if isinstance(op, ir.Block)]
            for block in fn.blocks}
    state: dict[str, int] = {}  # 1: on the path, 2: done
    for root in succ:
        if root in state:
            continue
        state[root] = 1
        stack = [(root, iter(succ[root]))]
        while stack:
            node, edges = stack[-1]
            nxt = next(edges, None)
            if nxt is None:
                state[node] = 2
                stack.pop()
            elif state.get(nxt) == 1:
                return True
            elif nxt not in state:
                state[nxt] = 1
                stack.append((nxt, iter(succ.get(nxt, ()))))
    return False


class _Module:
    """The module's global values printed once, what each refers to, its cold helpers (renamed
    into the module's namespace: they are defined in a part of their own) and the internal
    helpers each function needs (transitively)."""

    def __init__(self, module: ir.Module):
        self.module = module
        self.values = {v.name: v for v in module.globals.values()}
        self.texts = {name: str(v) for name, v in self.values.items()}
        self.uses = {name: _names_used(text) - {name} for name, text in self.texts.items()}
        self._closure: dict[str, set[str]] = {}
        self.copied: set[str] = set()  # small inlinable functions: an internal copy in each part that calls them
        self.cold: set[str] = set()
        cold = {n for n, v in self.values.items() if isinstance(v, ir.Function) and not v.is_declaration
                and self.internal(n) and "cold" in v.attributes}
        if self.cost(cold) >= MIN_COLD:
            self.cold = cold
            self._closure = {}  # (closures stop at cold helpers now)
        self.renamed = {n: f"{module.name}_{n}" for n in self.cold}

    def copy_small(self, keep: set[str]) -> None:
        """Treat external functions of at most :data:`COPY_MAX` instructions that may be inlined
        (a 0-d kernel shared by several loop bodies) as helpers: copied, internal, into each part
        that uses them, so that they tie no parts together."""
        self.copied = {n for n, v in self.values.items() if isinstance(v, ir.Function) and not v.is_declaration
                       and not self.internal(n) and n not in keep and "noinline" not in v.attributes
                       and _size(v) <= COPY_MAX}
        self._closure = {}

    def internal(self, name: str) -> bool:
        v = self.values.get(name)
        return v is not None and v.linkage in ("internal", "private")

    def helpers(self, name: str) -> set[str]:
        """The internal values ``name`` needs, transitively (copied into its part; cold helpers
        are not: they are called in their own part)."""
        if name not in self._closure:
            out: set[str] = set()
            todo = [name]
            while todo:
                for used in self.uses.get(todo.pop(), ()):
                    if used not in out and used not in self.cold and (self.internal(used) or used in self.copied):
                        out.add(used)
                        todo.append(used)
            self._closure[name] = out
        return self._closure[name]

    def closure(self, names: set[str]) -> set[str]:
        """``names`` and every internal value they need."""
        return set(names).union(*(self.helpers(n) for n in names))

    def cost(self, names: set[str]) -> int:
        """Instructions of the functions ``names`` and their helpers."""
        return sum(_size(self.values[n]) for n in self.closure(names) if isinstance(self.values[n], ir.Function))

    def text(self, names: set[str]) -> str:
        """IR defining ``names`` and their helpers and declaring every other external function."""
        keep = self.closure(names)
        m = self.module
        lines = [f'; ModuleID = "{m.name}"', f'target triple = "{m.triple}"',
                 f'target datalayout = "{m.data_layout}"', ""]
        lines += [it.get_declaration() for it in m.get_identified_types().values()]
        for name, v in self.values.items():
            if name in self.cold and name in keep:  # defined here for the other parts
                lines.append(self.texts[name].replace("define internal ", "define ", 1))
            elif name in self.copied:
                if name in keep:
                    lines.append(self.texts[name].replace("define ", "define internal ", 1))
            elif name in keep or (isinstance(v, ir.Function) and v.is_declaration):
                lines.append(self.texts[name])
            elif name in self.cold or not self.internal(name):  # a function another part defines
                lines.append(_declaration(v))
        lines += m._get_metadata_lines()  # noqa: SLF001 - llvmlite's own printer of the module's metadata
        text = "\n".join(lines) + "\n"
        for old, new in self.renamed.items():
            text = text.replace(f'@"{old}"', f'@"{new}"')
        return text

    def splittable(self) -> bool:
        """Whether every value the parts would share can be: no external variable (it would be
        defined twice) and no weak or linkonce function."""
        for v in self.values.values():
            if isinstance(v, ir.Function):
                if not v.is_declaration and v.linkage not in ("", "external", "internal", "private"):
                    return False
            elif not self.internal(v.name):
                return False
        return True


def _declaration(fn: ir.Function) -> str:
    """``declare`` of function ``fn`` defined in another part (attributes dropped: a declaration
    needs none; external: an internal cold helper is external in its part)."""
    blocks, attributes, linkage = fn.blocks, fn.attributes, fn.linkage
    fn.blocks, fn.attributes, fn.linkage = [], ir.FunctionAttributes(), ""
    try:
        return str(fn)
    finally:
        fn.blocks, fn.attributes, fn.linkage = blocks, attributes, linkage


def _units(info: _Module, external: set[str], keep: set[str]) -> list[set[str]]:
    """The external functions in groups that must share a part so that no inlining is lost:
    a function with its callees that may be inlined into it (not ``noinline``, and the caller not
    ``optnone``), transitively; the group of ``keep`` first (the driver, the call wrapper)."""
    parent = {name: name for name in external}

    def root(name: str) -> str:
        while parent[name] != name:
            parent[name] = parent[parent[name]]
            name = parent[name]
        return name

    for caller in external:
        if "optnone" in info.values[caller].attributes:
            continue
        for callee in info.uses[caller]:
            if callee in parent and "noinline" not in info.values[callee].attributes and callee not in info.copied:
                parent[root(callee)] = root(caller)
    for name in keep:
        parent[root(name)] = root(next(iter(keep)))
    groups: dict[str, set[str]] = {}
    for name in sorted(external):
        groups.setdefault(root(name), set()).add(name)
    main = groups.pop(root(next(iter(keep))))
    return [main, *sorted(groups.values(), key=min)]


def split_module(module: ir.Module, keep: set[str], parts: int) -> list[Part]:
    """``module`` as parts: the main one holds ``keep`` (the driver and call wrapper) and what
    may be inlined into them; with ``parts`` > 1, the other groups of functions (:func:`_units`:
    kernels called through their task wrappers, loop bodies called by an unoptimized driver)
    are spread over ``parts`` parts with the main one, balanced by size (largest first onto
    the smallest part), when they hold :data:`MIN_PART` instructions or more (their helpers
    counted); cold helpers (the math library's slow paths, :data:`MIN_COLD` instructions or
    more) make a part of their own at :data:`LIGHT_LEVEL`. One part, the whole module at O3,
    when nothing moves."""
    info = _Module(module)
    if parts > 1:
        info.copy_small(keep)
    defined = [v for v in info.values.values() if isinstance(v, ir.Function) and not v.is_declaration]
    external = {fn.name for fn in defined if not info.internal(fn.name)} - info.copied
    main, *units = _units(info, external, keep) if external >= keep and keep else [external]
    moving = sorted(((info.cost(unit), sorted(unit)) for unit in units), reverse=True) if parts > 1 else []
    if sum(cost for cost, _ in moving) < MIN_PART:
        moving, main = [], external
    if not (moving or info.cold) or not info.splittable():
        return [Part(str(module), tuple(sorted(external)), FULL_LEVEL, info.cost(external))]
    heap = [(info.cost(main), 0, main)] + [(0, i + 1, set()) for i in range(max(parts, 1) - 1)]
    heapq.heapify(heap)
    for cost, unit in moving:
        load, i, names = heapq.heappop(heap)
        names.update(unit)
        heapq.heappush(heap, (load + cost, i, names))
    out = []
    for _, _, names in sorted(heap, key=lambda item: item[1]):
        if names:
            level = FULL_LEVEL if names is not main or _loops(info, names) else LIGHT_LEVEL
            out.append(Part(info.text(names), tuple(sorted(names)), level, info.cost(names)))
    if info.cold:
        out.append(Part(info.text(info.cold), tuple(sorted(info.renamed.values())), LIGHT_LEVEL,
                        info.cost(info.cold)))
    return out


def _loops(info: _Module, names: set[str]) -> bool:
    """Whether a function of ``names`` or a helper they copy has a loop."""
    return any(has_loop(info.values[n]) for n in info.closure(names) if isinstance(info.values[n], ir.Function))
