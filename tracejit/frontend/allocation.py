"""Arrays created inside a traced function by ``np.zeros`` & co. are traced arrays.

``buf = np.zeros(n); buf[i] = f(x)`` fills a local buffer piecewise: for the writes to
be recorded, ``np.zeros`` (and ``empty``, ``ones``, ``full``) must return a traced array
while the function is being traced. NumPy cannot dispatch them (no argument is traced),
so the user's code is run as a converted copy (``frontend/convert.py``) whose ``np`` (and
``zeros`` imported by name) is a stand-in module holding the versions below: they
return a traced array while *this thread* traces and call NumPy's own function
otherwise. Nothing in NumPy or ``builtins`` is ever replaced: NumPy's own code, other
libraries and other threads always get NumPy's functions. ``np.empty`` gives zeros
(NumPy leaves the contents undefined).

Python's ``min`` and ``max`` seen by converted code are ``frontend/minmax.py``'s.
"""
from __future__ import annotations

import numpy as np

from tracejit.errors import UnsupportedError, at
from tracejit.frontend.context import current_trace, user_location
from tracejit.frontend.numpy.axes import shape_arg
from tracejit.frontend.numpy.creation import filled, full_like
from tracejit.frontend.operands import is_tracer

NAMES = ("zeros", "empty", "ones", "full")
ORIGINALS = {name: getattr(np, name) for name in NAMES}  # NumPy's own (never replaced)


def _creator(name: str):
    original = ORIGINALS[name]

    def created(shape, *args, **kwargs):
        trace = current_trace()
        if trace is None or kwargs.get("like") is not None:
            return original(shape, *args, **kwargs)  # not tracing (a converted function called later)
        return _traced(trace, name, shape, *args, **kwargs)
    created.__name__, created.__qualname__, created.__doc__ = original.__name__, original.__name__, original.__doc__
    created.__wrapped__ = original
    return created


def _traced(trace, name: str, shape, *args, **kwargs):
    if name == "full":
        fill_value, *args = args if args else (kwargs.pop("fill_value"),)
    dtype = args[0] if args else kwargs.get("dtype")
    order = args[1] if len(args) > 1 else kwargs.get("order", "C")
    if order not in ("C", "K", "A"):
        raise UnsupportedError(f"numpy.{name} with order={order!r} while tracing{at(user_location())}")
    shape = shape_arg(shape)
    if name == "full":
        if is_tracer(fill_value):
            dtype = fill_value.dtype if dtype is None and fill_value._weak is None else dtype
            template = filled(trace, shape, dtype if dtype is not None else np.asarray(float()).dtype, 0)
            return full_like(template, fill_value, dtype=template.dtype)
        dtype = np.asarray(fill_value).dtype if dtype is None else dtype
        return filled(trace, shape, dtype, fill_value)
    return filled(trace, shape, np.float64 if dtype is None else dtype, 1 if name == "ones" else 0)


CREATORS = {name: _creator(name) for name in NAMES}  # what converted code's np.zeros & co. are
BY_ORIGINAL = {id(ORIGINALS[name]): CREATORS[name] for name in NAMES}  # ``from numpy import zeros``
