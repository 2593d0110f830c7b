"""Structured control flow: loops and branches whose bodies are graphs of their own.

``while(inits..., captured...)`` repeats ``body`` on its carried values while ``cond``
holds; ``cond(pred, captured...)`` runs one of two branch graphs. Each body, condition
and branch is a ``SubGraph`` (``compiler/graph.py``), traced once (``frontend/control.py``):
its inputs are the carried values (or the branch operands), then the outer values it
reads (captured), its outputs the new carried values (or the branch's results). A control node stands
for all its results at once; ``loop_out(node, index)`` picks one (graph nodes have one
value each). Kernel formation compiles each sub-graph to a program of its own and the
node to one control kernel running them in a native loop or branch
(``kernelize/control.py``, ``codegen/control.py``).

Differentiation (``compiler/autodiff/``): a control node's tangent and cotangent are dicts
``{result index: node}``; ``loop_out`` picks its result's tangent and gives the node
``{index: cotangent}``, the transform adds them per index, and the control op's own rule maps
them to its operands. ``while``'s and ``cond``'s rules differentiate their sub-graphs, so they
need the transform itself and live with it (``compiler/autodiff/control.py``: the transforms
hand themselves down); ``gfor`` has none yet (differentiating through one raises).
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from tracejit.compiler.dtypes import AVal
from tracejit.compiler.ops.registry import OpDef, register

# How a control op's reference runs a sub-graph: ``evaluate(graph, values) -> outputs``.
# The interpreter hands itself down (``reference(..., evaluate=evaluate)``): evaluating a
# loop evaluates its body, a deliberate recursion that must not be an import cycle.
Evaluate = Callable[[Any, list], list]

TOKEN = AVal((), np.dtype(np.uint8))  # what a control node itself holds: nothing addressable


def _infer_token(avals, **attrs) -> AVal:
    return TOKEN


def _while_reference(*values, cond, body, n_carry: int, n_cond: int, evaluate: Evaluate):
    carry = list(values[:n_carry])
    cond_captured = list(values[n_carry:n_carry + n_cond])
    body_captured = list(values[n_carry + n_cond:])
    while bool(evaluate(cond.graph, carry + cond_captured)[0]):
        carry = evaluate(body.graph, carry + body_captured)
    return tuple(carry)


def _cond_reference(pred, *values, true, false, n_true: int, evaluate: Evaluate):
    if bool(pred):
        return tuple(evaluate(true.graph, list(values[:n_true])))
    return tuple(evaluate(false.graph, list(values[n_true:])))


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
def _out_jvp(b, tangents, operands, out, index, **attrs):
    """The tangent of result ``index`` among the control node's (a dict from its jvp rule)."""
    return None if tangents[0] is None else tangents[0].get(index)


def _out_vjp(b, ct, operands, out, index, **attrs):
    """The control node's cotangent: ``{index: ct}`` (its vjp rule receives them all at once)."""
    return ({index: ct},)


register(OpDef(
    name="loop_out", kind="control", arity=1, infer=_infer_out, reference=_out_reference, cost=0,
    doc="result attrs['index'] of a while or cond node", jvp=_out_jvp, vjp=_out_vjp))


def _gfor_reference(*values, segments, n_carry: int, evaluate: Evaluate):
    raise NotImplementedError("a generalized loop (frontend/probe.py) keeps only one body per segment")


register(OpDef(
    name="gfor", kind="control", arity=None, infer=_infer_token, reference=_gfor_reference, cost=0,
    doc="a loop over index segments, each one body whose sizes are affine in the index (frontend/probe.py)"))
