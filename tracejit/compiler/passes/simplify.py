"""Small rewrite rules, each a function ``(graph, node) -> replacement node or None``.

This issue's table removes no-op views and conversions and merges chained reshapes;
the algebraic rules of the optimizer build on the same driver.
"""
from __future__ import annotations

from typing import Callable

from tracejit.compiler.graph import Graph

Rule = Callable[[Graph, int], "int | None"]


def _identity_view(graph: Graph, nid: int) -> int | None:
    op, attrs = graph.op(nid), graph.attrs(nid)
    if op not in ("reshape", "broadcast_to", "transpose", "slice", "convert"):
        return None
    (src,) = graph.operands(nid)
    if graph.aval(src) != graph.aval(nid):
        return None
    if op == "transpose" and attrs["perm"] != tuple(range(len(attrs["perm"]))):
        return None
    if op == "slice" and (any(attrs["starts"]) or any(s != 1 for s in attrs["steps"])):
        return None
    return src


def _reshape_of_reshape(graph: Graph, nid: int) -> int | None:
    if graph.op(nid) != "reshape":
        return None
    (src,) = graph.operands(nid)
    if graph.op(src) != "reshape":
        return None
    (inner,) = graph.operands(src)
    return graph.add("reshape", [inner], dict(graph.attrs(nid)), loc=graph.loc(nid))


RULES: dict[str, Rule] = {
    "identity_view": _identity_view,
    "reshape_of_reshape": _reshape_of_reshape,
}


def simplify(graph: Graph, rules: dict[str, Rule] | None = None) -> bool:
    """Apply ``rules`` (default: :data:`RULES`) once over the graph in topological order."""
    changed = False
    for nid in graph.topo_order():
        if nid not in graph:
            continue
        for rule in (rules or RULES).values():
            new = rule(graph, nid)
            if new is not None and new != nid:
                graph.replace_uses(nid, new)
                graph.remove(nid)
                changed = True
                break
    return changed
