"""A partial sort for the head of a sort: ``np.sort(x, axis)[..., :k]`` and
``np.argsort(x, axis)[..., :k]`` (the top-k idiom) become one ``sort_head`` /
``argsort_head`` op (``compiler/ops/scan_sort.py``): an introselect of rank ``k - 1``,
then a sort of the ``k`` first only (``codegen/select.py``), instead of sorting whole
lines. Both order by (key, position), so the result is exactly the stable sort's head,
ties and NaNs included.

The rule applies when the slice is the sort's only use, keeps every other dim whole,
takes the first ``k`` along the axis with step 1, and ``k`` is at most an eighth of the
line (beyond that the whole merge sort costs about as much).
"""
from __future__ import annotations

from tracejit.compiler.graph import Graph

HEAD_FRACTION = 8  # the head is at most 1/HEAD_FRACTION of the line


def head_of_sort(graph: Graph, nid: int) -> int | None:
    """``slice(sort(x))`` of a short head along the sort's axis -> ``sort_head(x)`` (argsort alike)."""
    if graph.op(nid) != "slice":
        return None
    (src,) = graph.operands(nid)
    if graph.op(src) not in ("sort", "argsort") or len(graph.users(src)) != 1:
        return None
    axis, attrs = graph.attrs(src)["axis"], graph.attrs(nid)
    full, shape = graph.aval(src).shape, attrs["shape"]
    if any(attrs["starts"]) or any(s != 1 for s in attrs["steps"]):
        return None
    if any(shape[d] != full[d] for d in range(len(full)) if d != axis):
        return None
    k = shape[axis]
    if not 0 < k <= full[axis] // HEAD_FRACTION:
        return None
    (x,) = graph.operands(src)
    return graph.add(f"{graph.op(src)}_head", [x], {"axis": axis, "k": k}, loc=graph.loc(nid))
