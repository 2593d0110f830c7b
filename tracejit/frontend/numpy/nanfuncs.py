"""NumPy's NaN-ignoring functions on traced arrays, computed the way
``numpy/lib/_nanfunctions_impl.py`` computes them (so results match bit for bit where the
summation order does): ``nansum``, ``nanprod``, ``nancumsum``, ``nancumprod``,
``nanmean``, ``nanvar``, ``nanstd``, ``nanargmin``, ``nanargmax`` (``nanmin``/``nanmax``
are reductions of their own: ``frontend/numpy/reductions.py``).

NaNs are replaced by the operation's neutral value (``where``) and the plain function
runs; integer and bool arrays hold no NaN, so they go to the plain function unchanged,
as in NumPy. Counts are ``intp`` sums of the non-NaN mask; divisions by a count are done
in the promoted dtype and cast back to the array's (NumPy divides in place with unsafe
casting: float32 data is divided in float64, then rounded). ``nanargmin``/``nanargmax``
of an all-NaN slice raise ``ValueError`` after the call (a run-time check).
"""
from __future__ import annotations

import numpy as np
from numpy.typing import DTypeLike

from tracejit.errors import UnsupportedError, at, user_error
from tracejit.frontend import checks
from tracejit.frontend.context import user_location
from tracejit.frontend.dispatch import implements
from tracejit.frontend.numpy.axes import normalize_axes
from tracejit.frontend.numpy.elementwise import where as select_where
from tracejit.frontend.numpy.shape import scalar_result
from tracejit.frontend.operands import Operand

_NoValue = np._NoValue


def _nan_free(a: Operand, fill: float) -> tuple[Operand, Operand | None]:
    """``a`` with NaNs replaced by ``fill`` and the NaN mask (None for a dtype without NaN)."""
    if a.dtype.kind not in "fc":
        return a, None
    mask = np.isnan(a)
    return select_where(mask, a.dtype.type(fill), a), mask


def _kw(**kwargs: object) -> dict:
    return {k: v for k, v in kwargs.items() if v is not _NoValue}


def _plain_only(name: str, out: object, where_: object) -> None:
    if out is not None:
        raise UnsupportedError(f"numpy.{name}: out= is not supported{at(user_location())}")
    if where_ is not _NoValue and where_ is not True:
        raise UnsupportedError(f"numpy.{name}: where= is not supported{at(user_location())}")


@implements(np.nansum)
def nansum(a: Operand, axis: int | tuple[int, ...] | None = None, dtype: DTypeLike = None, out: object = None,
           keepdims: bool = _NoValue, initial: object = _NoValue, where: object = _NoValue) -> Operand:
    """``numpy.nansum``: ``sum`` with NaNs as zeros."""
    _plain_only("nansum", out, where)
    return np.sum(_nan_free(a, 0)[0], axis=axis, dtype=dtype, **_kw(keepdims=keepdims, initial=initial))


@implements(np.nanprod)
def nanprod(a: Operand, axis: int | tuple[int, ...] | None = None, dtype: DTypeLike = None, out: object = None,
            keepdims: bool = _NoValue, initial: object = _NoValue, where: object = _NoValue) -> Operand:
    """``numpy.nanprod``: ``prod`` with NaNs as ones."""
    _plain_only("nanprod", out, where)
    return np.prod(_nan_free(a, 1)[0], axis=axis, dtype=dtype, **_kw(keepdims=keepdims, initial=initial))


@implements(np.nancumsum)
def nancumsum(a: Operand, axis: int | None = None, dtype: DTypeLike = None, out: object = None) -> Operand:
    """``numpy.nancumsum``: ``cumsum`` with NaNs as zeros."""
    return np.cumsum(_nan_free(a, 0)[0], axis=axis, dtype=dtype, out=out)


@implements(np.nancumprod)
def nancumprod(a: Operand, axis: int | None = None, dtype: DTypeLike = None, out: object = None) -> Operand:
    """``numpy.nancumprod``: ``cumprod`` with NaNs as ones."""
    return np.cumprod(_nan_free(a, 1)[0], axis=axis, dtype=dtype, out=out)


def _divide_by_count(x: Operand, count: Operand) -> Operand:
    """NumPy's ``_divide_by_count``: ``x / count`` in the promoted dtype, cast back to ``x``'s."""
    with np.errstate(all="ignore"):
        q = np.true_divide(x, count)
    q = q.astype(x.dtype) if q.dtype != x.dtype else q
    return scalar_result(q) if x._scalar else q  # (NumPy: a scalar's type is kept)


def _inexact(name: str, dtype: DTypeLike) -> None:
    if dtype is not None and np.dtype(dtype).kind not in "fc":
        raise user_error(TypeError(f"If a is inexact, then dtype must be inexact{at(user_location())}"))


@implements(np.nanmean)
def nanmean(a: Operand, axis: int | tuple[int, ...] | None = None, dtype: DTypeLike = None, out: object = None,
            keepdims: bool = _NoValue, *, where: object = _NoValue) -> Operand:
    """``numpy.nanmean``: the sum of the non-NaN elements over their count (NaN for none)."""
    _plain_only("nanmean", out, where)
    arr, mask = _nan_free(a, 0)
    if mask is None:
        return np.mean(arr, axis=axis, dtype=dtype, **_kw(keepdims=keepdims))
    _inexact("nanmean", dtype)
    cnt = np.sum(~mask, axis=axis, dtype=np.intp, **_kw(keepdims=keepdims))
    tot = np.sum(arr, axis=axis, dtype=dtype, **_kw(keepdims=keepdims))
    return _divide_by_count(tot, cnt)


@implements(np.nanvar)
def nanvar(a: Operand, axis: int | tuple[int, ...] | None = None, dtype: DTypeLike = None, out: object = None,
           ddof: int = 0, keepdims: bool = _NoValue, *, where: object = _NoValue, mean: object = _NoValue,
           correction: object = _NoValue) -> Operand:
    """``numpy.nanvar``: squared deviations of the non-NaN elements from their mean, over
    their count less ``ddof`` (NaN where that is not positive)."""
    loc = user_location()
    _plain_only("nanvar", out, where)
    arr, mask = _nan_free(a, 0)
    if mask is None:
        return np.var(arr, axis=axis, dtype=dtype, ddof=ddof, **_kw(keepdims=keepdims, mean=mean,
                                                                       correction=correction))
    if mean is not _NoValue:
        raise UnsupportedError(f"numpy.nanvar: mean= is not supported{at(loc)}")
    _inexact("nanvar", dtype)
    if correction is not _NoValue:
        if ddof != 0:
            raise user_error(ValueError(f"ddof and correction can't be provided simultaneously.{at(loc)}"))
        ddof = correction
    cnt = np.sum(~mask, axis=axis, dtype=np.intp, keepdims=True)
    avg = _divide_by_count(np.sum(arr, axis=axis, dtype=dtype, keepdims=True), cnt)
    centered = np.subtract(arr, avg)
    centered = select_where(mask, centered.dtype.type(0), centered)
    if centered.dtype != arr.dtype:  # (NumPy subtracts into ``arr``: cast back unsafely)
        centered = centered.astype(arr.dtype)
    var = np.sum(centered * centered, axis=axis, dtype=dtype, **_kw(keepdims=keepdims))
    if var.ndim < cnt.ndim:
        cnt = np.squeeze(cnt, axis=normalize_axes(axis, a.ndim, loc))
    dof = cnt - ddof
    var = _divide_by_count(var, dof)
    out = select_where(dof <= 0, var.dtype.type(np.nan), var)
    return scalar_result(out) if var._scalar else out


@implements(np.nanstd)
def nanstd(a: Operand, axis: int | tuple[int, ...] | None = None, dtype: DTypeLike = None, out: object = None,
           ddof: int = 0, keepdims: bool = _NoValue, *, where: object = _NoValue, mean: object = _NoValue,
           correction: object = _NoValue) -> Operand:
    """``numpy.nanstd``: the square root of ``nanvar``."""
    return np.sqrt(nanvar(a, axis, dtype, out, ddof, keepdims, where=where, mean=mean, correction=correction))


def _nanarg(name: str, a: Operand, axis: int | None, out: object, keepdims: bool) -> Operand:
    loc = user_location()
    if out is not None:
        raise UnsupportedError(f"numpy.{name}: out= is not supported{at(loc)}")
    arr, mask = _nan_free(a, np.inf if name == "nanargmin" else -np.inf)
    if mask is not None and a.size:
        checks.record(np.any(np.all(mask, axis=axis)), ValueError, f"All-NaN slice encountered{at(loc)}")
    return getattr(np, name[3:])(arr, axis=axis, **_kw(keepdims=keepdims))


@implements(np.nanargmin)
def nanargmin(a: Operand, axis: int | None = None, out: object = None, *, keepdims: bool = _NoValue) -> Operand:
    """``numpy.nanargmin``: ``argmin`` with NaNs as +inf; an all-NaN slice raises ValueError."""
    return _nanarg("nanargmin", a, axis, out, keepdims)


@implements(np.nanargmax)
def nanargmax(a: Operand, axis: int | None = None, out: object = None, *, keepdims: bool = _NoValue) -> Operand:
    """``numpy.nanargmax``: ``argmax`` with NaNs as -inf; an all-NaN slice raises ValueError."""
    return _nanarg("nanargmax", a, axis, out, keepdims)
