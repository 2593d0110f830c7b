"""tanh, sigmoid, erf and cbrt in float64."""
from __future__ import annotations

import numpy as np

from tracejit.compiler.mathlib import coeffs as C
from tracejit.compiler.mathlib.explog import exp, expm1
from tracejit.compiler.mathlib.fp import FP, Value


def tanh(f: FP, x: Value) -> Value:
    """Hyperbolic tangent."""
    a = f.abs(x)
    em = expm1(f, f.mul(f.c(2.0), f.where(f.gt(a, f.c(22.0)), 22.0, a)))
    t = f.div(em, f.add(em, f.c(2.0)))
    t = f.where(f.gt(a, f.c(22.0)), 1.0, t)
    out = f.copysign(t, x)
    return f.sel(f.or_(f.isnan(x), f.eq(x, f.c(0.0))), x, out)


def sigmoid(f: FP, x: Value) -> Value:
    """1 / (1 + exp(-x)), exactly as NumPy evaluates that expression (exp(-x) may
    overflow to inf, giving 0), with our exp."""
    return f.div(f.c(1.0), f.add(f.c(1.0), exp(f, f.neg(x))))


def _exp_minus_square(f: FP, a):
    """exp(-a*a) with a*a carried exactly."""
    hi, lo = f.two_prod(a, a)
    return f.mul(exp(f, f.neg(hi)), f.sub(f.c(1.0), lo))


def erf(f: FP, x: Value) -> Value:
    """The error function."""
    a = f.abs(x)
    small = f.mul(a, f.poly(f.mul(a, a), C.ERF_SMALL))
    g = _exp_minus_square(f, f.where(f.gt(a, f.c(6.0)), 6.0, a))
    mid = f.sub(f.c(1.0), f.mul(g, f.poly(f.sub(a, f.c(1.75)), C.ERFC_MID)))
    high = f.sub(f.c(1.0), f.mul(g, f.poly(f.sub(a, f.c(4.25)), C.ERFC_HIGH)))
    out = f.sel(f.lt(a, f.c(1.0)), small, f.sel(f.lt(a, f.c(2.5)), mid, high))
    out = f.where(f.cmp(">=", a, f.c(6.0)), 1.0, out)
    out = f.copysign(out, x)
    return f.sel(f.isnan(x), x, out)


def cbrt(f: FP, x: Value) -> Value:
    """Cube root."""
    b = f.b
    a = f.abs(x)
    tiny = f.lt(a, f.c(np.finfo(np.float64).tiny))
    huge = f.gt(a, f.c(2.0 ** 960))  # keep y**3 below overflow in the iterations
    a_s = f.sel(tiny, f.mul(a, f.c(2.0 ** 54)), f.sel(huge, f.mul(a, f.c(2.0 ** -960)), a))
    # Initial guess from the bits: divide the biased exponent (and mantissa) by 3.
    third = b.udiv(f.to_bits(a_s), f.ic(3))
    y = f.from_bits(b.add(third, f.ic(((2 * 1023) // 3) << 52)))
    for _ in range(3):  # Halley: y * (y^3 + 2a) / (2y^3 + a), cubic convergence
        y3 = f.mul(f.mul(y, y), y)
        y = f.mul(y, f.div(f.fma(f.c(2.0), a_s, y3), f.fma(f.c(2.0), y3, a_s)))
    # One Newton step on the exact residual y^3 - a.
    y2, y2e = f.two_prod(y, y)
    residual = f.fma(y2, y, f.neg(a_s))
    residual = f.fma(y2e, y, residual)
    y = f.sub(y, f.div(residual, f.mul(f.c(3.0), f.mul(y, y))))
    y = f.sel(tiny, f.mul(y, f.c(2.0 ** -18)), f.sel(huge, f.mul(y, f.c(2.0 ** 320)), y))
    out = f.copysign(y, x)
    special = f.or_(f.eq(a, f.c(0.0)), f.eq(a, f.c(np.inf)), f.isnan(x))
    return f.sel(special, x, out)
