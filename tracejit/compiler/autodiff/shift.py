"""Shifts whose derivative cancels: a value ``m`` that every result depends on only through
values that are provably independent of ``m``.

The case this is for is the max-shift of a log-sum-exp or softmax written out in NumPy::

    m = x.max(axis=1, keepdims=True)
    log_probs = x - m - np.log(np.sum(np.exp(x - m), axis=1, keepdims=True))

``log_probs`` does not depend on ``m`` at all (any ``m`` gives the same value), so the
derivative through ``m`` is exactly zero, yet differentiated op by op it is a sum of terms
that cancel only up to rounding, and it costs the max's tie mask and a kernel. A transform
that knows the results do not depend on ``m`` treats ``m`` as ``stop_gradient(m)``: the total
derivative with respect to anything upstream is then unchanged (the partial through ``m`` is
identically zero), only the work and the rounding noise go.

The proof is a small abstract interpretation over the nodes downstream of ``m``: each value is
either independent of ``m`` or of one of two forms in ``m~`` (``m`` reshaped to a shape ``P``
and broadcast; ``f`` is a value independent of ``m``):

* additive ``f + c*m~`` (``x - m`` has ``c = -1``; ``log`` of a multiplicative form);
* multiplicative ``f * exp(c*m~)`` (``exp`` of an additive form; products and quotients add
  and subtract ``c``; a sum over axes where ``m~`` is constant keeps it).

A form with ``c == 0`` is independent of ``m``; so is any value computed only from
independent values, and any non-float value (no derivative flows through it). Every other
op of an ``m``-dependent value is "unknown", and ``m`` is then left alone.
"""
from __future__ import annotations

from math import prod
from typing import Sequence

import numpy as np

from tracejit.compiler.graph import Graph
from tracejit.compiler.ops import get_op

Node = int
INDEPENDENT = "independent"  # a value that does not depend on m
UNKNOWN = "unknown"  # a value that depends on m in a way the rules below do not follow
Form = tuple  # ("add" | "mul", c, P): f + c*m~ or f * exp(c*m~), m~ = m reshaped to P, broadcast

_VIEWS = ("reshape", "broadcast_to", "copy")  # walked up from a subtrahend to the shift's root
_EXTREMA = ("max", "min", "nanmax", "nanmin")


def cancelling_shifts(graph: Graph, active: set[Node], targets: Sequence[Node],
                      keep: set[Node]) -> set[Node]:
    """Nodes of ``active`` (not in ``keep``) that ``targets`` do not depend on: each is the
    root of a shift ``x - m`` whose effect on every target cancels (module docstring)."""
    found: set[Node] = set()
    candidates = _candidates(graph, active)
    if not candidates:
        return found
    order = graph.topo_order()
    position = {n: i for i, n in enumerate(order)}
    for cand in candidates:
        if cand not in keep and cand not in found and _cancels(graph, cand, targets, order[position[cand]:]):
            found.add(cand)
    return found


def _candidates(graph: Graph, active: set[Node]) -> list[Node]:
    """Subtrahends of ``subtract`` nodes that broadcast against the minuend, walked up through
    reshapes and broadcasts to their root (the root first, then the subtrahend itself)."""
    out: list[Node] = []
    for nid in graph.nodes_with_op("subtract"):
        if nid not in active:
            continue
        x, m = graph.operands(nid)
        if prod(graph.aval(m).shape) >= prod(graph.aval(nid).shape) or m not in active:
            continue
        chain = [m]
        while graph.op(chain[-1]) in _VIEWS and graph.operands(chain[-1])[0] in active:
            chain.append(graph.operands(chain[-1])[0])
        out.extend(reversed(chain))
    return out


def _cancels(graph: Graph, m: Node, targets: Sequence[Node], after: list[Node]) -> bool:
    """Whether every target is independent of ``m`` by the rules of the module docstring
    (``after``: ``m`` and the nodes after it in topological order)."""
    forms: dict[Node, object] = {m: ("add", 1.0, tuple(graph.aval(m).shape))}
    reach = {m}
    for nid in after[1:]:
        ops = graph.operands(nid)
        if not any(u in reach for u in ops):
            continue
        reach.add(nid)
        forms[nid] = _form(graph, nid, [forms.get(u, INDEPENDENT) for u in ops])
    return all(forms.get(t, INDEPENDENT) == INDEPENDENT for t in targets)


def _pad(form: Form, rank: int) -> Form:
    """``form`` with ``P`` left-padded with 1s to ``rank`` (NumPy broadcasting)."""
    kind, c, p = form
    return kind, c, (1,) * (rank - len(p)) + tuple(p)


def _made(kind: str, c: float, p: tuple) -> object:
    """A form, or INDEPENDENT where ``c`` is 0."""
    return INDEPENDENT if c == 0 else (kind, c, p)


def _form(graph: Graph, nid: Node, ins: list) -> object:
    """The form of node ``nid`` given its operands' forms."""
    op, attrs = graph.op(nid), graph.attrs(nid)
    if all(f == INDEPENDENT for f in ins):
        return INDEPENDENT
    if get_op(op).kind == "control" or any(f == UNKNOWN for f in ins):
        return UNKNOWN  # (a loop, branch or host call holds all its results, floats among them)
    if np.dtype(graph.aval(nid).dtype).kind != "f":
        return INDEPENDENT  # (no derivative flows through a bool or integer value)
    shape = tuple(graph.aval(nid).shape)
    rank = len(shape)
    if op in ("broadcast_to", "copy"):
        return _pad(ins[0], rank)
    if op == "reshape":
        kind, c, p = ins[0]
        return (kind, c, shape) if p == tuple(graph.aval(graph.operands(nid)[0]).shape) else UNKNOWN
    if op == "negative":
        kind, c, p = ins[0]
        return ("add", -c, p) if kind == "add" else UNKNOWN
    if op in ("add", "subtract", "multiply", "divide"):
        return _binary(op, [f if f == INDEPENDENT else _pad(f, rank) for f in ins])
    if op == "exp" and ins[0][0] == "add":
        return _made("mul", ins[0][1], ins[0][2])
    if op == "log" and ins[0][0] == "mul":
        return _made("add", ins[0][1], ins[0][2])
    if op == "sum" or op in _EXTREMA:
        return _reduction(op, ins[0], tuple(graph.aval(graph.operands(nid)[0]).shape),
                          attrs["axes"], attrs.get("keepdims", False))
    return UNKNOWN


def _binary(op: str, ins: list) -> object:
    """Forms of ``+ - * /``: additive forms add, multiplicative ones multiply (``c`` adds)."""
    deps = [f for f in ins if f != INDEPENDENT]
    if len({f[2] for f in deps}) != 1:
        return UNKNOWN  # (m~ of different shapes: not one m~)
    want = "add" if op in ("add", "subtract") else "mul"
    if any(f[0] != want for f in deps):
        return UNKNOWN
    sign = -1.0 if op in ("subtract", "divide") else 1.0
    c = sum(f[1] * (sign if i == 1 else 1.0) for i, f in enumerate(ins) if f != INDEPENDENT)
    return _made(want, c, deps[0][2])


def _reduction(op: str, form: Form, in_shape: tuple, axes, keepdims: bool) -> object:
    """A sum or extremum over axes along which ``m~`` is constant: a multiplicative form
    keeps ``c`` (``exp(c*m~)`` factors out), an additive one gets ``c`` times the count
    (sum) or keeps it (max/min)."""
    kind, c, p = _pad(form, len(in_shape))
    axes = tuple(a % len(in_shape) for a in (axes if axes is not None else range(len(in_shape))))
    if any(p[a] != 1 for a in axes):
        return UNKNOWN
    if op == "sum" and kind == "add":
        c = c * prod(in_shape[a] for a in axes)
    p = p if keepdims else tuple(n for i, n in enumerate(p) if i not in axes)
    return _made(kind, c, p)
