"""``fma(a, b, c)``: ``a * b + c`` rounded once, as C's ``fma`` (LLVM's ``llvm.fma``).

NumPy's complex loops use fused multiply-adds on hosts that have them (its AVX2/FMA3
loops compute the real part of ``x * y`` as ``fma(xr, yr, -(xi * yi))``), so the
frontend's complex arithmetic (``frontend/complex/arithmetic.py``) needs the same rounding to
give NumPy's results bit for bit.
"""
from __future__ import annotations

from fractions import Fraction

import numpy as np

from tracejit.compiler.dtypes import check_supported
from tracejit.compiler.ops.diffrules import from_partials
from tracejit.compiler.ops.elementwise import infer_for
from tracejit.compiler.ops.registry import OpDef, register


def _fma_sig(in_dtypes, **_):
    dtypes = {np.dtype(d) for d in in_dtypes}
    if len(dtypes) != 1 or next(iter(dtypes)).kind != "f":
        raise TypeError(f"fma: operands must share one float dtype, got {sorted(map(str, dtypes))}")
    dt = check_supported(next(iter(dtypes)), "fma")
    return (dt, dt, dt), dt


def _fma_one(a: float, b: float, c: float) -> float:
    """Exactly rounded ``a * b + c`` in float64 (Fraction arithmetic is exact)."""
    if not all(np.isfinite(v) for v in (a, b, c)):
        return a * b + c  # a non-finite operand: the unfused result is the fused one
    exact = Fraction(a) * Fraction(b) + Fraction(c)
    try:
        return float(exact)
    except OverflowError:
        return float("inf") if exact > 0 else float("-inf")


def fma_reference(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """NumPy reference of ``fma`` (exact, element by element: for folding and tests)."""
    a, b, c = np.broadcast_arrays(np.asarray(a), np.asarray(b), np.asarray(c))
    dtype = np.result_type(a, b, c)
    if dtype == np.float64:
        out = np.frompyfunc(_fma_one, 3, 1)(a, b, c)
        return np.asarray(out, dtype=np.float64)
    # float32/float16: the product is exact in float64 and a second rounding of the
    # float64 sum could differ from one rounding, so round the exact value once
    wide = [x.astype(np.float64) for x in (a, b, c)]
    exact = np.frompyfunc(lambda x, y, z: (Fraction(x) * Fraction(y) + Fraction(z))
                          if np.isfinite(x) and np.isfinite(y) and np.isfinite(z) else x * y + z, 3, 1)(*wide)
    return np.asarray(np.frompyfunc(lambda v: _round_to(v, dtype), 1, 1)(exact), dtype=dtype)


def _round_to(value, dtype: np.dtype):
    """``value`` (a Fraction or float) rounded once to ``dtype`` (round half to even)."""
    if not isinstance(value, Fraction):
        return dtype.type(value)
    near = dtype.type(float(value))  # float(Fraction) rounds correctly to float64; then once more
    if not np.isfinite(near):
        return near
    err = value - Fraction(float(near))
    if err == 0:
        return near
    other = np.nextafter(near, dtype.type(np.inf if err > 0 else -np.inf))
    if not np.isfinite(other):
        return near
    d_near, d_other = abs(value - Fraction(float(near))), abs(value - Fraction(float(other)))
    if d_other < d_near or (d_other == d_near and int(other.view(f"u{dtype.itemsize}")) % 2 == 0):
        return other
    return near


register(OpDef(
    name="fma", kind="elementwise", arity=3, infer=infer_for(_fma_sig),
    reference=fma_reference,
    cost=1, extra={"signature": _fma_sig}, doc="fused multiply-add a * b + c (one rounding)",
    **from_partials(lambda b, ops, out: (ops[1], ops[0], 1.0))))
