"""Inverse trigonometric functions and hypot in float64: arctan (range reduction to
|t| <= tan(pi/8) and a polynomial), and arcsin, arccos, arctan2 and hypot built on it
with the identities that keep them accurate."""
from __future__ import annotations

import math

import numpy as np

from tracejit.compiler.mathlib import coeffs as C
from tracejit.compiler.mathlib.fp import FP, Value

PIO2_HI, PIO2_LO = C.PIO2_HI_LO
PIO4_HI, PIO4_LO = C.PIO4_HI_LO
TAN_PI_8 = math.tan(math.pi / 8)
PI_HI, PI_LO = 2 * PIO2_HI, 2 * PIO2_LO


def arctan(f: FP, x: Value) -> Value:
    """Inverse tangent."""
    a = f.abs(x)
    inverted = f.gt(a, f.c(1.0))
    a = f.sel(inverted, f.div(f.c(1.0), a), a)  # atan(a) = pi/2 - atan(1/a)
    shifted = f.gt(a, f.c(TAN_PI_8))  # atan(a) = pi/4 + atan((a - 1)/(a + 1))
    t = f.sel(shifted, f.div(f.sub(a, f.c(1.0)), f.add(a, f.c(1.0))), a)
    z = f.mul(t, t)
    at = f.fma(f.mul(t, z), f.poly(z, C.ATAN_A), t)
    at = f.sel(shifted, f.add(f.c(PIO4_HI), f.add(at, f.c(PIO4_LO))), at)
    at = f.sel(inverted, f.add(f.sub(f.c(PIO2_HI), at), f.c(PIO2_LO)), at)
    out = f.copysign(at, x)
    return f.sel(f.or_(f.isnan(x), f.eq(x, f.c(0.0))), x, out)


def arcsin(f: FP, x: Value) -> Value:
    """Inverse sine."""
    a = f.abs(x)
    den = f.sqrt(f.mul(f.sub(f.c(1.0), a), f.add(f.c(1.0), a)))
    out = f.copysign(arctan(f, f.div(a, den)), x)
    out = f.where(f.gt(a, f.c(1.0)), np.nan, out)
    return f.sel(f.or_(f.isnan(x), f.eq(x, f.c(0.0))), x, out)


def arccos(f: FP, x: Value) -> Value:
    """Inverse cosine."""
    ratio = f.div(f.sub(f.c(1.0), x), f.add(f.c(1.0), x))
    out = f.mul(f.c(2.0), arctan(f, f.sqrt(ratio)))
    out = f.where(f.gt(f.abs(x), f.c(1.0)), np.nan, out)
    return f.sel(f.isnan(x), x, out)


def arctan2(f: FP, y: Value, x: Value) -> Value:
    """C99 atan2: the angle of (x, y), with the signed-zero and infinity cases."""
    q = arctan(f, f.div(y, x))
    pi = f.copysign(f.c(PI_HI), y)
    pi_lo = f.copysign(f.c(PI_LO), y)
    out = f.sel(f.lt(x, f.c(0.0)), f.add(f.add(q, pi_lo), pi), q)
    xneg = f.lt(f.copysign(f.c(1.0), x), f.c(0.0))  # sign bit of x, -0.0 included
    yinf, xinf = f.eq(f.abs(y), f.c(np.inf)), f.eq(f.abs(x), f.c(np.inf))
    # x == +-0 or y == +-inf (x finite): +-pi/2
    out = f.sel(f.or_(f.and_(f.eq(x, f.c(0.0)), f.not_(f.eq(y, f.c(0.0)))), f.and_(yinf, f.not_(xinf))),
                f.copysign(f.c(PIO2_HI), y), out)
    # y == +-0: +-0 or +-pi by the sign of x
    out = f.sel(f.eq(y, f.c(0.0)), f.sel(xneg, pi, f.copysign(f.c(0.0), y)), out)
    # x == +-inf, y finite: +-0 or +-pi
    out = f.sel(f.and_(xinf, f.not_(yinf)), f.sel(xneg, pi, f.copysign(f.c(0.0), y)), out)
    # both infinite: +-pi/4 or +-3pi/4
    out = f.sel(f.and_(xinf, yinf), f.copysign(f.sel(xneg, f.c(3 * math.pi / 4), f.c(PIO4_HI)), y), out)
    return f.sel(f.or_(f.isnan(x), f.isnan(y)), f.add(x, y), out)


def hypot(f: FP, x: Value, y: Value) -> Value:
    """sqrt(x**2 + y**2) without overflow or underflow on the way."""
    ax, ay = f.abs(x), f.abs(y)
    big = f.sel(f.gt(ax, ay), ax, ay)
    small = f.sel(f.gt(ax, ay), ay, ax)
    r = f.div(small, f.where(f.eq(big, f.c(0.0)), 1.0, big))
    out = f.mul(big, f.sqrt(f.fma(r, r, f.c(1.0))))
    out = f.sel(f.or_(f.isnan(x), f.isnan(y)), f.add(x, y), out)
    return f.where(f.or_(f.eq(ax, f.c(np.inf)), f.eq(ay, f.c(np.inf))), np.inf, out)
