"""Elementwise NumPy functions that are not one ufunc: ``np.where`` (a Python int beyond the
result dtype wraps as NumPy casts it), ``np.clip`` and ``np.round`` with NumPy's own promotion
rules (the ``clip`` ufunc's, ``round``'s float16 for bools). The ufuncs: ``ufuncs.py``."""
from __future__ import annotations

import operator

import numpy as np

from tracejit.errors import UnsupportedError, at, user_error, with_location
from tracejit.frontend.context import user_location
from tracejit.frontend.dispatch import HANDLERS, implements
from tracejit.frontend.numpy.shape import astype, copy
from tracejit.frontend.operands import Operand, as_operand, dtype_or_weak, find_trace, is_tracer, promotion_operand


@implements(np.where)
def where(condition: Operand, x: Operand = None, y: Operand = None) -> Operand:
    """``numpy.where`` of traced arrays, with NumPy's argument rules."""
    loc = user_location()
    if x is None and y is None:  # np.nonzero: a selection of data-dependent size
        nonzero = HANDLERS[np.nonzero]  # (frontend/numpy/selection.py)
        return nonzero(np.asarray(condition) if isinstance(condition, list) else condition)
    if x is None or y is None:
        raise user_error(ValueError(f"either both or neither of x and y should be given{at(loc)}"))
    trace = find_trace([condition, x, y])
    dtype = np.result_type(*(promotion_operand(v, loc) for v in (x, y)))
    cond = as_operand(trace, condition, np.dtype(bool))
    if cond.dtype != np.bool_:
        cond = astype(cond, np.bool_) if is_tracer(cond) else np.asarray(cond).astype(bool)
    return trace.apply("where", [cond, _where_operand(trace, x, dtype, loc), _where_operand(trace, y, dtype, loc)])


def _where_operand(trace, x, dtype: np.dtype, loc):
    """A value of ``np.where``: a Python int beyond an integer result dtype is cast as
    NumPy casts it there (wrapping: ``np.where(c, uint16_array, 2**32)`` selects 0)."""
    if type(x) is int and dtype.kind in "iu" and not np.iinfo(dtype).min <= x <= np.iinfo(dtype).max:
        try:
            with np.errstate(all="ignore"):
                return np.asarray(x).astype(dtype)
        except (OverflowError, TypeError) as e:
            raise with_location(OverflowError(str(e)), loc) from e
    return as_operand(trace, x, dtype)


@implements(np.clip)
def clip(a: Operand, a_min: Operand = np._NoValue, a_max: Operand = np._NoValue, out: object = None, *,
         min: Operand = np._NoValue, max: Operand = np._NoValue,
         **kwargs: object) -> Operand:
    """NumPy's clip: Python int bounds beyond an integer dtype clip nothing; one bound is
    ``minimum``/``maximum``; two bounds take the ``clip`` ufunc's dtype (its own promotion:
    an int8 array clipped to 0.5 is float64, to a float32 bound float32)."""
    loc = user_location()
    if out is not None or kwargs:
        raise UnsupportedError(f"numpy.clip: out= and ufunc keywords are not supported{at(loc)}")
    lo = None if a_min is np._NoValue else a_min
    hi = None if a_max is np._NoValue else a_max
    lo = lo if min is np._NoValue else min
    hi = hi if max is np._NoValue else max
    if a.dtype.kind in "iu":  # Python int bounds beyond the dtype clip nothing (as NumPy)
        info = np.iinfo(a.dtype)
        lo = None if type(lo) is int and lo <= info.min else lo
        hi = None if type(hi) is int and hi >= info.max else hi
    if lo is None and hi is None:
        return np.positive(a)
    if lo is None or hi is None:
        return np.minimum(a, hi) if lo is None else np.maximum(a, lo)
    kinds = tuple(dtype_or_weak(v, loc) for v in (a, lo, hi))
    try:
        dtype = np._core.umath.clip.resolve_dtypes(kinds + (None,))[-1]
    except TypeError as e:
        raise with_location(e, loc) from e
    trace = find_trace([a, lo, hi])
    a, lo, hi = (_as_dtype(trace, v, dtype) for v in (a, lo, hi))
    return np.minimum(np.maximum(a, lo), hi)


def _as_dtype(trace, x, dtype: np.dtype):
    """An operand of a ufunc loop of ``dtype``: converted as the loop converts it."""
    x = as_operand(trace, x, dtype)
    if x.dtype == dtype:
        return x
    return astype(x, dtype) if is_tracer(x) else np.asarray(x).astype(dtype)


@implements(np.round, np.around)
def round_(a: Operand, decimals: int = 0, out: object = None) -> Operand:
    """``numpy.round``, ``numpy.around`` of traced arrays, with NumPy's argument rules."""
    loc = user_location()
    if out is not None:
        raise UnsupportedError(f"numpy.round: out= is not supported{at(loc)}")
    decimals = operator.index(decimals)
    if a.dtype.kind == "b":  # NumPy rounds bools by rint's float16 loop; other decimals fail
        if decimals == 0:
            return np.rint(a)
        raise user_error(TypeError(f"numpy.round of bool to {decimals} decimals: Cannot cast ufunc 'multiply' "
                                   f"output from dtype('float64') to dtype('bool'){at(loc)}"))
    if a.dtype.kind != "f":
        if decimals >= 0:
            out = copy(a)
            out._scalar = not out.shape  # NumPy's round of a 0-d array is a scalar, as a ufunc's
            return out
        raise UnsupportedError(f"numpy.round of integers to negative decimals{at(loc)}")
    if decimals == 0:
        return np.rint(a)
    scale = 10.0 ** decimals
    return np.rint(a * scale) / scale if decimals > 0 else np.rint(a / (10.0 ** -decimals)) * (
        10.0 ** -decimals)
