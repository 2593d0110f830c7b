"""Native float32 kernels for the hottest functions: eight lanes per 256-bit register
instead of four, and short polynomials. Within 2 ulp (measured by the exponent sweeps
in the tests); everything else goes through float64.

sin and cos reduce the argument in float32 while every lane has |x| < 2**9; other
vectors go out of line to a float64 reduction (|x| < 2**20) with the float32
polynomials, or to the float64 function beyond.
"""
from __future__ import annotations

import math

import numpy as np

from tracejit.compiler.mathlib import coeffs as C
from tracejit.compiler.mathlib import trig
from tracejit.compiler.mathlib.explog import clamp, exp_normal, expm1_poly, reduce_ln2
from tracejit.compiler.mathlib.fp import FP, Value

LN2_HI, LN2_LO = C.LN2_HI_LO_F
F64 = np.dtype(np.float64)
EXP_OVERFLOW = 88.72283935546875  # largest float32 with a finite exp
EXP_UNDERFLOW = -103.97208404541016  # exp rounds to 0 below
EXP_FAST_LIMIT = 87.0  # |x| <= this: exp(x) is a normal float32


def _exp_general(f: FP, x):
    """exp over the whole range: two-step scaling for subnormal results, inf, 0, NaN.
    Only k is clamped (NaN included), so the integer conversion is always defined;
    lanes outside the range compute garbage that the selects below replace."""
    r, k = reduce_ln2(f, x)
    y = f.scale(f.add(f.c(1.0), expm1_poly(f, r)), f.to_i32(f.clamp(k, -160.0, 140.0)))
    y = f.where(f.gt(x, f.c(EXP_OVERFLOW)), np.inf, y)
    y = f.where(f.lt(x, f.c(EXP_UNDERFLOW)), 0.0, y)
    return f.sel(f.isnan(x), x, y)


def exp(f: FP, x: Value) -> Value:
    """The branch-free normal-range exp while every lane has |x| <= 87; other vectors
    (NaN included) take the general path out of line."""
    outside = f.cmp_unordered(">", f.abs(x), f.c(EXP_FAST_LIMIT))
    return f.guarded("exp32", exp_normal(f, x), outside, _exp_general, x)


def expm1(f: FP, x: Value) -> Value:
    """float32 exp(x) - 1, accurate near 0."""
    xc = clamp(f, x, -20.0, 88.0)
    r, k = reduce_ln2(f, xc)
    t = f.pow2(f.to_i32(k))
    general = f.fma(t, expm1_poly(f, r), f.sub(t, f.c(1.0)))
    small = f.lt(f.abs(x), f.c(0.34657359027997264))
    y = f.sel(small, expm1_poly(f, xc), general)
    y = f.sel(f.gt(x, f.c(80.0)), exp(f, x), y)  # 2**k would overflow; the -1 is lost anyway
    y = f.where(f.lt(x, f.c(-18.0)), -1.0, y)
    return f.sel(f.or_(f.isnan(x), f.eq(x, f.c(0.0))), x, y)


def log(f: FP, x: Value) -> Value:
    """float32 natural logarithm."""
    safe = f.where(f.not_(f.gt(x, f.c(0.0))), 1.0, f.where(f.eq(x, f.c(np.inf)), 1.0, x))
    m, e = f.frexp_sqrt2(safe)
    fr = f.sub(m, f.c(1.0))
    s = f.div(fr, f.add(f.c(2.0), fr))
    z = f.mul(s, s)
    t = f.mul(z, f.poly(z, C.LOG_R_F))
    hfsq = f.mul(f.c(0.5), f.mul(fr, fr))
    inner = f.add(f.mul(s, f.add(hfsq, t)), f.mul(e, f.c(LN2_LO)))
    y = f.sub(f.mul(e, f.c(LN2_HI)), f.sub(f.sub(hfsq, inner), fr))
    y = f.where(f.lt(x, f.c(0.0)), np.nan, y)
    y = f.where(f.eq(x, f.c(0.0)), -np.inf, y)
    y = f.where(f.eq(x, f.c(np.inf)), np.inf, y)
    return f.sel(f.isnan(x), x, y)


TANH_SMALL = 0.625  # below: the odd polynomial; above: tanh > 0.55, 2m/(1+m) < 0.45
TANH_CLAMP = 9.0  # above: tanh is 1 - 2**-24 in float32 (0.99999994), below NumPy's 1
TANH_ONE = 10.0  # from here NumPy's float32 tanh is exactly 1


def tanh(f: FP, x: Value) -> Value:
    """An odd polynomial for |x| < 0.625, else 1 - 2m / (1 + m) with m = exp(-2|x|)
    (|x| clamped to 9, where that is 0.99999994 in float32), 1 from |x| = 10 on as
    NumPy's float32 tanh (so tanh(inf) is 1); branch-free. The sign comes from x, so
    -0.0 and -inf work; NaN is passed through."""
    a = f.abs(x)
    z = f.mul(a, a)
    small = f.fma(f.mul(a, z), f.poly(z, C.TANH_T_F), a)
    m = exp_normal(f, f.mul(f.c(-2.0), f.where(f.not_(f.lt(a, f.c(TANH_CLAMP))), TANH_CLAMP, a)))
    big = f.sub(f.c(1.0), f.div(f.add(m, m), f.add(f.c(1.0), m)))
    big = f.where(f.not_(f.lt(a, f.c(TANH_ONE))), 1.0, big)
    out = f.copysign(f.sel(f.lt(a, f.c(TANH_SMALL)), small, big), x)
    return f.sel(f.isnan(x), x, out)


def sigmoid(f: FP, x: Value) -> Value:
    """1 / (1 + exp(-x)) as NumPy evaluates it (see special.sigmoid)."""
    return f.div(f.c(1.0), f.add(f.c(1.0), exp(f, f.neg(x))))


P1, P2, P3 = C.PIO2_1_2_3_F
SMALL_ARGUMENT = 2.0 ** 9  # |k| < 2**10: k * P1 (14 bits) stays exact in float32


def _sin_cos_polys(f: FP, r):
    """(sin r, cos r) from the float32 polynomials, |r| <= pi/4."""
    z = f.mul(r, r)
    s = f.fma(f.mul(r, z), f.poly(z, C.SIN_S_F), r)
    return s, f.fma(f.mul(z, z), f.poly(z, C.COS_C_F), f.fma(f.c(-0.5), z, f.c(1.0)))


def _reduce_small(f: FP, x):
    """(r, k) with x = k*pi/2 + r by a three-part Cody-Waite in float32: exact enough
    while |x| < 2**9 (k*P1 then has few enough bits to be exact); k as int32 lanes."""
    k, kbits = f.rint_bits(x, 2.0 / math.pi)
    r = f.fma(f.neg(k), f.c(P1), x)
    r = f.fma(f.neg(k), f.c(P2), r)
    return f.fma(f.neg(k), f.c(P3), r), f.to_bits(kbits)


def _sin_cos_general(f: FP, x, want_cos: bool):
    """Any x: the float32 reduction for |x| < 2**9, the float64 one for |x| < 2**20
    (float32 polynomials after), the float64 function beyond and for inf/NaN."""
    ctx = f.ctx
    small = f.lt(f.abs(x), f.c(SMALL_ARGUMENT))
    finite_small = f.lt(f.abs(x), f.c(2.0 ** 20))
    r, k = _reduce_small(f, f.where(f.not_(small), 0.0, x))
    d = FP(ctx, F64)
    xd = ctx.convert(f.where(f.not_(finite_small), 0.0, x), np.float32, F64)
    hi, lo, kd = trig.reduce_cody_waite(d, xd)
    kd = d.narrow(kd)
    rd = ctx.at(F64).convert(d.add(hi, lo), F64, np.float32)
    out = trig.by_quadrant(f, *_sin_cos_polys(f, f.sel(small, r, rd)), f.b.select(small, k, kd), want_cos)
    wide = (trig.cos if want_cos else trig.sin)(d, ctx.convert(x, np.float32, F64))
    out = f.sel(finite_small, out, ctx.at(F64).convert(wide, F64, np.float32))
    if not want_cos:
        return f.sel(f.eq(x, f.c(0.0)), x, out)
    return out


def _sin_cos_small(f: FP, ax):
    r, k = _reduce_small(f, ax)
    return (*_sin_cos_polys(f, r), k)


def sin(f: FP, x: Value) -> Value:
    """float32 sine."""
    return trig.sin_or_cos(f, x, False, SMALL_ARGUMENT, _sin_cos_small, _sin_cos_general)


def cos(f: FP, x: Value) -> Value:
    """float32 cosine."""
    return trig.sin_or_cos(f, x, True, SMALL_ARGUMENT, _sin_cos_small, _sin_cos_general)


FUNCTIONS = {"exp": exp, "expm1": expm1, "log": log, "tanh": tanh, "sigmoid": sigmoid,
             "sin": sin, "cos": cos}
