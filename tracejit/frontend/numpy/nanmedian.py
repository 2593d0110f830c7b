"""``np.nanmedian`` of traced arrays, native: the one or two middle numbers of each line
selected in place (``frontend/numpy/nanselect.py``: ranks read from each line's count of
numbers, NaNs last), then combined as NumPy combines them.

NumPy takes one of two routes, decided by shapes only, and they round differently:

* a 1-d reduction (``axis=None``, a 1-d array, all axes of a tuple) and lines of at least
  600 (``apply_along_axis``): ``np.median`` of the numbers: the middle one of an odd count,
  ``(lo + hi) / 2`` of an even one;
* shorter lines of an array of more dims (``_nanmedian_small``, a masked median):
  ``(lo + hi) / 2`` always, with ``lo`` = ``hi`` for an odd count (``2x`` may overflow to inf).

Either way in the data's dtype (float32 stays float32). A line of NaNs gives NaN and
NumPy's ``RuntimeWarning: All-NaN slice encountered`` (after the call). Integers and bools
hold no NaN: NumPy's result is ``np.median``'s (``frontend/numpy/numerics.py``); an empty
array is ``np.nanmean``'s. Complex and float16 data, and ``out=``, are refused
(UnsupportedError: a host call).
"""
from __future__ import annotations

import numpy as np

from tracejit.errors import UnsupportedError, at
from tracejit.frontend import checks
from tracejit.frontend.context import user_location
from tracejit.frontend.dispatch import implements
from tracejit.frontend.numpy.elementwise import where
from tracejit.frontend.numpy.nanselect import nan_partition
from tracejit.frontend.numpy.numerics import median
from tracejit.frontend.numpy.quantiles import lines_of
from tracejit.frontend.numpy.shape import reshape, scalar_result
from tracejit.frontend.operands import Operand, as_array, find_trace, lift

SMALL_LINES = 600  # NumPy's _nanmedian: lines shorter than this take the masked median


@implements(np.nanmedian)
def nanmedian(a: Operand, axis: int | tuple[int, ...] | None = None, out: object = None,
              overwrite_input: bool = False, keepdims: object = np._NoValue) -> Operand:
    """``numpy.nanmedian``: the median of each line's numbers, as NumPy rounds it (module docstring)."""
    loc = user_location()
    keep = keepdims is not np._NoValue and bool(keepdims)
    if out is not None:
        raise UnsupportedError(f"numpy.nanmedian with out={at(loc)}")
    trace = find_trace((a,))
    x = lift(trace, as_array(trace, a))
    if x.dtype.kind not in "fiub" or x.dtype == np.float16:
        raise UnsupportedError(f"numpy.nanmedian of {x.dtype} data{at(loc)}")
    if x.size == 0:
        return np.nanmean(x, axis=axis, keepdims=keep)
    if x.dtype.kind != "f":
        return median(x, axis=axis, keepdims=keep)
    line, ax, rest, kept = lines_of(x, axis, "numpy.nanmedian", loc)
    n = line.shape[ax]
    s = nan_partition(line, ax, np.array([0.5]))
    rows = reshape(np.moveaxis(s, ax, -1), (-1, n))
    count = np.sum(np.logical_not(np.isnan(rows)), axis=1, dtype=np.int64)
    checks.warn(np.any(np.equal(count, 0)), RuntimeWarning, "All-NaN slice encountered")
    high = np.floor_divide(count, np.int64(2))
    odd = np.equal(np.remainder(count, np.int64(2)), 1)
    low = where(odd, high, np.subtract(high, np.int64(1)))
    row_index = np.arange(rows.shape[0], dtype=np.int64)

    def take(k):  # rows[r, k[r]] (k clipped: an all-NaN line's is -1)
        return trace.apply("gather", [rows, row_index, np.clip(k, 0, n - 1)], {"axis": 0})

    lo, hi = take(low), take(high)
    mean = np.true_divide(np.add(lo, hi), 2.0)
    value = mean if line.ndim > 1 and n < SMALL_LINES else where(odd, hi, mean)
    value = where(np.equal(count, 0), x.dtype.type(np.nan), value)
    return reshape(value, kept) if keep else scalar_result(reshape(value, rest))
