"""NumPy's order on complex values: lexicographic (real part, then imaginary part).

NumPy's complex loops compare with ``CLT``/``CLE`` (and their mirrors): ``a < b`` when
``a.real < b.real`` and neither imaginary part is NaN, or when the real parts are equal
and ``a.imag < b.imag``; so any NaN part makes a comparison false. ``maximum`` and
``minimum`` keep the first operand when it has a NaN part or wins (ties keep the first),
so NaNs propagate; ``fmax``/``fmin`` keep the first operand when the second has a NaN
part or the first wins, so NaNs are ignored where the other operand has none. Each rule
takes part pairs and returns a boolean tracer (comparisons) or a part pair. ``np.clip``
with both bounds is NumPy's clip loop, which orders by ``PyArray_CGT``/``CLT`` (no NaN
test of the imaginary parts, ties take the bound); with one bound NumPy runs ``maximum`` or ``minimum``.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from tracejit.errors import UnsupportedError, at
from tracejit.frontend.complex.value import ComplexTracer, implements, make, operand_kind, part_dtype, parts
from tracejit.frontend.context import user_location
from tracejit.frontend.operands import find_trace

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


def _array_gt(a: Pair, b: Pair) -> Any:
    """``PyArray_CGT``, the order of NumPy's clip loop: no NaN test of the imaginary parts."""
    return np.where(a[0] == b[0], a[1] > b[1], a[0] > b[0])


def _array_lt(a: Pair, b: Pair) -> Any:
    """``PyArray_CLT``."""
    return np.where(a[0] == b[0], a[1] < b[1], a[0] < b[0])


def clip_pairs(x: Pair, low: Pair, high: Pair) -> Pair:
    """NumPy's complex clip loop: ``x`` where it has a NaN part or ``x > low``, else ``low``;
    then that where it has a NaN part or is ``< high``, else ``high`` (ties take the bound)."""
    m = _select(has_nan(x) | _array_gt(x, low), x, low)
    return _select(has_nan(m) | _array_lt(m, high), m, high)


@implements(np.clip)
def clip(a: Any, a_min: Any = _NoValue, a_max: Any = _NoValue, out: Any = None, *, min: Any = _NoValue,
         max: Any = _NoValue, **kwargs: Any) -> Any:
    """``np.clip`` of complex values as NumPy runs it: both bounds the clip loop
    (:func:`clip_pairs`), one bound ``maximum`` or ``minimum``, none a copy."""
    loc = user_location()
    if out is not None or kwargs:
        raise UnsupportedError(f"numpy.clip of complex values with out= or ufunc keywords{at(loc)}")
    low = min if a_min is _NoValue else a_min
    high = max if a_max is _NoValue else a_max
    low = None if low is _NoValue else low
    high = None if high is _NoValue else high
    if low is None and high is None:
        return np.positive(a)
    if high is None:
        return np.maximum(a, low)
    if low is None:
        return np.minimum(a, high)
    operands = (a, low, high)
    kinds = (operand_kind(x, loc) for x in operands)
    dtype = np.result_type(*(k if isinstance(k, np.dtype) else k(0) for k in kinds))  # Python numbers weak
    trace = find_trace([x.re_part if isinstance(x, ComplexTracer) else x for x in operands])
    x, lo, hi = (parts(trace, v, part_dtype(dtype), loc) for v in operands)
    return make(*clip_pairs(x, lo, hi))
