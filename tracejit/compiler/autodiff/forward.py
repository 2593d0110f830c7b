"""Forward mode: the Jacobian-vector product of a graph's values, built as more nodes of the
same graph.

The transform walks the active nodes (see ``reverse.active_nodes``) in topological order and
hands each node's operand tangents (None: zero) to its op's ``jvp`` rule. A node of several
results gives a dict {index: tangent} that its ``loop_out`` nodes pick from.
"""
from __future__ import annotations

from typing import Sequence

from tracejit.compiler.autodiff.builder import Builder, Node
from tracejit.compiler.autodiff.control import SUBGRAPH_RULES
from tracejit.compiler.autodiff.reverse import active_nodes, is_multi, no_rule_error, picked
from tracejit.compiler.ops import get_op


def jvp_graph(b: Builder, wrt: Sequence[Node], tangents: Sequence[Node | None],
              targets: Sequence[Node]) -> list[Node | None]:
    """Tangents of the ``targets`` given ``tangents`` of the ``wrt`` nodes (None: zero)."""
    graph = b.graph
    active = active_nodes(graph, wrt, targets)
    tans: dict[Node, Node | None] = {}
    for w, t in zip(wrt, tangents):
        if t is not None:
            tans[w] = b.add(tans.get(w), t)
    wrt_set = set(wrt)
    multi: dict[Node, dict[int, Node]] = {}  # the tangents of the results of a node of several
    for nid in [n for n in graph.topo_order() if n in active]:
        if nid in wrt_set:
            continue
        src = picked(graph, nid)
        if src is not None:
            t = multi.get(src, {}).get(graph.attrs(nid)["index"])
            if t is not None:
                tans[nid] = t
            continue
        operands = graph.operands(nid)
        ins = [tans.get(u) if u in active else None for u in operands]
        if all(t is None for t in ins):
            continue
        opdef = get_op(graph.op(nid))
        b.loc = graph.loc(nid)
        if graph.op(nid) in SUBGRAPH_RULES:  # loops and branches: the transform handed down
            multi[nid] = SUBGRAPH_RULES[graph.op(nid)].jvp(b, ins, operands, nid, jvp_graph, **graph.attrs(nid))
            continue
        if opdef.jvp is None:
            raise no_rule_error(graph, nid, "forward")
        out = opdef.jvp(b, ins, operands, nid, **graph.attrs(nid))
        if is_multi(graph, nid):  # {index: tangent}
            multi[nid] = out
            continue
        if out is not None:
            out = b.convert(out, b.dtype(nid))
            if b.shape(out) != b.shape(nid):
                out = b.broadcast(out, b.shape(nid))
            tans[nid] = out
    return [tans.get(t) for t in targets]
