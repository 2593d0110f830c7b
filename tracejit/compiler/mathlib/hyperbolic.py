"""Hyperbolic functions and their inverses in float64, built on exp, expm1, log and
log1p with the arrangements that avoid cancellation and premature overflow."""
from __future__ import annotations

import math

import numpy as np

from tracejit.compiler.mathlib.explog import exp, expm1, log, log1p
from tracejit.compiler.mathlib.fp import FP, Value

LN2 = math.log(2.0)
BIG = 2.0 ** 28  # above this, sqrt(x*x + 1) == |x| in double


def _half_exp(f: FP, a):
    """exp(a) / 2 for a >= 0 without overflowing before the result does."""
    h = exp(f, f.mul(a, f.c(0.5)))
    return f.mul(f.mul(h, f.c(0.5)), h)


def sinh(f: FP, x: Value) -> Value:
    """Hyperbolic sine."""
    a = f.abs(x)
    em = expm1(f, f.where(f.gt(a, f.c(1.0)), 1.0, a))
    small = f.mul(f.c(0.5), f.add(em, f.div(em, f.add(em, f.c(1.0)))))
    e = exp(f, f.where(f.gt(a, f.c(700.0)), 700.0, a))
    mid = f.mul(f.c(0.5), f.sub(e, f.div(f.c(1.0), e)))
    out = f.sel(f.cmp("<=", a, f.c(1.0)), small, f.sel(f.gt(a, f.c(700.0)), _half_exp(f, a), mid))
    out = f.copysign(out, x)
    return f.sel(f.or_(f.isnan(x), f.eq(x, f.c(0.0))), x, out)


def cosh(f: FP, x: Value) -> Value:
    """Hyperbolic cosine."""
    a = f.abs(x)
    e = exp(f, f.where(f.gt(a, f.c(700.0)), 700.0, a))
    out = f.mul(f.c(0.5), f.add(e, f.div(f.c(1.0), e)))
    out = f.sel(f.gt(a, f.c(700.0)), _half_exp(f, a), out)
    return f.sel(f.isnan(x), x, out)


def arcsinh(f: FP, x: Value) -> Value:
    """Inverse hyperbolic sine."""
    a = f.abs(x)
    sq = f.mul(a, a)
    small = log1p(f, f.add(a, f.div(sq, f.add(f.c(1.0), f.sqrt(f.add(f.c(1.0), sq))))))
    out = f.sel(f.lt(a, f.c(BIG)), small, f.add(log(f, a), f.c(LN2)))
    out = f.copysign(out, x)
    return f.sel(f.or_(f.isnan(x), f.eq(x, f.c(0.0)), f.eq(a, f.c(np.inf))), x, out)


def arccosh(f: FP, x: Value) -> Value:
    """Inverse hyperbolic cosine."""
    t = f.sub(x, f.c(1.0))
    small = log1p(f, f.add(t, f.sqrt(f.fma(t, t, f.mul(f.c(2.0), t)))))
    out = f.sel(f.lt(x, f.c(BIG)), small, f.add(log(f, x), f.c(LN2)))
    out = f.where(f.lt(x, f.c(1.0)), np.nan, out)
    out = f.where(f.eq(x, f.c(np.inf)), np.inf, out)
    return f.sel(f.isnan(x), x, out)


def arctanh(f: FP, x: Value) -> Value:
    """Inverse hyperbolic tangent."""
    a = f.abs(x)
    out = f.mul(f.c(0.5), log1p(f, f.div(f.mul(f.c(2.0), a), f.sub(f.c(1.0), a))))
    out = f.copysign(out, x)
    out = f.where(f.gt(a, f.c(1.0)), np.nan, out)
    return f.sel(f.or_(f.isnan(x), f.eq(x, f.c(0.0))), x, out)
