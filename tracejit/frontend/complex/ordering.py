"""NumPy's order on complex values: lexicographic (real part, then imaginary part).

NumPy's complex loops compare with ``CLT``/``CLE`` (and their mirrors): ``a < b`` when
``a.real < b.real`` and neither imaginary part is NaN, or when the real parts are equal
and ``a.imag < b.imag``; so any NaN part makes a comparison false. ``maximum`` and
``minimum`` keep the first operand when it has a NaN part or wins (ties keep the first),
so NaNs propagate; ``fmax``/``fmin`` keep the first operand when the second has a NaN
part or the first wins, so NaNs are ignored where the other operand has none. Each rule
takes part pairs and returns a boolean tracer (comparisons) or a part pair. ``np.clip``
of complex values is ``minimum(maximum(a, low), high)``, as NumPy's complex clip loop.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from tracejit.errors import UnsupportedError, at
from tracejit.frontend.complex.value import implements
from tracejit.frontend.context import user_location

_NoValue = np._NoValue
Pair = tuple  # (real part, imaginary part)


def _no_nan_im(a: Pair, b: Pair) -> Any:
    return ~np.isnan(a[1]) & ~np.isnan(b[1])


def less(a: Pair, b: Pair) -> Any:
    """NumPy's ``CLT``: lexicographic ``a < b``."""
    return ((a[0] < b[0]) & _no_nan_im(a, b)) | ((a[0] == b[0]) & (a[1] < b[1]))


def less_equal(a: Pair, b: Pair) -> Any:
    """NumPy's ``CLE``: lexicographic ``a <= b``."""
    return ((a[0] < b[0]) & _no_nan_im(a, b)) | ((a[0] == b[0]) & (a[1] <= b[1]))


def greater(a: Pair, b: Pair) -> Any:
    """NumPy's ``CGT``: lexicographic ``a > b``."""
    return less(b, a)


def greater_equal(a: Pair, b: Pair) -> Any:
    """NumPy's ``CGE``: lexicographic ``a >= b``."""
    return less_equal(b, a)


def has_nan(a: Pair) -> Any:
    """Whether either part is NaN."""
    return np.isnan(a[0]) | np.isnan(a[1])


def _select(first: Any, a: Pair, b: Pair) -> Pair:
    return np.where(first, a[0], b[0]), np.where(first, a[1], b[1])


def maximum(a: Pair, b: Pair) -> Pair:
    """NumPy's complex ``maximum``: ``a`` where it has a NaN part or ``a >= b``, else ``b``."""
    return _select(has_nan(a) | greater_equal(a, b), a, b)


def minimum(a: Pair, b: Pair) -> Pair:
    """NumPy's complex ``minimum``: ``a`` where it has a NaN part or ``a <= b``, else ``b``."""
    return _select(has_nan(a) | less_equal(a, b), a, b)


def fmax(a: Pair, b: Pair) -> Pair:
    """NumPy's complex ``fmax``: ``a`` where ``b`` has a NaN part or ``a >= b``, else ``b``."""
    return _select(has_nan(b) | greater_equal(a, b), a, b)


def fmin(a: Pair, b: Pair) -> Pair:
    """NumPy's complex ``fmin``: ``a`` where ``b`` has a NaN part or ``a <= b``, else ``b``."""
    return _select(has_nan(b) | less_equal(a, b), a, b)


@implements(np.clip)
def clip(a: Any, a_min: Any = _NoValue, a_max: Any = _NoValue, out: Any = None, *, min: Any = _NoValue,
         max: Any = _NoValue, **kwargs: Any) -> Any:
    """``np.clip`` of complex values: ``minimum(maximum(a, low), high)``, NumPy's complex clip
    loop (NaNs in ``a`` propagate; a bound of None or absent is not applied)."""
    loc = user_location()
    if out is not None or kwargs:
        raise UnsupportedError(f"numpy.clip of complex values with out= or ufunc keywords{at(loc)}")
    low = min if a_min is _NoValue else a_min
    high = max if a_max is _NoValue else a_max
    result = a
    if low is not None and low is not _NoValue:
        result = np.maximum(result, low)
    if high is not None and high is not _NoValue:
        result = np.minimum(result, high)
    if result is a:
        result = np.positive(a)
    return result
