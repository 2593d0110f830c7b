"""The gather: integer-array indexing ``x[..., i0, i1, ..., ...]`` as one op.

``gather(x, i0, ..., ik-1, axis=a)`` indexes ``k`` consecutive dims of ``x`` from
``a`` on with integer arrays that broadcast to a common shape ``B``: the result has
shape ``x.shape[:a] + B + x.shape[a+k:]`` (NumPy's placement for adjacent advanced
indices; the frontend transposes other cases into this form). Negative indices wrap
as in NumPy. An index out of range is *clamped* here (the reference and the compiled
load agree, so native code never reads outside ``x``); the frontend records a bounds
check beside every gather of traced indices, which the runtime turns into NumPy's
``IndexError`` after the call (``frontend/checks.py``).

Kernel formation fuses a gather into its consumers like an elementwise op: ``x`` gets
a buffer and the kernel loads ``x`` at an address computed from the index values
(:class:`tracejit.compiler.kir.Gather`).

Differentiation: linear in ``x`` (the tangent gathered at the same indices); the cotangent
goes back through ``scatter`` with ``combine="add"`` (repeated indices accumulate).
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from tracejit.compiler.dtypes import AVal
from tracejit.compiler.ops.registry import OpDef, register


def gather_shape(x_shape: tuple[int, ...], index_shapes: Sequence[tuple[int, ...]], axis: int) -> tuple[int, ...]:
    """The result shape of a gather (raises ValueError when the indices don't broadcast)."""
    k = len(index_shapes)
    if not 0 <= axis <= len(x_shape) - k or k == 0:
        raise ValueError(f"gather: {k} index arrays from axis {axis} of a {len(x_shape)}-d array")
    batch = tuple(np.broadcast_shapes(*index_shapes))
    return tuple(x_shape[:axis]) + batch + tuple(x_shape[axis + k:])


def _infer(avals, axis) -> AVal:
    x, *indices = avals
    if any(i.dtype.kind not in "iu" for i in indices):
        raise ValueError("gather: index arrays must have an integer dtype")
    return AVal(gather_shape(x.shape, [i.shape for i in indices], axis), x.dtype)


def wrap_clamp(index: np.ndarray, n: int) -> np.ndarray:
    """Indices wrapped like NumPy's negative indices, then clamped into ``[0, n)``."""
    i = np.asarray(index).astype(np.int64, casting="unsafe")
    i = np.where(i < 0, i + n, i)
    return np.clip(i, 0, max(n - 1, 0))


def _reference(x, *indices, axis):
    x = np.asarray(x)
    shape = gather_shape(x.shape, [np.shape(i) for i in indices], axis)
    if any(x.shape[axis + j] == 0 for j in range(len(indices))):
        return np.zeros(shape, x.dtype)  # only reachable with no indices at all
    key = (slice(None),) * axis + tuple(wrap_clamp(i, x.shape[axis + j]) for j, i in enumerate(indices))
    return np.ascontiguousarray(x[key]).reshape(shape)


def _jvp(b, tangents, operands, out, axis):
    """Linear in ``x``: the tangent gathered at the same indices."""
    return None if tangents[0] is None else b.op("gather", tangents[0], *operands[1:], axis=axis)


def _vjp(b, ct, operands, out, axis):
    """The cotangent added back at the positions read (repeated indices add up): a scatter
    with ``combine="add"`` into zeros."""
    x, *indices = operands
    base = b.zeros(b.shape(x), b.dtype(ct))
    if 0 in b.shape(ct):
        return (base,) + (None,) * len(indices)
    return (b.op("scatter", base, ct, *indices, axis=axis, combine="add"),) + (None,) * len(indices)


register(OpDef(
    name="gather", kind="gather", arity=None, infer=_infer, reference=_reference, cost=2,
    doc="x indexed at k consecutive dims from attrs['axis'] by broadcast integer arrays "
        "(negative indices wrap, out-of-range ones clamp; the frontend checks the bounds)",
    jvp=_jvp, vjp=_vjp))
