"""Common-subexpression elimination: one node per (op, attrs, operands), and one node
per distinct small constant."""
from __future__ import annotations

from typing import Any

import numpy as np

from tracejit.compiler.graph import Graph


def freeze(value: Any) -> Any:
    """``value`` made hashable: lists and tuples become tuples, dicts sorted item tuples, recursively."""
    if isinstance(value, (list, tuple)):
        return tuple(freeze(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, freeze(v)) for k, v in value.items()))
    return value


def _node_key(graph: Graph, nid: int) -> tuple | None:
    """A hashable key equal for nodes that compute the same value (None: never merge)."""
    d = graph.data(nid)
    if d["op"] in ("input", "output", "host"):  # (a host call is an effect: each runs)
        return None
    if d["op"] == "constant":
        value: np.ndarray = d["value"]
        if value.size > 64:
            return ("constant", id(value))
        return ("constant", value.dtype.str, value.shape, value.tobytes())
    return (d["op"], freeze(d["attrs"]), tuple(graph.operands(nid)))


def cse(graph: Graph) -> bool:
    """Merge nodes with equal keys into the first in topological order; True if any merged."""
    seen: dict = {}
    changed = False
    for nid in graph.topo_order():
        key = _node_key(graph, nid)
        if key is None:
            continue
        first = seen.setdefault(key, nid)
        if first != nid:
            graph.replace_uses(nid, first)
            graph.remove(nid)
            changed = True
    return changed
