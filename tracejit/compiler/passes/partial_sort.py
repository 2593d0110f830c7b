"""Partial sorts. The head of a sort: ``np.sort(x, axis)[..., :k]`` and
``np.argsort(x, axis)[..., :k]`` (the top-k idiom) become one ``sort_head`` /
``argsort_head`` op (``compiler/ops/scan_sort.py``): an introselect of rank ``k - 1``,
then a sort of the ``k`` first only (``codegen/select.py``), instead of sorting whole
lines. Both order by (key, position), so the result is exactly the stable sort's head,
ties and NaNs included.

The rule applies when the slice is the sort's only use, keeps every other dim whole,
takes the first ``k`` along the axis with step 1, and ``k`` is at most an eighth of the
line (beyond that the whole merge sort costs about as much).

Partitions of one array along one axis merge into one partition for all their ranks
(``np.median(x)`` and ``np.percentile(x, [25, 75])``, or eleven quantile methods: one
kernel, one pass).
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


def merged_partitions(graph: Graph, nid: int) -> int | None:
    """Partitions of one array along one axis -> one partition for all their ranks: a
    partition for more ranks is one for each of them (NumPy leaves the rest of the
    arrangement unspecified), and one introselect narrows every rank's range (the
    median and quartiles of ``robust_z``: one pass over the line, one kernel)."""
    op = graph.op(nid)
    if op not in ("partition", "argpartition"):
        return None
    (x,) = graph.operands(nid)
    axis, kth = graph.attrs(nid)["axis"], set(graph.attrs(nid)["kth"])
    if graph.attrs(nid).get("nanq"):  # (ranks read from the data: kept apart)
        return None
    siblings = [u for u, _ in graph.users(x) if u != nid and graph.op(u) == op and graph.attrs(u)["axis"] == axis
                and not graph.attrs(u).get("nanq")]
    ranks = set(kth).union(*(graph.attrs(u)["kth"] for u in siblings))
    if ranks == kth:
        return None
    for u in siblings:
        if set(graph.attrs(u)["kth"]) == ranks:
            return u
    return graph.add(op, [x], {"axis": axis, "kth": tuple(sorted(ranks))}, loc=graph.loc(nid))
