"""Batching the linear part of a derivative over all basis vectors at once (``tj.jacfwd`` /
``tj.jacrev``, ``frontend/jacobians.py``).

A Jacobian's products are built once on a placeholder seed; the nodes that depend on the seed
(the *linear part*) are rebuilt here with a leading batch axis of ``n`` (one row per basis
vector): elementwise ops broadcast (a batched operand is padded with unit axes to the node's
rank, so NumPy's right-aligned broadcasting lines up the rest), reductions, views, scans and
``concatenate`` shift their axes by one, ``matmul`` batches (a batched left operand against a
matrix is one flattened matmul; the unit seeds themselves against one are that matrix). What
the linear part reads from the function (residuals, weights) is used unbatched. An op without
a rule here (gathers, dynamic slices and updates, loops, library calls) makes
:func:`batch_linear` return None: the caller runs the products as a loop instead.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from tracejit.compiler.autodiff.builder import Builder, Node
from tracejit.compiler.graph import Graph
from tracejit.compiler.ops import get_op

BATCH_BYTES = 1 << 26  # most bytes of batched values (summed over the linear part's nodes)
SCANS = ("cumsum",)  # along-axis ops that are linear (the others have no batching rule)
VIEW_OPS = ("reshape", "broadcast_to", "transpose", "slice", "diagonal")


def _batchable(graph: Graph, nid: Node) -> bool:
    op = graph.op(nid)
    kind = get_op(op).kind
    return (kind in ("elementwise", "reduce", "concat", "contraction") and op != "size") or op in VIEW_OPS \
        or op in SCANS


def batch_linear(b: Builder, seed: Node, order: list[Node], n: int,
                 batched_seed: Callable[[], Node]) -> dict[Node, Node] | None:
    """The nodes ``order`` (the linear part, topologically ordered, each depending on
    ``seed``) rebuilt with a leading axis of ``n``, ``seed`` read as the node that
    ``batched_seed()`` builds (``[n, *seed shape]``): {node: its batched node}; None (and
    nothing built) if some node has no batching rule or the batched values would exceed
    ``BATCH_BYTES``."""
    graph = b.graph
    size = sum(n * int(np.prod(graph.aval(v).shape, dtype=np.int64)) * graph.aval(v).dtype.itemsize for v in order)
    if size > BATCH_BYTES or not all(_batchable(graph, v) for v in order):
        return None
    done: dict[Node, Node] = {seed: batched_seed()}
    for v in order:
        b.loc = graph.loc(v)
        rule = _RULES.get(get_op(graph.op(v)).kind, _view)
        done[v] = rule(b, v, [done.get(u) for u in graph.operands(v)], n, done[seed])
    return done


def _padded(b: Builder, batched: Node, rank: int, n: int) -> Node:
    """A batched value ``[n, *s]`` as ``[n, 1, ..., 1, *s]`` of rank ``rank + 1``."""
    shape = b.shape(batched)[1:]
    if len(shape) >= rank:
        return batched
    return b.reshape(batched, (n,) + (1,) * (rank - len(shape)) + shape)


def _elementwise(b: Builder, v: Node, batched: list[Node | None], n: int, unit: Node) -> Node:
    graph = b.graph
    rank = len(graph.aval(v).shape)
    ops = [u if bu is None else _padded(b, bu, rank, n) for u, bu in zip(graph.operands(v), batched)]
    return b.op(graph.op(v), *ops, **graph.attrs(v))


def _reduce(b: Builder, v: Node, batched: list[Node | None], n: int, unit: Node) -> Node:
    attrs = dict(b.graph.attrs(v))
    attrs["axes"] = tuple(a + 1 for a in attrs["axes"])
    return b.op(b.graph.op(v), batched[0], **attrs)


def _concat(b: Builder, v: Node, batched: list[Node | None], n: int, unit: Node) -> Node:
    graph = b.graph
    ops = [bu if bu is not None else b.broadcast(b.reshape(u, (1,) + b.shape(u)), (n,) + b.shape(u))
           for u, bu in zip(graph.operands(v), batched)]
    return b.op("concatenate", *ops, axis=graph.attrs(v)["axis"] + 1)


def _matmul(b: Builder, v: Node, batched: list[Node | None], n: int, unit: Node) -> Node:
    graph = b.graph
    (x, y), (bx, by) = graph.operands(v), batched
    out_shape = (n,) + tuple(graph.aval(v).shape)
    if _is_unit(b, bx, unit, n) and by is None and len(b.shape(y)) == 2:  # I @ y = y
        return b.reshape(b.convert(y, graph.aval(v).dtype), out_shape)
    if by is None and len(b.shape(y)) == 2:  # rows of all the seeds against one matrix: one matmul
        k = b.shape(y)[0]
        flat = b.op("matmul", b.reshape(bx, (b.shape(bx)[0] * int(np.prod(b.shape(bx)[1:-1], dtype=np.int64)), k)), y)
        return b.reshape(flat, out_shape)
    if bx is None and len(b.shape(x)) == 2 and len(b.shape(y)) == 1:  # A @ v_k = (v_k^T A^T): one matmul
        return b.op("matmul", by, b.op("transpose", x, perm=(1, 0)))
    # general: 1-D operands promoted to matrices, batched ones padded to a common rank
    x2 = x if bx is not None or len(b.shape(x)) > 1 else b.reshape(x, (1,) + b.shape(x))
    y2 = y if by is not None or len(b.shape(y)) > 1 else b.reshape(y, b.shape(y) + (1,))
    if bx is not None and len(b.shape(x)) == 1:
        bx = b.reshape(bx, (n, 1) + b.shape(x))
    if by is not None and len(b.shape(y)) == 1:
        by = b.reshape(by, (n,) + b.shape(y) + (1,))
    rank = max(len(b.shape(x2 if bx is None else bx)) - (bx is not None),
               len(b.shape(y2 if by is None else by)) - (by is not None))
    left = x2 if bx is None else _padded(b, bx, rank, n)
    right = y2 if by is None else _padded(b, by, rank, n)
    return b.reshape(b.op("matmul", left, right), out_shape)


def _is_unit(b: Builder, bx: Node | None, unit: Node, n: int) -> bool:
    """``bx`` is the unit seeds ``unit`` (``[n, n]`` in effect): itself or a reshape of it to
    ``[n, 1, ..., 1, n]``."""
    while bx is not None and bx != unit and b.graph.op(bx) == "reshape":
        shape = b.shape(bx)
        if shape[0] != n or shape[-1] != n or any(d != 1 for d in shape[1:-1]):
            return False
        (bx,) = b.graph.operands(bx)
    return bx == unit and b.shape(unit)[-1:] == (n,) and len(b.shape(unit)) == 2


def _view(b: Builder, v: Node, batched: list[Node | None], n: int, unit: Node) -> Node:
    graph = b.graph
    op, attrs, bx = graph.op(v), dict(graph.attrs(v)), batched[0]
    shape = tuple(graph.aval(v).shape)
    if op == "reshape":
        return b.reshape(bx, (n,) + shape)
    if op == "broadcast_to":
        return b.broadcast(_padded(b, bx, len(shape), n), (n,) + shape)
    if op == "transpose":
        attrs["perm"] = (0,) + tuple(p + 1 for p in attrs["perm"])
    elif op == "slice":
        attrs = {"starts": (0,) + tuple(attrs["starts"]), "steps": (1,) + tuple(attrs["steps"]),
                 "shape": (n,) + tuple(attrs["shape"])}
    elif op == "diagonal":
        attrs["axis1"], attrs["axis2"] = attrs["axis1"] + 1, attrs["axis2"] + 1
    else:  # a linear scan
        attrs["axis"] = attrs["axis"] + 1
    return b.op(op, bx, **attrs)


_RULES: dict[str, Callable[[Builder, Node, list, int, Node], Node]] = {
    "elementwise": _elementwise, "reduce": _reduce, "concat": _concat, "contraction": _matmul}
