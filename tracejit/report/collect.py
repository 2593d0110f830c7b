"""What a compile report shows, gathered from a :class:`~tracejit.frontend.lowered.Lowered`
(the page is drawn from this data by ``page.py``).

Everything is read from what ``lower()`` already offers: the traced graph, the optimized
program and its text (``Program.text``: loop nests, schedules, memory plan), the pass
records (``Compilation.pass_records``: each graph after a pass, with its time), the LLVM IR
before and after O3 and the assembly (split per kernel function, ``texts.py``), the host
calls (``Lowered.fallbacks``) and the stage times (``stagetimes.py``).
"""
from __future__ import annotations

import linecache
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tracejit.compiler.codegen.symbols import symbol_names
from tracejit.compiler.dtypes import short_name
from tracejit.compiler.graph import Graph
from tracejit.compiler.kir import Program
from tracejit.report.passstats import counted_passes, op_histogram
from tracejit.report.svg import GraphNode
from tracejit.report.texts import asm_functions, llvm_functions, op_counts, parse_graph_dump
from tracejit.stagetimes import STAGES

if TYPE_CHECKING:
    from tracejit.frontend.lowered import Lowered

PASS_GRAPH_LIMIT = 400  # graphs of more nodes: each pass shown as counts (nodes, ops changed), not drawn
TITLE_LIMIT = 160  # characters of a node's tooltip
SOURCE_SPAN_LIMIT = 400  # a file's lines shown from its first to its last traced line, up to this many


@dataclass(frozen=True)
class KernelView:
    """One kernel: index, name, kind, graph nodes, its text (loop nests and schedules), the
    buffers it touches (``buffer_rows``: name, kind, type, bytes, arena offset, live range),
    and its functions' LLVM IR (as generated, after O3) and assembly."""

    index: int
    name: str
    kind: str
    nodes: list[int]
    text: str
    buffer_rows: list[tuple[str, ...]]
    llvm: str
    llvm_opt: str
    asm: str


@dataclass(frozen=True)
class PassView:
    """One pass: name, seconds, whether it changed the program, the graph's node count and
    op counts added/removed (graph passes), and the graph drawn (small graphs) or the text."""

    name: str
    seconds: float
    changed: bool
    n_nodes: int | None
    ops_delta: dict[str, int]
    nodes: list[GraphNode] | None
    edges: list[tuple[str, str]] | None
    text: str | None


@dataclass
class ReportData:
    """Everything a compile report shows (see the module docstring)."""

    name: str
    signature: list[str]
    nodes: list[GraphNode]
    edges: list[tuple[str, str]]
    kernels: list[KernelView]
    passes: list[PassView]
    fallbacks: list[tuple[str, str | None, str]]
    host_nodes: list[tuple[str, str | None]]
    times: list[tuple[str, float]]
    total_seconds: float
    memory: dict[str, int]
    plan_text: str
    sources: list[tuple[str, list[tuple[int, str]]]]
    module_rest: dict[str, tuple[str, str]] = field(default_factory=dict)  # name -> (IR after O3, assembly)
    converted: str = ""  # the source as autograph converted it, and the trace's notes


def node_id(nid: int) -> str:
    """The id of graph node ``%nid`` in the report (``n7``)."""
    return f"n{nid}"


def kernel_index(program: Program) -> dict[int, tuple[int, ...]]:
    """Graph node -> indices of the kernels computing it, first first (fusion may compute a
    node again in each kernel that reads it)."""
    found: dict[int, tuple[int, ...]] = {}
    for index, kernel in enumerate(program.kernels):
        for nid in kernel.nodes:
            found[nid] = found.get(nid, ()) + (index,)
    return found


def _drawn(nid: int, label: str, kernels: dict[int, tuple[int, ...]], loc: str | None, title: str,
           host: bool = False) -> GraphNode:
    """Node ``nid`` as drawn: coloured by its first kernel, highlighted by every kernel computing it."""
    found = () if host else kernels.get(nid, ())  # (a host call runs in Python, not in a kernel)
    return GraphNode(node_id(nid), label, found[0] if found else None, loc, title, also_in=found[1:])


def graph_nodes(graph: Graph, kernels: dict[int, tuple[int, ...]]) -> tuple[list[GraphNode], list[tuple[str, str]]]:
    """The top-level nodes of ``graph`` in topological order, and its edges, to draw."""
    nodes, edges = [], []
    for nid in graph.topo_order():
        op = graph.op(nid)
        label = f"input {graph.attrs(nid).get('name', '')}".strip() if op == "input" else op
        title = graph.node_text(nid)
        title = title if len(title) <= TITLE_LIMIT else title[:TITLE_LIMIT] + "..."
        loc = graph.loc(nid)
        nodes.append(_drawn(nid, label, kernels, loc, title + (f"  # {loc}" if loc else ""), op == "host"))
        edges.extend((node_id(u), node_id(nid)) for u in dict.fromkeys(graph.operands(nid)))
    return nodes, edges


def source_lines(locs: list[str | None]) -> list[tuple[str, list[tuple[int, str]]]]:
    """The user's source lines the graph was traced from: per file (the most used first),
    its lines from the first to the last traced line (only the traced lines when that span
    is too long), as (number, text); files whose text cannot be read are left out."""
    lines_of: dict[str, set[int]] = {}
    for loc in locs:
        if loc and ":" in loc:
            path, _, number = loc.rpartition(":")
            if number.isdigit():
                lines_of.setdefault(path, set()).add(int(number))
    shown = []
    for path, numbers in sorted(lines_of.items(), key=lambda item: -len(item[1])):
        first, last = min(numbers), max(numbers)
        span = range(first, last + 1) if last - first < SOURCE_SPAN_LIMIT else sorted(numbers)
        text = [(n, linecache.getline(path, n).rstrip("\n")) for n in span]
        if any(t for _, t in text):
            shown.append((path, text))
    return shown


def kernel_texts(program: Program) -> list[str]:
    """Each kernel's block of ``Program.text()``: its header, nests and schedules."""
    blocks: list[list[str]] = []
    for line in program.text().splitlines():
        if line.startswith("kernel "):
            blocks.append([line])
        elif line.startswith(("memory plan", "buffer ")):
            if blocks:
                break
        elif blocks:
            blocks[-1].append(line)
    return ["\n".join(b) for b in blocks]


def buffer_rows(program: Program, buffers: list[int]) -> list[tuple[str, ...]]:
    """A row per buffer: name, kind, type, bytes, arena offset and live kernels (temporaries)."""
    plan = program.plan
    rows = []
    for bid in buffers:
        b = program.buffers[bid]
        offset = live = ""
        if plan is not None and bid in plan.offsets:
            offset, span = str(plan.offsets[bid]), plan.live[bid]
            live = f"{span.first}..{span.last}"
            if bid in plan.in_place:
                live += f" (in place of {program.buffers[plan.in_place[bid]].name})"
        shape = ",".join(map(str, b.shape))
        rows.append((b.name, b.kind, f"{short_name(b.dtype)}[{shape}]", str(b.nbytes), offset, live))
    return rows


def split_module(names: list[str], symbols: tuple[str, ...]) -> tuple[list[list[str]], list[str]]:
    """The module's function ``names`` per kernel (whose function is named ``symbols[k]``):
    its own and those named after it (``_task`` wrappers, sub-programs; the longest
    matching symbol wins), and the rest (entry, call wrapper, math library) in order."""
    owner = {s: i for i, s in enumerate(symbols)}
    per_kernel: list[list[str]] = [[] for _ in symbols]
    rest = []
    for name in names:
        matches = [s for s in symbols if name == s or name.startswith(s + "_")]
        if matches:
            per_kernel[owner[max(matches, key=len)]].append(name)
        else:
            rest.append(name)
    return per_kernel, rest


def _delta(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    """Op -> nodes added (or, negative, removed) from ``before`` to ``after``."""
    delta = {op: after.get(op, 0) - before.get(op, 0) for op in sorted(set(after) | set(before))}
    return {op: d for op, d in delta.items() if d}


def pass_views(lowered: Lowered, kernels: dict[int, tuple[int, ...]], draw: bool) -> list[PassView]:
    """Each pass: time, change, node and op counts. ``draw``: every graph pass and kernel
    pass recorded (``Compilation.pass_records``), each graph drawn; otherwise the graph
    passes counted only (``passstats.py``: no dumps)."""
    graph = lowered.traced.graph
    before = op_histogram(graph)
    if not draw:
        views = []
        for count in counted_passes(graph):
            views.append(PassView(count.name, count.seconds, count.changed, sum(count.ops.values()),
                                  _delta(before, count.ops), None, None, None))
            before = count.ops
        return views
    views = []
    for record in lowered.compilation.pass_records():
        if not record.text.startswith("graph "):  # a kernel pass: the kernel program's text
            views.append(PassView(record.name, record.seconds, record.changed, None, {}, None, None, record.text))
            continue
        counts = op_counts(record.text)
        parsed, links = parse_graph_dump(record.text)
        nodes = [_drawn(n.id, n.op, kernels, n.loc, f"%{n.id} {n.op} : {n.aval}") for n in parsed]
        edges = [(node_id(u), node_id(v)) for u, v in dict.fromkeys(links)]
        views.append(PassView(record.name, record.seconds, record.changed, sum(counts.values()),
                              _delta(before, counts), nodes, edges, record.text))
        before = counts
    return views


def collect(lowered: Lowered) -> ReportData:
    """Everything the report of ``lowered`` shows (its machine code is compiled now if not yet)."""
    executable = lowered.executable  # first: compiling sets the memory plan and adds to the stage times
    program = executable.program
    graph = lowered.traced.graph
    kernels = kernel_index(lowered.optimized.program)
    nodes, edges = graph_nodes(graph, kernels)
    ir, ir_opt = llvm_functions(lowered.as_text("llvm")), llvm_functions(lowered.as_text("llvm-opt"))
    asm = asm_functions(lowered.as_text("asm"))
    entry = next(name for name in executable.compiled.addresses if name.endswith("_entry"))
    symbols = symbol_names(program, entry[: -len("_entry")]).kernels
    per_kernel, rest = split_module(list(ir | ir_opt), symbols)
    texts = kernel_texts(program)
    views = []
    for index, kernel in enumerate(program.kernels):
        names = per_kernel[index]
        views.append(KernelView(index, kernel.name, kernel.kind, list(kernel.nodes), texts[index],
                                buffer_rows(program, kernel.buffers()),
                                "\n\n".join(ir[n] for n in names if n in ir),
                                "\n\n".join(ir_opt[n] for n in names if n in ir_opt),
                                "\n\n".join(asm[n] for n in names if n in asm)))
    times = lowered.compilation.times
    order = [s for s in STAGES if s in times.seconds] + [s for s in times.seconds if s not in STAGES]
    traced = lowered.traced
    converted = "\n\n".join([c.source for c in traced.converted] + [f"# note: {n}" for n in traced.notes])
    host = [(node_id(n), graph.loc(n)) for n in graph.topo_order() if graph.op(n) == "host"]
    signature = [f"{graph.attrs(n).get('name', '?')}: {graph.aval(n)}" for n in graph.inputs]
    plan_text = program.plan.text(program.buffers) if program.plan is not None else "memory plan: none"
    return ReportData(
        name=graph.name, signature=signature, nodes=nodes, edges=edges, kernels=views,
        passes=pass_views(lowered, kernels, len(nodes) <= PASS_GRAPH_LIMIT),
        fallbacks=lowered.fallbacks, host_nodes=host,
        times=[(s, times.seconds[s]) for s in order] + [("other", times.other)], total_seconds=times.total,
        memory=lowered.memory(), plan_text=plan_text, sources=source_lines([n.source for n in nodes]),
        module_rest={n: (ir_opt.get(n, ir.get(n, "")), asm.get(n, "")) for n in rest}, converted=converted)
