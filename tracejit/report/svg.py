"""The traced graph drawn as one self-contained ``<svg>`` element for the compile report.

Layout (pure Python, stdlib only, near-linear so a 5,000-node graph draws in a fraction of a second):

1. layering: longest path from the sources (Kahn's topological order), then every source (an
   input or constant) is pulled down to just above its first consumer, so a constant used deep
   in the program does not sit on the top row with a long edge;
2. order within a layer: two down and two up barycentre sweeps (a node sorts by the mean x of
   its neighbours in the sweep's direction, on any layer: long edges are not split into dummy
   nodes, which keeps the work O((N + E) log N));
3. x coordinates: each layer, in its final order, is placed at its nodes' desired x (the mean x
   of their neighbours) with the minimum gaps enforced by a left-to-right and a right-to-left
   pass whose mean keeps both the gaps and the order; three passes (down, up, down).

Each node is ``<g class="node" id="{graph_id}-node-{id}" data-node data-kernel>`` (and, for a node
that other kernels compute again, ``data-kernels`` listing them all, its own first) with a rounded
box filled by its kernel's colour (PALETTE, cycling; grey outside kernels), a ``<title>`` tooltip
and a label; with a ``source`` "file.py:LINE" the box links to ``#src-LINE``. Edges are cubic
paths ``<path class="edge">`` (``data-kernel``/``data-kernels``: the kernels both ends are in), but
an input or constant read by more than FANOUT_LIMIT nodes reaches those more than STUB_SPAN layers
below by a short dashed stub ``<path class="edge stub">`` into the reader, titled with the source
(a constant shared by 1,700 ops drew a band of 1,700 curves over the whole graph). The svg has
a viewBox around the whole drawing (``tracejit/report/script.py`` zooms and pans it) and, being
meant for an HTML page, no ``xmlns``: the page holds no URL at all.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from heapq import heapify, heappop, heappush
from html import escape

PALETTE = ("#8dd3c7", "#fdb462", "#bebada", "#fb8072", "#80b1d3", "#b3de69", "#fccde5",
           "#ffed6f", "#bc80bd", "#ccebc5", "#f4a582", "#92c5de")
NO_KERNEL_COLOUR = "#d9d9d9"
NODE_HEIGHT = 22
LAYER_GAP = 58          # vertical distance between layer centres
NODE_GAP = 14           # horizontal space between neighbouring boxes
CHAR_WIDTH = 6.6        # of the 11px monospace label font
MAX_LABEL = 18          # longer labels are cut with an ellipsis (the tooltip has the whole text)
MARGIN = 20
FANOUT_LIMIT = 8        # a source read by more nodes than this ...
STUB_SPAN = 2           # ... has its edges to readers more than this many layers below drawn as stubs


@dataclass(frozen=True)
class GraphNode:
    """One node of the drawn graph: its op (``label``), kernel index (None: input, constant or
    host; it gives the colour), user source "file.py:LINE", tooltip text, and the other kernels
    that compute it again (``also_in``: a kernel link highlights it there too)."""

    id: str
    label: str
    kernel: int | None
    source: str | None
    title: str
    also_in: tuple[int, ...] = ()

    def kernels(self) -> tuple[int, ...]:
        """Every kernel computing this node, its own first."""
        own = () if self.kernel is None else (self.kernel,)
        return own + tuple(k for k in dict.fromkeys(self.also_in) if k != self.kernel)


@dataclass(frozen=True)
class Placement:
    """Where the layout put one node: centre ``x``, ``y``, box ``width`` and ``layer``."""

    x: float
    y: float
    width: float
    layer: int


def kernel_colour(kernel: int | None) -> str:
    """The fill of kernel ``kernel``'s nodes (PALETTE cycling); grey for None."""
    return NO_KERNEL_COLOUR if kernel is None else PALETTE[kernel % len(PALETTE)]


def render_graph(nodes: list[GraphNode], edges: list[tuple[str, str]], *, graph_id: str) -> str:
    """One ``<svg>`` element drawing ``nodes`` and ``edges`` (operand -> user) laid out in layers.

    Raises ValueError for a repeated node id or an edge naming an unknown node. Repeated edges
    (``x * x``) are drawn once; self-loops are not drawn.
    """
    ids = [n.id for n in nodes]
    pairs = _unique_edges(ids, edges)
    widths = [_box_width(_short(n.label)) for n in nodes]
    places = layout(ids, pairs, widths)
    return _draw(nodes, pairs, places, graph_id)


def layout(ids: Sequence[str], edges: Iterable[tuple[str, str]],
           widths: Sequence[float]) -> dict[str, Placement]:
    """Layered coordinates of the DAG with node ``ids`` (box ``widths`` in the same order) and
    ``edges`` (known ids, no repeats, no self-loops); a cycle, should one be passed, is broken by
    placing its nodes after the others rather than looping."""
    n = len(ids)
    index = {v: i for i, v in enumerate(ids)}
    preds: list[list[int]] = [[] for _ in range(n)]
    succs: list[list[int]] = [[] for _ in range(n)]
    for u, v in edges:
        preds[index[v]].append(index[u])
        succs[index[u]].append(index[v])
    order = _topological(preds, succs)
    layer = _layers(order, preds, succs)
    rows: list[list[int]] = [[] for _ in range(max(layer, default=-1) + 1)]
    for i in order:
        rows[layer[i]].append(i)
    x = [0.0] * n
    for row in rows:
        _pack(row, x, widths)
    for direction in (preds, succs, preds, succs):  # ordering sweeps: down, up, down, up
        order = rows if direction is preds else rows[::-1]
        for row in order:
            row.sort(key=lambda i: _mean(direction[i], x, x[i]))
            _pack(row, x, widths)
    both = [p + s for p, s in zip(preds, succs)]
    for order, direction in ((rows, preds), (rows[::-1], both), (rows, both)):  # coordinates
        for row in order:
            _place(row, [_mean(direction[i], x, x[i]) for i in row], x, widths)
    left = min((x[i] - widths[i] / 2 for i in range(n)), default=0.0)
    top = MARGIN + NODE_HEIGHT // 2
    return {ids[i]: Placement(round(x[i] - left) + MARGIN, top + layer[i] * LAYER_GAP, widths[i], layer[i])
            for i in range(n)}


def _unique_edges(ids: list[str], edges: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    known = set()
    for v in ids:
        if v in known:
            raise ValueError(f"render_graph: node id {v!r} given twice")
        known.add(v)
    seen: set[tuple[str, str]] = set()
    pairs = []
    for u, v in edges:
        for end in (u, v):
            if end not in known:
                raise ValueError(f"render_graph: edge {u!r} -> {v!r} names unknown node {end!r}")
        if u != v and (u, v) not in seen:
            seen.add((u, v))
            pairs.append((u, v))
    return pairs


def _topological(preds: list[list[int]], succs: list[list[int]]) -> list[int]:
    """Kahn's order, smallest index first among the ready nodes; nodes on a cycle come last."""
    missing = [len(p) for p in preds]
    ready = [i for i, m in enumerate(missing) if m == 0]
    heapify(ready)
    order = []
    while ready:
        i = heappop(ready)
        order.append(i)
        for s in succs[i]:
            missing[s] -= 1
            if missing[s] == 0:
                heappush(ready, s)
    if len(order) < len(preds):
        placed = set(order)
        order.extend(i for i in range(len(preds)) if i not in placed)
    return order


def _layers(order: list[int], preds: list[list[int]], succs: list[list[int]]) -> list[int]:
    """Longest-path layers along the topological ``order`` (edges against it ignored), then
    sources pulled down to just above their highest consumer."""
    position = [0] * len(order)
    for k, i in enumerate(order):
        position[i] = k
    layer = [0] * len(order)
    for i in order:
        layer[i] = max((layer[p] + 1 for p in preds[i] if position[p] < position[i]), default=0)
    for i in order:
        if not preds[i] and succs[i]:
            layer[i] = min(layer[s] for s in succs[i]) - 1
    return layer


def _mean(neighbours: list[int], x: list[float], default: float) -> float:
    return sum(x[j] for j in neighbours) / len(neighbours) if neighbours else default


def _pack(row: list[int], x: list[float], widths: Sequence[float]) -> None:
    """Boxes of ``row`` side by side in order, centred on 0."""
    total = sum(widths[i] for i in row) + NODE_GAP * (len(row) - 1)
    at = -total / 2
    for i in row:
        x[i] = at + widths[i] / 2
        at += widths[i] + NODE_GAP


def _place(row: list[int], desired: list[float], x: list[float], widths: Sequence[float]) -> None:
    """x of ``row``'s nodes as near ``desired`` as the order and the gaps allow: the mean of the
    left-packed and right-packed solutions, both of which keep every gap."""
    gaps = [(widths[a] + widths[b]) / 2 + NODE_GAP for a, b in zip(row, row[1:])]
    lefts = list(desired)
    for k in range(1, len(row)):
        lefts[k] = max(desired[k], lefts[k - 1] + gaps[k - 1])
    rights = list(desired)
    for k in range(len(row) - 2, -1, -1):
        rights[k] = min(desired[k], rights[k + 1] - gaps[k])
    for k, i in enumerate(row):
        x[i] = (lefts[k] + rights[k]) / 2


def _short(label: str) -> str:
    return label if len(label) <= MAX_LABEL else label[:MAX_LABEL - 1] + "\u2026"


def _box_width(label: str) -> int:
    return max(36, int(len(label) * CHAR_WIDTH + 0.999) + 14)


def _source_line(source: str | None) -> str | None:
    line = (source or "").rpartition(":")[2]
    return line if line.isdigit() else None


def _shared_sources(pairs: list[tuple[str, str]]) -> set[str]:
    """Sources (inputs, constants) read by more than FANOUT_LIMIT nodes."""
    targets = {v for _, v in pairs}
    readers = Counter(u for u, _ in pairs if u not in targets)
    return {u for u, n in readers.items() if n > FANOUT_LIMIT}


def _kernel_attrs(kernels: list[int] | tuple[int, ...], edge: bool = False) -> str:
    if not kernels:
        return "" if edge else ' data-kernel=""'
    many = f' data-kernels="{" ".join(map(str, kernels))}"' if len(kernels) > 1 else ""
    return f' data-kernel="{kernels[0]}"{many}'


def _draw(nodes: list[GraphNode], pairs: list[tuple[str, str]], places: dict[str, Placement],
          graph_id: str) -> str:
    gid = escape(graph_id)
    width = max((p.x + p.width / 2 for p in places.values()), default=0) + MARGIN
    height = max((p.y + NODE_HEIGHT / 2 for p in places.values()), default=0) + MARGIN
    width, height = int(width + 0.5), int(height + 0.5)
    out = [f'<svg class="tj-graph" id="{gid}" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
           'role="img" aria-label="traced graph">',  # (no xmlns: the HTML parser knows <svg>, and the page has no URL)
           f'<defs><marker id="{gid}-arrow" viewBox="0 0 8 8" refX="8" refY="4" markerWidth="8" markerHeight="8" '
           'markerUnits="userSpaceOnUse" orient="auto"><path d="M0,0L8,4L0,8z" fill="#777"/></marker></defs>',
           f'<g class="edges" fill="none" stroke="#999" stroke-width="1.2" marker-end="url(#{gid}-arrow)">']
    kernels_of = {n.id: n.kernels() for n in nodes}
    label_of = {n.id: n.label for n in nodes}
    shared = _shared_sources(pairs)
    half, bend = NODE_HEIGHT // 2, LAYER_GAP // 2
    for u, v in pairs:
        a, b = places[u], places[v]
        y0, y1 = a.y + half, b.y - half
        data = _kernel_attrs([k for k in kernels_of[u] if k in kernels_of[v]], edge=True)
        if u in shared and b.layer - a.layer > STUB_SPAN:
            out.append(f'<path class="edge stub"{data} stroke-dasharray="3 2" d="M{b.x - 12},{y1 - 14}L{b.x},{y1}">'
                       f'<title>from {escape(label_of[u])} ({escape(u)})</title></path>')
        else:
            out.append(f'<path class="edge"{data} d="M{a.x},{y0}C{a.x},{y0 + bend} {b.x},{y1 - bend} {b.x},{y1}"/>')
    out.append('</g><g class="nodes" font-family="monospace" font-size="11" text-anchor="middle">')
    for node in nodes:
        p = places[node.id]
        nid = escape(node.id)
        shape = (f'<rect x="{-p.width / 2:g}" y="{-half}" width="{p.width}" height="{NODE_HEIGHT}" '
                 f'rx="{half if node.kernel is None else 4}" fill="{kernel_colour(node.kernel)}" stroke="#555"/>'
                 f'<text y="4">{escape(_short(node.label))}</text>')
        line = _source_line(node.source)
        if line is not None:
            shape = f'<a href="#src-{line}">{shape}</a>'
        out.append(f'<g class="node" id="{gid}-node-{nid}" data-node="{nid}"{_kernel_attrs(kernels_of[node.id])} '
                   f'transform="translate({p.x},{p.y})"><title>{escape(node.title)}</title>{shape}</g>')
    out.append("</g></svg>")
    return "\n".join(out)
