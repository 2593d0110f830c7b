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
