"""``numpy.gradient`` of traced arrays, written step for step as NumPy's Python
implementation (``numpy/lib/_function_base_impl.py``) so dtypes and rounding follow
NumPy's: central differences inside, one-sided first or second order differences at the
two ends, per axis (``axis=``, one result per axis, a tuple for several).

Spacings: none (1.0), one scalar for every axis, or one per axis (a scalar or the
coordinates along it). NumPy reduces coordinates with equal differences to the scalar
case, which rounds differently from the general three-point formula: with constant
coordinates that is decided at trace time; with traced ones both formulas are computed
and a ``where`` on the run-time test picks one (elementwise, fused: no branch, no copy).
Each result is one ``concatenate`` of the first edge, the interior and the last edge along
its axis, cast to the result dtype (float64 for integer input, else the input's).
"""
from __future__ import annotations

import numpy as np
from numpy.lib.array_utils import normalize_axis_tuple

from tracejit.errors import UnsupportedError, at, user_error
from tracejit.frontend.context import user_location
from tracejit.frontend.dispatch import implements
from tracejit.frontend.numpy.elementwise import where
from tracejit.frontend.numpy.shape import concatenate, reshape
from tracejit.frontend.operands import Operand, is_tracer


def _array(x: object) -> Operand:
    return x if is_tracer(x) else np.asarray(x)


def _spacing(distances: object, length: int, loc: str | None) -> tuple[object, Operand | None, object]:
    """(scalar spacing or None, differences or None, uniform test) of one axis's spacing argument."""
    d = _array(distances)
    if d.ndim == 0:
        return d if is_tracer(d) else distances, None, True
    if d.ndim != 1:
        raise user_error(ValueError(f"distances must be either scalars or 1d{at(loc)}"))
    if d.shape[0] != length:
        raise user_error(ValueError(f"when 1d, distances must match the length of the corresponding dimension"
                                    f"{at(loc)}"))
    if d.dtype.kind in "iu":
        d = d.astype(np.float64)
    diffx = np.diff(d)
    if diffx.shape[0] == 0:
        raise user_error(IndexError(f"index 0 is out of bounds for axis 0 with size 0{at(loc)}"))
    if not is_tracer(diffx):
        if (diffx == diffx[0]).all():
            return diffx[0], None, True
        return None, diffx, False
    return diffx[0], diffx, np.all(diffx == diffx[0])


def _take(f: Operand, axis: int, index: slice) -> Operand:
    key = [slice(None)] * f.ndim
    key[axis] = index
    return f[tuple(key)]


def _along(c: Operand, ndim: int, axis: int) -> Operand:
    """A vector of coefficients shaped to broadcast along ``axis``."""
    shape = [1] * ndim
    shape[axis] = c.shape[0]
    return reshape(c, tuple(shape)) if is_tracer(c) else c.reshape(shape)


def _uniform(f: Operand, axis: int, dx: object, edge_order: int) -> list:
    """(first edge, interior, last edge) with one spacing ``dx``."""
    s = lambda index: _take(f, axis, index)  # noqa: E731
    inner = (s(slice(2, None)) - s(slice(None, -2))) / (2. * dx)
    if edge_order == 1:
        first = (s(slice(1, 2)) - s(slice(0, 1))) / dx
        last = (s(slice(-1, None)) - s(slice(-2, -1))) / dx
    else:
        first = (-1.5 / dx) * s(slice(0, 1)) + (2. / dx) * s(slice(1, 2)) + (-0.5 / dx) * s(slice(2, 3))
        last = (0.5 / dx) * s(slice(-3, -2)) + (-2. / dx) * s(slice(-2, -1)) + (1.5 / dx) * s(slice(-1, None))
    return [first, inner, last]


def _general(f: Operand, axis: int, dx: Operand, edge_order: int) -> list:
    """(first edge, interior, last edge) with the differences ``dx`` of the coordinates."""
    s = lambda index: _take(f, axis, index)  # noqa: E731
    v = lambda c: _along(c, f.ndim, axis)  # noqa: E731
    dx1, dx2 = dx[0:-1], dx[1:]
    a = -(dx2) / (dx1 * (dx1 + dx2))
    b = (dx2 - dx1) / (dx1 * dx2)
    c = dx1 / (dx2 * (dx1 + dx2))
    inner = v(a) * s(slice(None, -2)) + v(b) * s(slice(1, -1)) + v(c) * s(slice(2, None))
    if edge_order == 1:
        first = (s(slice(1, 2)) - s(slice(0, 1))) / v(dx[0:1])
        last = (s(slice(-1, None)) - s(slice(-2, -1))) / v(dx[-1:])
    else:
        dx1, dx2 = dx[0:1], dx[1:2]
        a = -(2. * dx1 + dx2) / (dx1 * (dx1 + dx2))
        b = (dx1 + dx2) / (dx1 * dx2)
        c = - dx1 / (dx2 * (dx1 + dx2))
        first = v(a) * s(slice(0, 1)) + v(b) * s(slice(1, 2)) + v(c) * s(slice(2, 3))
        dx1, dx2 = dx[-2:-1], dx[-1:]
        a = (dx2) / (dx1 * (dx1 + dx2))
        b = - (dx2 + dx1) / (dx1 * dx2)
        c = (2. * dx2 + dx1) / (dx2 * (dx1 + dx2))
        last = v(a) * s(slice(-3, -2)) + v(b) * s(slice(-2, -1)) + v(c) * s(slice(-1, None))
    return [first, inner, last]


def _cast(x: Operand, dtype: np.dtype) -> Operand:
    return x.astype(dtype) if x.dtype != dtype else x


@implements(np.gradient)
def gradient(f: Operand, *varargs: object, axis: int | tuple[int, ...] | None = None,
             edge_order: int = 1) -> Operand | tuple:
    """``numpy.gradient``: second order central differences inside, one-sided at the ends."""
    loc = user_location()
    f = _array(f)
    n_dim = f.ndim
    try:
        axes = tuple(range(n_dim)) if axis is None else normalize_axis_tuple(axis, n_dim)
    except (ValueError, TypeError) as error:  # (AxisError is a ValueError)
        raise user_error(error) from None
    if varargs and len(varargs) == 1 and np.ndim(varargs[0]) == 0:
        spacings = [varargs[0]] * len(axes)
    elif len(varargs) in (0, len(axes)):
        spacings = list(varargs) or [1.0] * len(axes)
    else:
        raise user_error(TypeError(f"invalid number of arguments{at(loc)}"))
    dx = [_spacing(d, f.shape[ax], loc) for d, ax in zip(spacings, axes)]
    edge_order = int(edge_order)
    if edge_order > 2:
        raise user_error(ValueError(f"'edge_order' greater than 2 not supported{at(loc)}"))
    if edge_order < 1:
        raise user_error(ValueError(f"Unexpected value for edge_order: {edge_order}{at(loc)}"))
    otype = f.dtype
    if otype.kind in "mM":
        raise UnsupportedError(f"numpy.gradient of datetime or timedelta arrays{at(loc)}")
    if otype.kind not in "fc":
        if otype.kind in "iu":
            f = f.astype(np.float64)
        otype = np.dtype(np.float64)
    out = []
    for ax, (scalar, diffs, uniform) in zip(axes, dx):
        if f.shape[ax] < edge_order + 1:
            raise user_error(ValueError("Shape of array too small to calculate a numerical gradient, at least "
                                        f"(edge_order + 1) elements are required.{at(loc)}"))
        if diffs is None:
            parts = _uniform(f, ax, scalar, edge_order)
        elif uniform is False:
            parts = _general(f, ax, diffs, edge_order)
        else:  # traced coordinates: NumPy's run-time choice, elementwise
            pick = zip(_uniform(f, ax, scalar, edge_order), _general(f, ax, diffs, edge_order))
            parts = [where(uniform, _cast(u, otype), _cast(g, otype)) for u, g in pick]
        out.append(concatenate([_cast(p, otype) for p in parts], axis=ax))
    return out[0] if len(axes) == 1 else tuple(out)
