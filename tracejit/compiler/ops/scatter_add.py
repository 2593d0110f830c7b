"""The accumulating scatter: ``np.add.at(base, index, value)`` as a functional op.

``scatter_add(base, value, index)`` is 1-d ``base`` with each ``value[k]`` added to the
element at ``index[k]`` (``index`` and ``value`` of one shape; repeated indices add up,
in C order of the value, as ``np.add.at`` does). Negative indices wrap and out-of-range
ones clamp, as for ``scatter`` (the frontend guarantees or checks the range). It is what
counts and histograms are made of (``frontend/numpy/histogram.py``). Kernel formation
copies the base and stores through a :class:`tracejit.compiler.kir.ScatterAccess` with
``combine="add"`` (as ``np.add.at``): one serial nest that loads, adds and stores each element in order.

Differentiation: linear in ``base`` and ``value``: ``base`` gets the cotangent, ``value``
the cotangent gathered at ``index``.
"""
from __future__ import annotations

import numpy as np

from tracejit.compiler.dtypes import AVal
from tracejit.compiler.ops.gather import wrap_clamp
from tracejit.compiler.ops.registry import OpDef, register


def _infer(avals) -> AVal:
    base, value, index = avals
    if index.dtype.kind not in "iu":
        raise ValueError("scatter_add: the index array must have an integer dtype")
    if base.ndim != 1 or value.shape != index.shape or value.dtype != base.dtype or base.dtype.kind not in "iuf":
        raise ValueError(f"scatter_add: base {base}, value {value} and index {index} do not match")
    return base


def _reference(base, value, index):
    out = np.array(base, copy=True)
    if np.size(value):
        np.add.at(out, wrap_clamp(index, out.shape[0]).ravel(), np.asarray(value).ravel())
    return out


def _jvp(b, tangents, operands, out):
    tb, tv, _ = tangents
    if tb is None and tv is None:
        return None
    base, value, index = operands
    tb = b.zeros(b.shape(base), b.dtype(out)) if tb is None else tb
    tv = b.zeros(b.shape(value), b.dtype(out)) if tv is None else tv
    return b.op("scatter_add", tb, tv, index)


def _vjp(b, ct, operands, out):
    base, value, index = operands
    if 0 in b.shape(value) or not b.needs(value):
        return (ct, None, None)
    return (ct, b.op("gather", ct, index, axis=0), None)


register(OpDef(
    name="scatter_add", kind="update", arity=3, infer=_infer, reference=_reference, cost=0,
    doc="1-d base with value[k] added at index[k] (repeats accumulate in C order; indices wrap and clamp)",
    jvp=_jvp, vjp=_vjp))
