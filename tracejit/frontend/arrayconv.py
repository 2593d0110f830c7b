"""``np.array``, ``np.asarray``, ``np.asanyarray`` and ``np.ascontiguousarray`` of traced
values, and of (nested) lists and tuples holding them, as NumPy converts them.

NumPy's conversions are not overridable (no ``__array_function__``): the converted
code's ``numpy`` routes them here when the object holds a traced value
(``frontend/sites.py``). The rules are NumPy's: ``asarray`` returns a traced array itself
when no conversion is needed (the same object, so writes go through), ``array`` copies
unless ``copy=False``/``None`` allow otherwise, a NumPy scalar or Python number becomes a
new 0-d array, and a list is stacked in the dtype NumPy's discovery gives (Python numbers
count as int64/float64/bool/complex128 there, not weakly: ``np.array([x_f32, 2.0])`` is
float64). ``order='C'`` (and ``ascontiguousarray``), ``order='F'`` (and ``asfortranarray``)
copy only where NumPy's memory order of the array (``frontend/memorder.py``) is not dense
in that order; a copy in Fortran order is recorded so (a later ``reshape`` of it is a copy,
as NumPy's), and ``np.array(x, order='A')`` copies in Fortran order where ``x`` is F- and
not C-contiguous.
"""
from __future__ import annotations

import numpy as np
from numpy.typing import DTypeLike

from tracejit.errors import UnsupportedError, at, user_error
from tracejit.frontend.arraylike import is_complex_value, is_traced
from tracejit.frontend.autograph.stacked import Rows
from tracejit.frontend.autograph.stacked import whole as stacked_whole
from tracejit.frontend.checks import record as record_check
from tracejit.frontend.context import user_location
from tracejit.frontend.memorder import fortran_order, numpy_layout, set_layout
from tracejit.frontend.operands import Operand

NAMES = ("array", "asarray", "asanyarray", "ascontiguousarray", "asfortranarray")


def holds_traced(obj: object) -> bool:
    """Whether ``obj`` is, or is a (nested) list or tuple holding, a traced value."""
    if is_traced(obj) or isinstance(obj, Rows):
        return True
    return isinstance(obj, (list, tuple)) and any(holds_traced(v) for v in obj)


def _is_scalar(t) -> bool:
    """A traced NumPy scalar or Python number (not an array)."""
    return bool(getattr(t, "_scalar", False)) or getattr(t, "_weak", None) is not None


def _gathered(obj, loc: str | None):
    """``obj`` as an array: a traced value, or a traced array stacked from a sequence."""
    if is_traced(obj):
        return np.copy(obj) if _is_scalar(obj) else obj
    if not holds_traced(obj):
        return np.asarray(obj)
    rows = stacked_whole(obj)
    if rows is not None:  # a list a rolled loop appended to: its rows are one array already
        return rows
    parts = [_gathered(v, loc) for v in obj]
    if len({tuple(np.shape(p)) for p in parts}) > 1:
        raise user_error(ValueError(
            f"setting an array element with a sequence. The requested array has an inhomogeneous "
            f"shape after 1 dimensions. The detected shape was ({len(parts)},) + inhomogeneous part.{at(loc)}"))
    dtype = np.result_type(*(p.dtype for p in parts))
    return np.stack([p if p.dtype == dtype else np.astype(p, dtype) for p in parts])


def _contiguous(t, order: str) -> bool | None:
    """Whether NumPy's memory order of traced ``t`` is dense in ``order`` ('C' or 'F'; None: unknown)."""
    if t.ndim == 0 or (t.ndim == 1 and getattr(t, "_storage", None) is None):
        return True  # a fresh array of at most one axis
    if is_complex_value(t):
        return None
    memory = numpy_layout(t)
    if memory is None:
        return None
    return (memory if order == "C" else memory.transpose(tuple(reversed(range(t.ndim))))).is_contiguous()


def _copy_in(r, order: str):
    """A new array of ``r``'s values, laid out in ``order`` ('C', 'F' or 'K') as NumPy's copy is."""
    out = np.copy(r, order="K" if order == "F" else order)
    if order == "F" and not is_complex_value(out):
        set_layout(out, fortran_order(tuple(out.shape)))
    return out


def _in_order(r, order: str, loc: str | None):
    """``r`` itself where NumPy's layout of it is dense in ``order``, else a copy in that order;
    where that layout is unknown, a view NumPy might have copied (writes through it are refused)."""
    contiguous = _contiguous(r, order)
    if contiguous:
        return r, False
    if contiguous is False or is_complex_value(r):
        return _copy_in(r, order), True
    out = r.reshape(tuple(r.shape))
    if out._storage is not None and not out._ambiguous:
        out._ambiguous = loc or "?"
    return out, False


def _order_a(r) -> str:
    """NumPy's copy order for order='A': Fortran where ``r`` is F- and not C-contiguous."""
    return "F" if r.ndim > 1 and _contiguous(r, "F") and _contiguous(r, "C") is False else "C"


def check_python_ints(obj: object, dtype: np.dtype, loc: str | None) -> None:
    """NumPy 2 converts a Python int to an integer dtype only within its range (else
    OverflowError; NumPy scalars and arrays cast silently): concrete ints are checked now,
    traced Python-int arguments at run time (``frontend/checks.py``)."""
    if isinstance(obj, (list, tuple)):
        for v in obj:
            check_python_ints(v, dtype, loc)
        return
    info = np.iinfo(dtype)
    message = f"Python integer out of bounds for {dtype.name}{at(loc)}"
    if type(obj) is int and not info.min <= obj <= info.max:
        raise user_error(OverflowError(message.replace("integer", f"integer {obj}", 1)))
    if is_traced(obj) and getattr(obj, "_weak", None) is int and obj.ndim == 0:
        int64 = np.iinfo(np.int64)
        beyond = [np.greater(obj, int(info.max))] if info.max < int64.max else []
        beyond += [np.less(obj, int(info.min))] if info.min > int64.min else []
        if beyond:
            record_check(np.logical_or(*beyond) if len(beyond) == 2 else beyond[0], OverflowError, message)


def array(obj: object, dtype: DTypeLike = None, *, copy: bool | None = True, order: str | None = "K",
          subok: bool = False, ndmin: object = 0, like: object = None) -> object:
    """``np.array`` of an object holding traced values."""
    loc = user_location()
    if like is not None:
        raise UnsupportedError(f"numpy.array with like= of a traced value{at(loc)}")
    new = not is_traced(obj) or _is_scalar(obj)  # built here: a new array already
    if dtype is not None and np.dtype(dtype).kind in "iu":
        check_python_ints(obj, np.dtype(dtype), loc)
    r = _gathered(obj, loc)
    if dtype is not None and np.dtype(dtype) != r.dtype:
        r, new = np.astype(r, dtype), True
    given, order = order, "K" if order is None else str(order).upper()
    if order in ("C", "F"):
        r, copied = _in_order(r, order, loc)
        new = new or copied
    elif order not in ("K", "A"):
        raise user_error(ValueError(f"order must be one of 'C', 'F', 'A', or 'K' (got {given!r}){at(loc)}"))
    if copy is True and not new:
        r, new = _copy_in(r, _order_a(r) if order == "A" else order), True
    elif copy is False and new:
        raise user_error(ValueError(f"Unable to avoid copy while creating an array as requested.{at(loc)}"))
    if r.ndim < ndmin:
        r = r.reshape((1,) * (ndmin - r.ndim) + tuple(r.shape))
    return r


def asarray(a: Operand, dtype: DTypeLike = None, order: str | None = None, *, device: object = None,
            copy: bool | None = None, like: object = None) -> object:
    """``np.asarray`` of an object holding traced values."""
    return array(a, dtype, copy=copy, order="K" if order is None else order, like=like)


def ascontiguousarray(a: Operand, dtype: DTypeLike = None, *, like: object = None) -> object:
    """``np.ascontiguousarray`` of an object holding traced values (at least 1-d)."""
    return array(a, dtype, copy=None, order="C", ndmin=1, like=like)


def asfortranarray(a: Operand, dtype: DTypeLike = None, *, like: object = None) -> object:
    """``np.asfortranarray`` of an object holding traced values (at least 1-d)."""
    return array(a, dtype, copy=None, order="F", ndmin=1, like=like)


CONVERTERS = {"array": array, "asarray": asarray, "asanyarray": asarray, "ascontiguousarray": ascontiguousarray,
              "asfortranarray": asfortranarray}
