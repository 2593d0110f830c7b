"""Basic indexing of traced arrays: ints, slices (with steps), None and Ellipsis.

``x[key]`` becomes one ``slice`` view (ints are length-1 slices) followed, when dims
are dropped or inserted, by one ``reshape`` view. An element read (all ints) is a
scalar copy, as in NumPy. ``x[key] = v`` writes through the same view
(``frontend/numpy/writes.py``); a boolean mask of ``x``'s shape writes ``where(mask, v, x)``.
Integer arrays in the key gather (``frontend/numpy/advanced.py``); a boolean mask reads a
selection of data-dependent size (``frontend/numpy/selection.py``).
"""
from __future__ import annotations

import math
import operator

import numpy as np

from tracejit.errors import UnsupportedError, at, user_error
from tracejit.frontend import checks
from tracejit.frontend.context import user_location
from tracejit.frontend.dispatch import implements
from tracejit.frontend.memorder import set_layout
from tracejit.frontend.numpy.advanced import gather_getitem, holds_tracer, is_array_index, scatter_setitem
from tracejit.frontend.numpy.axes import normalize_axes
from tracejit.frontend.numpy.dynamic import dynamic_getitem, dynamic_setitem, integer_key, integer_view, traced_slice
from tracejit.frontend.numpy.elementwise import where
from tracejit.frontend.numpy.keys import expand_key
from tracejit.frontend.numpy.ranges import dynamic_key, range_getitem, range_setitem, scatter_through
from tracejit.frontend.numpy.selection import Selection, assign_selection, select
from tracejit.frontend.numpy.shape import copy, make_view, ravel
from tracejit.frontend.numpy.writes import cast_assigned, check_scalar_store, write
from tracejit.frontend.operands import Operand, is_tracer


def _is_mask(k) -> bool:
    return (is_tracer(k) or isinstance(k, np.ndarray)) and k.dtype == np.bool_


def _basic_index(k) -> bool:
    """An int, slice, None or Ellipsis, or a traced integer scalar (not a mask or an index array)."""
    if isinstance(k, (bool, np.bool_)):
        return False
    if is_tracer(k):
        return k.ndim == 0 and k.dtype.kind in "iu"
    return k is None or k is Ellipsis or isinstance(k, (int, np.integer, slice))


def _list_index(k: list) -> np.ndarray:
    """A constant list index as NumPy converts it (an empty list indexes with intp)."""
    a = np.asarray(k)
    return a.astype(np.intp) if a.size == 0 else a


def _is_scalar_bool(k) -> bool:
    """A 0-d boolean index: ``True``, ``np.False_``, a 0-d bool array, traced or not."""
    return isinstance(k, (bool, np.bool_)) or (_is_mask(k) and k.ndim == 0)


def _scalar_bools_only(key: tuple) -> bool:
    """Whether the key's only array-like indices are 0-d booleans (and there is one)."""
    return any(map(_is_scalar_bool, key)) and all(_is_scalar_bool(k) or not is_array_index(k) for k in key)


def _scalar_bool_view(x, key: tuple, loc):
    """NumPy's 0-d boolean indices: together (with the key's integers, then advanced too)
    one new axis of length 1 (all true) or 0, where the group stands when its indices are
    adjacent, else first. Returns the view with that axis, the axis, and the traced
    booleans (the length depends on them)."""
    basic = [k for k in key if not _is_scalar_bool(k)]
    group = [i for i, k in enumerate(key) if not (k is None or k is Ellipsis or isinstance(k, slice))]
    adjacent = group == list(range(group[0], group[-1] + 1))
    if adjacent:
        before = [k for k in key[:group[0]]]
        ints = [key[i] for i in group if not _is_scalar_bool(key[i])]
        basic = before + ints + [None] + list(key[group[-1] + 1:])
        used = sum(k is not None and k is not Ellipsis for k in basic)
        axis = sum(x.ndim - used if k is Ellipsis else int(k is None or isinstance(k, slice)) for k in before)
    else:
        basic, axis = [None] + basic, 0
    view = getitem(x, tuple(basic), for_write=True)
    if not all(bool(k) for k in key if _is_scalar_bool(k) and not is_tracer(k)):
        view = getitem(view, (slice(None),) * axis + (slice(0, 0),), for_write=True)
    return view, axis, [k for k in key if _is_scalar_bool(k) and is_tracer(k)]


def _all_of(masks: list):
    out = masks[0]
    for m in masks[1:]:
        out = out & m
    return out


def _scalar_bool_getitem(x, key: tuple, loc):
    """``x[key]`` with 0-d boolean indices: a copy (advanced indexing); traced ones select
    a data-dependent length (``frontend/numpy/selection.py``)."""
    view, axis, traced = _scalar_bool_view(x, key, loc)
    if not traced or view.shape[axis] == 0:
        return copy(view)
    if axis != 0:
        raise UnsupportedError(f"a traced 0-d boolean index after other indices (its axis is not the "
                               f"first of the result){at(loc)}")
    return select(copy(getitem(view, (0,), for_write=True)), _all_of(traced), loc)


def _advanced(x, key: tuple, for_write: bool, loc):
    """``x[key]`` with arrays in the key: a boolean selection or a gather."""
    key = tuple(_list_index(k) if isinstance(k, list) and not holds_tracer(k) else k for k in key)
    if _scalar_bools_only(key) and not for_write:
        return _scalar_bool_getitem(x, key, loc)
    if any(_is_mask(k) or isinstance(k, (bool, np.bool_)) for k in key):
        if len(key) == 1 and isinstance(key[0], (bool, np.bool_)) and not for_write:
            # x[True]: a copy of x[None]; x[False]: empty
            row = getitem(x, (None,))
            return copy(row if key[0] else getitem(row, slice(0, 0)))
        if len(key) == 1 and _is_mask(key[0]) and not for_write:
            return select(x, key[0], loc)
        raise UnsupportedError(f"boolean indices are supported as a single mask (x[mask], of x's shape "
                               f"or a leading part of it), not with other indices{at(loc)}")
    if for_write:
        raise AssertionError("integer-array writes go through setitem's scatter")
    return gather_getitem(x, expand_key(key, x.ndim, loc), loc, getitem)


def getitem(x: Operand, key: Operand, for_write: bool = False) -> object:
    """``x[key]``; with ``for_write``, the view an assignment writes through (an element
    too, where a read would give a scalar copy)."""
    loc = user_location()
    key = key if isinstance(key, tuple) else (key,)
    if any(map(traced_slice, key)):  # a traced offset with a static length (frontend/numpy/dynamic.py)
        out = dynamic_getitem(x, expand_key(key, x.ndim, loc), loc, getitem)
        if out is not None:
            return out
    if integer_key(key):  # a traced int index: a view at a traced offset, as NumPy's (not a gather)
        expanded = expand_key(key, x.ndim, loc)
        element = not any(k is Ellipsis or k is None or isinstance(k, slice) for k in key + tuple(expanded))
        if not element and integer_view(x, expanded):  # (an element read is a scalar copy: the gather)
            return dynamic_getitem(x, expanded, loc, lambda y, rest: getitem(y, rest + (Ellipsis,)))  # (x[..., i]: 0-d)
    if dynamic_key(key) and not for_write:  # x[s:e] with bounds read from data, x[selection]
        return range_getitem(x, key, loc, getitem)
    if any(is_array_index(k) or isinstance(k, (bool, np.bool_)) for k in key):
        return _advanced(x, key, for_write, loc)
    starts, steps, lengths, final_shape = [], [], [], []
    dim = 0
    all_ints = Ellipsis not in key  # x[..., 0] of a 1-d x is a 0-d array, not a scalar
    for k in expand_key(key, x.ndim, loc):
        if k is None:
            final_shape.append(1)
            all_ints = False
            continue
        n = x.shape[dim]
        if isinstance(k, slice):
            start, stop, step = k.indices(n)
            length = len(range(start, stop, step))
            starts.append(start if length else 0)
            steps.append(step)
            lengths.append(length)
            final_shape.append(length)
            all_ints = False
        else:
            try:
                i = operator.index(k)
            except TypeError:
                raise user_error(IndexError(f"only integers, slices (`:`), ellipsis (`...`) and numpy.newaxis "
                                            f"(`None`) are valid indices, not {type(k).__name__}{at(loc)}")) from None
            if not -n <= i < n:
                raise user_error(IndexError(f"index {i} is out of bounds for axis {dim} with size {n}{at(loc)}"))
            starts.append(i % n)
            steps.append(1)
            lengths.append(1)
        dim += 1
    out = x
    if tuple(lengths) != x.shape or any(s != 0 for s in starts) or any(s != 1 for s in steps):
        out = make_view(out, "slice", {"starts": tuple(starts), "steps": tuple(steps),
                                       "shape": tuple(lengths)})
    if tuple(final_shape) != out.shape:
        out = make_view(out, "reshape", {"shape": tuple(final_shape)})
    if out is x:
        out = make_view(x, "reshape", {"shape": x.shape})  # x[...] is a new view object
    if all_ints and out.ndim == 0 and not for_write:
        out._scalar = True  # NumPy returns a copy of the element: later writes don't reach it
        out._storage, out._path = None, ()
    else:
        out._scalar = False
    return out


def setitem(x: Operand, key: Operand, value: Operand) -> None:
    """``x[key] = value`` as a functional update of ``x``'s storage."""
    loc = user_location()
    if x._scalar:
        raise user_error(TypeError(f"'numpy.{x.dtype.name}' object does not support item assignment{at(loc)}"))
    tkey = key if isinstance(key, tuple) else (key,)
    if all(_basic_index(k) for k in tkey):  # (an element or a slice: NumPy converts a scalar value)
        check_scalar_store(value, x.dtype, loc)
    if any(map(traced_slice, tkey)) and dynamic_setitem(x, expand_key(tkey, x.ndim, loc), value, loc, getitem):
        return
    if len(tkey) == 1 and isinstance(tkey[0], Selection):  # x[np.array(idx)] = v, idx appended under a condition
        scatter_through(x, tkey[0], value, loc, setitem)
        return
    if dynamic_key(tkey):  # x[s:e] = v with bounds read from data
        range_setitem(x, tkey, value, loc, getitem)
        return
    mask = key if not isinstance(key, tuple) else None
    if isinstance(value, Selection):
        assign_selection(x, mask, value, loc)
        return
    if mask is not None and (is_tracer(mask) or isinstance(mask, np.ndarray)) and mask.dtype == np.bool_:
        if tuple(mask.shape) != x.shape and mask.ndim:  # (a 0-d mask selects all of x, or nothing)
            raise UnsupportedError(f"assignment through a boolean mask of shape {tuple(mask.shape)} "
                                   f"into an array of shape {x.shape}: only a mask of the array's own "
                                   f"shape is supported{at(loc)}")
        if mask.ndim and getattr(value, "ndim", np.ndim(value)):
            value = _mask_values(x, mask, value, loc)
            if value is None:
                return  # nothing is selected
        write(x, where(mask, cast_assigned(x._trace, value, x.dtype), x), loc)
        return
    if _scalar_bools_only(tkey):  # x[True] = v, x[..., mask0d] = v: through the new axis
        view, _, traced = _scalar_bool_view(x, tkey, loc)
        write(view, where(_all_of(traced), value, view) if traced and view.size else value, loc)
        return
    if any(is_array_index(k) or isinstance(k, (bool, np.bool_)) for k in tkey):
        tkey = tuple(_list_index(k) if isinstance(k, list) and not holds_tracer(k) else k for k in tkey)
        if any(_is_mask(k) or isinstance(k, (bool, np.bool_)) for k in tkey):
            raise UnsupportedError(f"assignment through a boolean index other than a single mask of the "
                                   f"array's shape{at(loc)}")
        scatter_setitem(x, expand_key(tkey, x.ndim, loc), value, loc, getitem)
        return
    write(getitem(x, key, for_write=True), value, loc)


def _mask_values(x, mask, value, loc):
    """The array ``value`` of ``x[mask] = value`` (``mask`` of ``x``'s shape) spread over
    ``x``'s shape, or None when it writes nothing. NumPy stores a 1-d value's elements in
    order into the selected positions, so it needs one element (broadcast) or as many as
    the mask selects: ``x.size`` (checked after the call: the mask must select all) or 0
    (it must select none); another length depends on the data."""
    value = np.asarray(value) if isinstance(value, (list, tuple)) else value
    if value.ndim > 1:
        raise user_error(TypeError(f"NumPy boolean array indexing assignment requires a 0 or 1-dimensional input, "
                                   f"input has {value.ndim} dimensions{at(loc)}"))
    k = int(value.shape[0])
    if k == 1:
        return value.reshape(())
    if k in (0, math.prod(x.shape)):
        bad = np.any(mask) if k == 0 else np.logical_not(np.all(mask))
        message = (f"NumPy boolean array indexing assignment cannot assign {k} input values to "
                   f"{'more' if k == 0 else 'fewer'} output values where the mask is true{at(loc)}")
        if not is_tracer(bad):
            if bad:
                raise user_error(ValueError(message))
        else:
            checks.record(bad, ValueError, message)
        return None if k == 0 else value.reshape(x.shape)
    raise UnsupportedError(f"masked assignment of {k} values (as many as the mask selects: a number that depends "
                           f"on the data); assign a scalar, or x.size values through a mask selecting all{at(loc)}")


@implements(np.take)
def take(a: Operand, indices: Operand, axis: int | tuple[int, ...] | None = None, out: object = None,
         mode: str = "raise") -> Operand:
    """``np.take``: ``a`` flattened (axis None) or indexed along ``axis`` by ``indices``."""
    loc = user_location()
    if out is not None or mode != "raise":
        raise UnsupportedError(f"numpy.take: out= and mode= are not supported{at(loc)}")
    if axis is None:
        a, axis = ravel(a), 0
    else:
        (axis,) = normalize_axes(axis, a.ndim, loc)
    if isinstance(indices, (tuple, list)) and not any(map(is_tracer, indices)):
        indices = np.asarray(indices, np.intp if len(indices) == 0 else None)  # NumPy: asarray of a sequence
    if not is_array_index(indices):
        indices = np.asarray(operator.index(indices), np.intp)
    result = gather_getitem(a, [slice(None)] * axis + [indices] + [slice(None)] * (a.ndim - axis - 1), loc, getitem)
    set_layout(result, "C")  # np.take allocates in C order (a fancy index would not)
    return result
