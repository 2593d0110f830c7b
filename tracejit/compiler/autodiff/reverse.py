"""Reverse mode: the vector-Jacobian product of a graph's values, built as more nodes of
the same graph.

The transform walks the *active* nodes (float values that depend on a differentiated node
and that an output depends on) from the outputs back, hands each node's cotangent to its
op's ``vjp`` rule and adds up the cotangents each operand receives. Zero cotangents stay
symbolic (None) and are never materialized unless a differentiated node gets none at all.
A node of several results (``is_multi``: a loop, branch, LAPACK call) gets the cotangents
of the ``loop_out`` nodes that pick its results as one dict {index: cotangent}; loops and
branches differentiate their sub-graphs (``autodiff/control.py``, handed this transform).
"""
from __future__ import annotations

from typing import Sequence

import networkx as nx

from tracejit.compiler.autodiff.builder import Builder, Node, is_float
from tracejit.compiler.autodiff.control import SUBGRAPH_RULES
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
    return {n for n in down & up if is_float(graph.aval(n).dtype) or is_multi(graph, n)}


def is_multi(graph: Graph, nid: Node) -> bool:
    """Whether ``nid`` is a node of several results (a loop, branch, LAPACK or host call,
    whose ``loop_out`` users pick them): its rules take and give a dict {index: node}."""
    op = graph.op(nid)
    return op != "loop_out" and get_op(op).kind == "control"


def picked(graph: Graph, nid: Node) -> Node | None:
    """The node of several results that the ``loop_out`` node ``nid`` picks from (else None)."""
    if graph.op(nid) != "loop_out":
        return None
    (src,) = graph.operands(nid)
    return src if is_multi(graph, src) else None


def no_rule_error(graph: Graph, nid: Node, mode: str) -> UnsupportedError:
    """The error for differentiating through an op that has no ``mode`` rule."""
    op = graph.op(nid)
    what = op
    if op == "host":  # a Python fallback: name the function it runs
        host = graph.attrs(nid).get("host")
        what = f"a Python fallback ({getattr(host, 'name', host)}, run by NumPy on the host)"
        return UnsupportedError(f"cannot differentiate through {what}: it is not differentiable"
                                f"{at(graph.loc(nid))}")
    return UnsupportedError(f"cannot differentiate through {what} ({mode}-mode rule not implemented yet)"
                            f"{at(graph.loc(nid))}")


def vjp_graph(b: Builder, wrt: Sequence[Node], targets: Sequence[Node],
              cotangents: Sequence[Node | None]) -> list[Node | None]:
    """Cotangents of the ``wrt`` nodes given ``cotangents`` of the ``targets`` (None: zero);
    None for a ``wrt`` node the targets do not depend on (differentiably)."""
    graph = b.graph
    active = active_nodes(graph, wrt, targets)
    cts: dict[Node, Node | None] = {}
    multi: dict[Node, dict[int, Node]] = {}  # the cotangents of the results of a node of several
    for t, ct in zip(targets, cotangents):
        if t in active and ct is not None:
            cts[t] = b.add(cts.get(t), ct)
    wrt_set = set(wrt)
    order = [n for n in graph.topo_order() if n in active]
    for nid in reversed(order):
        if nid in wrt_set:  # a differentiated node: its total is the result
            continue
        if is_multi(graph, nid):
            ct = multi.pop(nid, None)
        else:
            ct = cts.pop(nid, None)
        if ct is None:
            continue
        src = picked(graph, nid)
        if src is not None:  # gathered for the node of several results
            index = graph.attrs(nid)["index"]
            multi.setdefault(src, {})[index] = b.add(multi.get(src, {}).get(index), ct)
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
                r = b.convert(r, b.dtype(u))
                if b.shape(r) != b.shape(u):
                    raise AssertionError(f"vjp of {graph.op(nid)}: cotangent {b.aval(r)} for operand {b.aval(u)}")
                cts[u] = b.add(cts.get(u), r)
    return [cts.get(w) for w in wrt]
