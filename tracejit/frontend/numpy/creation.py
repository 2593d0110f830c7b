"""Arrays made by NumPy functions of traced arguments: ``np.zeros_like`` & co. and
``np.full_like`` (in the prototype's memory order), and :func:`filled`, the array of one
value every creation builds on (``np.zeros`` while tracing: ``frontend/allocation.py``)."""
from __future__ import annotations

import numpy as np
from numpy.typing import DTypeLike

from tracejit.compiler.dtypes import check_supported
from tracejit.errors import at, user_error
from tracejit.frontend.arraylike import complex_support
from tracejit.frontend.context import user_location
from tracejit.frontend.core import Trace, Tracer
from tracejit.frontend.dispatch import implements
from tracejit.frontend.memorder import numpy_layout, order_k, set_layout
from tracejit.frontend.numpy.axes import shape_arg
from tracejit.frontend.numpy.shape import astype
from tracejit.frontend.operands import Operand, as_operand, find_trace, is_tracer


def filled(trace: Trace, shape: object, dtype: DTypeLike, value: Operand) -> object:
    """A traced array of ``shape`` with every element ``value``: a broadcast scalar constant."""
    if np.dtype(dtype).kind == "c":
        return complex_support().filled(trace, shape, dtype, value)  # the complex frontend
    dtype = check_supported(dtype, "fill")
    cell = np.empty(np.shape(value), dtype)  # (a fill may be an array: np.full broadcasts it)
    try:  # (as np.full fills: a Python int the dtype cannot hold raises OverflowError)
        np.copyto(cell, value, casting="unsafe")
    except OverflowError as error:
        raise user_error(OverflowError(f"{error}{at(user_location())}")) from None
    scalar = trace.constant(cell)
    t = Tracer(trace, scalar)
    return t._trace.apply("broadcast_to", [t], {"shape": tuple(shape)}) if shape else t


def _like(fill):
    def handler(a, dtype=None, order="K", subok=True, shape=None, *, device=None):
        shape = a.shape if shape is None else shape_arg(shape)
        return _laid_out_like(filled(a._trace, shape, dtype or a.dtype, fill), a, order)
    return handler


def _laid_out_like(out, prototype, order):
    """``np.*_like`` allocate in the prototype's memory order (order 'K', same shape)."""
    if is_tracer(out) and order in ("K", "A") and tuple(out.shape) == tuple(prototype.shape) and out.ndim:
        proto = numpy_layout(prototype)
        set_layout(out, None if proto is None else order_k(tuple(out.shape), [proto]))
    return out


implements(np.zeros_like, np.empty_like)(_like(0))
implements(np.ones_like)(_like(1))


@implements(np.full_like)
def full_like(a: Operand, fill_value: Operand, dtype: DTypeLike = None, order: str | None = "K", subok: bool = True,
              shape: object = None, *, device: object = None) -> Operand:
    """``numpy.full_like`` of traced arrays, with NumPy's argument rules."""
    trace = find_trace([a, fill_value])
    shape = a.shape if shape is None else shape_arg(shape)
    dtype = np.dtype(dtype or a.dtype)
    if is_tracer(fill_value):  # a traced Python scalar converts as NumPy converts it
        value = as_operand(trace, fill_value, dtype) if fill_value._weak else astype(fill_value, dtype)
        return _laid_out_like(trace.apply("broadcast_to", [value], {"shape": tuple(shape)}), a, order)
    return _laid_out_like(filled(trace, shape, dtype, fill_value), a, order)
