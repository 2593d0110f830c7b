"""Ops that are neither elementwise nor views: sources, outputs, matmul, concatenate.

Differentiation: ``matmul`` by the product rule (the reverse rule promotes 1-D operands to
matrices, multiplies by the other operand transposed and sums broadcast batch dimensions
back); ``concatenate`` is linear, its cotangent sliced per operand."""
from __future__ import annotations

import numpy as np

from tracejit.compiler.dtypes import AVal, check_supported
from tracejit.compiler.ops.diffrules import linear_jvp
from tracejit.compiler.ops.registry import OpDef, register


def matmul_shape(a: tuple[int, ...], b: tuple[int, ...]) -> tuple[int, ...]:
    """NumPy's matmul shape rule (1-D operands are promoted, then their axis dropped)."""
    if not a or not b:
        raise ValueError("matmul: input operand does not have enough dimensions (0-d)")
    a2 = (1,) + a if len(a) == 1 else a
    b2 = b + (1,) if len(b) == 1 else b
    if a2[-1] != b2[-2]:
        raise ValueError(f"matmul: mismatch in core dimension: {a} @ {b} "
                         f"({a2[-1]} is different from {b2[-2]})")
    batch = np.broadcast_shapes(a2[:-2], b2[:-2])
    out = tuple(batch) + (a2[-2], b2[-1])
    if len(a) == 1:
        out = out[:-2] + out[-1:]
    if len(b) == 1:
        out = out[:-1]
    return out


def _matmul_infer(avals) -> AVal:
    a, b = avals
    dtype = np.matmul.resolve_dtypes((a.dtype, b.dtype, None))[-1]
    return AVal(matmul_shape(a.shape, b.shape), check_supported(dtype, "matmul"))


def _matmul_jvp(b, tangents, operands, out):
    x, y = operands
    tx, ty = tangents
    left = None if tx is None else b.op("matmul", tx, y)
    right = None if ty is None else b.op("matmul", x, ty)
    return b.add(left, right)


def _matmul_vjp(b, ct, operands, out):
    x, y = operands
    xs, ys = b.shape(x), b.shape(y)
    x2 = b.reshape(x, (1,) + xs) if len(xs) == 1 else x
    y2 = b.reshape(y, ys + (1,)) if len(ys) == 1 else y
    full = matmul_shape(b.shape(x2), b.shape(y2))
    ct2 = b.reshape(ct, full)
    gx = b.unbroadcast(b.op("matmul", ct2, b.swap_last(y2)), b.shape(x2), b.dtype(x)) if b.needs(x) else None
    gy = b.unbroadcast(b.op("matmul", b.swap_last(x2), ct2), b.shape(y2), b.dtype(y)) if b.needs(y) else None
    return (None if gx is None else b.reshape(gx, xs), None if gy is None else b.reshape(gy, ys))


register(OpDef(
    name="matmul", kind="contraction", arity=2, infer=_matmul_infer, reference=np.matmul,
    cost=2, ufunc=np.matmul, extra={"reduce": "sum", "product": "multiply"},
    doc="numpy.matmul: sum over k of a[..., i, k] * b[..., k, j]", jvp=_matmul_jvp, vjp=_matmul_vjp))


def _concat_infer(avals, axis) -> AVal:
    first = avals[0]
    for a in avals[1:]:
        if a.ndim != first.ndim or any(x != y for d, (x, y) in enumerate(zip(a.shape, first.shape))
                                       if d != axis):
            raise ValueError("all the input array dimensions except for the concatenation axis "
                             f"must match exactly, but got {[x.shape for x in avals]}")
    shape = list(first.shape)
    shape[axis] = sum(a.shape[axis] for a in avals)
    dtype = np.result_type(*(a.dtype for a in avals))
    return AVal(tuple(shape), check_supported(dtype, "concatenate"))


def _concat_vjp(b, ct, operands, out, axis):
    shape, start, parts = b.shape(ct), 0, []
    for u in operands:
        m = b.shape(u)[axis]
        starts = tuple(start if d == axis and m else 0 for d in range(len(shape)))
        size = tuple(m if d == axis else n for d, n in enumerate(shape))
        piece = ct if size == shape else b.op("slice", ct, starts=starts, steps=(1,) * len(shape), shape=size)
        parts.append(b.convert(piece, b.dtype(u)) if b.dtype(u).kind == "f" else None)
        start += m
    return tuple(parts)


register(OpDef(
    name="concatenate", kind="concat", arity=None, infer=_concat_infer,
    reference=lambda *xs, axis: np.concatenate(xs, axis=axis), cost=0,
    doc="numpy.concatenate along attrs['axis']", jvp=linear_jvp, vjp=_concat_vjp))


def _source_infer(avals, shape, dtype, **_) -> AVal:
    return AVal(tuple(shape), np.dtype(dtype))


register(OpDef(
    name="input", kind="source", arity=0, infer=_source_infer, reference=None, cost=0,
    doc="argument attrs['index'] of the traced function (attrs['name'] is its path)"))
register(OpDef(
    name="constant", kind="source", arity=0, infer=_source_infer, reference=None, cost=0,
    doc="a compile-time constant array (node data 'value')"))
register(OpDef(
    name="output", kind="output", arity=1, infer=lambda avals, index: avals[0],
    reference=lambda x, index: x, cost=0, doc="result attrs['index'] of the traced function"))


def _size_signature(in_dtypes, **_) -> tuple[tuple, np.dtype]:
    return (), np.dtype(np.int64)


register(OpDef(
    name="size", kind="elementwise", arity=0, infer=lambda avals, **_: AVal((), np.dtype(np.int64)),
    reference=lambda value: np.int64(value), cost=0, extra={"signature": _size_signature},
    doc="the int64 attrs['value'] (a length, a trip count), which compiled code reads from its size table "
        "(kernel formation makes it an iota whose offset is a parameter: compiler/generic_sizes.py), so "
        "programs differing only in it share machine code; never constant-folded"))
