"""Code checks that ruff does not make; one line per finding (``path:line: message``), exit 1 if any.

Run from anywhere: ``python tools/check_code.py [--only lines,api,private,cycles] [--verbose]``.
The checks (docs/design.md, "Code standards"):

- ``lines``: every module in tracejit/, tests/, benchmarks/, tools/ has at most 500 lines.
- ``api``: every public function and method in tracejit/ has a docstring whose first line is
  a summary, and type hints on every parameter and on the return. Public: a name without a
  leading underscore, defined at module level (conditional definitions included) or in a public
  class (nested public classes included); functions nested in functions are skipped. The first
  parameter of a method (self/cls) needs no hint, unless it is a staticmethod; ``*args`` and
  ``**kwargs`` need one (``*args: object`` says what is accepted). ``__init__`` needs parameter
  hints only (the class docstring describes construction; its return is always None); other
  dunder methods are skipped (Python's protocol is their contract); ``@overload`` stubs and
  property setters/deleters need no docstring.
- ``private``: no module in the checked folders imports a private name (``_x``, not a dunder)
  from another module of those folders, nor reads one as ``module._x`` through an imported
  module; private modules (``tracejit/_version.py``) may be imported.
- ``cycles``: no import cycle among tracejit modules, counting every import: top level, inside
  functions, and ``importlib.import_module`` of a literal name; only ``if TYPE_CHECKING:`` blocks
  are left out. An import edge goes to the module named (``from a.b import c``: ``a.b.c`` if it
  is a module, else ``a.b``), and to each package whose ``__init__`` that import runs (those enclosing
  the target but not the importer). Cycles in ALLOWED_CYCLES are accepted.

``--verbose`` also reports, without failing, the number of imports inside functions per tracejit
module (each should break a documented cycle or defer a heavy dependency such as llvmlite).
"""
from __future__ import annotations

import argparse
import ast
import sys
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "tracejit"
FOLDERS = ("tracejit", "tests", "benchmarks", "tools")
MAX_LINES = 500
CHECKS = ("lines", "api", "private", "cycles")

# Import cycles accepted among tracejit modules: the exact set of modules of the cycle -> why.
# The issue allows only a documented, deliberate recursion (the optimizer compiling loop bodies,
# the interpreter evaluating while/cond), and prefers a function handed down over an import.
ALLOWED_CYCLES: dict[frozenset[str], str] = {
    frozenset({"tracejit.frontend.control", "tracejit.frontend.controlwrites", "tracejit.frontend.numpy",
               "tracejit.frontend.numpy.indexing", "tracejit.frontend.numpy.lapack_funcs",
               "tracejit.frontend.numpy.methods", "tracejit.frontend.numpy.range_selection",
               "tracejit.frontend.numpy.ranges", "tracejit.frontend.numpy.scipy_linalg",
               "tracejit.frontend.numpy.unique"}):
        "loops apply their bodies' writes through numpy.writes (which runs the handlers' package __init__), "
        "and a reduction over a data-bounded range (numpy/range_selection.py) is a loop: its one import of "
        "control is inside the function, after both have loaded (numpy/unique.py's choice of the hash or the sort "
        "path is a branch, and so is numpy/lapack_funcs.py's lstsq fast path or dgelsd: likewise; "
        "numpy/scipy_linalg.py builds on lapack_funcs)",
}


@dataclass(frozen=True)
class Finding:
    """One problem at one place."""

    check: str
    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


@dataclass(frozen=True)
class Edge:
    """An import of tracejit module ``target`` by module ``source`` at ``line``."""

    source: str
    target: str
    line: int
    in_function: bool


@dataclass
class Module:
    """A parsed source file and its dotted name (``tests.fuzz.ops``, ``tracejit.compiler``)."""

    name: str
    path: str
    tree: ast.Module
    lines: int
    is_package: bool
    scan: Scan | None = None


def load(root: Path) -> dict[str, Module]:
    """Every Python file under the checked folders of ``root``, parsed, by dotted module name."""
    modules: dict[str, Module] = {}
    for folder in FOLDERS:
        for file in sorted((root / folder).rglob("*.py")):
            rel = file.relative_to(root)
            if any(part.startswith(".") or part == "__pycache__" for part in rel.parts):
                continue
            text = file.read_text(encoding="utf-8")
            parts = list(rel.with_suffix("").parts)
            is_package = parts[-1] == "__init__"
            if is_package:
                parts.pop()
            name = ".".join(parts)
            tree = ast.parse(text, filename=str(rel))
            modules[name] = Module(name, rel.as_posix(), tree, len(text.splitlines()), is_package)
    return modules


def check_lines(modules: dict[str, Module]) -> Iterator[Finding]:
    """Modules over the line budget."""
    for mod in modules.values():
        if mod.lines > MAX_LINES:
            yield Finding("lines", mod.path, MAX_LINES + 1, f"module has {mod.lines} lines (budget {MAX_LINES})")


# -- api: docstrings and type hints of public functions -------------------------------------------------

def _bodies(node: ast.stmt) -> Iterator[list[ast.stmt]]:
    """The statement lists of a conditional block whose definitions count as top-level."""
    if isinstance(node, ast.If):
        yield node.body
        yield node.orelse
    elif isinstance(node, ast.Try):
        yield node.body
        for handler in node.handlers:
            yield handler.body
        yield node.orelse
        yield node.finalbody


Function = ast.FunctionDef | ast.AsyncFunctionDef


def public_functions(body: list[ast.stmt], owner: str = "") -> Iterator[tuple[str, Function, bool]]:
    """(qualified name, definition, is a method) of each function of ``body`` the api check covers."""
    for node in body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            if not node.name.startswith("_") or (owner and node.name == "__init__"):
                yield owner + node.name, node, bool(owner)
        elif isinstance(node, ast.ClassDef):
            if not node.name.startswith("_"):
                yield from public_functions(node.body, f"{owner}{node.name}.")
        else:
            for inner in _bodies(node):
                yield from public_functions(inner, owner)


def _decorator_names(fn: Function) -> set[str]:
    """The decorators' names, without call arguments (``overload``, ``x.setter``, ``staticmethod``)."""
    names = set()
    for dec in fn.decorator_list:
        target = dec.func if isinstance(dec, ast.Call) else dec
        names.add(ast.unparse(target))
    return names


def api_problems(fn: Function, is_method: bool) -> list[str]:
    """What ``fn`` lacks: a docstring, hints on named parameters, a return hint."""
    decorators = _decorator_names(fn)
    if decorators & {"overload", "typing.overload"}:
        return []
    accessor = any(d.endswith((".setter", ".deleter")) for d in decorators)
    problems = []
    if fn.name != "__init__" and not accessor:
        doc = ast.get_docstring(fn)
        if not doc:
            problems.append("no docstring")
        elif not doc.splitlines()[0].strip():
            problems.append("docstring's first line is empty (want a one-line summary)")
    args = fn.args
    positional = args.posonlyargs + args.args
    if is_method and positional and not decorators & {"staticmethod"}:
        positional = positional[1:]
    named = [(a.arg, a) for a in positional + args.kwonlyargs]
    if args.vararg:
        named.append(("*" + args.vararg.arg, args.vararg))
    if args.kwarg:
        named.append(("**" + args.kwarg.arg, args.kwarg))
    unhinted = [name for name, a in named if a.annotation is None]
    if unhinted:
        problems.append("no type hint on " + ", ".join(unhinted))
    if fn.returns is None and fn.name != "__init__":
        problems.append("no return type hint")
    return problems


def check_api(modules: dict[str, Module]) -> Iterator[Finding]:
    """Public functions of tracejit without a docstring or a type hint."""
    for mod in modules.values():
        if not _in_package(mod.name):
            continue
        for qualname, fn, is_method in public_functions(mod.tree.body):
            problems = api_problems(fn, is_method)
            if problems:
                kind = "method" if is_method else "function"
                yield Finding("api", mod.path, fn.lineno, f"public {kind} {qualname}: {'; '.join(problems)}")


# -- imports: resolution, private names, cycles -------------------------------------------------------

def _in_package(name: str) -> bool:
    """Whether dotted ``name`` is the package or inside it."""
    return name == PACKAGE or name.startswith(PACKAGE + ".")


@dataclass
class Scan:
    """What the import checks need of a module, found in one walk of its tree."""

    imports: list[tuple[ast.stmt | ast.Call, bool, bool]]  # (node, inside a function, under TYPE_CHECKING)
    private_reads: list[ast.Attribute]  # ``x._y`` (any x; check_private keeps those on modules)


_IMPORTERS = ("import_module", "importlib.import_module", "__import__")


def scan(mod: Module) -> Scan:
    """The imports of ``mod`` (with where they sit) and its reads of private attributes, cached."""
    if mod.scan is None:
        found = Scan([], [])
        todo: list[tuple[ast.AST, bool, bool]] = [(mod.tree, False, False)]
        while todo:
            node, in_function, in_tc = todo.pop()
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                found.imports.append((node, in_function, in_tc))
            elif isinstance(node, ast.Attribute) and _private(node.attr):
                found.private_reads.append(node)
            elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
                if isinstance(node.args[0].value, str) and ast.unparse(node.func) in _IMPORTERS:
                    found.imports.append((node, in_function, in_tc))
            inner = in_function or isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            if isinstance(node, ast.If) and ast.unparse(node.test) in ("TYPE_CHECKING", "typing.TYPE_CHECKING"):
                todo.extend((child, inner, True) for child in node.body)
                todo.extend((child, inner, in_tc) for child in node.orelse)
                continue
            todo.extend((child, inner, in_tc) for child in ast.iter_child_nodes(node))
        found.imports.sort(key=lambda item: item[0].lineno)
        found.private_reads.sort(key=lambda node: (node.lineno, node.col_offset))
        mod.scan = found
    return mod.scan


def _nearest(name: str, modules: dict[str, Module]) -> str | None:
    """The module ``name`` or its nearest enclosing package among ``modules``."""
    while name not in modules:
        if "." not in name:
            return None
        name = name.rsplit(".", 1)[0]
    return name


def _base(mod: Module, node: ast.ImportFrom) -> str:
    """The absolute module name of ``from <...> import`` in ``mod``, relative levels resolved."""
    if node.level == 0:
        return node.module or ""
    parts = mod.name.split(".")
    if not mod.is_package:
        parts = parts[:-1]
    parts = parts[: len(parts) - (node.level - 1)]
    return ".".join(parts + ([node.module] if node.module else []))


@dataclass(frozen=True)
class Imported:
    """One name bound by an import: ``module`` is the checked module it comes from."""

    line: int
    module: str
    name: str | None  # None: a whole module (``import a.b``, ``from a import b`` of module b)
    alias: str  # the local name bound ("" for import_module)
    binds: str  # the module the local name refers to (``import a.b`` binds ``a``)
    node_id: int


def imports_of(mod: Module, modules: dict[str, Module]) -> Iterator[Imported]:
    """The names ``mod`` imports from the checked modules (``import_module("x.y")`` of a literal included)."""
    for node, _, _ in scan(mod).imports:
        if isinstance(node, ast.Import):
            for a in node.names:
                target = _nearest(a.name, modules)
                if target:
                    alias = a.asname or a.name.split(".")[0]
                    yield Imported(node.lineno, target, None, alias, target if a.asname else alias, id(node))
        elif isinstance(node, ast.ImportFrom):
            base = _base(mod, node)
            for a in node.names:
                full = f"{base}.{a.name}"
                if full in modules:
                    yield Imported(node.lineno, full, None, a.asname or a.name, full, id(node))
                    continue
                target = _nearest(base, modules)
                if target:
                    yield Imported(node.lineno, target, a.name, a.asname or a.name, "", id(node))
        else:
            target = _nearest(node.args[0].value, modules)
            if target:
                yield Imported(node.lineno, target, None, "", "", id(node))


def _private(name: str) -> bool:
    """A leading underscore, not a dunder."""
    return name.startswith("_") and not name.endswith("__")


def _dotted(node: ast.expr) -> str | None:
    """``a.b.c`` of a chain of attribute reads on a name, else None."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    return ".".join([node.id, *reversed(parts)])


def check_private(modules: dict[str, Module]) -> Iterator[Finding]:
    """Private names of one checked module imported, or read through a module, by another."""
    for mod in modules.values():
        bound: dict[str, str] = {}  # local name -> checked module it refers to
        for imp in imports_of(mod, modules):
            if imp.name is None:
                if imp.alias and imp.binds in modules:
                    bound[imp.alias] = imp.binds
            elif _private(imp.name) and imp.module != mod.name:
                yield Finding("private", mod.path, imp.line, f"imports private name {imp.name} from {imp.module}")
        for node in scan(mod).private_reads:
            owner = _dotted(node.value)
            if owner is None:
                continue
            head, _, rest = owner.partition(".")
            if head not in bound:
                continue
            target = bound[head] + ("." + rest if rest else "")
            if target in modules and target != mod.name:
                yield Finding("private", mod.path, node.lineno, f"reads private name {node.attr} of {target}")


def import_edges(modules: dict[str, Module]) -> dict[str, list[Edge]]:
    """The import graph among tracejit modules, ``if TYPE_CHECKING:`` blocks aside."""
    graph: dict[str, list[Edge]] = {}
    for mod in modules.values():
        if not _in_package(mod.name):
            continue
        where = {id(node): (in_function, in_tc) for node, in_function, in_tc in scan(mod).imports}
        edges = graph.setdefault(mod.name, [])
        for imp in imports_of(mod, modules):
            in_function, in_tc = where[imp.node_id]
            if not in_tc and imp.module != mod.name and _in_package(imp.module):
                edges.append(Edge(mod.name, imp.module, imp.line, in_function))
                edges.extend(Edge(mod.name, package, imp.line, in_function)
                             for package in _initialized_packages(mod.name, imp.module, modules))
    return graph


def _initialized_packages(importer: str, target: str, modules: dict[str, Module]) -> list[str]:
    """The packages whose ``__init__`` importing ``target`` from ``importer`` runs: those enclosing
    ``target`` but not ``importer`` (an importer's own packages are initialized, or initializing, already)."""
    parts = target.split(".")
    enclosing = (".".join(parts[:i]) for i in range(1, len(parts)))
    return [p for p in enclosing if p in modules and p != importer and not importer.startswith(p + ".")]


def components(graph: dict[str, list[Edge]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan's algorithm, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(graph[start]))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, edges = work[-1]
            for edge in edges:
                nxt = edge.target
                if nxt not in index:
                    index[nxt] = low[nxt] = len(index)
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(graph.get(nxt, []))))
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    comp = []
                    while True:
                        top = stack.pop()
                        on_stack.discard(top)
                        comp.append(top)
                        if top == node:
                            break
                    if len(comp) > 1:
                        found.append(sorted(comp))
    return sorted(found, key=lambda c: (-len(c), c))


def shortest_cycle(graph: dict[str, list[Edge]], members: set[str]) -> list[Edge]:
    """A shortest cycle through the first module of a component, as its import edges."""
    start = min(members)
    came: dict[str, Edge] = {}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for edge in graph.get(node, []):
            if edge.target not in members or edge.target in came:
                continue
            came[edge.target] = edge
            if edge.target == start:
                path = [edge]
                while path[-1].source != start:
                    path.append(came[path[-1].source])
                return path[::-1]
            queue.append(edge.target)
    return []


def check_cycles(modules: dict[str, Module]) -> Iterator[Finding]:
    """Import cycles among tracejit modules that ALLOWED_CYCLES does not list."""
    graph = import_edges(modules)
    seen = set()
    for comp in components(graph):
        members = frozenset(comp)
        seen.add(members)
        if members in ALLOWED_CYCLES:
            continue
        cycle = shortest_cycle(graph, set(members))
        steps = " -> ".join(f"{e.source} (line {e.line}{', in a function' if e.in_function else ''})" for e in cycle)
        first = modules[cycle[0].source]
        yield Finding("cycles", first.path, cycle[0].line,
                      f"import cycle among {len(comp)} modules: {steps} -> {cycle[0].source}; all: {', '.join(comp)}")
    for members in ALLOWED_CYCLES:
        if members not in seen:
            yield Finding("cycles", "tools/check_code.py", 1,
                          f"ALLOWED_CYCLES lists a cycle that is gone: {', '.join(sorted(members))}")


RUNNERS = {"lines": check_lines, "api": check_api, "private": check_private, "cycles": check_cycles}


def run(root: Path = ROOT, only: Iterable[str] = CHECKS, modules: dict[str, Module] | None = None) -> list[Finding]:
    """The findings of the checks ``only`` on the tree at ``root`` (or on ``modules`` loaded from it)."""
    modules = load(root) if modules is None else modules
    return [f for check in only for f in RUNNERS[check](modules)]


def function_imports(modules: dict[str, Module]) -> dict[str, int]:
    """The number of import statements inside functions per tracejit module, by path."""
    counts: dict[str, int] = {}
    for mod in modules.values():
        if not _in_package(mod.name):
            continue
        n = sum(isinstance(node, ast.stmt) and in_function for node, in_function, _ in scan(mod).imports)
        if n:
            counts[mod.path] = n
    return counts


def main(argv: list[str] | None = None) -> int:
    """Run the checks, print the findings, return 1 if there are any."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=",".join(CHECKS), help=f"comma-separated checks among {', '.join(CHECKS)}")
    parser.add_argument("--verbose", "-v", action="store_true", help="also report imports inside functions")
    parser.add_argument("--root", type=Path, default=ROOT, help="the repository root (default: this one)")
    args = parser.parse_args(argv)
    only = [c.strip() for c in args.only.split(",") if c.strip()]
    unknown = [c for c in only if c not in RUNNERS]
    if unknown:
        parser.error(f"unknown check(s) {', '.join(unknown)}; known: {', '.join(CHECKS)}")
    modules = load(args.root)
    findings = run(args.root, only, modules)
    for finding in findings:
        print(finding)
    if args.verbose:
        counts = function_imports(modules)
        for path, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
            print(f"note: {path}: {n} import(s) inside functions")
        print(f"note: {sum(counts.values())} imports inside functions in {len(counts)} modules")
    tally = ", ".join(f"{c} {sum(f.check == c for f in findings)}" for c in only)
    print(f"check_code: {len(findings)} finding(s) ({tally})", file=sys.stderr)
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
