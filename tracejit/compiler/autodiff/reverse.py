"""Reverse mode: the vector-Jacobian product of a graph's values, built as more nodes of
the same graph.

The transform walks the *active* nodes (float values that depend on a differentiated node
and that an output depends on) from the outputs back, hands each node's cotangent to its
op's ``vjp`` rule and adds up the cotangents each operand receives. Zero cotangents stay
symbolic (None) and are never materialized unless a differentiated node gets none at all.
Loops and branches differentiate their sub-graphs: their rules (``autodiff/control.py``) are
handed this transform.
"""
from __future__ import annotations

from typing import Sequence

import networkx as nx

from tracejit.compiler.autodiff.builder import Builder, Node, is_float
from tracejit.compiler.autodiff.control import SUBGRAPH_RULES
from tracejit.compiler.autodiff.shift import cancelling_shifts
from tracejit.compiler.graph import Graph
from tracejit.compiler.ops import get_op
from tracejit.errors import UnsupportedError, at

STOP = "stop_gradient"  # node data key: a node derivatives do not flow through (tj.stop_gradient)


def active_nodes(graph: Graph, wrt: Sequence[Node], targets: Sequence[Node]) -> set[Node]:
    """Float nodes that depend on a node of ``wrt`` (not through a node marked ``STOP``, nor
    through a shift whose effect on the targets cancels: ``autodiff/shift.py``) and that a
    node of ``targets`` depends on (both ends included), and the control nodes (loops,
    branches, host calls) between them: a control node holds all its results, so its
    (co)tangent is a dict ``{result index: node}`` that ``loop_out`` builds or picks from."""
    up: set[Node] = set(targets)
    for t in targets:
        up |= nx.ancestors(graph.nx, t)
    active = _active(graph, wrt, up, set())
    cut = cancelling_shifts(graph, active, targets, set(wrt))
    return _active(graph, wrt, up, cut) if cut else active


def _active(graph: Graph, wrt: Sequence[Node], up: set[Node], cut: set[Node]) -> set[Node]:
    """``active_nodes`` with the nodes of ``cut`` treated as marked ``STOP``."""
    succ, nodes = graph.nx._succ, graph.nx.nodes
    down: set[Node] = set(wrt)
    stack = list(wrt)
    while stack:
        for v in succ[stack.pop()]:
            if v not in down and v not in cut and not nodes[v].get(STOP):
                down.add(v)
                stack.append(v)
    return {n for n in down & up if is_float(graph.aval(n).dtype) or get_op(graph.op(n)).kind == "control"}


def no_rule_error(graph: Graph, nid: Node, mode: str) -> UnsupportedError:
    """The error for differentiating through an op that has no ``mode`` rule (a host call or
    LAPACK call is named with its function or routine)."""
    op, attrs = graph.op(nid), graph.attrs(nid)
    detail = getattr(attrs.get("host"), "name", None) or getattr(attrs.get("call"), "routine", None)
    op = f"{op} ({detail})" if detail else op
    return UnsupportedError(f"cannot differentiate through {op} ({mode}-mode rule not implemented yet)"
                            f"{at(graph.loc(nid))}")


def vjp_graph(b: Builder, wrt: Sequence[Node], targets: Sequence[Node],
              cotangents: Sequence[Node | None]) -> list[Node | None]:
    """Cotangents of the ``wrt`` nodes given ``cotangents`` of the ``targets`` (None: zero);
    None for a ``wrt`` node the targets do not depend on (differentiably)."""
    graph = b.graph
    active = b.active = active_nodes(graph, wrt, targets)
    cts: dict[Node, Node | None] = {}
    for t, ct in zip(targets, cotangents):
        if t in active and ct is not None:
            cts[t] = b.add(cts.get(t), ct)
    wrt_set = set(wrt)
    order = [n for n in graph.topo_order() if n in active]
    for nid in reversed(order):
        if nid in wrt_set:  # a differentiated node: its total is the result
            continue
        ct = cts.pop(nid, None)
        if ct is None:
            continue
        opdef = get_op(graph.op(nid))
        operands = graph.operands(nid)
        b.loc = graph.loc(nid)
        if graph.op(nid) in SUBGRAPH_RULES:  # loops and branches: the transform handed down
            results = SUBGRAPH_RULES[graph.op(nid)].vjp(b, ct, operands, nid, vjp_graph, **graph.attrs(nid))
        elif opdef.vjp is None:
            raise no_rule_error(graph, nid, "reverse")
        else:
            results = opdef.vjp(b, ct, operands, nid, **graph.attrs(nid))
        for u, r in zip(operands, results):
            if r is not None and u in active:
                if isinstance(r, dict):  # a control node's results (see active_nodes)
                    cts[u] = b.add(cts.get(u), r)
                    continue
                r = b.convert(r, b.dtype(u))
                if b.shape(r) != b.shape(u):
                    raise AssertionError(f"vjp of {graph.op(nid)}: cotangent {b.aval(r)} for operand {b.aval(u)}")
                cts[u] = b.add(cts.get(u), r)
    return [cts.get(w) for w in wrt]
