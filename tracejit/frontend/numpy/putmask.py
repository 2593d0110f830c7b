"""``np.putmask`` and ``np.place``: masked writes, as ``where(mask, cast(values), a)``
recorded as an update of ``a`` (``frontend/numpy/writes.py``).

``putmask`` repeats its values over ``a``'s elements in C order (value ``i % n`` goes to
element ``i``), so any number of values is static. An array of values must cast to
``a``'s dtype safely, as in NumPy; Python and NumPy scalars and lists are converted
unsafely (``2.5`` into an int array stores 2). ``place`` stores its values in order
into the selected elements only, so it is supported for one value (every selected
element gets it) or none (checked after the call: the mask selects nothing); other
counts depend on the data.
"""
from __future__ import annotations

import math

import numpy as np

from tracejit.errors import UnsupportedError, at, user_error
from tracejit.frontend import checks
from tracejit.frontend.context import user_location
from tracejit.frontend.dispatch import implements
from tracejit.frontend.numpy.elementwise import where
from tracejit.frontend.numpy.shape import astype, concatenate, ravel, reshape
from tracejit.frontend.numpy.writes import cast_assigned, write
from tracejit.frontend.operands import Operand, is_tracer, weak_type


def _target(a, name: str, loc):
    if not is_tracer(a):
        raise UnsupportedError(f"numpy.{name} into a concrete array is not supported{at(loc)}")
    return a


def _mask(a, mask, name: str, loc):
    """``mask`` as booleans laid over ``a``'s elements in C order (sizes must agree)."""
    if np.size(mask) != math.prod(a.shape):
        raise user_error(ValueError(f"{name}: mask and data must be the same size{at(loc)}"))
    if not is_tracer(mask):
        return np.asarray(mask).astype(bool).reshape(a.shape)
    mask = mask if mask.dtype == np.bool_ else astype(mask, np.bool_)
    return mask if tuple(mask.shape) == tuple(a.shape) else reshape(mask, a.shape)


def _values(a, values, name: str, loc):
    """``values`` cast to ``a``'s dtype as NumPy's ``name`` casts them, flattened."""
    is_array = isinstance(values, np.ndarray) or (is_tracer(values) and weak_type(values) is None
                                                  and not values._scalar)
    if is_array and not np.can_cast(values.dtype, a.dtype, "safe"):
        raise user_error(TypeError(f"Cannot cast array data from {values.dtype!r} to {a.dtype!r} according to "
                                   f"the rule 'safe'{at(loc)}"))
    values = cast_assigned(a._trace, values, a.dtype)
    return ravel(values) if is_tracer(values) else np.asarray(values).ravel()


@implements(np.putmask)
def putmask(a: Operand, mask: Operand, values: Operand) -> None:
    """``np.putmask(a, mask, values)``: ``a.flat[i] = values.flat[i % n]`` where ``mask.flat[i]``."""
    loc = user_location()
    a = _target(a, "putmask", loc)
    mask = _mask(a, mask, "putmask", loc)
    values = _values(a, values, "putmask", loc)
    n, size = int(values.shape[0]), math.prod(a.shape)
    if n == 0 or size == 0:
        return None  # NumPy writes nothing
    if n == 1:
        values = reshape(values, ()) if is_tracer(values) else values.reshape(())
    elif n != size:
        values = concatenate([values] * -(-size // n))[:size] if is_tracer(values) else np.resize(values, size)
    if values.ndim:
        values = reshape(values, a.shape) if is_tracer(values) else values.reshape(a.shape)
    write(a, where(mask, values, a), loc)
    return None


@implements(np.place)
def place(arr: Operand, mask: Operand, vals: Operand) -> None:
    """``np.place(arr, mask, vals)`` for one value or none (other counts depend on the data)."""
    loc = user_location()
    arr = _target(arr, "place", loc)
    mask = _mask(arr, mask, "place", loc)
    vals = _values(arr, vals, "place", loc)
    n = int(vals.shape[0])
    if n == 0:
        flag = np.any(mask)
        if is_tracer(flag):
            checks.record(flag, ValueError, f"Cannot insert from an empty array!{at(loc)}")
        elif flag:
            raise user_error(ValueError(f"Cannot insert from an empty array!{at(loc)}"))
        return None
    if n != 1:
        raise UnsupportedError(f"numpy.place of {n} values (each selected element takes the next one: where they "
                               f"go depends on the data); pass one value, or use np.putmask{at(loc)}")
    vals = reshape(vals, ()) if is_tracer(vals) else vals.reshape(())
    write(arr, where(mask, vals, arr), loc)
    return None
