"""Every ``ufunc.accumulate`` with a running op (``np.maximum.accumulate``,
``np.bitwise_xor.accumulate``...), ``out=`` for ``cumsum``/``cumprod``/``accumulate``,
and the bitwise ``ufunc.reduce``s (``np.bitwise_xor.reduce``...), on traced arrays.

Each accumulate is one scan op of ``compiler/ops/scan_sort.py`` (``cummax``, ``cummin``,
``cumand``, ``cumor``, ``cumxor``; ``add``/``multiply`` are ``cumsum``/``cumprod``),
computed strictly in order along the axis, as NumPy's loop does. NumPy's own type
resolution, asked on an empty array of the operand's dtype, gives the result dtype (and
its TypeError for a dtype the ufunc has no loop for); the operand is converted to it
first, so ``np.logical_and.accumulate`` of floats scans booleans (nonzero, NaN true) with
``and``. ``out=``: the result is computed as without it and written into ``out`` with
NumPy's unsafe output cast (``np.cumsum(floats, out=ints)`` truncates each running sum).
"""
from __future__ import annotations

import operator

import numpy as np
from numpy.typing import DTypeLike

from tracejit.compiler.dtypes import check_supported
from tracejit.errors import UnsupportedError, at, user_error, with_location
from tracejit.frontend.context import user_location
from tracejit.frontend.numpy import reductions
from tracejit.frontend.numpy.scans_and_sorts import accumulate as sum_or_product_accumulate
from tracejit.frontend.numpy.scans_and_sorts import write_out
from tracejit.frontend.operands import Operand

SCAN_OF = {np.maximum: "cummax", np.minimum: "cummin", np.logical_and: "cumand", np.logical_or: "cumor",
           np.logical_xor: "cumxor", np.bitwise_and: "cumand", np.bitwise_or: "cumor", np.bitwise_xor: "cumxor"}
REDUCE_OF = {np.bitwise_and: "bitand", np.bitwise_or: "bitor", np.bitwise_xor: "bitxor"}
_NoValue = np._NoValue


def _resolved(ufunc: np.ufunc, method: str, dtype: np.dtype, given: DTypeLike, loc: str | None) -> np.dtype:
    """The result dtype NumPy gives ``ufunc.<method>`` of ``dtype`` (with ``dtype=given``)."""
    try:
        result = getattr(ufunc, method)(np.zeros((0,), dtype), **({} if given is None else {"dtype": given}))
    except (TypeError, ValueError) as e:
        raise with_location(e, loc) from e
    check_supported(result.dtype, f"numpy.{ufunc.__name__}.{method} dtype{at(loc)}")
    return result.dtype


def _convert(x: Operand, dtype: np.dtype) -> Operand:
    return x if x.dtype == dtype else x._trace.apply("convert", [x], {"dtype": dtype})


def _axis(axis: object, ndim: int) -> int:
    axis = operator.index(axis)
    if not -ndim <= axis < ndim:
        raise user_error(np.exceptions.AxisError(axis, ndim))
    return axis % ndim


def ufunc_accumulate(ufunc: np.ufunc, a: Operand, axis: int | tuple[int, ...] | None = 0,
                     dtype: DTypeLike = None, out: object = None, **kwargs: object) -> object:
    """``ufunc.accumulate`` of a traced array (``add``/``multiply`` and the ufuncs of ``SCAN_OF``)."""
    loc = user_location()
    if kwargs:
        raise UnsupportedError(f"numpy.{ufunc.__name__}.accumulate: keywords {sorted(kwargs)} are not "
                               f"supported{at(loc)}")
    if ufunc in (np.add, np.multiply):
        return sum_or_product_accumulate(ufunc, a, axis, dtype, out)
    if a.ndim == 0:
        raise user_error(TypeError(f"cannot accumulate on a scalar{at(loc)}"))
    if axis is None and a.ndim > 1 or isinstance(axis, tuple):
        raise user_error(ValueError(f"accumulate does not allow multiple axes{at(loc)}"))
    acc = _resolved(ufunc, "accumulate", a.dtype, dtype, loc)
    axis = 0 if axis is None else _axis(axis, a.ndim)
    result = a._trace.apply(SCAN_OF[ufunc], [_convert(a, acc)], {"axis": axis})
    return result if out is None else write_out(out, result, f"{ufunc.__name__}.accumulate", loc)


def bitwise_reduce(ufunc: np.ufunc, a: Operand, axis: int | tuple[int, ...] | None = 0, dtype: DTypeLike = None,
                   out: object = None, keepdims: bool = False, initial: object = _NoValue,
                   where: object = True) -> object:
    """``np.bitwise_and/or/xor.reduce`` of a traced array (integers and bools), over any axes."""
    loc = user_location()
    name = f"{ufunc.__name__}.reduce"
    if initial is not _NoValue or where is not True:
        raise UnsupportedError(f"numpy.{name}: initial= and where= are not supported{at(loc)}")
    acc = _resolved(ufunc, "reduce", a.dtype, dtype, loc)
    result = reductions.reduce(REDUCE_OF[ufunc], _convert(a, acc), axis, keepdims, loc)
    if out is not None:
        return write_out(out, result, name, loc)
    return result
