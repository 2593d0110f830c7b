"""Transposes moved past the ops that do not care about layout, rules ``(graph, node) ->
replacement node or None`` run by :mod:`simplify`.

NumPy computes a ufunc of transposed arrays in their memory order (``order='K'``): ``X.T -
m[:, None]`` walks ``X`` row by row and gives a transposed result. These rules give the
graph the same shape, so kernels read and write an array where it lies and the values
computed in the two layouts become one node (CSE):

- ``reduce(transpose(x, p), (a,))`` -> ``reduce(x, (p[a],))``, transposed after if the kept
  axes change order (one reduced axis: the elements of each reduction, and so its rounding,
  are the same); ``np.cov(X.T)`` then shares ``X.mean(axis=0)`` with the user's code;
- ``f(transpose(x, p), b...)`` -> ``transpose(f(x, b'...), p)`` for an elementwise ``f`` whose
  other operands are scalars, transposes by the same ``p``, or smaller arrays broadcast
  (``b'``: ``b`` seen in ``x``'s axes; a vector's reshape is a reshape again, leading ones
  dropped), when the result (or an elementwise chain from it) is also read transposed back,
  in ``x``'s layout: the value is needed in both layouts, and computing it in ``x``'s reads
  and writes contiguously. Not otherwise: ``np.exp(X.T) @ W`` computed as ``exp(X)`` would
  need a transposing copy for the product (2000x1024 f64: 94 -> 108 ms), and an output is
  stored in its own layout anyway. A same-sized operand in the transposed layout stops the
  rule too: moving the transpose onto it would gain nothing. The centred ``X.T - m[:, None]``
  of ``np.cov`` (read as ``Xc`` and ``Xc.T`` by the product) is then ``X - m`` seen
  transposed, and the product reads it in place.

Every rule is exact: the same elements meet in the same ops.
"""
from __future__ import annotations

import math

import numpy as np

from tracejit.compiler.graph import Graph
from tracejit.compiler.ops import get_op


def _reduce_of_transpose(graph: Graph, nid: int) -> int | None:
    """``reduce(transpose(x, p), (a,))`` -> ``reduce(x, (p[a],))`` (transposed if need be)."""
    opdef = get_op(graph.op(nid))
    if opdef.kind != "reduce" or opdef.reduction is None or opdef.reduction.arg:
        return None
    attrs = graph.attrs(nid)
    axes, keepdims = tuple(attrs["axes"]), attrs["keepdims"]
    (src,) = graph.operands(nid)
    if graph.op(src) != "transpose" or len(axes) != 1:
        return None
    perm = tuple(graph.attrs(src)["perm"])
    (x,) = graph.operands(src)
    loc = graph.loc(nid)
    out = graph.add(graph.op(nid), [x], {**attrs, "axes": (perm[axes[0]],)}, loc=loc)
    if keepdims:
        return graph.add("transpose", [out], {"perm": perm}, loc=loc)
    kept = [p for i, p in enumerate(perm) if i not in axes]
    order = tuple(sorted(kept).index(p) for p in kept)
    if order == tuple(range(len(order))):
        return out
    return graph.add("transpose", [out], {"perm": order}, loc=loc)


def _without_reshape(graph: Graph, nid: int) -> int:
    while graph.op(nid) == "reshape":
        (nid,) = graph.operands(nid)
    return nid


def _in_source_axes(graph: Graph, nid: int, rank: int, inverse: tuple[int, ...], loc: str | None) -> int:
    """Broadcast operand ``nid`` of a rank-``rank`` result seen in the untransposed axes: a
    reshape when its non-unit axes keep their order (leading ones dropped), else a transpose."""
    shape = tuple(graph.aval(nid).shape)
    padded = (1,) * (rank - len(shape)) + shape
    target = tuple(padded[i] for i in inverse)
    if [d for d in inverse if padded[d] != 1] != sorted(d for d in inverse if padded[d] != 1):
        src = nid if shape == padded else graph.add("reshape", [nid], {"shape": padded}, loc=loc)
        return graph.add("transpose", [src], {"perm": inverse}, loc=loc)
    while target and target[0] == 1:
        target = target[1:]
    base = _without_reshape(graph, nid)
    if tuple(graph.aval(base).shape) == target:
        return base
    return graph.add("reshape", [base], {"shape": target}, loc=loc)


def _read_back(graph: Graph, nid: int, inverse: tuple[int, ...], depth: int = 4) -> bool:
    """Whether ``nid`` (or an elementwise chain of its own shape from it, ``depth`` ops long) is
    read through ``transpose(., inverse)``, in the layout its transposed operand has."""
    for user, _ in graph.users(nid):
        op = graph.op(user)
        if op == "transpose" and tuple(graph.attrs(user)["perm"]) == inverse:
            return True
        same_shape = graph.aval(user).shape == graph.aval(nid).shape
        if (depth and op != "copy" and get_op(op).kind == "elementwise" and same_shape
                and _read_back(graph, user, inverse, depth - 1)):
            return True
    return False


def _elementwise_of_transpose(graph: Graph, nid: int) -> int | None:
    """``f(transpose(x, p), b...)`` -> ``transpose(f(x, b'...), p)`` (see the module)."""
    if get_op(graph.op(nid)).kind != "elementwise" or graph.op(nid) == "copy":
        return None  # (a copy is there to lay its operand out as it is seen)
    shape = tuple(graph.aval(nid).shape)
    operands = graph.operands(nid)
    perm = next((tuple(graph.attrs(u)["perm"]) for u in operands
                 if graph.op(u) == "transpose" and tuple(graph.aval(u).shape) == shape), None)
    if perm is None or len(shape) < 2:
        return None
    size = math.prod(shape)
    same = [graph.op(u) == "transpose" and tuple(graph.attrs(u)["perm"]) == perm for u in operands]
    if any(not s and graph.aval(u).shape != () and math.prod(graph.aval(u).shape) >= size
           for u, s in zip(operands, same)):
        return None
    inverse = tuple(int(i) for i in np.argsort(perm))
    if not _read_back(graph, nid, inverse):
        return None
    loc = graph.loc(nid)
    new = [graph.operands(u)[0] if s else u if graph.aval(u).shape == () else
           _in_source_axes(graph, u, len(shape), inverse, loc) for u, s in zip(operands, same)]
    inner = graph.add(graph.op(nid), new, dict(graph.attrs(nid)), loc=loc)
    return graph.add("transpose", [inner], {"perm": perm}, loc=loc)


RULES = {
    "reduce_of_transpose": _reduce_of_transpose,
    "elementwise_of_transpose": _elementwise_of_transpose,
}
