"""Reverse mode: the vector-Jacobian product of a graph's values, built as more nodes of
the same graph.

The transform walks the *active* nodes (float values that depend on a differentiated node
and that an output depends on) from the outputs back, hands each node's cotangent to its
op's ``vjp`` rule and adds up the cotangents each operand receives. Zero cotangents stay
symbolic (None) and are never materialized unless a differentiated node gets none at all.
"""
from __future__ import annotations

from typing import Sequence

import networkx as nx

from tracejit.compiler.autodiff.builder import Builder, Node, is_float
from tracejit.compiler.graph import Graph
from tracejit.compiler.ops import get_op
from tracejit.errors import UnsupportedError, at


def active_nodes(graph: Graph, wrt: Sequence[Node], targets: Sequence[Node]) -> set[Node]:
    """Float nodes that depend on a node of ``wrt`` and that a node of ``targets`` depends on
    (both ends included)."""
    down: set[Node] = set()
    for w in wrt:
        if w not in down:
            down.add(w)
            down |= nx.descendants(graph.nx, w)
    up: set[Node] = set(targets)
    for t in targets:
        up |= nx.ancestors(graph.nx, t)
    return {n for n in down & up if is_float(graph.aval(n).dtype)}


def no_rule_error(graph: Graph, nid: Node, mode: str) -> UnsupportedError:
    """The error for differentiating through an op that has no ``mode`` rule."""
    op = graph.op(nid)
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
        if opdef.vjp is None:
            raise no_rule_error(graph, nid, "reverse")
        operands = graph.operands(nid)
        b.loc = graph.loc(nid)
        results = opdef.vjp(b, ct, operands, nid, **graph.attrs(nid))
        for u, r in zip(operands, results):
            if r is not None and u in active:
                r = b.convert(r, b.dtype(u))
                if b.shape(r) != b.shape(u):
                    raise AssertionError(f"vjp of {graph.op(nid)}: cotangent {b.aval(r)} for operand {b.aval(u)}")
                cts[u] = b.add(cts.get(u), r)
    return [cts.get(w) for w in wrt]
