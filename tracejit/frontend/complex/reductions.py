"""``max``/``min``/``argmax``/``argmin`` of complex values in NumPy 2's order.

NumPy folds ``maximum`` (``minimum``) left to right: the first element with a NaN part
wins, else the first lexicographic maximum (real part, then imaginary part; a tie keeps
the earlier element); ``argmax`` returns that element's index. Here, per reduced axis:
the index of the first NaN element if there is one, else the first element whose real
part is the largest and, among those, whose imaginary part is the largest, all from real
reductions (``any``, ``max``, ``argmax``); ``max`` is the element at that index, picked
by a one-hot ``where`` and a real ``max`` (which keeps a ``-0``, an infinity or a NaN).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from tracejit.errors import UnsupportedError, at, user_error
from tracejit.frontend.complex.value import ComplexTracer, implements, make
from tracejit.frontend.context import user_location
from tracejit.frontend.operands import is_tracer

_NoValue = np._NoValue


def _flat(z: ComplexTracer, axis: Any) -> tuple[ComplexTracer, int]:
    """``z`` with the reduced axis last (``axis=None``: flattened); (value, axis)."""
    if axis is None:
        return z.reshape(-1), 0
    if not isinstance(axis, (int, np.integer)) or isinstance(axis, bool):
        raise UnsupportedError(f"max/argmax of complex values over axis={axis!r} (one axis or None)"
                               f"{at(user_location())}")
    ndim = len(z.shape)
    if not -ndim <= axis < ndim:
        raise user_error(np.exceptions.AxisError(f"axis {axis} is out of bounds for array of dimension {ndim}"
                                                 f"{at(user_location())}"))
    return z, int(axis) % ndim


def _index(z: ComplexTracer, axis: int, largest: bool) -> Any:
    """The index NumPy's fold picks along ``axis`` (keepdims)."""
    if z.shape[axis] == 0:
        name = "argmax" if largest else "argmin"
        raise user_error(ValueError(f"attempt to get {name} of an empty sequence{at(user_location())}"))
    re, im = z.re_part, z.im_part
    nan = np.isnan(re) | np.isnan(im)
    worst = -np.inf if largest else np.inf
    best = np.max if largest else np.min
    re_ok = np.where(nan, worst, re)
    top_re = best(re_ok, axis=axis, keepdims=True)
    tied = (re_ok == top_re) & ~nan
    im_ok = np.where(tied, im, worst)
    top_im = best(im_ok, axis=axis, keepdims=True)
    hit = tied & (im_ok == top_im)
    first_nan = np.argmax(nan, axis=axis, keepdims=True)
    return np.where(np.any(nan, axis=axis, keepdims=True), first_nan, np.argmax(hit, axis=axis, keepdims=True))


def _pick(z: ComplexTracer, axis: int, index: Any) -> ComplexTracer:
    """The elements of ``z`` at ``index`` along ``axis`` (keepdims)."""
    shape = [1] * len(z.shape)
    shape[axis] = z.shape[axis]
    positions = np.arange(z.shape[axis]).reshape(shape)
    one = positions == index
    re = np.max(np.where(one, z.re_part, -np.inf), axis=axis, keepdims=True)
    im = np.max(np.where(one, z.im_part, -np.inf), axis=axis, keepdims=True)
    return make(re, im)


def _check(name: str, out: Any, kw: dict) -> None:
    loc = user_location()
    if out is not None:
        raise UnsupportedError(f"numpy.{name} of complex values with out={at(loc)}")
    for key, value in kw.items():
        if value is not _NoValue and not (key == "where" and value is True):
            raise UnsupportedError(f"numpy.{name} of complex values: {key}= is not supported{at(loc)}")


def _finish(value: Any, axis: Any, ndim: int, keepdims: bool) -> Any:
    """Drop the reduced (kept) axis unless ``keepdims``; ``axis=None`` with keepdims: all ones."""
    if axis is None:
        value = value.reshape((1,) * ndim) if keepdims else value.reshape(())
    elif not keepdims:
        value = value.squeeze(int(axis) % ndim)
    if not value.shape:
        value._scalar = True
    return value


def _extreme(largest: bool) -> Any:
    name = "max" if largest else "min"

    def reduce(a: Any, axis: Any = None, out: Any = None, keepdims: Any = _NoValue, **kw: Any) -> Any:
        _check(name, out, kw)
        z = a if isinstance(a, ComplexTracer) else None
        if z is None:
            raise UnsupportedError(f"numpy.{name} of a complex constant{at(user_location())}")
        flat, ax = _flat(z, axis)
        value = _pick(flat, ax, _index(flat, ax, largest))
        return _finish(value, axis, len(z.shape), keepdims is not _NoValue and bool(keepdims))

    reduce.__doc__ = f"``np.{name}`` of complex values: NumPy's fold of ``{name}imum`` (NaNs first)."
    return reduce


def _arg(largest: bool) -> Any:
    name = "argmax" if largest else "argmin"

    def reduce(a: Any, axis: Any = None, out: Any = None, *, keepdims: Any = _NoValue) -> Any:
        _check(name, out, {})
        if not isinstance(a, ComplexTracer):
            raise UnsupportedError(f"numpy.{name} of a complex constant{at(user_location())}")
        flat, ax = _flat(a, axis)
        index = _index(flat, ax, largest)
        index = index.reshape(()) if axis is None and not (keepdims is not _NoValue and keepdims) else index
        if axis is None and keepdims is not _NoValue and keepdims:
            index = index.reshape((1,) * len(a.shape))
        elif axis is not None and not (keepdims is not _NoValue and keepdims):
            index = index.squeeze(ax)
        if is_tracer(index) and not index.shape:
            index._scalar = True
        return index

    reduce.__doc__ = f"``np.{name}`` of complex values: the index NumPy's order picks (the first NaN first)."
    return reduce


for _func, _largest in ((np.max, True), (np.amax, True), (np.min, False), (np.amin, False)):
    implements(_func)(_extreme(_largest))
implements(np.argmax)(_arg(True))
implements(np.argmin)(_arg(False))
