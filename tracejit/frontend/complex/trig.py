"""Complex trigonometric and hyperbolic functions as real ops on part pairs.

``sinh``, ``cosh`` and ``tanh`` are written out (C99 ``csinh``, ``ccosh``, ``ctanh``:
the general formula, then Annex G's special values selected with ``where``); the
circular functions follow from them as C99 defines them (``sin(z) = -i sinh(iz)``,
``cos(z) = cosh(iz)``, ``tan(z) = -i tanh(iz)``), evaluated as NumPy's loops do so the
special values' signs agree: ``sin`` and ``tan`` swap the parts before and after.
``cosh(x) * c`` and ``sinh(x) * c`` are finite wherever the product is (``exp_times``). ``tanh`` is
Kahan's formula (``t = tan(y)``, ``s = sinh(x)``, ``(beta*rho*s, t) / (1 + beta*s*s)``
with ``beta = 1 + t*t``, ``rho = cosh(x)``), accurate near its poles, with
``(sign(x), 4 sin(y) cos(y) exp(-|x|) exp(-|x|))`` once ``|x|`` makes ``tanh(x)`` round to 1.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from tracejit.frontend.complex import elementary as elem

Pair = tuple  # (real part, imaginary part)


def _large(t: Any) -> float:
    """The ``|x|`` past which ``tanh(x)`` rounds to 1 in ``t``'s dtype (a safe margin)."""
    return 22.0 if t.dtype == np.float64 else 11.0


def overflow_threshold(t: Any) -> float:
    """An ``|x|`` below which ``exp(x)`` is finite in ``t``'s dtype."""
    return 709.0 if t.dtype == np.float64 else 88.0


def exp_times(x: Any, c: Any, half: bool = False) -> Any:
    """``exp(|x|) * c`` (``/ 2`` when ``half``) without overflowing first where the product is
    finite: past the overflow threshold as ``(exp(|x|/2) * c) * exp(|x|/2)``."""
    ax = np.absolute(x)
    h = np.exp(ax * 0.5)
    scaled = (h * (c * 0.5 if half else c)) * h
    return np.where(ax > overflow_threshold(x), scaled, (np.exp(ax) * 0.5 if half else np.exp(ax)) * c)


def _cosh_times(x: Any, c: Any) -> Any:
    """``cosh(x) * c``, finite where the product is."""
    return np.where(np.absolute(x) > overflow_threshold(x), exp_times(x, c, True), np.cosh(x) * c)


def _sinh_times(x: Any, c: Any) -> Any:
    """``sinh(x) * c``, finite where the product is."""
    big = np.copysign(1.0, x) * exp_times(x, c, True)
    return np.where(np.absolute(x) > overflow_threshold(x), big, np.sinh(x) * c)


def sinh(z: Pair) -> Pair:
    """``(sinh(x) cos(y), cosh(x) sin(y))`` with C99 ``csinh``'s special values."""
    x, y = z
    re = _sinh_times(x, np.cos(y))
    im = _cosh_times(x, np.sin(y))
    bad_y = ~np.isfinite(y)
    re = np.where((x == 0) & bad_y, x, re)  # (+-0, NaN) for an infinite or NaN y
    re = np.where(np.isinf(x) & bad_y, np.inf, re)  # (+inf, NaN)
    im = np.where(y == 0, y, im)  # (.., +-0) for y = +-0, a NaN or infinite x too
    return re, im


def cosh(z: Pair) -> Pair:
    """``(cosh(x) cos(y), sinh(x) sin(y))`` with C99 ``ccosh``'s special values."""
    x, y = z
    re = _cosh_times(x, np.cos(y))
    im = _sinh_times(x, np.sin(y))
    bad_y = ~np.isfinite(y)
    re = np.where(np.isinf(x) & bad_y, np.inf, re)  # (inf, NaN)
    im = np.where((x == 0) & bad_y, 0.0, im)  # (NaN, +0) for x = +-0
    im = np.where(y == 0, np.where(np.signbit(x) & ~np.isnan(x), -y, y), im)  # sign of x * y
    return re, im


def tanh(z: Pair) -> Pair:
    """Kahan's ``tanh`` with C99 ``ctanh``'s special values."""
    x, y = z
    t = np.tan(y)
    beta = 1.0 + t * t
    s = np.sinh(x)
    rho = np.sqrt(1.0 + s * s)
    denom = 1.0 + beta * s * s
    re = beta * rho * s / denom
    im = t / denom
    sc = np.sin(y) * np.cos(y)
    large = (np.absolute(x) > _large(x)) & (np.isfinite(y) | np.isinf(x))  # a finite x, bad y: NaN
    re = np.where(large, np.copysign(1.0, x), re)
    e = np.exp(-np.absolute(x))
    im = np.where(large, 4.0 * np.sin(y) * np.cos(y) * e * e, im)  # as C evaluates it, underflow included
    im = np.where(np.isinf(x), np.copysign(0.0, np.where(np.isfinite(y), sc, y)), im)  # (+-1, +-0)
    re = np.where((x == 0) & ~np.isfinite(y), x, re)  # (+-0, NaN)
    im = np.where(y == 0, y, im)  # a NaN x keeps y's zero
    return re, im


def _swapped(z: Pair) -> Pair:
    """``(y, x)``: ``i conj(z)``."""
    return z[1], z[0]


def sin(z: Pair) -> Pair:
    """``sin(z) = -i sinh(iz)``, as C99 (and NumPy) evaluate it: ``swap(sinh(swap(z)))``."""
    return _swapped(sinh(_swapped(z)))


def cos(z: Pair) -> Pair:
    """``cos(z) = cosh(iz)``, ``iz = (-y, x)``."""
    return cosh((-z[1], z[0]))


def tan(z: Pair) -> Pair:
    """``tan(z) = -i tanh(iz)``: ``swap(tanh(swap(z)))``."""
    return _swapped(tanh(_swapped(z)))


def arctanh(z: Pair) -> Pair:
    """``atanh``: real part ``log1p(q) / 4``, ``q = 4x / ((1-x)**2 + y**2)``, except near
    ``z = -1`` (``q < -1/2``: ``1 + q`` cancels) and ``z = 1`` (the denominator subnormal)
    ``(log|1+z| - log|1-z|) / 2``;
    imaginary part ``atan2(2y, (1-x)(1+x) - y**2) / 2``; ``Re(1/z)`` and ``±pi/2`` for huge
    ``|z|``; C99 ``catanh``'s special values."""
    x, y = z
    ax, ay = np.absolute(x), np.absolute(y)
    one_minus = 1.0 - x
    d = one_minus * one_minus + y * y
    q = 4.0 * x / d
    near = 0.5 * (elem.log_magnitude((1.0 + x, y)) - elem.log_magnitude((one_minus, y)))
    exact_q = (q >= -0.5) & (d >= float(np.finfo(x.dtype).tiny) * 2.0 ** 30)  # no cancellation in 1 + q, no
    re = np.where(exact_q, 0.25 * np.log1p(q), near)  # subnormal d (near z = -1, z = 1)
    im = 0.5 * np.arctan2(y + y, one_minus * (1.0 + x) - y * y)
    huge = (np.maximum(ax, ay) > np.sqrt(np.finfo(x.dtype).max) / 4) & np.isfinite(x) & np.isfinite(y)
    h = np.hypot(x, y)
    half_pi = np.copysign(np.pi / 2, y)
    re = np.where(huge, (x / h) / h, re)
    im = np.where(huge, half_pi, im)
    inf_x, inf_y = np.isinf(x), np.isinf(y)
    re = np.where(inf_x | inf_y, np.copysign(0.0, x), re)  # ±0 at infinity
    im = np.where(inf_y | inf_x & np.isfinite(y), half_pi, im)
    re = np.where((x == 0) & np.isnan(y), x, re)  # (±0, NaN)
    return re, im


def arctan(z: Pair) -> Pair:
    """``arctan(z) = -i arctanh(iz)``: ``swap(arctanh(swap(z)))``."""
    return _swapped(arctanh(_swapped(z)))
