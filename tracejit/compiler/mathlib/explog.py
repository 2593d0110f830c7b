"""exp, exp2, expm1, log, log2, log10, log1p and pow in float64 (see ``__init__`` for
float32). Range reduction by Cody-Waite with a split ln2; the polynomials come from
``coeffs``; results are scaled by 2**k in two steps so subnormal results round once.
NumPy's special values: NaN propagates, overflow gives inf, underflow 0, log of a
negative NaN, log(0) = -inf, exp(-inf) = 0, pow follows C99 Annex F."""
from __future__ import annotations

import math

import numpy as np

from tracejit.compiler.mathlib import coeffs as C
from tracejit.compiler.mathlib.fp import FP, Value

LN2_HI, LN2_LO = C.LN2_HI_LO
LOG2E = 1.0 / math.log(2.0)
EXP_OVERFLOW = 709.782712893384  # exp(x) is inf above
EXP_UNDERFLOW = -745.1332191019412  # exp(x) rounds to 0 below
EXP_FAST_LIMIT = 708.0  # |x| <= this: exp(x) is a normal float64


def _sub_k_ln2(f: FP, x, k):
    """x - k*ln2 with ln2 split in two (k*hi exact), constants at the width of ``f``."""
    hi, lo = C.LN2_HI_LO_F if f.bits == 32 else C.LN2_HI_LO
    return f.fma(f.neg(k), f.c(lo), f.fma(f.neg(k), f.c(hi), x))


def reduce_ln2(f: FP, x: Value) -> tuple[Value, Value]:
    """(r, k): x = k*ln2 + r, |r| <= ln2/2 (x finite, |x| < 2**20); k as a float."""
    k = f.rint(f.mul(x, f.c(LOG2E)))
    return _sub_k_ln2(f, x, k), k


def expm1_poly(f: FP, r: Value) -> Value:
    """expm1(r) for |r| <= ln2/2 (the float32 polynomial for float32 ``f``)."""
    r2 = f.mul(r, r)
    if f.bits == 32:
        return f.fma(r2, f.poly(r, C.EXP_P_F), r)
    # float64's 9 coefficients: Estrin's shorter chain (12% faster exp, measured; float32's
    # 5 coefficients gain nothing from it)
    return f.fma(r2, f.poly_estrin(r, C.EXP_P, r2), r)


def _exp_finite(f: FP, x, extra=None):
    """exp(x + extra) for x in the clamped range; ``extra`` a small correction (or None)."""
    r, k = reduce_ln2(f, x)
    if extra is not None:
        r = f.add(r, extra)
    return f.scale(f.add(f.c(1.0), expm1_poly(f, r)), f.to_i32(k))


def clamp(f: FP, x: Value, lo: float, hi: float) -> Value:
    """x limited to [lo, hi], NaN mapped to 0."""
    x = f.where(f.isnan(x), 0.0, x)
    return f.where(f.lt(x, f.c(lo)), lo, f.where(f.gt(x, f.c(hi)), hi, x))


def exp_normal(f: FP, x: Value) -> Value:
    """exp(x) while the result is a normal number with margin (|x| <= 708 in float64,
    87 in float32: k in the normal exponent range and 1 + p in [sqrt(1/2), sqrt(2)]):
    k from one FMA, 2**k added straight into the exponent bits. No special values."""
    k, kbits = f.rint_bits(x, LOG2E)
    p = f.add(f.c(1.0), expm1_poly(f, _sub_k_ln2(f, x, k)))
    return f.from_bits(f.b.add(f.to_bits(p), f.b.shl(f.to_bits(kbits), f.ic(f.mant))))


def _exp_general(f: FP, x):
    y = _exp_finite(f, clamp(f, x, -746.0, 710.0))
    y = f.where(f.gt(x, f.c(EXP_OVERFLOW)), np.inf, y)
    y = f.where(f.lt(x, f.c(EXP_UNDERFLOW)), 0.0, y)
    return f.sel(f.isnan(x), x, y)


def exp(f: FP, x: Value) -> Value:
    """The branch-free :func:`exp_normal` while every lane has |x| <= 708; other vectors
    (subnormal results, overflow, inf, NaN) take the general path out of line."""
    outside = f.cmp_unordered(">", f.abs(x), f.c(EXP_FAST_LIMIT))
    return f.guarded("exp64", exp_normal(f, x), outside, _exp_general, x)


def exp2(f: FP, x: Value) -> Value:
    """2**x."""
    xc = clamp(f, x, -1080.0, 1030.0)
    k = f.rint(xc)
    r = f.sub(xc, k)
    y = f.scale(f.fma(r, f.poly(r, C.EXP2_Q), f.c(1.0)), f.to_i32(k))
    y = f.where(f.cmp(">=", x, f.c(1024.0)), np.inf, y)
    y = f.where(f.lt(x, f.c(-1075.0)), 0.0, y)
    return f.sel(f.isnan(x), x, y)


def expm1(f: FP, x: Value) -> Value:
    """exp(x) - 1, accurate near 0."""
    xc = clamp(f, x, -45.0, 700.0)
    r, k = reduce_ln2(f, xc)
    t = f.pow2(f.to_i32(k))  # k in [-65, 1010]: a normal power of two
    general = f.fma(t, expm1_poly(f, r), f.sub(t, f.c(1.0)))
    small = f.lt(f.abs(x), f.c(0.34657359027997264))
    y = f.sel(small, expm1_poly(f, xc), general)
    y = f.sel(f.gt(x, f.c(700.0)), exp(f, x), y)
    y = f.where(f.lt(x, f.c(-40.0)), -1.0, y)
    return f.sel(f.or_(f.isnan(x), f.eq(x, f.c(0.0))), x, y)  # keeps NaN and -0.0


def _log1p_reduced(f: FP, fr):
    """log(1 + fr) for fr = m - 1, m in [sqrt(1/2), sqrt(2)) (fdlibm's arrangement)."""
    s = f.div(fr, f.add(f.c(2.0), fr))
    z = f.mul(s, s)
    t = f.mul(z, f.poly(z, C.LOG_R))
    hfsq = f.mul(f.c(0.5), f.mul(fr, fr))
    return hfsq, s, t


def _log_specials(f: FP, x, y, at_zero=-np.inf):
    y = f.where(f.lt(x, f.c(0.0)), np.nan, y)
    y = f.where(f.eq(x, f.c(0.0)), at_zero, y)
    y = f.where(f.eq(x, f.c(np.inf)), np.inf, y)
    return f.sel(f.isnan(x), x, y)


def log(f: FP, x: Value) -> Value:
    """Natural logarithm."""
    safe = f.where(f.not_(f.gt(x, f.c(0.0))), 1.0, f.where(f.eq(x, f.c(np.inf)), 1.0, x))
    m, e = f.frexp_sqrt2(safe)
    fr = f.sub(m, f.c(1.0))
    hfsq, s, t = _log1p_reduced(f, fr)
    # e*ln2_hi - ((hfsq - (s*(hfsq + t) + e*ln2_lo)) - fr)
    inner = f.add(f.mul(s, f.add(hfsq, t)), f.mul(e, f.c(LN2_LO)))
    y = f.sub(f.mul(e, f.c(LN2_HI)), f.sub(f.sub(hfsq, inner), fr))
    return _log_specials(f, x, y)


def _log_split(f: FP, x):
    """(e, log(m)) for x > 0 finite, x = m * 2**e."""
    m, e = f.frexp_sqrt2(x)
    fr = f.sub(m, f.c(1.0))
    hfsq, s, t = _log1p_reduced(f, fr)
    return e, f.sub(fr, f.sub(hfsq, f.mul(s, f.add(hfsq, t))))


def log2(f: FP, x: Value) -> Value:
    """Base-2 logarithm."""
    safe = f.where(f.not_(f.gt(x, f.c(0.0))), 1.0, f.where(f.eq(x, f.c(np.inf)), 1.0, x))
    e, lm = _log_split(f, safe)
    return _log_specials(f, x, f.fma(lm, f.c(LOG2E), e))


def log10(f: FP, x: Value) -> Value:
    """Base-10 logarithm."""
    safe = f.where(f.not_(f.gt(x, f.c(0.0))), 1.0, f.where(f.eq(x, f.c(np.inf)), 1.0, x))
    e, lm = _log_split(f, safe)
    y = f.fma(e, f.c(math.log10(2.0)), f.mul(lm, f.c(1.0 / math.log(10.0))))
    return _log_specials(f, x, y)


def log1p(f: FP, x: Value) -> Value:
    """log(1 + x), accurate near 0."""
    u = f.add(f.c(1.0), x)
    corr = f.div(f.sub(x, f.sub(u, f.c(1.0))), u)
    y = f.add(log(f, u), f.where(f.eq(u, f.c(np.inf)), 0.0, corr))
    y = f.sel(f.eq(u, f.c(1.0)), x, y)  # |x| below half an ulp of 1: log1p(x) = x (keeps -0.0)
    y = f.where(f.lt(x, f.c(-1.0)), np.nan, y)
    y = f.where(f.eq(x, f.c(-1.0)), -np.inf, y)
    return f.sel(f.isnan(x), x, y)


# -- pow --------------------------------------------------------------------------------------

_TWO_THIRDS_LO = float.fromhex("0x1.5555555555555p-55")  # 2/3 - fl(2/3)


def _log_dd(f: FP, ax):
    """log(ax) as a double-double (hi, lo), for finite ax > 0, accurate to ~2**-65.

    log(m) = 2s + (2/3)s**3 + s**5 R'(s**2): the first two terms are carried in
    double-double (they hold all but ~1e-4 of the value), the rest in double.
    """
    m, e = f.frexp_sqrt2(ax)
    fr = f.sub(m, f.c(1.0))  # exact
    d, d_lo = f.two_sum(f.c(2.0), fr)  # 2 + fr exactly
    s = f.div(fr, d)
    s_lo = f.div(f.sub(f.residual(fr, s, d), f.mul(s, d_lo)), d)
    z, z_lo = f.two_prod(s, s)
    cube, cube_lo = f.two_prod(s, z)
    cube_lo = f.fma(s, z_lo, f.fma(f.mul(f.c(3.0), z), s_lo, cube_lo))  # (s + s_lo)**3
    r0 = C.LOG_R[0]  # 2/3 rounded
    third, third_lo = f.two_prod(cube, f.c(r0))
    third_lo = f.fma(cube_lo, f.c(r0), f.fma(cube, f.c(_TWO_THIRDS_LO + (2 / 3 - r0)), third_lo))
    rest = f.mul(f.mul(cube, z), f.poly(z, C.LOG_R[1:]))
    hi, lo = f.fast_two_sum(f.mul(f.c(2.0), s), third)
    lo = f.add(lo, f.add(f.fma(f.c(2.0), s_lo, third_lo), rest))
    # + e*ln2 (e*LN2_HI is exact)
    th, tl = f.two_sum(f.mul(e, f.c(LN2_HI)), hi)
    tl = f.add(tl, f.fma(e, f.c(LN2_LO), lo))
    return f.fast_two_sum(th, tl)


def _is_integer(f: FP, y):
    return f.and_(f.eq(f.floor(y), y), f.isfinite(y))


def _is_odd_integer(f: FP, y):
    half = f.mul(y, f.c(0.5))
    small = f.lt(f.abs(y), f.c(2.0 ** 53))
    return f.and_(_is_integer(f, y), small, f.not_(f.eq(f.floor(half), half)))


def power(f: FP, x: Value, y: Value) -> Value:
    """x**y with NumPy's (C99's) special cases."""
    ax = f.abs(x)
    safe_ax = f.where(f.or_(f.not_(f.gt(ax, f.c(0.0))), f.not_(f.isfinite(ax))), 1.0, ax)
    lh, ll = _log_dd(f, safe_ax)
    ph, pl = f.two_prod(y, lh)
    pl = f.fma(y, ll, pl)
    phc = clamp(f, ph, -746.0, 710.0)
    mag = _exp_finite(f, phc, extra=pl)
    mag = f.where(f.gt(ph, f.c(EXP_OVERFLOW + 1e-9)), np.inf, mag)
    mag = f.where(f.lt(ph, f.c(EXP_UNDERFLOW - 1e-9)), 0.0, mag)
    odd = _is_odd_integer(f, y)
    negative = f.lt(x, f.c(0.0))
    out = f.sel(f.and_(negative, odd), f.neg(mag), mag)
    # C99 Annex F special cases, latest wins
    out = f.where(f.and_(negative, f.isfinite(x), f.isfinite(y), f.not_(_is_integer(f, y))), np.nan, out)
    zero, inf = f.eq(ax, f.c(0.0)), f.eq(ax, f.c(np.inf))
    ypos, yneg = f.gt(y, f.c(0.0)), f.lt(y, f.c(0.0))
    sign_one = f.sel(odd, f.copysign(f.c(1.0), x), f.c(1.0))  # +-1 carrying x's sign for odd y
    out = f.sel(f.and_(zero, yneg), f.mul(sign_one, f.c(np.inf)), out)
    out = f.sel(f.and_(zero, ypos), f.mul(sign_one, f.c(0.0)), out)
    out = f.sel(f.and_(inf, ypos), f.mul(sign_one, f.c(np.inf)), out)
    out = f.sel(f.and_(inf, yneg), f.mul(sign_one, f.c(0.0)), out)
    yinf = f.eq(f.abs(y), f.c(np.inf))
    grows = f.or_(f.and_(f.gt(ax, f.c(1.0)), ypos), f.and_(f.lt(ax, f.c(1.0)), yneg))
    out = f.sel(yinf, f.sel(grows, f.c(np.inf), f.c(0.0)), out)
    out = f.where(f.and_(yinf, f.eq(ax, f.c(1.0))), 1.0, out)
    out = f.sel(f.or_(f.isnan(x), f.isnan(y)), f.add(x, y), out)
    out = f.where(f.or_(f.eq(x, f.c(1.0)), f.eq(y, f.c(0.0))), 1.0, out)
    return out
