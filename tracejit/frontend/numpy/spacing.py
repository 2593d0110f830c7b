"""``np.linspace``, ``np.logspace`` and ``np.geomspace`` with traced endpoints (a static
``num``), written step for step as NumPy's ``numpy/_core/function_base.py``: the same
dtype rules and the same arithmetic (``start + arange(num) * step``, the last point
set to ``stop`` when ``endpoint``), so ``linspace`` matches NumPy bit for bit.

NumPy's branches on the data become selections: where the step underflows to zero
(``linspace`` of denormal spans) both formulas are computed and ``where`` picks;
``geomspace``'s "cannot include zero" is a run-time check (``frontend/checks.py``).
``logspace``/``geomspace`` raise to powers with tracejit's ``power``, which agrees with
NumPy's to an ulp or so, not bit for bit.
"""
from __future__ import annotations

import math
import operator

import numpy as np
from numpy.typing import DTypeLike

from tracejit.errors import at, user_error
from tracejit.frontend import checks
from tracejit.frontend.context import user_location
from tracejit.frontend.dispatch import implements
from tracejit.frontend.numpy.axes import axis_index
from tracejit.frontend.numpy.elementwise import where
from tracejit.frontend.numpy.shape import expand_dims, moveaxis
from tracejit.frontend.operands import Operand, is_tracer, weak_type

_PY_SCALARS = (int, float, complex)


def _for_result_type(x: object) -> object:
    """What NumPy's ``_array_converter`` gives ``result_type``: Python numbers stay weak."""
    if is_tracer(x):
        weak = weak_type(x)
        return weak(0) if weak is not None else x.dtype
    return x if type(x) in _PY_SCALARS else np.asarray(x)


def _last_is(y: Operand, value: object, num: int) -> Operand:
    """``y`` with ``y[-1, ...] = value`` (cast to ``y``'s dtype), as a selection."""
    last = (np.arange(num) == num - 1).reshape((num,) + (1,) * (y.ndim - 1))
    value = value.astype(y.dtype) if is_tracer(value) else np.asarray(value).astype(y.dtype)
    return where(last, value, y)


@implements(np.linspace)
def linspace(start: Operand, stop: Operand, num: int = 50, endpoint: bool = True, retstep: bool = False,
             dtype: DTypeLike = None, axis: int = 0, *, device: object = None) -> object:
    """``numpy.linspace`` with traced ``start``/``stop``: ``start + arange(num) * step``."""
    loc = user_location()
    num = operator.index(num)
    if num < 0:
        raise user_error(ValueError(f"Number of samples, {num}, must be non-negative.{at(loc)}"))
    div = (num - 1) if endpoint else num
    dt = np.result_type(_for_result_type(start), _for_result_type(stop), 0.0)
    integer_dtype = dtype is not None and np.issubdtype(dtype, np.integer)
    dtype = dt if dtype is None else np.dtype(dtype)
    delta = np.subtract(stop, start, dtype=dt)
    y = np.arange(0, num, dtype=dt).reshape((-1,) + (1,) * np.ndim(delta))
    if div > 0:
        step = delta / div
        scaled = y * step
        if is_tracer(step):
            scaled = where(np.any(step == 0), (y / div) * delta, scaled)
        elif np.any(step == 0):
            scaled = (y / div) * delta
        y = scaled
    else:
        step = math.nan
        y = y * delta
    y = y + start
    y = y if y.dtype == dt else y.astype(dt)  # (NumPy adds in place)
    if endpoint and num > 1:
        y = _last_is(y, stop, num)
    if axis != 0:
        y = moveaxis(y, 0, axis_index(axis, y.ndim))
    if integer_dtype:
        y = np.floor(y)
    y = y.astype(dtype) if y.dtype != dtype else y
    return (y, step) if retstep else y


def _at_least(x: object, ndmin: int) -> object:
    """``np.array(x, ndmin=ndmin)``."""
    if not is_tracer(x):
        return np.array(x, ndmin=ndmin)
    return x.reshape((1,) * (ndmin - x.ndim) + tuple(x.shape)) if x.ndim < ndmin else x


@implements(np.logspace)
def logspace(start: Operand, stop: Operand, num: int = 50, endpoint: bool = True, base: Operand = 10.0,
             dtype: DTypeLike = None, axis: int = 0) -> Operand:
    """``numpy.logspace``: ``base ** linspace(start, stop)``."""
    ndmax = len(np.broadcast_shapes(np.shape(start), np.shape(stop), np.shape(base)))
    start, stop, base = (_at_least(a, ndmax) for a in (start, stop, base))
    y = linspace(start, stop, num=num, endpoint=endpoint, axis=axis)
    base = expand_dims(base, axis) if is_tracer(base) else np.expand_dims(base, axis)
    out = np.power(base, y)
    return out if dtype is None else out.astype(dtype)


@implements(np.geomspace)
def geomspace(start: Operand, stop: Operand, num: int = 50, endpoint: bool = True, dtype: DTypeLike = None,
              axis: int = 0) -> Operand:
    """``numpy.geomspace``: ``logspace`` of the ends' logarithms, with the ends exact and their sign."""
    loc = user_location()
    start = start if is_tracer(start) else np.asarray(start)
    stop = stop if is_tracer(stop) else np.asarray(stop)
    zero = np.logical_or(np.any(start == 0), np.any(stop == 0))
    if is_tracer(zero):
        checks.record(zero, ValueError, f"Geometric sequence cannot include zero{at(loc)}")
    elif zero:
        raise user_error(ValueError(f"Geometric sequence cannot include zero{at(loc)}"))
    dt = np.result_type(start.dtype, stop.dtype, float(num), np.zeros((), dtype))
    dtype = dt if dtype is None else np.dtype(dtype)
    start, stop = start.astype(dt), stop.astype(dt)
    out_sign = np.sign(start)
    start = start / out_sign
    stop = stop / out_sign
    result = logspace(np.log10(start), np.log10(stop), num=num, endpoint=endpoint, base=10.0, dtype=dt)
    if num > 0:
        first = (np.arange(num) == 0).reshape((num,) + (1,) * (result.ndim - 1))
        result = where(first, start.astype(dt), result)
        if num > 1 and endpoint:
            result = _last_is(result, stop, num)
    result = result * out_sign
    if axis != 0:
        result = moveaxis(result, 0, axis_index(axis, result.ndim))
    return result.astype(dtype) if result.dtype != dtype else result
