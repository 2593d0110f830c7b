"""The graph of a compile report drawn as one SVG element (a minimal layout: nodes in rows
of a grid, in the order given, edges as straight lines).

This is report-core's stand-in for the contract shared with report-svg, whose layered
layout replaces it: :class:`GraphNode` and :func:`render_graph` keep their signatures.
"""
from __future__ import annotations

from dataclasses import dataclass
from html import escape

COLUMNS = 16  # nodes per row
CELL_W, CELL_H = 110, 48  # px per grid cell
BOX_W, BOX_H = 96, 28
PALETTE = ("#8dd3c7", "#ffffb3", "#bebada", "#fb8072", "#80b1d3", "#fdb462", "#b3de69", "#fccde5",
           "#d9d9d9", "#bc80bd", "#ccebc5", "#ffed6f")


@dataclass(frozen=True)
class GraphNode:
    """One node of a drawn graph: ``id`` (unique in the graph), ``label`` (the op, short),
    ``kernel`` (index of the kernel computing it; None for inputs, constants, host work),
    ``source`` (``file.py:LINE`` of the user's line) and ``title`` (tooltip: op, shape, dtype)."""

    id: str
    label: str
    kernel: int | None
    source: str | None
    title: str


def kernel_colour(kernel: int | None) -> str:
    """The fill colour of a kernel's nodes (white for nodes of no kernel)."""
    return "#ffffff" if kernel is None else PALETTE[kernel % len(PALETTE)]


def render_graph(nodes: list[GraphNode], edges: list[tuple[str, str]], *, graph_id: str) -> str:
    """One ``<svg>`` element: every node a ``<g class="node">`` (its ``data-node`` and
    ``data-kernel``, a link to its source line ``#src-LINE``), every edge a line."""
    where = {n.id: divmod(i, COLUMNS) for i, n in enumerate(nodes)}
    rows = -(-len(nodes) // COLUMNS) if nodes else 1
    width, height = COLUMNS * CELL_W, rows * CELL_H
    out = [f'<svg class="graph" id="{escape(graph_id)}" '
           f'width="{width}" height="{height}" viewBox="0 0 {width} {height}">']
    for a, b in edges:
        if a in where and b in where:
            (ra, ca), (rb, cb) = where[a], where[b]
            out.append(f'<line class="edge" x1="{ca * CELL_W + BOX_W // 2}" y1="{ra * CELL_H + BOX_H}" '
                       f'x2="{cb * CELL_W + BOX_W // 2}" y2="{rb * CELL_H}"/>')
    for n in nodes:
        row, col = where[n.id]
        kernel = "" if n.kernel is None else f' data-kernel="{n.kernel}"'
        box = (f'<rect x="{col * CELL_W}" y="{row * CELL_H}" width="{BOX_W}" height="{BOX_H}" '
               f'fill="{kernel_colour(n.kernel)}"/><text x="{col * CELL_W + 4}" y="{row * CELL_H + 18}">'
               f'{escape(n.label[:14])}</text>')
        if n.source:
            box = f'<a href="#src-{escape(n.source.rsplit(":", 1)[-1])}">{box}</a>'
        out.append(f'<g class="node" id="{escape(graph_id)}-{escape(n.id)}" data-node="{escape(n.id)}"{kernel}>'
                   f'<title>{escape(n.title)}</title>{box}</g>')
    out.append("</svg>")
    return "".join(out)
