"""Axis and shape arguments of NumPy functions, checked and normalized as NumPy does."""
from __future__ import annotations

import operator

import numpy as np

from tracejit.errors import at, user_error
from tracejit.frontend.operands import static_ints


def normalize_axes(axis: object, ndim: int, loc: str | None = None) -> tuple[int, ...]:
    """``axis`` (None, int or tuple) as sorted non-negative axes; NumPy's errors otherwise."""
    if axis is None:
        return tuple(range(ndim))
    axes = axis if isinstance(axis, tuple) else (axis,)
    out = []
    for ax in axes:
        ax = operator.index(ax)
        if ndim == 0 and ax in (0, -1):  # NumPy reduces a 0-d array over axis 0 as over ()
            continue
        if not -ndim <= ax < ndim:
            raise user_error(np.exceptions.AxisError(ax, ndim))
        out.append(ax % ndim)
    if len(set(out)) != len(out):
        raise user_error(ValueError(f"duplicate value in 'axis'{at(loc)}"))
    return tuple(sorted(out))


def axis_index(axis: object, ndim: int, loc: str | None = None) -> int:
    """One axis of an ``ndim``-d array, non-negative; NumPy's AxisError otherwise (0-d
    arrays have no axes here, unlike in reductions)."""
    ax = operator.index(axis)
    if not -ndim <= ax < ndim:
        raise user_error(np.exceptions.AxisError(ax, ndim))
    return ax % ndim


def shape_arg(shape: object) -> tuple[int, ...]:
    """A shape argument (an int or a sequence of ints) as a tuple of Python ints."""
    if isinstance(shape, (tuple, list)):
        return tuple(operator.index(n) for n in shape)
    return (operator.index(shape),)


def axes_arg(axis: object, ndim: int) -> tuple[int, ...]:
    """An ``axis`` argument of one axis or several (None: all), each normalized, in the order given."""
    if axis is None:
        return tuple(range(ndim))
    axes = static_ints(axis)
    return tuple(axis_index(a, ndim) for a in (axes if isinstance(axes, tuple) else (axes,)))
