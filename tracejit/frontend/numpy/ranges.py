"""Slices whose bounds are traced values read from data (``indices[indptr[i]:indptr[i + 1]]``),
and indexing through a selection (``x[cols]``).

The length of such a slice depends on the data, so it is a selection
(``frontend/numpy/selection.py``) of the array along its first axis by the range mask
``start <= arange(n) < stop`` (the bounds normalized as Python normalizes slice bounds:
negative ones count from the end), which knows its bounds: two slices by the same bounds
(the same values, or the same computation of the same values, as ``data[s:e]`` and
``indices[s:e]`` read ``indptr[i]`` twice) select the same elements, so they combine
elementwise and dot (``data[s:e] @ x[indices[s:e]]``). Everything a selection supports
works on them: reductions (along axes too), elementwise arithmetic, ``len()``, being
returned. An array indexed by a selection of integers (``x[cols]``) gathers at the
selected positions (the others read element 0, unchecked): a selection by the same mask.
``y[s:e] = v`` writes ``where(range mask, v, y)``.

The mask spans the whole array, so a reduction of a range costs O(n), not O(stop - start).
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from tracejit.errors import TracerConversionError, at, user_error
from tracejit.frontend import checks
from tracejit.frontend.core import Tracer, run_time_int
from tracejit.frontend.numpy.advanced import is_array_index
from tracejit.frontend.numpy.dynamic import integer_key, traced_slice
from tracejit.frontend.numpy.elementwise import where
from tracejit.frontend.numpy.range_selection import RangeSelection, lazy_gather, range_mask, slice_recipe
from tracejit.frontend.numpy.selection import Selection, data_dependent
from tracejit.frontend.numpy.shape import broadcast_to, reshape
from tracejit.frontend.numpy.writes import cast_assigned, write
from tracejit.frontend.operands import Operand, is_tracer

_INT64 = np.dtype(np.int64)


def dynamic_key(key: tuple) -> bool:
    """Whether an index key is one this module reads: a slice whose bounds are traced values
    read from data, first (the rest static: ints, slices, None, Ellipsis), or a selection alone. A traced Python-number
    argument as a bound is left to the caller (it becomes static: the slice's length is
    then known), and other keys with traced slices raise TracerConversionError as before
    (a loop over them may be generalized or unrolled: ``frontend/autograph``)."""
    if len(key) == 1 and isinstance(key[0], Selection):
        return True
    if not key or not traced_slice(key[0]) or any(traced_slice(k) or isinstance(k, Selection) or is_array_index(k)
                                                   and not integer_key((k,)) for k in key[1:]):  # (R[r:, c]: a view)
        return False
    first = key[0]
    if is_tracer(first.step) or first.step not in (None, 1):
        return False
    return not any(is_tracer(v) and v._origins for v in (first.start, first.stop))


def _bound(trace, v: object, default: object, n: object, loc: str | None) -> object:
    """A slice bound as an offset into ``[0, n]``-ish (negative bounds count from the end;
    the comparisons with the range clamp the rest). ``n`` is the length as the code reads it
    at run time (``core.run_time_int``: a new length compiles no new code)."""
    if v is None:
        return default
    if not is_tracer(v):
        try:
            i = int(v.__index__())
        except (AttributeError, TypeError):
            raise user_error(TypeError(f"slice indices must be integers or None or have an __index__ "
                                       f"method{at(loc)}")) from None
        return np.add(n, i) if i < 0 else i
    if v.ndim or v.dtype.kind not in "iub":
        raise user_error(TypeError(f"slice indices must be integers or None or have an __index__ method "
                                   f"(a traced {v.dtype} value of shape {v.shape}){at(loc)}"))
    t = Tracer(trace, trace.node_of(v)) if v.dtype == _INT64 else trace.apply("convert", [v], {"dtype": _INT64})
    return where(np.less(t, 0), np.add(t, n), t)


def _range(x: Tracer, k: slice, loc: str | None) -> tuple:
    """The normalized bounds of slice ``k`` (step 1) along ``x``'s first axis."""
    trace = x._trace
    n = run_time_int(trace, x.shape[0])
    start, stop = _bound(trace, k.start, 0, n, loc), _bound(trace, k.stop, n, n, loc)
    return start, stop


def _base(x: Tracer, key: tuple, for_write: bool, loc: str | None, getitem: Callable) -> Tracer:
    """``x`` indexed by the static rest of ``key`` (the traced slice first): what it slices."""
    if x.ndim == 0:
        raise user_error(IndexError(f"too many indices for array: array is 0-dimensional, but 1 were "
                                    f"indexed{at(loc)}"))
    return getitem(x, (slice(None),) + key[1:], for_write=for_write) if len(key) > 1 else x


def range_getitem(x: Tracer, key: tuple, loc: str | None, getitem: Callable) -> Selection:
    """``x[key]`` with a traced-bound slice first in ``key``, or ``x[selection]``."""
    if len(key) == 1 and isinstance(key[0], Selection):
        return gather_through(x, key[0], loc, getitem)
    base = _base(x, key, False, loc, getitem)
    bounds = _range(base, key[0], loc)
    trace = base._trace
    values = Tracer(trace, trace.node_of(base))  # (as they are now: later writes don't reach the selection)
    return RangeSelection(base.shape[0], bounds, slice_recipe(values), base.dtype, tuple(base.shape[1:]))


def range_setitem(x: Tracer, key: tuple, value: Operand, loc: str | None, getitem: Callable) -> None:
    """``x[key] = value`` with a traced-bound slice first in ``key``: a scalar, or a
    selection by the same range of an array of the sliced part's shape."""
    base = _base(x, key, True, loc, getitem)
    bounds = _range(base, key[0], loc)
    mask = range_mask(base._trace, base.shape[0], bounds)
    if isinstance(value, Selection):
        if value.bounds is None or not value.matches_bounds(bounds) or value.values.shape != base.shape:
            raise value.refuse("assigning a selection other than one by the same range into the range", loc)
        value = value.values
    elif np.ndim(value):
        raise data_dependent(f"assigning an array of shape {np.shape(value)} into a slice with traced bounds "
                             f"(assign a scalar, or a slice by the same bounds)", loc, TracerConversionError)
    if base.ndim > 1:
        mask = reshape(mask, mask.shape + (1,) * (base.ndim - 1))
    write(base, where(mask, cast_assigned(base._trace, value, base.dtype), base), loc)


def gather_through(x: Tracer, index: Selection, loc: str | None, getitem: Callable) -> Selection:
    """``x[index]`` for a selection of integers (``x[indices[s:e]]``): ``x`` gathered at
    the selected indices, selected by the same mask."""
    if isinstance(index, RangeSelection) and x.shape and x.shape[0]:
        return lazy_gather(x, index, loc, getitem)
    if index.dtype.kind not in "iu" or index.ndim != 1:
        raise index.refuse(f"indexing with a selection of {index.ndim} dims of {index.dtype} (a selection "
                             f"of integers of one dim gathers)", loc)
    if x.ndim == 0:
        raise user_error(IndexError(f"too many indices for array: array is 0-dimensional, but 1 were "
                                    f"indexed{at(loc)}"))
    trace = x._trace
    if x.shape[0] == 0:
        checks.record(np.any(index.mask), IndexError, f"index is out of bounds for axis 0 with size 0{at(loc)}")
        zeros = Tracer(trace, trace.constant(np.zeros((), x.dtype)))
        return index.like(broadcast_to(zeros, tuple(index.mask.shape) + tuple(x.shape[1:])))
    positions = where(index.mask, index.values, np.zeros((), index.dtype))
    return index.like(getitem(x, positions))


def scatter_through(x: Tracer, index: Selection, value: Operand, loc: str | None, setitem: Callable) -> None:
    """``x[index] = value`` for a 1-d selection of integers (``mask[np.array(idx)] = False``) and
    a scalar ``value``: the rows at the selected indices, marked in a mask of ``x``'s first axis."""
    if index.dtype.kind not in "iu" or index.ndim != 1 or np.ndim(value) or x.ndim == 0:
        raise index.refuse("assigning through a selection other than of integers of one dim, or an array", loc)
    trace, n = x._trace, x.shape[0]
    values = np.astype(index.values, np.int64)
    outside = np.logical_and(index.mask, np.logical_or(values < -n, values >= n))
    checks.record(np.any(outside), IndexError, f"index is out of bounds for axis 0 with size {n}{at(loc)}")
    rows = where(np.logical_and(index.mask, np.logical_not(outside)), where(values < 0, values + n, values), n)
    hit = Tracer(trace, trace.constant(np.zeros(n + 1, bool)))
    setitem(hit, rows, True)
    setitem(x, broadcast_to(reshape(hit[:n], (n,) + (1,) * (x.ndim - 1)), tuple(x.shape)), value)
