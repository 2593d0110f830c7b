"""Branches into selects: a ``cond`` whose two branches are small and pure becomes both
branches inline and a ``where`` on the predicate per result.

A branch qualifies when every node of it is a source, a view or an elementwise op (no
write, gather, reduction, loop or branch: nothing that could fail, read out of bounds or
cost much), and the two branches together cost at most :data:`MAX_COST` (the ops'
per-element costs times their sizes). Computing the branch not taken is then cheaper
than branching (in a loop body like a CRC's, one data-dependent branch per step), and
it changes nothing observable: elementwise code neither raises nor warns at run time,
and ``where`` returns exactly the taken branch's value, NaNs and all. A branch's check
flags and written-back values are results like the others: the select keeps the taken
branch's.
"""
from __future__ import annotations

import math

from tracejit.compiler.dtypes import AVal
from tracejit.compiler.graph import Graph
from tracejit.compiler.ops import get_op

MAX_COST = 64  # both branches, in per-element cost units (an add is 1, a divide 4, an exp 20)
PURE_KINDS = ("source", "view", "elementwise", "output")


def branch_cost(graph: Graph) -> int | None:
    """What computing branch ``graph`` costs (op cost times elements), or None when it is
    not pure elementwise code."""
    total = 0
    for nid in graph.nx.nodes:
        op = get_op(graph.op(nid))
        if op.kind not in PURE_KINDS:
            return None
        total += op.cost * math.prod(graph.aval(nid).shape)
    return total


def _inline(graph: Graph, branch: Graph, operands: list[int], loc: str | None) -> list[int]:
    """Copy ``branch``'s nodes into ``graph``, its inputs bound to ``operands``; returns
    the outer node of each of its results."""
    mapped: dict[int, int] = {}
    for nid in branch.topo_order():
        d = branch.data(nid)
        if d["op"] == "input":
            mapped[nid] = operands[d["attrs"]["index"]]
        elif d["op"] != "output":
            mapped[nid] = graph.add(d["op"], [mapped[u] for u in branch.operands(nid)], dict(d["attrs"]),
                                    loc=d["loc"] or loc, aval=AVal(d["shape"], d["dtype"]), value=d["value"])
    return [mapped[branch.operands(o)[0]] for o in branch.outputs]


def _selectable(graph: Graph, nid: int) -> bool:
    attrs = graph.attrs(nid)
    costs = [branch_cost(attrs[k].graph) for k in ("true", "false")]
    if any(c is None for c in costs) or sum(costs) > MAX_COST:
        return False
    return all(graph.op(u) == "loop_out" for u, _ in graph.users(nid))


def cond_to_select(graph: Graph) -> bool:
    """Replace each small, pure ``cond`` by its branches inline and ``where`` selects."""
    changed = False
    for nid in graph.nodes_with_op("cond"):
        if not _selectable(graph, nid):
            continue
        attrs, loc = graph.attrs(nid), graph.loc(nid)
        pred, *operands = graph.operands(nid)
        n_true = attrs["n_true"]
        true = _inline(graph, attrs["true"].graph, operands[:n_true], loc)
        false = _inline(graph, attrs["false"].graph, operands[n_true:], loc)
        for user, _ in graph.users(nid):
            k = graph.attrs(user)["index"]
            new = graph.add("where", [pred, true[k], false[k]], loc=graph.loc(user) or loc)
            if graph.aval(new) != graph.aval(user):  # (a result of another type: convert it)
                new = graph.add("convert", [new], {"dtype": graph.aval(user).dtype}, loc=loc)
            graph.replace_uses(user, new)
            graph.remove(user)
        graph.remove(nid)
        changed = True
    return changed
