"""Reductions of a boolean selection (``frontend/numpy/selection.py``), over all its
elements or along axes: ``X[labels == j].mean(axis=0)``, ``x[m].max(axis=(0, 2), keepdims=True)``.

A selection's first axis has the data-dependent length (its elements are the positions
where the mask holds); the others are its values' trailing dims. A reduction that
includes the first axis is a masked reduction of the full-shaped values (``where(mask,
values, identity)`` reduced over the mask's dims and the reduced trailing ones): its
result has a static shape, and no data-sized array is made. One that leaves the first
axis is the reduction of the values along the trailing axes, selected by the same mask
(a new selection). As in NumPy, the mean divides by the number of elements reduced (the
traced count times the reduced trailing dims: nan for an empty selection), and max/min
raise ValueError when an axis they reduce is empty: for the first axis, after the call
(``frontend/checks.py``), as that depends on the data.
"""
from __future__ import annotations

import math
import weakref
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import DTypeLike

from tracejit.errors import at, user_error
from tracejit.frontend import checks
from tracejit.frontend.numpy.axes import normalize_axes
from tracejit.frontend.numpy.shape import reshape

if TYPE_CHECKING:  # (type hints only: the selection module builds on this one)
    from tracejit.frontend.numpy.selection import Selection

_REDUCERS = {"sum": np.sum, "prod": np.prod, "any": np.any, "all": np.all, "max": np.max, "min": np.min}
_IDENTITY = {"sum": 0, "prod": 1, "any": 0, "all": 1}


class Axes:
    """The axes a reduction of a selection reduces: its own (``logical``), whether they
    include the first (data-sized) one, and the values' axes they are (``values``)."""

    def __init__(self, sel: Selection, axis: int | tuple[int, ...] | None, loc: str | None):
        self.logical = tuple(range(sel.ndim)) if axis is None else tuple(normalize_axes(axis, sel.ndim, loc))
        self.lead = 0 in self.logical
        k = len(sel.mask_shape)
        self.values = (tuple(range(k)) if self.lead else ()) + tuple(k + a - 1 for a in self.logical if a)
        self.trailing = math.prod(sel.trailing[a - 1] for a in self.logical if a)  # elements per selected one

    def finish(self, sel: Selection, result: object, keepdims: bool) -> object:
        """The result of a reduction over the values' axes (without keepdims) in the
        selection's own shape: ones where it reduced, with ``keepdims``."""
        if not keepdims:
            return result
        shape = (1,) + tuple(1 if a + 1 in self.logical else n for a, n in enumerate(sel.trailing))
        return reshape(result, shape)


def reduce_plain(sel: Selection, name: str, axis: int | tuple[int, ...] | None, keepdims: bool,
                 loc: str | None, **kwargs: object) -> object:
    """sum, prod, any, all, max or min of the selected elements over ``axis``."""
    axes = Axes(sel, axis, loc)
    reducer = _REDUCERS[name]
    if not axes.lead:
        return sel.like(reducer(sel.values, axis=axes.values, keepdims=keepdims, **kwargs))
    if name in _IDENTITY:
        identity = _IDENTITY[name]
    else:
        identity = extreme_identity(sel.values.dtype, name == "max")
        checks.record(np.equal(sel.length(), 0), ValueError,
                      f"zero-size array to reduction operation {'maximum' if name == 'max' else 'minimum'} "
                      f"which has no identity{at(loc)}")
    return axes.finish(sel, reducer(sel.filled(identity), axis=axes.values, **kwargs), keepdims)


def extreme_identity(dt: np.dtype, lowest: bool) -> object:
    """What max (``lowest``) or min fills the unselected elements with."""
    if dt.kind == "f":
        return -np.inf if lowest else np.inf
    if dt.kind == "b":
        return not lowest
    return np.iinfo(dt).min if lowest else np.iinfo(dt).max


def float_dtype(sel: Selection, dtype: DTypeLike) -> np.dtype:
    """The dtype NumPy's mean/var compute in: ``dtype``, else the values' float dtype or float64."""
    if dtype is not None:
        return np.dtype(dtype)
    return sel.values.dtype if sel.values.dtype.kind == "f" else np.dtype(np.float64)


def _count(sel: Selection, axes: Axes, dt: np.dtype) -> object:
    """How many elements a reduction over ``axes`` (including the first) reduces, as ``dt``."""
    return np.multiply(sel.length(), axes.trailing).astype(dt)


def mean(sel: Selection, axis: int | tuple[int, ...] | None, dtype: DTypeLike, keepdims: bool,
         loc: str | None) -> object:
    """NumPy's mean of the selected elements over ``axis``: the sum over the count."""
    axes = Axes(sel, axis, loc)
    if not axes.lead:
        return sel.like(np.mean(sel.values, axis=axes.values, dtype=dtype, keepdims=keepdims))
    dt = float_dtype(sel, dtype)
    total = np.sum(sel.filled(0), axis=axes.values, dtype=dt)
    return axes.finish(sel, np.true_divide(total, _count(sel, axes, dt)).astype(dt), keepdims)


def var(sel: Selection, axis: int | tuple[int, ...] | None, dtype: DTypeLike, ddof: int, keepdims: bool,
        loc: str | None) -> object:
    """NumPy's var of the selected elements over ``axis``: the mean of squared deviations
    from the mean, over ``count - ddof``."""
    axes = Axes(sel, axis, loc)
    if not axes.lead:
        return sel.like(np.var(sel.values, axis=axes.values, dtype=dtype, ddof=ddof, keepdims=keepdims))
    dt = float_dtype(sel, dtype)
    count = _count(sel, axes, dt)
    centre = np.true_divide(np.sum(sel.filled(0), axis=axes.values, dtype=dt, keepdims=True), count).astype(dt)
    deviation = np.subtract(sel.values, centre, dtype=dt)
    squares = sel.like(np.multiply(deviation, deviation))
    total = np.sum(squares.filled(0), axis=axes.values, dtype=dt)
    return axes.finish(sel, np.true_divide(total, np.subtract(count, ddof).astype(dt)).astype(dt), keepdims)


def median(sel: Selection, loc: str | None) -> object:
    """NumPy's median of all the selected elements (``np.median(x[lo:hi])`` in a running median
    filter): the values sorted with +inf where the mask does not select, the middle one or two
    picked at the traced count (nan for an empty selection or one holding a nan)."""
    dt = float_dtype(sel, None)
    values = np.astype(sel.values, dt) if sel.values.dtype != dt else sel.values
    mask = reshape(sel.mask, tuple(sel.mask.shape) + (1,) * len(sel.trailing))
    mask = np.broadcast_to(mask, tuple(values.shape)).reshape(-1)
    values = values.reshape(-1)
    ordered = np.sort(np.where(mask, values, np.inf))
    count = np.sum(mask)
    lo, hi = np.maximum((count - 1) // 2, 0), np.maximum(count // 2, 0)
    a, b = ordered[lo], ordered[hi]
    middle = np.where(lo == hi, a, np.true_divide(np.add(a, b), 2).astype(dt))
    undefined = np.logical_or(count == 0, np.any(np.logical_and(mask, np.isnan(values))))
    return np.where(undefined, np.array(np.nan, dt), middle).astype(dt)


def dot(a: Selection, b: Selection, loc: str | None) -> object:
    """``a @ b`` of a 1-d selection and a 1-d or 2-d one by the same mask: the sum over
    the selected elements of their products (``or`` of ``and`` for bools), in matmul's dtype."""
    if not a.matches(b):
        raise a.refuse("a product of selections by different masks or ranges", loc)
    if a.ndim != 1 or b.ndim not in (1, 2):
        raise a.refuse(f"a product of selections of {a.ndim} and {b.ndim} dims (supported: 1-d @ 1-d "
                       f"or 2-d)", loc)
    both_bool = a.dtype == np.bool_ and b.dtype == np.bool_
    if b.ndim == 1:  # elementwise (a range selection's own way), then reduced
        product = np.logical_and(a, b) if both_bool else np.multiply(a, b)
    else:
        left = reshape(a.values, a.values.shape + (1,))
        product = a.like(np.logical_and(left, b.values) if both_bool else np.multiply(left, b.values))
    return product.any(axis=0) if both_bool else product.sum(axis=0, dtype=product.dtype)


def arg_extreme(sel: Selection, name: str, axis: int | None, keepdims: bool, loc: str | None) -> object:
    """argmax/argmin of the selected elements: the index in the selection NumPy would give.
    The first selected position holding the extreme (the first nan, as NumPy) is found in
    the full-shaped values; its index in the selection counts the selected positions before it."""
    if axis is not None:
        (axis,) = normalize_axes(axis, sel.ndim, loc)
        if axis:  # along a trailing axis: a selection by the same mask
            return sel.like(getattr(np, name)(sel.values, axis=len(sel.mask_shape) + axis - 1, keepdims=keepdims))
    checks.record(np.equal(sel.length(), 0), ValueError, f"attempt to get {name} of an empty sequence{at(loc)}")
    rows = math.prod(sel.mask_shape)
    per_row = math.prod(sel.trailing)
    if axis is None and not sel.trailing and sel.bounds is not None and type(sel.bounds[0]) is int \
            and sel.bounds[0] == 0:  # a prefix (np.unique's results): its index is its position; one pass
        filled = sel.filled(extreme_identity(sel.values.dtype, name == "argmax"))
        first = getattr(np, name)(filled)  # (the unselected never win: a NaN, first, or the first extreme)
        result = reshape(first, (1,)) if keepdims else first
        if not keepdims:
            _ARG_POSITIONS[id(result)] = (weakref.ref(result), sel.mask, first)
            weakref.finalize(result, _ARG_POSITIONS.pop, id(result), None)
        return result
    values = reshape(sel.values, (rows,) + sel.trailing)
    mask = reshape(sel.mask, (rows,) + (1,) * len(sel.trailing))
    extreme = reduce_plain(sel, "max" if name == "argmax" else "min", 0, True, loc)
    extreme = reshape(extreme, (1,) + sel.trailing) if axis is not None else np.max(extreme) if name == "argmax" \
        else np.min(extreme)
    hit = np.equal(values, extreme)
    if values.dtype.kind == "f":  # a nan is the extreme, as NumPy's argmax/argmin see it
        hit = np.where(np.isnan(extreme), np.isnan(values), hit)
    hit = np.logical_and(hit, mask)
    line = np.arange(rows).reshape((rows,) + (1,) * len(sel.trailing))
    if axis is not None:
        first = np.argmax(hit, axis=0)  # (the first True)
        result = np.sum(np.logical_and(mask, np.less(line, first)), axis=0)
        return reshape(result, (1,) + sel.trailing) if keepdims else result
    first = np.argmax(reshape(hit, (rows * per_row,)))
    row, within = np.floor_divide(first, per_row), np.remainder(first, per_row)
    before = np.sum(np.logical_and(mask, np.less(line, row)))
    result = np.add(np.multiply(before, per_row), within)
    if keepdims:
        return reshape(result, (1,) * sel.ndim)
    if per_row == 1:  # sel[sel.argmax()]-like indexing reads at ``first`` directly (element)
        _ARG_POSITIONS[id(result)] = (weakref.ref(result), sel.mask, first)
        weakref.finalize(result, _ARG_POSITIONS.pop, id(result), None)
    return result


# argmax/argmin results of a selection, by id: (the result, the selection's mask, the
# selected position it names), so ``values[counts.argmax()]`` skips the running count
_ARG_POSITIONS: dict[int, tuple] = {}


def element(sel: Selection, k: object, loc: str | None) -> object:
    """``sel[k]`` for an integer ``k`` (a Python int or a traced integer scalar): the k-th
    selected element (row), negative ``k`` counting from the end; out of range, IndexError
    after the call. Found as the selected position whose running count of selected
    positions is ``k + 1``, then read from the full-shaped values (no data-sized array)."""
    rows = math.prod(sel.mask_shape)
    if rows == 0:
        raise user_error(IndexError(f"index {k} is out of bounds for axis 0 with size 0{at(loc)}"))
    values = reshape(sel.values, (rows,) + sel.trailing)
    known = _ARG_POSITIONS.get(id(k))
    if known is not None and known[0]() is k and known[1] is sel.mask and known[2]._home is k._home:
        return values[known[2]]  # k is an argmax/argmin of a selection by this mask: in range
    mask = reshape(sel.mask, (rows,))
    count = sel.length()
    k = np.asarray(k, dtype=np.intp) if isinstance(k, (int, np.integer)) else k.astype(np.intp)
    k = np.where(np.less(k, 0), np.add(k, count), k)
    checks.record(np.logical_or(np.less(k, 0), np.greater_equal(k, count)), IndexError,
                  f"an index is out of bounds for axis 0 of a boolean selection (its size depends on the data)"
                  f"{at(loc)}")
    rank = np.subtract(np.cumsum(mask, dtype=np.intp), 1)
    position = np.argmax(np.logical_and(mask, np.equal(rank, k)))
    return values[position]
