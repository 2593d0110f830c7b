"""Evaluate a Graph with each op's NumPy reference: the oracle for pass tests and
the engine of constant folding."""
from __future__ import annotations

import numpy as np

from tracejit.compiler.graph import Graph
from tracejit.compiler.ops import get_op


def evaluate_node(graph: Graph, nid: int, operand_values: list[np.ndarray]) -> np.ndarray:
    """The value of node ``nid`` given its operands' values."""
    d = graph.data(nid)
    opdef = get_op(d["op"])
    if d["op"] == "constant":
        return d["value"]
    attrs = {k: v for k, v in d["attrs"].items()}
    if opdef.kind == "control" and d["op"] != "loop_out":  # all its results at once
        return opdef.reference(*operand_values, evaluate=evaluate, **attrs)  # bodies: evaluated by us
    with np.errstate(all="ignore"):
        out = opdef.reference(*operand_values, **attrs)
    out = np.asarray(out)
    if out.dtype != d["dtype"]:
        out = out.astype(d["dtype"])
    return out


def evaluate(graph: Graph, inputs: list[np.ndarray]) -> list[np.ndarray]:
    """Run ``graph`` on concrete ``inputs`` (one per input node); returns the outputs."""
    values: dict[int, np.ndarray] = {}
    for nid in graph.topo_order():
        op = graph.op(nid)
        if op == "input":
            values[nid] = np.asarray(inputs[graph.attrs(nid)["index"]])
        else:
            values[nid] = evaluate_node(graph, nid, [values[u] for u in graph.operands(nid)])
    return [values[o] for o in graph.outputs]
