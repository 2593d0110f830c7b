"""Constant folding: evaluate ops whose operands are all constants (when the result
has at most ``config.fold_limit`` elements), and turn constants whose elements are all
equal into a broadcast scalar, so they cost no buffer."""
from __future__ import annotations

import numpy as np

from tracejit.compiler.graph import Graph
from tracejit.compiler.interpreter import evaluate_node
from tracejit.compiler.ops import get_op
from tracejit.config import config


def _is_uniform(value: np.ndarray) -> bool:
    first = value.flat[0]
    if value.dtype.kind == "f" and np.isnan(first):
        return bool(np.isnan(value).all())
    same = value == first
    if value.dtype.kind == "f" and first == 0:  # keep -0.0 and +0.0 apart
        same &= np.signbit(value) == np.signbit(first)
    return bool(same.all())


def fold_constants(graph: Graph) -> bool:
    """Fold all-constant ops and make uniform constants broadcast scalars; True if anything changed."""
    changed = False
    for nid in graph.topo_order():
        op = graph.op(nid)
        kind = get_op(op).kind
        if op == "constant":
            value = graph.data(nid)["value"]
            if value.size > 1 and _is_uniform(value):
                scalar = graph.add_constant(value.reshape(-1)[:1].reshape(()), loc=graph.loc(nid))
                bcast = graph.add("broadcast_to", [scalar], {"shape": value.shape}, loc=graph.loc(nid))
                graph.replace_uses(nid, bcast)
                graph.remove(nid)
                changed = True
            continue
        if kind in ("source", "output", "control") or op == "copy":
            continue
        operands = graph.operands(nid)
        if not operands or any(graph.op(u) != "constant" for u in operands):
            continue
        if graph.aval(nid).size > config.fold_limit:
            continue
        try:
            value = evaluate_node(graph, nid, [graph.data(u)["value"] for u in operands])
        except (ArithmeticError, ValueError):  # NumPy refuses these values (an integer to a negative
            continue  # power): keep the op; the frontend's run-time check reports it as NumPy does
        shape = graph.aval(nid).shape
        if value.shape != shape:
            if value.size != graph.aval(nid).size:
                continue  # a reference that disagrees with the op's rule: keep the op
            value = value.reshape(shape)
        # np.array, not np.ascontiguousarray: that one makes a 0-d value 1-d
        const = graph.add_constant(np.array(value, order="C"), loc=graph.loc(nid))
        graph.replace_uses(nid, const)
        graph.remove(nid)
        changed = True
    return changed
