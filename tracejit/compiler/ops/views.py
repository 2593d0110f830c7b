"""View ops: reshape, transpose, broadcast_to, strided slices and diagonals.

They move no data. Their ``view`` maps a :class:`StridedView` of the operand to one
of the result (``None`` when the view would need a copy, for some reshapes); kernels
compose these maps into the index map of each load.
"""
from __future__ import annotations

import math

import numpy as np

from tracejit.compiler.dtypes import AVal
from tracejit.compiler.layout import StridedView, diagonal_length
from tracejit.compiler.ops.diffrules import linear_jvp
from tracejit.compiler.ops.registry import OpDef, register


def _reshape_infer(avals, shape) -> AVal:
    (a,) = avals
    if math.prod(shape) != a.size or any(n < 0 for n in shape):
        raise ValueError(f"cannot reshape array of size {a.size} into shape {tuple(shape)}")
    return AVal(tuple(shape), a.dtype)


def _transpose_infer(avals, perm) -> AVal:
    (a,) = avals
    if sorted(perm) != list(range(a.ndim)):
        raise ValueError(f"axes {perm} don't match array of rank {a.ndim}")
    return AVal(tuple(a.shape[p] for p in perm), a.dtype)


def _broadcast_infer(avals, shape) -> AVal:
    (a,) = avals
    StridedView.contiguous(a.shape).broadcast_to(tuple(shape))  # raises if impossible
    return AVal(tuple(shape), a.dtype)


def _slice_infer(avals, starts, steps, shape) -> AVal:
    (a,) = avals
    if not len(starts) == len(steps) == len(shape) == a.ndim:
        raise ValueError("slice: one start, step and length per dimension")
    for n, st, sp, m in zip(a.shape, starts, steps, shape):
        if sp == 0 or m < 0 or (m > 0 and not (0 <= st < n and 0 <= st + sp * (m - 1) < n)):
            raise ValueError(f"slice out of bounds: start {st}, step {sp}, length {m} in {n}")
    return AVal(tuple(shape), a.dtype)


def _diagonal_infer(avals, offset, axis1, axis2) -> AVal:
    (a,) = avals
    if not (0 <= axis1 < a.ndim and 0 <= axis2 < a.ndim) or axis1 == axis2:
        raise ValueError(f"diagonal: axes {axis1} and {axis2} of an array of rank {a.ndim}")
    rest = tuple(n for d, n in enumerate(a.shape) if d not in (axis1, axis2))
    return AVal(rest + (diagonal_length(a.shape[axis1], a.shape[axis2], offset),), a.dtype)


def _slice_reference(x, starts, steps, shape):
    index = tuple(slice(st, st + sp * m if st + sp * m >= 0 else None, sp) if m else slice(0, 0)
                  for st, sp, m in zip(starts, steps, shape))
    return np.asarray(x)[index]


def _reshape_vjp(b, ct, operands, out, shape):
    return (b.reshape(ct, b.shape(operands[0])),)


def _transpose_vjp(b, ct, operands, out, perm):
    return (b.op("transpose", ct, perm=tuple(int(p) for p in np.argsort(perm))),)


def _broadcast_vjp(b, ct, operands, out, shape):
    return (b.unbroadcast(ct, b.shape(operands[0])),)


def _along(shape: tuple[int, ...], d: int, n: int) -> tuple[int, ...]:
    return shape[:d] + (n,) + shape[d + 1:]


def _pad(b, ct, d: int, before: int, after: int):
    """``ct`` with zero blocks of ``before`` and ``after`` elements along axis ``d``."""
    cur = b.shape(ct)
    pieces = [b.zeros(_along(cur, d, before), b.dtype(ct))] if before else []
    pieces.append(ct)
    if after:
        pieces.append(b.zeros(_along(cur, d, after), b.dtype(ct)))
    return b.op("concatenate", *pieces, axis=d) if len(pieces) > 1 else ct


def _slice_vjp(b, ct, operands, out, starts, steps, shape):
    """The cotangent placed back where the slice reads, axis by axis, with ops that have
    rules themselves (reversing slices, reshapes, concatenation with zeros)."""
    (x,) = operands
    full = b.shape(x)
    if 0 in shape:
        return (b.zeros(full, b.dtype(ct)),)
    for d, (n, st, sp, m) in enumerate(zip(full, starts, steps, shape)):
        if sp < 0:  # read backwards: reverse the cotangent, then it is a forward read from the last one
            cur = b.shape(ct)
            ct = b.op("slice", ct, starts=tuple(m - 1 if k == d else 0 for k in range(len(cur))),
                      steps=tuple(-1 if k == d else 1 for k in range(len(cur))), shape=cur)
            st, sp = st + sp * (m - 1), -sp
        if sp > 1 and m > 1:  # every sp-th element: interleave sp - 1 zeros after each
            cur = b.shape(ct)
            ct = b.reshape(ct, cur[:d] + (m, 1) + cur[d + 1:])
            ct = _pad(b, ct, d + 1, 0, sp - 1)
            ct = b.reshape(ct, _along(cur, d, m * sp))
            length = (m - 1) * sp + 1
            ct = b.op("slice", ct, starts=(0,) * len(cur), steps=(1,) * len(cur), shape=_along(cur, d, length))
            m = length
        ct = _pad(b, ct, d, st, n - st - m)
    return (ct,)


def _diagonal_vjp(b, ct, operands, out, offset, axis1, axis2):
    """The diagonal's cotangent spread onto its positions: ``ct @ E`` with ``E`` the constant
    one-hot map from diagonal index to (axis1, axis2) position (linear, so differentiable)."""
    (x,) = operands
    shape = b.shape(x)
    n1, n2 = shape[axis1], shape[axis2]
    rest = [d for d in range(len(shape)) if d not in (axis1, axis2)]
    length = b.shape(ct)[-1]
    spread = np.zeros((length, n1 * n2), dtype=b.dtype(ct))
    for k in range(length):
        spread[k, (k + max(-offset, 0)) * n2 + k + max(offset, 0)] = 1
    y = b.reshape(b.op("matmul", ct, b.array(spread)), tuple(shape[d] for d in rest) + (n1, n2))
    position = {d: i for i, d in enumerate(rest)} | {axis1: len(rest), axis2: len(rest) + 1}
    perm = tuple(position[d] for d in range(len(shape)))
    return (y if perm == tuple(range(len(shape))) else b.op("transpose", y, perm=perm),)


LINEAR = {"jvp": linear_jvp}

register(OpDef(
    name="reshape", kind="view", arity=1, infer=_reshape_infer,
    reference=lambda x, shape: np.reshape(x, shape),
    view=lambda view, shape: view.reshape(tuple(shape)), cost=0, vjp=_reshape_vjp, **LINEAR,
    doc="numpy.reshape with a fully resolved shape"))
register(OpDef(
    name="transpose", kind="view", arity=1, infer=_transpose_infer,
    reference=lambda x, perm: np.transpose(x, perm),
    view=lambda view, perm: view.transpose(tuple(perm)), cost=0, doc="numpy.transpose",
    vjp=_transpose_vjp, **LINEAR))
register(OpDef(
    name="broadcast_to", kind="view", arity=1, infer=_broadcast_infer,
    reference=lambda x, shape: np.broadcast_to(x, shape),
    view=lambda view, shape: view.broadcast_to(tuple(shape)), cost=0, doc="numpy.broadcast_to",
    vjp=_broadcast_vjp, **LINEAR))
register(OpDef(
    name="slice", kind="view", arity=1, infer=_slice_infer, reference=_slice_reference,
    view=lambda view, starts, steps, shape: view.slice(tuple(starts), tuple(steps), tuple(shape)),
    cost=0, doc="basic indexing: out[j] = x[start + step * j] per dimension", vjp=_slice_vjp, **LINEAR))
register(OpDef(
    name="diagonal", kind="view", arity=1, infer=_diagonal_infer,
    reference=lambda x, offset, axis1, axis2: np.diagonal(x, offset, axis1, axis2),
    view=lambda view, offset, axis1, axis2: view.diagonal(offset, axis1, axis2),
    cost=0, doc="numpy.diagonal (a read-only view): the diagonal of axes axis1, axis2 as the last dim",
    vjp=_diagonal_vjp, **LINEAR))
