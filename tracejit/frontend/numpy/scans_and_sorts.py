"""``np.cumsum``, ``np.cumprod``, ``np.add.accumulate``/``np.multiply.accumulate``,
``np.sort``, ``np.argsort`` and the ndarray methods (``x.sort()`` in place) on traced
arrays, with NumPy's argument rules, and the ``partition``/``argpartition`` ops (of
``np.partition``, ``frontend/numpy/assembly.py``, and the quantiles); each records one
op of ``compiler/ops/scan_sort.py``.

Scans accumulate in NumPy's default dtype (small and bool integers as int64, unsigned
as uint64, floats in their own dtype) or in ``dtype=``; the operand is converted first,
as NumPy's accumulate loop converts each element. Sorts are stable whatever ``kind``
asks for: values are the same for every kind, and ``argsort`` ties come out exactly as
NumPy's ``kind='stable'`` (NumPy leaves the tie order of the other kinds unspecified).
"""
from __future__ import annotations

import operator

import numpy as np
from numpy.typing import DTypeLike

from tracejit.compiler.dtypes import check_supported, reduction_default_dtype
from tracejit.errors import UnsupportedError, at, user_error
from tracejit.frontend.context import user_location
from tracejit.frontend.dispatch import implements
from tracejit.frontend.numpy.shape import reshape
from tracejit.frontend.numpy.writes import write
from tracejit.frontend.operands import Operand, is_tracer

CONTIGUOUS_LINES = 256  # partitions of lines at least this long across other dims copy them contiguous first
SORT_KINDS = (None, "quicksort", "quick", "mergesort", "merge", "heapsort", "heap", "stable")
_UFUNC = {"cumsum": np.add, "cumprod": np.multiply}


def _axis(axis, ndim: int) -> int:
    axis = operator.index(axis)
    if not -ndim <= axis < ndim:
        raise user_error(np.exceptions.AxisError(axis, ndim))
    return axis % ndim


def _convert(x, dtype: np.dtype):
    return x if x.dtype == dtype else x._trace.apply("convert", [x], {"dtype": dtype})


def scan(op: str, a: Operand, axis: int | tuple[int, ...] | None, dtype: DTypeLike, out: object,
         loc: str | None) -> object:
    """Record scan ``op`` of ``a`` along ``axis`` (None: flattened) in ``dtype``; with ``out``,
    the result is written into it, cast unsafely as NumPy casts (``np.cumsum(x, out=o)``)."""
    if out is not None:
        return write_out(out, scan(op, a, axis, dtype, None, loc), op, loc)
    acc = np.dtype(dtype) if dtype is not None else reduction_default_dtype(_UFUNC[op], a.dtype)
    check_supported(acc, f"numpy.{op} dtype{at(loc)}")
    if axis is None or a.ndim == 0:  # NumPy scans a 0-d array as one element
        a = reshape(a, (-1,))
        axis = 0 if axis is None else axis
    return a._trace.apply(op, [_convert(a, acc)], {"axis": _axis(axis, a.ndim)})


def write_out(out: object, result: Operand, name: str, loc: str | None) -> Operand:
    """Write ``result`` into ``out`` (``out=`` of a scan: the same shape, cast unsafely); returns ``out``."""
    target = out[0] if isinstance(out, tuple) and len(out) == 1 else out
    if not is_tracer(target):
        raise UnsupportedError(f"numpy.{name}: writing a traced result into a concrete array (out=) is not "
                               f"supported{at(loc)}")
    if tuple(target.shape) != tuple(result.shape):
        raise user_error(ValueError(f"provided out is the wrong size for the accumulation.{at(loc)}"))
    write(target, result, loc)
    return target


@implements(np.cumsum)
def cumsum(a: Operand, axis: int | tuple[int, ...] | None = None, dtype: DTypeLike = None,
           out: object = None) -> Operand:
    """``numpy.cumsum`` of traced arrays, with NumPy's argument rules."""
    return scan("cumsum", a, axis, dtype, out, user_location())


@implements(np.cumprod)
def cumprod(a: Operand, axis: int | tuple[int, ...] | None = None, dtype: DTypeLike = None,
            out: object = None) -> Operand:
    """``numpy.cumprod`` of traced arrays, with NumPy's argument rules."""
    return scan("cumprod", a, axis, dtype, out, user_location())


def accumulate(ufunc: np.ufunc, a: Operand, axis: int | tuple[int, ...] | None = 0, dtype: DTypeLike = None,
               out: object = None, **kwargs: object) -> object:
    """``np.add.accumulate`` / ``np.multiply.accumulate``."""
    loc = user_location()
    if kwargs:
        raise UnsupportedError(f"numpy.{ufunc.__name__}.accumulate: keywords {sorted(kwargs)} are not "
                               f"supported{at(loc)}")
    if a.ndim == 0:
        raise user_error(TypeError(f"cannot accumulate on a scalar{at(loc)}"))
    if axis is None and a.ndim > 1 or isinstance(axis, tuple):
        raise user_error(ValueError(f"accumulate does not allow multiple axes{at(loc)}"))
    op = "cumsum" if ufunc is np.add else "cumprod"
    return scan(op, a, 0 if axis is None else axis, dtype, out, loc)


def _check_sort(name: str, kind, order, stable, loc) -> None:
    if order is not None:
        raise UnsupportedError(f"numpy.{name}: order= (structured arrays) is not supported{at(loc)}")
    if kind is not None and stable is not None:
        raise user_error(ValueError("`kind` and keyword parameters can't be provided at the same time. "
                                    f"Use only one of them.{at(loc)}"))
    if kind not in SORT_KINDS:
        raise user_error(ValueError(f"sort kind must be one of 'quick', 'heap', or 'stable' (got {kind!r}){at(loc)}"))


def _sorting(op: str, a, axis, kind, order, stable):
    loc = user_location()
    _check_sort(op, kind, order, stable, loc)
    if axis is None or (a.ndim == 0 and op == "argsort"):  # argsort of a 0-d array: one element
        a = reshape(a, (-1,))
        axis = -1 if axis is None else axis
    return a._trace.apply(op, [a], {"axis": _axis(axis, a.ndim)})


def partitioning(op: str, a: Operand, kth: list[int], axis: int) -> Operand:
    """Record ``op`` (``partition`` or ``argpartition``) of ``a`` along ``axis`` (non-negative)
    for the ranks ``kth`` (checked by the caller; negative ones count from the end)."""
    n = a.shape[axis]
    ranks = tuple(sorted({k % n for k in kth})) if n else ()
    if axis != a.ndim - 1 and n >= CONTIGUOUS_LINES and a.size > n:
        # lines across the rows (np.percentile(X, q, axis=0)): a transposing copy first, so
        # the kernel reads each line contiguously rather than one element per cache line
        lines = np.moveaxis(a, axis, -1).copy()
        return np.moveaxis(a._trace.apply(op, [lines], {"axis": a.ndim - 1, "kth": ranks}), -1, axis)
    return a._trace.apply(op, [a], {"axis": axis, "kth": ranks})


@implements(np.sort)
def sort(a: Operand, axis: int | tuple[int, ...] | None = -1, kind: str | None = None, order: str | None = None, *,
         stable: bool | None = None) -> Operand:
    """``numpy.sort`` of traced arrays, with NumPy's argument rules."""
    return _sorting("sort", a, axis, kind, order, stable)


@implements(np.argsort)
def argsort(a: Operand, axis: int | tuple[int, ...] | None = -1, kind: str | None = None, order: str | None = None, *,
            stable: bool | None = None) -> Operand:
    """``numpy.argsort`` of traced arrays, with NumPy's argument rules."""
    return _sorting("argsort", a, axis, kind, order, stable)


def sort_in_place(a: Operand, axis: int | tuple[int, ...] | None = -1, kind: str | None = None,
                  order: str | None = None, *, stable: bool | None = None) -> None:
    """``ndarray.sort``: write the sorted array back into ``a`` (``frontend/numpy/writes.py``)."""
    loc = user_location()
    axis = operator.index(axis)  # (ndarray.sort has no axis=None: TypeError, as NumPy)
    if a._scalar or a.ndim == 0:
        raise user_error(np.exceptions.AxisError(axis, 0))
    write(a, sort(a, axis, kind, order, stable=stable), loc)
