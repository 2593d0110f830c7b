"""Slices at traced offsets: ``x[i:i+3]``, ``x[:, :, i:i+k, j:j+k]`` and writes through them.

``dynamic_slice(x, s0, ..., sk-1, dims, sizes, steps)`` is ``x`` with each dim
``dims[j]`` replaced by the ``sizes[j]`` elements from ``sj`` (a 0-d integer read at run
time) on, ``steps[j]`` apart (positive). ``dynamic_update(base, value, s0, ..., dims,
steps)`` is ``base`` with that region replaced by ``value``. The sizes are static: the
frontend proves them (``frontend/numpy/dynamic.py``) and records a run-time check that
the region lies inside the array. A start outside its valid range ``[0, n - (size-1)*step)``
is wrapped once when negative and then clamped (the reference and the compiled code
agree, so native code never leaves the buffer), as gathers do.

Kernel formation reads a dynamic slice as a :class:`tracejit.compiler.kir.Gather` whose
affine part is the window at offset 0 and whose indices are the starts, loop-invariant:
code generation then adds one scalar offset to an ordinary (vector) load, so the slice
fuses into its consumers as address arithmetic (no copy, no index array). A dynamic
update stores through a :class:`tracejit.compiler.kir.ScatterAccess` of the same form.

Differentiation: both are linear (in ``x``; in ``base`` and ``value``) and each is the
other's transpose at the same starts: a slice's cotangent is written into zeros by a
dynamic update, an update's cotangent is split into the region (a dynamic slice, for
``value``) and the rest (the region zeroed, for ``base``).
"""
from __future__ import annotations

import numpy as np

from tracejit.compiler.dtypes import AVal
from tracejit.compiler.ops.gather import wrap_clamp
from tracejit.compiler.ops.registry import OpDef, register


def window_shape(shape: tuple[int, ...], dims: tuple[int, ...], sizes: tuple[int, ...]) -> tuple[int, ...]:
    """``shape`` with each dim ``dims[j]`` of length ``sizes[j]``."""
    out = list(shape)
    for d, n in zip(dims, sizes):
        out[d] = n
    return tuple(out)


def valid_starts(n: int, size: int, step: int) -> int:
    """How many starts put a window of ``size`` elements ``step`` apart inside ``n`` (at least 1)."""
    return max(1, n - (size - 1) * step) if size else max(1, n)


def _check(shape, dims, sizes, steps, starts) -> None:
    if len(dims) != len(starts) or len(sizes) != len(dims) or len(steps) != len(dims) or not dims:
        raise ValueError("dynamic slice: one start, size and step per sliced dim")
    if any(not 0 <= d < len(shape) for d in dims) or len(set(dims)) != len(dims):
        raise ValueError(f"dynamic slice: dims {dims} of a {len(shape)}-d array")
    for d, n, t in zip(dims, sizes, steps):
        if t < 1 or n < 0 or (n and (n - 1) * t >= shape[d]):
            raise ValueError(f"dynamic slice: {n} elements {t} apart do not fit in a dim of {shape[d]}")
    if any(s.shape != () or s.dtype.kind not in "iu" for s in starts):
        raise ValueError("dynamic slice: the starts must be 0-d integers")


def _infer_slice(avals, dims, sizes, steps) -> AVal:
    x, *starts = avals
    _check(x.shape, dims, sizes, steps, starts)
    return AVal(window_shape(x.shape, dims, sizes), x.dtype)


def _key(shape, starts, dims, sizes, steps) -> tuple:
    key = [slice(None)] * len(shape)
    for d, s, n, t in zip(dims, starts, sizes, steps):
        first = int(wrap_clamp(np.asarray(s), valid_starts(shape[d], n, t)))
        key[d] = slice(first, first + (n - 1) * t + 1, t) if n else slice(0, 0)
    return tuple(key)


def _reference_slice(x, *starts, dims, sizes, steps):
    x = np.asarray(x)
    return np.array(x[_key(x.shape, starts, dims, sizes, steps)])


def _infer_update(avals, dims, steps) -> AVal:
    base, value, *starts = avals
    sizes = tuple(value.shape[d] for d in dims) if len(value.shape) == len(base.shape) else ()
    _check(base.shape, dims, sizes, steps, starts)
    if value.shape != window_shape(base.shape, dims, sizes) or value.dtype != base.dtype:
        raise ValueError(f"dynamic update: value {value} does not fit {base} at dims {dims}")
    return base


def _reference_update(base, value, *starts, dims, steps):
    out = np.array(base, copy=True)
    sizes = tuple(np.shape(value)[d] for d in dims)
    out[_key(out.shape, starts, dims, sizes, steps)] = value
    return out


def _slice_jvp(b, tangents, operands, out, dims, sizes, steps):
    if tangents[0] is None:
        return None
    return b.op("dynamic_slice", tangents[0], *operands[1:], dims=dims, sizes=sizes, steps=steps)


def _slice_vjp(b, ct, operands, out, dims, sizes, steps):
    x, *starts = operands
    base = b.zeros(b.shape(x), b.dtype(ct))
    return (b.op("dynamic_update", base, ct, *starts, dims=dims, steps=steps),) + (None,) * len(starts)


def _update_jvp(b, tangents, operands, out, dims, steps):
    tb, tv = tangents[:2]
    if tb is None and tv is None:
        return None
    base, value, *starts = operands
    tb = b.zeros(b.shape(base), b.dtype(out)) if tb is None else tb
    tv = b.zeros(b.shape(value), b.dtype(out)) if tv is None else tv
    return b.op("dynamic_update", tb, tv, *starts, dims=dims, steps=steps)


def _update_vjp(b, ct, operands, out, dims, steps):
    base, value, *starts = operands
    sizes = tuple(b.shape(value)[d] for d in dims)
    rest = (b.op("dynamic_update", ct, b.zeros(b.shape(value), b.dtype(ct)), *starts, dims=dims, steps=steps)
            if b.needs(base) else None)
    region = b.op("dynamic_slice", ct, *starts, dims=dims, sizes=sizes, steps=steps) if b.needs(value) else None
    return (rest, region) + (None,) * len(starts)


register(OpDef(
    name="dynamic_slice", kind="gather", arity=None, infer=_infer_slice, reference=_reference_slice, cost=1,
    doc="x with dims attrs['dims'] sliced from traced starts (static sizes and steps; starts clamp into the array)",
    jvp=_slice_jvp, vjp=_slice_vjp))
register(OpDef(
    name="dynamic_update", kind="update", arity=None, infer=_infer_update, reference=_reference_update, cost=0,
    doc="base with the region a dynamic_slice of the same starts reads replaced by value",
    jvp=_update_jvp, vjp=_update_vjp))
