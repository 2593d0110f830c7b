"""Ops that are neither elementwise nor views: sources, outputs, matmul, concatenate."""
from __future__ import annotations

import numpy as np

from tracejit.compiler.dtypes import AVal, check_supported
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


register(OpDef(
    name="matmul", kind="contraction", arity=2, infer=_matmul_infer, reference=np.matmul,
    cost=2, ufunc=np.matmul, extra={"reduce": "sum", "product": "multiply"},
    doc="numpy.matmul: sum over k of a[..., i, k] * b[..., k, j]"))


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


register(OpDef(
    name="concatenate", kind="concat", arity=None, infer=_concat_infer,
    reference=lambda *xs, axis: np.concatenate(xs, axis=axis), cost=0,
    doc="numpy.concatenate along attrs['axis']"))


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
