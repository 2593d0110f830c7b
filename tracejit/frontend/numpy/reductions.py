"""Reductions on traced arrays: sum, prod, max, min, any, all, argmax, argmin, and
mean, var, std composed the way NumPy computes them (so results match bit for bit
where the summation order allows)."""
from __future__ import annotations

import builtins
import math

import numpy as np
from numpy.typing import DTypeLike

from tracejit.compiler.dtypes import check_supported, reduction_default_dtype
from tracejit.errors import UnsupportedError, at, user_error
from tracejit.frontend.context import user_location
from tracejit.frontend.core import Tracer
from tracejit.frontend.dispatch import implements
from tracejit.frontend.numpy.axes import normalize_axes
from tracejit.frontend.numpy.halfreduce import half_reduce
from tracejit.frontend.numpy.search import record_bound
from tracejit.frontend.numpy.shape import reshape
from tracejit.frontend.operands import Operand

_NoValue = np._NoValue


def _check_unsupported(name, loc, out=None, initial=_NoValue, where=_NoValue):
    if out is not None:
        raise UnsupportedError(f"numpy.{name}: out= is not supported yet{at(loc)}")
    if initial is not _NoValue:
        raise UnsupportedError(f"numpy.{name}: initial= is not supported{at(loc)}")
    if where is not _NoValue and where is not True:
        raise UnsupportedError(f"numpy.{name}: where= is not supported{at(loc)}")


def _keep(keepdims) -> bool:
    return False if keepdims is _NoValue else builtins.bool(keepdims)


def _convert(x, dtype):
    dtype = np.dtype(dtype)
    return x if x.dtype == dtype else x._trace.apply("convert", [x], {"dtype": dtype})


def _count(shape, axes) -> int:
    return math.prod(shape[a] for a in axes)


def reduce(op: str, x: Operand, axis: int | tuple[int, ...] | None, keepdims: bool, loc: str | None = None,
           needs_elements: object = False) -> object:
    """Record reduction ``op`` of traced ``x`` over ``axis``."""
    axes = normalize_axes(axis, x.ndim, loc)
    if needs_elements and _count(x.shape, axes) == 0:
        raise user_error(ValueError(f"zero-size array to reduction operation {op} which has no identity"
                                    f"{at(loc)}"))
    if op in ("sum", "prod") and x.dtype == np.float16 and axes:
        return half_reduce(op, x, axes, _keep(keepdims))  # NumPy's float32 inner loops
    return x._trace.apply(op, [x], {"axes": axes, "keepdims": _keep(keepdims)}, scalar=True)


def _accumulating(op: str, ufunc: np.ufunc):
    def handler(a, axis=None, dtype=None, out=None, keepdims=_NoValue, initial=_NoValue,
                where=_NoValue):
        loc = user_location()
        _check_unsupported(op, loc, out, initial, where)
        acc = np.dtype(dtype) if dtype is not None else reduction_default_dtype(ufunc, a.dtype)
        check_supported(acc, f"numpy.{op} dtype{at(loc)}")
        return reduce(op, _convert(a, acc), axis, keepdims, loc)
    handler.__name__ = op
    return handler


sum = _accumulating("sum", np.add)
prod = _accumulating("prod", np.multiply)


def _extremum(op: str):
    def handler(a, axis=None, out=None, keepdims=_NoValue, initial=_NoValue, where=_NoValue):
        loc = user_location()
        _check_unsupported(op, loc, out, initial, where)
        return reduce(op, a, axis, keepdims, loc, needs_elements=True)
    handler.__name__ = op
    return handler


max = _extremum("max")
min = _extremum("min")
nanmax = _extremum("nanmax")
nanmin = _extremum("nanmin")


def _truth(op: str):
    def handler(a, axis=None, out=None, keepdims=_NoValue, *, where=_NoValue):
        loc = user_location()
        _check_unsupported(op, loc, out, where=where)
        return reduce(op, _convert(a, np.bool_), axis, keepdims, loc)
    handler.__name__ = op
    return handler


any = _truth("any")
all = _truth("all")


def _arg(op: str):
    def handler(a, axis=None, out=None, *, keepdims=_NoValue):
        loc = user_location()
        _check_unsupported(op, loc, out)
        if axis is not None and isinstance(axis, tuple):
            raise user_error(TypeError(f"{op}: axis must be an integer or None{at(loc)}"))
        if _count(a.shape, normalize_axes(axis, a.ndim, loc)) == 0:
            raise user_error(ValueError(f"attempt to get {op} of an empty sequence{at(loc)}"))
        r = reduce(op, a, axis, False, loc)
        span = a.size if axis is None else a.shape[normalize_axes(axis, a.ndim)[0]]
        if _keep(keepdims):
            shape = (1,) * a.ndim if axis is None else tuple(
                1 if d == normalize_axes(axis, a.ndim)[0] else n for d, n in enumerate(a.shape))
            r = reshape(r, shape)
        return record_bound(r, span - 1) if isinstance(r, Tracer) else r  # (np.bincount(labels, minlength=k))
    handler.__name__ = op
    return handler


argmax = _arg("argmax")
argmin = _arg("argmin")


def _moment_dtype(a, dtype) -> np.dtype:
    if dtype is not None:
        return np.dtype(dtype)
    return np.dtype(np.float64) if a.dtype.kind in "biu" else a.dtype


def _float16_result(x, a, dtype):
    """NumPy's mean of float16 (no dtype given) sums and divides in float32, then rounds once."""
    if dtype is None and a.dtype == np.float16:
        return x._trace.apply("convert", [x], {"dtype": np.dtype(np.float16)}, scalar=True)
    return x


def _divide(x, count: int):
    """``x / count`` as NumPy's mean does (the count is a weak Python int)."""
    q = np.true_divide(x, count)
    return _convert(q, x.dtype) if q.dtype != x.dtype else q


def mean(a: Operand, axis: int | tuple[int, ...] | None = None, dtype: DTypeLike = None, out: object = None,
         keepdims: bool = _NoValue, *, where: Operand = _NoValue) -> object:
    """``numpy.mean``: the sum divided by the count, in NumPy's accumulation dtype."""
    loc = user_location()
    _check_unsupported("mean", loc, out, where=where)
    acc = np.dtype(np.float32) if dtype is None and a.dtype == np.float16 else _moment_dtype(a, dtype)
    s = reduce("sum", _convert(a, acc), axis, keepdims, loc)
    return _float16_result(_divide(s, _count(a.shape, normalize_axes(axis, a.ndim))), a, dtype)


def var(a: Operand, axis: int | tuple[int, ...] | None = None, dtype: DTypeLike = None, out: object = None,
        ddof: int = 0, keepdims: bool = _NoValue, *, where: Operand = _NoValue,
        mean: object = _NoValue, correction: object = _NoValue) -> object:
    """``numpy.var``: the mean of squared deviations (``ddof``/``correction`` as NumPy)."""
    loc = user_location()
    _check_unsupported("var", loc, out, where=where)
    if mean is not _NoValue:
        raise UnsupportedError(f"numpy.var: mean= is not supported{at(loc)}")
    if correction is not _NoValue:
        ddof = correction
    acc = _moment_dtype(a, dtype)
    axes = normalize_axes(axis, a.ndim, loc)
    n = _count(a.shape, axes)
    # As NumPy: the mean in the accumulator dtype, the centring and squaring in the
    # promoted dtype of the input and the mean, the sum of squares in the accumulator.
    # (the sum without keepdims, then reshaped: the same node as a.mean()'s or a.sum()'s, which CSE
    # merges, so var and mean of one array read it once for both sums, not twice)
    total = reduce("sum", _convert(a, acc), axes, False, loc)
    kept = tuple(1 if d in axes else size for d, size in enumerate(a.shape))
    centered = a - reshape(_divide(total, n), kept)
    squares = reduce("sum", _convert(centered * centered, acc), axes, keepdims, loc)
    return _divide(squares, builtins.max(n - ddof, 0))


def std(a: Operand, axis: int | tuple[int, ...] | None = None, dtype: DTypeLike = None, out: object = None,
        ddof: int = 0, keepdims: bool = _NoValue, *, where: Operand = _NoValue,
        mean: object = _NoValue, correction: object = _NoValue) -> object:
    """``numpy.std``: the square root of ``var``."""
    return np.sqrt(var(a, axis, dtype, out, ddof, keepdims, where=where, mean=mean,
                       correction=correction))


for _name in ("sum", "prod", "max", "min", "nanmax", "nanmin", "any", "all", "argmax", "argmin", "mean", "var",
              "std"):
    implements(getattr(np, _name))(globals()[_name])
implements(np.amax)(max)
implements(np.amin)(min)
