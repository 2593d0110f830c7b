"""Complex arithmetic as real arithmetic on (real part, imaginary part) pairs.

Each function takes and returns component pairs (real tracers or NumPy arrays of one
float dtype) and computes exactly what NumPy's complex loops compute, operation for
operation, so results match NumPy bit for bit: the product's parts are
``fma(ar, br, -(ai * bi))`` and ``fma(ar, bi, ai * br)`` where NumPy's loops fuse them
(probed once on this host: its AVX2/FMA3 loops do, its baseline loops do not), division
is Smith's algorithm as in NumPy's ``@TYPE@_divide``, and the magnitude is NumPy's
overflow-safe ``hypot`` form ``big * sqrt(1 + (small / big)**2)``.
"""
from __future__ import annotations

import functools
from typing import Any

import numpy as np

from tracejit.compiler.ops.fused import fma_reference
from tracejit.frontend.operands import as_operand, is_tracer

Pair = tuple  # (real part, imaginary part)


@functools.lru_cache(maxsize=None)
def numpy_fuses(dtype: np.dtype) -> bool:
    """Whether NumPy's complex multiply of ``dtype`` (complex64/complex128) rounds
    ``ar * br - ai * bi`` once (a fused multiply-add) on this host."""
    part = np.finfo(dtype).dtype
    eps = part.type(2.0 ** (-13 if part == np.float32 else -28))
    a = np.array([complex(1 + eps, 1)], dtype=dtype)
    b = np.array([complex(1 - eps, 1)], dtype=dtype)
    return bool((a * b).real[0] != 0)  # fused: -eps**2; unfused: round(1 - eps**2) - 1 == 0


def _trace_of(*values: Any) -> Any:
    for v in values:
        if is_tracer(v):
            return v._trace
    return None


def fma(a: Any, b: Any, c: Any, fused: bool | None) -> Any:
    """``a * b + c``, rounded once when ``fused`` (else twice, as unfused C code)."""
    if not fused:
        return a * b + c
    trace = _trace_of(a, b, c)
    if trace is None:
        return fma_reference(a, b, c)
    dtype = next(v.dtype for v in (a, b, c) if is_tracer(v))
    return trace.apply("fma", [as_operand(trace, v, dtype) if is_tracer(v) else np.asarray(v, dtype)
                               for v in (a, b, c)])


def add(x: Pair, y: Pair) -> Pair:
    """The complex sum: the sums of the parts."""
    return x[0] + y[0], x[1] + y[1]


def subtract(x: Pair, y: Pair) -> Pair:
    """The complex difference: the differences of the parts."""
    return x[0] - y[0], x[1] - y[1]


def multiply(x: Pair, y: Pair, fused: bool) -> Pair:
    """NumPy's complex product: ``(ar*br - ai*bi, ar*bi + ai*br)``."""
    (ar, ai), (br, bi) = x, y
    return fma(ar, br, -(ai * bi), fused), fma(ar, bi, ai * br, fused)


def square(x: Pair, fused: bool) -> Pair:
    """NumPy's complex square: ``(r*r - i*i, r*i + i*r)``."""
    r, i = x
    return fma(r, r, -(i * i), fused), r * i + i * r


def divide(x: Pair, y: Pair) -> Pair:
    """NumPy's complex division (Smith's algorithm, both branches selected by where)."""
    (ar, ai), (br, bi) = x, y
    abs_br, abs_bi = np.absolute(br), np.absolute(bi)
    first = abs_br >= abs_bi
    zero = (abs_br == 0) & (abs_bi == 0)
    # Each branch divides by its own divisor where it is selected and by 1.0 elsewhere: the values
    # selected are the same, and a derivative sees no 0 * inf (a NaN) from the branches not taken
    # (the cotangent of z / 2.0 was NaN through bi / br's partial -br / bi**2 with bi == 0).
    br1 = np.where(first & ~zero, br, 1.0)
    # |br| >= |bi|: scale by bi / br
    rat1 = bi / br1
    scl1 = 1.0 / (br1 + bi * rat1)
    re1, im1 = (ar + ai * rat1) * scl1, (ai - ar * rat1) * scl1
    # both zero: NumPy divides the parts by |br| and |bi| (inf or nan)
    re0, im0 = ar / np.where(zero, abs_br, 1.0), ai / np.where(zero, abs_bi, 1.0)
    # |br| < |bi|: scale by br / bi
    bi2 = np.where(first, 1.0, bi)
    rat2 = br / bi2
    scl2 = 1.0 / (bi2 + br * rat2)
    re2, im2 = (ar * rat2 + ai) * scl2, (ai * rat2 - ar) * scl2
    re = np.where(first, np.where(zero, re0, re1), re2)
    im = np.where(first, np.where(zero, im0, im1), im2)
    return re, im


def absolute(x: Pair, fused: bool) -> Any:
    """The magnitude without overflow or underflow in the square:
    ``big * sqrt(1 + (small / big)**2)``; 0 for 0, inf when a part is infinite."""
    r, i = np.absolute(x[0]), np.absolute(x[1])
    big, small = np.maximum(r, i), np.minimum(r, i)
    ratio = small / np.where(big == 0, 1.0, big)  # (0/0 where not selected: a NaN derivative at 0; JAX's is 0)
    h = big * np.sqrt(fma(ratio, ratio, 1.0, fused))
    h = np.where(big == 0, 0.0, h)
    return np.where(np.isinf(r) | np.isinf(i), np.inf, h)


def _exp_times(r: Any, m: Any, c: Any) -> Any:
    """``exp(r) * c`` given ``m = exp(r)``; past exp's overflow as ``(exp(r/2) * c) * exp(r/2)``
    (finite where the product is, as NumPy's ``cexp``)."""
    limit = 709.0 if r.dtype == np.float64 else 88.0
    h = np.exp(r * 0.5)
    return np.where(r > limit, (h * c) * h, m * c)


def exp(x: Pair) -> Pair:
    """``exp(re) * (cos(im), sin(im))`` with C's ``cexp`` special values, as NumPy's:
    an imaginary part of ±0 is kept (``exp(inf + 0j)`` is ``inf + 0j``, not ``inf + nanj``),
    a product that is finite does not overflow in ``exp(re)`` first,
    and an infinite real part with a non-finite imaginary part gives ``(inf, nan)`` for
    +inf and ``(0, ±0)`` for -inf."""
    r, i = x
    m = np.exp(r)
    edge = np.isinf(r) & ~np.isfinite(i)  # m is inf or 0 there: (m, nan) or (m, ±0)
    re = np.where(edge, m, _exp_times(r, m, np.cos(i)))
    im = np.where(i == 0, i, np.where(edge, np.copysign(m - m, i), _exp_times(r, m, np.sin(i))))
    return re, im
