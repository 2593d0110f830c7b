"""Complex square root, logarithms and powers as real ops on (real part, imaginary part) pairs.

Each function takes and returns part pairs (real tracers of one float dtype) and builds
its result from real ufuncs that tracejit compiles natively (``hypot``, ``arctan2``,
``log1p``, ``sqrt``, ``where``...), so a chain of complex functions fuses into one loop
like any real chain. The special values (zeros of either sign, infinities, NaNs, the
branch cut on the negative real axis) are C99's Annex G values that NumPy's loops
return; they are selected with ``where`` after the general formula. Accuracy: a few ulp
per part (``docs/design.md``, "Complex functions"); ``power`` reproduces NumPy's own
algorithm (repeated multiplication for small integer exponents, bit for bit; else
``exp(b * log(a))``).
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from tracejit.frontend.complex import arithmetic as arith

Pair = tuple  # (real part, imaginary part)

LOG10E = 0.43429448190325182765  # NumPy's NPY_LOG10E, NPY_LOG2E, NPY_LOGE2
LOG2E = 1.442695040888963407359924681001892137
LOGE2 = 0.693147180559945309417232121458176568
MAX_SMALL_POWER = 100  # NumPy multiplies for integer exponents with |n| < 100


def _bits(t: Any) -> int:
    """Mantissa bits of a part's dtype (24 or 53)."""
    return np.finfo(t.dtype).nmant + 1


def _scales(t: Any, m: Any) -> tuple[Any, Any]:
    """(scale, unscale) for a square root of magnitude ``m``: huge values are divided by 4
    (the square root then by 2), tiny ones multiplied by ``2**(2p)`` (then by ``2**-p``),
    so sums of squares neither overflow nor lose bits to subnormals."""
    info = np.finfo(t.dtype)
    p = _bits(t)
    big = m > float(info.max) / 8
    tiny = m < float(info.tiny) * 2.0 ** p
    one = t.dtype.type(1.0)
    scale = np.where(big, t.dtype.type(0.25), np.where(tiny, t.dtype.type(2.0 ** (2 * p)), one))
    unscale = np.where(big, t.dtype.type(2.0), np.where(tiny, t.dtype.type(2.0 ** -p), one))
    return scale, unscale


def reciprocal(z: Pair) -> Pair:
    """NumPy's complex ``reciprocal`` loop: ``1 / z`` scaled by the larger part (Smith's)."""
    x, y = z
    first = np.absolute(y) <= np.absolute(x)
    x1, y2 = np.where(first, x, 1.0), np.where(first, 1.0, y)  # (no 0 * inf in a derivative: arith.divide)
    r1 = y / x1
    d1 = x1 + y * r1
    r2 = x / y2
    d2 = x * r2 + y2
    return np.where(first, 1.0 / d1, r2 / d2), np.where(first, -r1 / d1, -1.0 / d2)


def sqrt(z: Pair) -> Pair:
    """The principal square root (C99 ``csqrt``): ``t = sqrt((|x| + |z|) / 2)``, then
    ``(t, y / 2t)`` for ``x >= 0`` and ``(|y| / 2t, copysign(t, y))`` for ``x < 0``."""
    x, y = z
    ax, ay = np.absolute(x), np.absolute(y)
    scale, unscale = _scales(x, np.maximum(ax, ay))
    xs, ys = ax * scale, ay * scale
    t = np.sqrt((xs + np.hypot(xs, ys)) * 0.5) * unscale
    u = y / (t + t)
    neg = x < 0
    re = np.where(neg, np.absolute(u), t)
    im = np.where(neg, np.copysign(t, y), u)
    zero = (x == 0) & (y == 0)  # (+0, y)
    inf_im = np.isinf(y)  # (inf, y) even for a NaN real part
    re = np.where(inf_im, np.inf, np.where(zero, 0.0, re))
    im = np.where(inf_im | zero, y, im)
    return re, im


def log_magnitude(z: Pair) -> Any:
    """``log(|z|)`` within a few ulp: near ``|z| = 1`` as ``log1p(x*x + y*y - 1) / 2`` with
    the squares' rounding errors kept (fused multiply-adds), elsewhere ``log(hypot(x, y))``
    with tiny magnitudes scaled up first (a subnormal ``|z|`` has too few bits) and huge ones
    down (``|z|`` beyond the largest float, its logarithm is not)."""
    x, y = z
    ax, ay = np.absolute(x), np.absolute(y)
    a, b = np.maximum(ax, ay), np.minimum(ax, ay)
    p = _bits(x)
    tiny = a < float(np.finfo(x.dtype).tiny) * 2.0 ** p
    huge = a > float(np.finfo(x.dtype).max) * 0.25  # (|z| itself may overflow: scaled down by 4, exactly)
    scale = np.where(tiny, x.dtype.type(2.0 ** p), np.where(huge, x.dtype.type(0.25), x.dtype.type(1.0)))
    h = np.hypot(a * scale, b * scale)
    far = np.log(h) - np.where(tiny, x.dtype.type(p * math.log(2.0)),
                               np.where(huge, x.dtype.type(-2.0 * math.log(2.0)), x.dtype.type(0.0)))
    ha, hb = a * a, b * b
    la, lb = arith.fma(a, a, -ha, True), arith.fma(b, b, -hb, True)
    s = ((ha - 1.0) + hb) + (la + lb)  # a*a - 1 is exact where a*a is in [1/2, 2]
    near = np.log1p(s) * 0.5
    close = (h >= 0.5) & (h <= 2.0) & (a <= 1.4)
    return np.where(close, near, far)


def log(z: Pair) -> Pair:
    """The principal logarithm (C99 ``clog``): ``(log|z|, atan2(y, x))``; ``log(-0 + 0j)`` is
    ``-inf + pi j``, an infinite part gives ``+inf`` real part."""
    x, y = z
    re = log_magnitude(z)
    re = np.where(np.isinf(x) | np.isinf(y), np.inf, re)
    return re, np.arctan2(y, x)


def log_scaled(z: Pair, factor: float) -> Pair:
    """NumPy's ``log10``/``log2``: both parts of ``log(z)`` times ``log10(e)``/``log2(e)``."""
    re, im = log(z)
    return re * factor, im * factor


def log1p(z: Pair) -> Pair:
    """NumPy's ``log1p``, its own formula: ``(log(hypot(x + 1, y)), atan2(y, x + 1))`` (so,
    as NumPy's, not accurate for tiny ``|z|``)."""
    x, y = z
    x1 = x + 1.0
    return np.log(np.hypot(x1, y)), np.arctan2(y, x1)


def expm1(z: Pair) -> Pair:
    """NumPy's ``expm1``: ``(expm1(x) cos(y) - 2 sin(y/2)**2, exp(x) sin(y))``."""
    x, y = z
    a = np.sin(y * 0.5)
    return np.expm1(x) * np.cos(y) - 2.0 * a * a, np.exp(x) * np.sin(y)


def exp2(z: Pair) -> Pair:
    """NumPy's ``exp2``: ``exp`` of both parts times ``log(2)``."""
    return arith.exp((z[0] * LOGE2, z[1] * LOGE2))


def _plain_multiply(a: Pair, b: Pair) -> Pair:
    """NumPy's ``cmul`` of its power loop (never fused)."""
    return arith.multiply(a, b, False)


def _integer_power(a: Pair, n: int) -> Pair:
    """NumPy's power for an integer exponent ``0 < |n| < 100``: ``n`` of 1, 2, 3 unrolled,
    else binary powering from ``1`` by repeated (unfused) multiplication and ``1 / r`` for
    negative ``n``."""
    if n == 1:
        return +a[0], +a[1]
    if n == 2:
        return _plain_multiply(a, a)
    if n == 3:
        return _plain_multiply(a, _plain_multiply(a, a))
    m, mask, acc, p = abs(n), 1, (1.0, 0.0), a
    while True:
        if m & mask:
            acc = _plain_multiply(acc, p)
        mask <<= 1
        if m < mask:
            break
        p = _plain_multiply(p, p)
    return arith.divide((1.0, 0.0), acc) if n < 0 else acc


def _c99_multiply(x: Pair, y: Pair) -> Pair:
    """C's complex product (``__muldc3``): the plain formula, and where both parts are NaN but
    an operand or a partial product is infinite, Annex G's recomputation with the infinite
    parts boxed to +-1 and NaN parts to +-0, scaled by infinity."""
    (a, b), (c, d) = x, y
    ac, bd, ad, bc = a * c, b * d, a * d, b * c
    re, im = ac - bd, ad + bc
    both_nan = np.isnan(re) & np.isnan(im)
    inf_x, inf_y = np.isinf(a) | np.isinf(b), np.isinf(c) | np.isinf(d)
    partial = ~inf_x & ~inf_y & (np.isinf(ac) | np.isinf(bd) | np.isinf(ad) | np.isinf(bc))

    def box(v: Any, inf: Any) -> Any:  # an infinite part to +-1, a finite one to +-0, where inf
        return np.where(inf, np.copysign(np.where(np.isinf(v), 1.0, 0.0).astype(v.dtype), v), v)

    def unnan(v: Any, cond: Any) -> Any:  # a NaN part to +-0 where cond
        return np.where(cond & np.isnan(v), np.copysign(0.0, v), v)

    a2, b2 = box(a, inf_x), box(b, inf_x)
    c2, d2 = unnan(c, inf_x), unnan(d, inf_x)
    c2, d2 = box(c2, inf_y), box(d2, inf_y)
    a2, b2 = unnan(a2, inf_y | partial), unnan(b2, inf_y | partial)
    c2, d2 = unnan(c2, partial), unnan(d2, partial)
    recalc = both_nan & (inf_x | inf_y | partial)
    inf = np.where(recalc, _typed(re, np.inf), _typed(re, 0.0))  # (np.inf * v: NaN derivatives where not taken)
    re = np.where(recalc, inf * (a2 * c2 - b2 * d2), re)
    im = np.where(recalc, inf * (a2 * d2 + b2 * c2), im)
    return re, im


def _general_power(a: Pair, b: Pair) -> Pair:
    """``exp(b * log(a))`` (C99 ``cpow``), the product C's (unfused, Annex G infinities)."""
    x = a[0]
    b = tuple(v if hasattr(v, "shape") else np.full_like(x, v) for v in b)
    return arith.exp(_c99_multiply(b, log(a)))


def _typed(t: Any, value: float) -> Any:
    """``value`` as a NumPy scalar of part ``t``'s dtype (``where`` of two Python floats
    would be float64)."""
    return t.dtype.type(value)


def _zero_base(a: Pair, b: Pair, value: Pair) -> Pair:
    """NumPy's rule for a zero base: ``0`` for an exponent of positive real part, else NaN."""
    zero = (a[0] == 0) & (a[1] == 0)
    positive = b[0] > 0
    fill = np.where(positive, _typed(a[0], 0.0), _typed(a[0], np.nan))
    return np.where(zero, fill, value[0]), np.where(zero, fill, value[1])


def power_constant(a: Pair, exponent: complex) -> Pair:
    """``a ** exponent`` for an exponent known while tracing (a number), as NumPy's loop:
    exponent 0 gives 1, a zero base 0 or NaN, small integers repeated multiplication."""
    br, bi = exponent.real, exponent.imag
    if br == 0 and bi == 0:
        return np.ones_like(a[0]), np.zeros_like(a[1])
    if bi == 0 and math.isfinite(br) and br == int(br) and abs(br) < MAX_SMALL_POWER:
        value = _integer_power(a, int(br))
    else:
        value = _general_power(a, (br, bi))
    return _zero_base(a, (br, bi), value)


def power(a: Pair, b: Pair) -> Pair:
    """``a ** b`` for traced exponents: NumPy's branches (exponent zero, zero base, an integer
    exponent below 100 in magnitude, the general ``exp(b log a)``) selected per element.
    The integer branch is seven steps of binary powering selected by the exponent's bits:
    exactly NumPy's sequence of products (exponents 1, 2, 3 unrolled as NumPy's)."""
    br, bi = b
    nf = np.where(np.isfinite(br), br, 0.0)
    integer = (bi == 0) & (np.trunc(nf) == br) & (np.absolute(nf) < MAX_SMALL_POWER)
    rest = np.absolute(np.where(integer, nf, 0.0))
    acc, p = (np.ones_like(a[0]), np.zeros_like(a[1])), a
    for step in range(7):  # |n| < 100 < 2**7
        bit = np.fmod(rest, 2.0) == 1.0
        rest = np.floor(rest * 0.5)
        stepped = _plain_multiply(acc, p)
        acc = np.where(bit, stepped[0], acc[0]), np.where(bit, stepped[1], acc[1])
        if step < 6:
            p = _plain_multiply(p, p)
    inv = arith.divide((1.0, 0.0), acc)
    negative = br < 0
    acc = np.where(negative, inv[0], acc[0]), np.where(negative, inv[1], acc[1])
    sq = _plain_multiply(a, a)
    cube = _plain_multiply(a, sq)
    small = tuple(np.where(br == 1, a[k], np.where(br == 2, sq[k], np.where(br == 3, cube[k], acc[k])))
                  for k in range(2))
    general = _general_power(a, b)
    value = np.where(integer, small[0], general[0]), np.where(integer, small[1], general[1])
    re, im = _zero_base(a, b, value)
    exp0 = (br == 0) & (bi == 0)
    return np.where(exp0, 1.0, re), np.where(exp0, 0.0, im)
