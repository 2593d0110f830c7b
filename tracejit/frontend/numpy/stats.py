"""Statistics on traced arrays, written step for step as NumPy's Python implementations
(``numpy/lib/_function_base_impl.py``), so dtypes, shapes and rounding follow NumPy's:
``average`` (weights, returned=, keepdims), ``trapezoid`` (x or dx, axis), ``cov``
(rowvar, bias, ddof, a second array ``y``; frequency and analytic weights are not
supported) and ``corrcoef``.

Where NumPy raises from the data (``average``'s weights summing to zero) the error is a
run-time check (``frontend/checks.py``), raised after the call naming the user's line.
``cov``'s product is a traced matmul: its summation order is not BLAS's, so results
agree with NumPy's to rounding, not bit for bit.
"""
from __future__ import annotations

import numpy as np
from numpy.typing import DTypeLike

from tracejit.errors import UnsupportedError, at, user_error
from tracejit.frontend import checks
from tracejit.frontend.context import user_location
from tracejit.frontend.dispatch import implements
from tracejit.frontend.numpy.axes import axis_index
from tracejit.frontend.numpy.shape import broadcast_to, concatenate, reshape, transpose
from tracejit.frontend.operands import Operand, is_tracer

_NoValue = np._NoValue


def _array(x: object) -> Operand:
    return x if is_tracer(x) else np.asarray(x)


def _weights(weights: object, a: Operand, axis: tuple[int, ...] | None, loc: str | None) -> Operand:
    """NumPy's ``_weights_are_valid``: ``weights`` shaped to broadcast against ``a``."""
    wgt = _array(weights)
    if a.shape != wgt.shape:
        if axis is None:
            raise user_error(TypeError(f"Axis must be specified when shapes of a and weights differ.{at(loc)}"))
        if wgt.shape != tuple(a.shape[ax] for ax in axis):
            raise user_error(ValueError(f"Shape of weights must be consistent with shape of a along specified "
                                        f"axis.{at(loc)}"))
        order = tuple(int(i) for i in np.argsort(axis))
        wgt = transpose(wgt, order) if is_tracer(wgt) else wgt.transpose(order)
        shape = tuple(s if ax in axis else 1 for ax, s in enumerate(a.shape))
        wgt = reshape(wgt, shape) if is_tracer(wgt) else wgt.reshape(shape)
    return wgt


@implements(np.average)
def average(a: Operand, axis: int | tuple[int, ...] | None = None, weights: Operand = None, returned: bool = False,
            *, keepdims: bool = _NoValue) -> object:
    """``numpy.average``: the mean, or the weighted sum over the weights' sum."""
    loc = user_location()
    a = _array(a)
    if axis is not None:  # (in the order given: the weights' dims follow it)
        axis = tuple(axis_index(ax, a.ndim) for ax in (axis if isinstance(axis, tuple) else (axis,)))
        if len(set(axis)) != len(axis):
            raise user_error(ValueError(f"repeated axis in `axis` argument{at(loc)}"))
    kw = {} if keepdims is _NoValue else {"keepdims": keepdims}
    if weights is None:
        avg = np.mean(a, axis, **kw)
        if not avg.size:
            raise user_error(ZeroDivisionError(f"division by zero{at(loc)}"))
        scl = avg.dtype.type(a.size / avg.size)
    else:
        wgt = _weights(weights, a, axis, loc)
        if a.dtype.kind in "biu":
            result_dtype = np.result_type(a.dtype, wgt.dtype, "f8")
        else:
            result_dtype = np.result_type(a.dtype, wgt.dtype)
        scl = np.sum(wgt, axis=axis, dtype=result_dtype, **kw)
        if is_tracer(scl):
            checks.record(np.any(scl == 0.0), ZeroDivisionError, f"Weights sum to zero, can't be normalized{at(loc)}")
        elif np.any(scl == 0.0):
            raise user_error(ZeroDivisionError(f"Weights sum to zero, can't be normalized{at(loc)}"))
        avg = np.sum(np.multiply(a, wgt, dtype=result_dtype), axis, **kw) / scl
    if not returned:
        return avg
    if np.shape(scl) != np.shape(avg):
        scl = broadcast_to(scl, np.shape(avg)).copy() if is_tracer(scl) else np.broadcast_to(scl, avg.shape).copy()
    return avg, scl


@implements(np.trapezoid)
def trapezoid(y: Operand, x: Operand = None, dx: float = 1.0, axis: int = -1) -> Operand:
    """``numpy.trapezoid``: the sum of the spacings times the trapezoids' mean heights."""
    y = _array(y)
    if x is None:
        d = dx
    else:
        x = _array(x)
        if x.ndim == 1:
            d = np.diff(x)
            shape = [1] * y.ndim
            shape[axis] = d.shape[0]
            d = reshape(d, tuple(shape)) if is_tracer(d) else d.reshape(shape)
        else:
            d = np.diff(x, axis=axis)
    nd = y.ndim
    axis = axis_index(axis, nd)
    upper, lower = [slice(None)] * nd, [slice(None)] * nd
    upper[axis], lower[axis] = slice(1, None), slice(None, -1)
    return np.sum(d * (y[tuple(upper)] + y[tuple(lower)]) / 2.0, axis)


def _rows(x: Operand, dtype: np.dtype) -> Operand:
    """``np.array(x, ndmin=2, dtype=dtype)``."""
    x = x.astype(dtype) if x.dtype != dtype else x
    return reshape(x, (1,) * (2 - x.ndim) + tuple(x.shape)) if x.ndim < 2 else x


@implements(np.cov)
def cov(m: Operand, y: Operand = None, rowvar: bool = True, bias: bool = False, ddof: int | None = None,
        fweights: Operand = None, aweights: Operand = None, *, dtype: DTypeLike = None) -> Operand:
    """``numpy.cov``: centred rows times their transpose, over the samples less ``ddof``."""
    loc = user_location()
    if fweights is not None or aweights is not None:
        raise UnsupportedError(f"numpy.cov: fweights= and aweights= are not supported{at(loc)}")
    if ddof is not None and ddof != int(ddof):
        raise user_error(ValueError(f"ddof must be integer{at(loc)}"))
    m = _array(m)
    if m.ndim > 2:
        raise user_error(ValueError(f"m has more than 2 dimensions{at(loc)}"))
    if y is not None:
        y = _array(y)
        if y.ndim > 2:
            raise user_error(ValueError(f"y has more than 2 dimensions{at(loc)}"))
    if dtype is None:
        dtype = np.result_type(m.dtype, np.float64) if y is None else np.result_type(m.dtype, y.dtype, np.float64)
    dtype = np.dtype(dtype)
    X = _rows(m, dtype)
    if not rowvar and m.ndim != 1:
        X = X.T
    if X.shape[0] == 0:
        return np.array([]).reshape(0, 0)
    if y is not None:
        y = _rows(y, dtype)
        if not rowvar and y.shape[0] != 1:
            y = y.T
        X = concatenate((X, y), axis=0)
    if ddof is None:
        ddof = 1 if bias == 0 else 0
    fact = X.shape[1] - ddof
    if fact <= 0:
        fact = 0.0
    avg = np.mean(X, axis=(1,))
    X = np.subtract(X, avg[:, None])
    X = X if X.dtype == dtype else X.astype(dtype)  # (NumPy subtracts in place)
    c = X @ X.T
    with np.errstate(divide="ignore"):
        scale = np.true_divide(1, fact)
    c = c * scale
    c = c if c.dtype == dtype else c.astype(dtype)  # (in place, as NumPy's ``c *= ...``)
    return np.squeeze(c)


@implements(np.corrcoef)
def corrcoef(x: Operand, y: Operand = None, rowvar: bool = True, bias: object = _NoValue, ddof: object = _NoValue,
             *, dtype: DTypeLike = None) -> Operand:
    """``numpy.corrcoef``: the covariance over the outer product of the standard deviations, clipped to [-1, 1]."""
    if bias is not _NoValue or ddof is not _NoValue:
        raise UnsupportedError(f"numpy.corrcoef: bias and ddof (deprecated, no effect) are not supported"
                               f"{at(user_location())}")
    c = cov(x, y, rowvar, dtype=dtype)
    if c.ndim == 0:  # one variable: NaN where the variance is NaN, inf or 0, else 1
        return c / c
    stddev = np.sqrt(np.diag(c))
    c = c / stddev[:, None]
    c = c / stddev[None, :]
    return np.clip(c, -1, 1)
