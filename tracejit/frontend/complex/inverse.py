"""Complex inverse sine and cosine, circular and hyperbolic, as real ops on part pairs.

Finite values use Kahan's formulas ("Branch cuts for complex elementary functions",
1987), which need no ``z*z`` (so no overflow) and put the branch cuts where signed zeros
say: with ``s1 = sqrt(1 - z)``, ``s2 = sqrt(1 + z)`` (complex square roots,
``elementary.sqrt``), ``asin(z) = (atan2(x, Re(s1 s2)), asinh(Im(conj(s1) s2)))`` and
``acos(z) = (2 atan2(Re(s1), Re(s2)), asinh(Im(conj(s2) s1)))``. ``asinh`` and
``acosh`` follow as C99 (and NumPy's loops) evaluate them: ``asinh(z) = swap(asin(swap(z)))``
and ``acosh`` from ``acos`` with its real part made non-negative. Infinite and NaN
operands take C99 Annex G's values, selected with ``where``.
"""
from __future__ import annotations

import numpy as np

from tracejit.frontend.complex import elementary as elem

Pair = tuple  # (real part, imaginary part)


def _roots(z: Pair) -> tuple[Pair, Pair]:
    """``(sqrt(1 - z), sqrt(1 + z))``."""
    x, y = z
    return elem.sqrt((1.0 - x, -y)), elem.sqrt((1.0 + x, y))


def _asin_finite(z: Pair) -> Pair:
    (a, b), (c, d) = _roots(z)
    return np.arctan2(z[0], a * c - b * d), np.arcsinh(a * d - b * c)


def arcsinh(z: Pair) -> Pair:
    """C99 ``casinh``: Kahan's ``asin`` of the swapped parts, swapped back; at infinity
    ``(±inf, ±atan2(|y|, |x|))``, NaN where a part is NaN (``asinh(NaN ± 0j)`` keeps the zero)."""
    x, y = z
    im, re = _asin_finite((y, x))
    inf = np.isinf(x) | np.isinf(y)
    nan = np.isnan(x) | np.isnan(y)
    re = np.where(inf, np.copysign(np.inf, x), re)
    angle = np.where(nan, np.nan, np.arctan2(np.absolute(y), np.absolute(x)))
    im = np.where(inf, np.copysign(angle, y), im)
    im = np.where((y == 0) & np.isnan(x), y, im)
    return re, im


def arcsin(z: Pair) -> Pair:
    """``asin(z) = -i asinh(iz)``, as C99 evaluates it: ``swap(asinh(swap(z)))``."""
    a, b = arcsinh((z[1], z[0]))
    return b, a


def arccos(z: Pair) -> Pair:
    """C99 ``cacos``: Kahan's formula; at infinity ``(atan2(|y|, x), -copysign(inf, y))``
    (NaN real part where a part is NaN); ``acos(±0 + NaN j)`` is ``pi/2 + NaN j``."""
    x, y = z
    (a, b), (c, d) = _roots(z)
    re = 2.0 * np.arctan2(a, c)
    im = np.arcsinh(c * b - d * a)
    inf = np.isinf(x) | np.isinf(y)
    nan = np.isnan(x) | np.isnan(y)
    re = np.where(inf, np.where(nan, np.nan, np.arctan2(np.absolute(y), x)), re)
    im = np.where(inf, -np.copysign(np.inf, y), im)
    re = np.where((x == 0) & np.isnan(y), np.pi / 2, re)
    return re, im


def arccosh(z: Pair) -> Pair:
    """C99 ``cacosh`` from ``cacos`` as FreeBSD's (NumPy's) does: ``(|Im w|, copysign(Re w, y))``
    with ``w = acos(z)``, NaN parts moved as it moves them."""
    rx, ry = arccos(z)
    nan_x, nan_y = np.isnan(rx), np.isnan(ry)
    re = np.where(nan_x & nan_y, ry, np.where(nan_x, np.absolute(ry), np.where(nan_y, ry, np.absolute(ry))))
    im = np.where(nan_x & nan_y, rx, np.where(nan_x, rx, np.where(nan_y, ry, np.copysign(rx, z[1]))))
    im = np.where((z[0] == 0) & np.isnan(z[1]), np.pi / 2, im)  # acosh(±0 + NaN j) = NaN + pi/2 j
    return re, im
