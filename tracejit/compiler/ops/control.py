"""Structured control flow: loops and branches whose bodies are graphs of their own.

``while(inits..., captured...)`` repeats ``body`` on its carried values while ``cond``
holds; ``cond(pred, captured...)`` runs one of two branch graphs. Each body, condition
and branch is a :class:`SubGraph`, traced once (``frontend/control.py``): its inputs are
the carried values (or the branch operands), then the outer values it reads (captured),
its outputs the new carried values (or the branch's results). A control node stands
for all its results at once; ``loop_out(node, index)`` picks one (graph nodes have one
value each). Kernel formation compiles each sub-graph to a program of its own and the
node to one control kernel running them in a native loop or branch
(``compiler/control.py``, ``codegen/control.py``).
"""
from __future__ import annotations

import hashlib

import numpy as np

from tracejit.compiler.dtypes import AVal
from tracejit.compiler.ops.registry import OpDef, register

TOKEN = AVal((), np.dtype(np.uint8))  # what a control node itself holds: nothing addressable


class SubGraph:
    """A traced graph used as an attribute (a loop body, a branch): compared and
    printed by its fingerprint, so CSE, fingerprints and caches treat equal graphs alike."""

    __slots__ = ("graph", "key")

    def __init__(self, graph):
        from tracejit.compiler.fingerprint import graph_fingerprint
        self.graph = graph
        self.key = hashlib.sha256(graph_fingerprint(graph).encode()).hexdigest()[:32]

    def __repr__(self) -> str:
        return f"SubGraph({self.graph.name}:{self.key})"

    def __eq__(self, other) -> bool:
        return isinstance(other, SubGraph) and other.key == self.key

    def __hash__(self) -> int:
        return hash(self.key)

    def outputs_avals(self) -> list[AVal]:
        g = self.graph
        return [g.aval(g.operands(o)[0]) for o in g.outputs]

    def run(self, values: list) -> list[np.ndarray]:
        """Evaluate with NumPy references (the interpreter: folding and tests)."""
        from tracejit.compiler.interpreter import evaluate
        return evaluate(self.graph, values)


def _infer_token(avals, **attrs) -> AVal:
    return TOKEN


def _while_reference(*values, cond: SubGraph, body: SubGraph, n_carry: int, n_cond: int):
    carry = list(values[:n_carry])
    cond_captured = list(values[n_carry:n_carry + n_cond])
    body_captured = list(values[n_carry + n_cond:])
    while bool(cond.run(carry + cond_captured)[0]):
        carry = body.run(carry + body_captured)
    return tuple(carry)


def _cond_reference(pred, *values, true: SubGraph, false: SubGraph, n_true: int):
    if bool(pred):
        return tuple(true.run(list(values[:n_true])))
    return tuple(false.run(list(values[n_true:])))


def _infer_out(avals, index: int, shape: tuple, dtype) -> AVal:
    return AVal(tuple(shape), np.dtype(dtype))


def _out_reference(results, index: int, shape: tuple, dtype):
    return np.asarray(results[index], dtype=dtype).reshape(shape)


register(OpDef(
    name="while", kind="control", arity=None, infer=_infer_token, reference=_while_reference, cost=0,
    doc="repeat body on the carried values (the first n_carry operands) while cond holds"))
register(OpDef(
    name="cond", kind="control", arity=None, infer=_infer_token, reference=_cond_reference, cost=0,
    doc="the results of true(operands) if pred else false(operands)"))
register(OpDef(
    name="loop_out", kind="control", arity=1, infer=_infer_out, reference=_out_reference, cost=0,
    doc="result attrs['index'] of a while or cond node"))
