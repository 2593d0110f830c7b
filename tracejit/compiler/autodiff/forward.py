"""Forward mode: the Jacobian-vector product of a graph's values, built as more nodes of the
same graph.

The transform walks the active nodes (see ``reverse.active_nodes``) in topological order and
hands each node's operand tangents (None: zero) to its op's ``jvp`` rule.
"""
from __future__ import annotations

from typing import Sequence

from tracejit.compiler.autodiff.builder import Builder, Node
from tracejit.compiler.autodiff.control import SUBGRAPH_RULES
from tracejit.compiler.autodiff.reverse import active_nodes, no_rule_error
from tracejit.compiler.ops import get_op


def jvp_graph(b: Builder, wrt: Sequence[Node], tangents: Sequence[Node | None],
              targets: Sequence[Node]) -> list[Node | None]:
    """Tangents of the ``targets`` given ``tangents`` of the ``wrt`` nodes (None: zero)."""
    graph = b.graph
    active = b.active = active_nodes(graph, wrt, targets)
    tans: dict[Node, Node | None] = {}
    for w, t in zip(wrt, tangents):
        if t is not None:
            tans[w] = b.add(tans.get(w), t)
    wrt_set = set(wrt)
    for nid in [n for n in graph.topo_order() if n in active]:
        if nid in wrt_set:
            continue
        operands = graph.operands(nid)
        ins = [tans.get(u) if u in active else None for u in operands]
        if all(t is None for t in ins):
            continue
        opdef = get_op(graph.op(nid))
        b.loc = graph.loc(nid)
        if graph.op(nid) in SUBGRAPH_RULES:  # loops and branches: the transform handed down
            out = SUBGRAPH_RULES[graph.op(nid)].jvp(b, ins, operands, nid, jvp_graph, **graph.attrs(nid))
        elif opdef.jvp is None:
            raise no_rule_error(graph, nid, "forward")
        else:
            out = opdef.jvp(b, ins, operands, nid, **graph.attrs(nid))
        if isinstance(out, dict):  # a control node's results: loop_out picks them
            tans[nid] = out
        elif out is not None:
            out = b.convert(out, b.dtype(nid))
            if b.shape(out) != b.shape(nid):
                out = b.broadcast(out, b.shape(nid))
            tans[nid] = out
    return [tans.get(t) for t in targets]
