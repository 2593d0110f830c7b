"""Arrays the user's code creates from constants (``np.array([0.0, 0.0])``,
``np.arange``, ``np.linspace``, ``np.eye`` ...) stay concrete NumPy arrays while tracing,
so that code using their values in Python (``for i in np.arange(n)``, shapes, ``if``)
folds them as NumPy computes them. Writing a traced value into one
(``out[0] = x.sum()``, ``grid[1:] += x``, ``np.add(e, x, out=e)``) cannot be recorded on a
concrete array: the conversion tracejit refuses there names the creation call site (the
``file:line`` of the call), found from the names the failing line reads, and the function
is traced again with the arrays made at those sites traced constants (writable, views
and all), as ``np.zeros`` always makes them (``frontend/allocation.py``). The converted
code's ``numpy`` holds the creators below (``frontend/convert.py``); NumPy is untouched.
"""
from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np

from tracejit.compiler.dtypes import SUPPORTED_DTYPES
from tracejit.frontend import arrayconv
from tracejit.frontend.arraylike import complex_support
from tracejit.frontend.context import current_trace, user_location
from tracejit.frontend.core import Tracer
from tracejit.frontend.refusals import root_trace

NAMES = ("array", "asarray", "asanyarray", "ascontiguousarray", "asfortranarray", "copy", "arange", "linspace",
         "logspace", "geomspace", "eye", "identity", "tri", "zeros_like", "ones_like", "empty_like", "full_like")
ORIGINALS = {name: getattr(np, name) for name in NAMES}


def _creator(name: str):
    original = ORIGINALS[name]

    convert = arrayconv.CONVERTERS.get(name)

    def created(*args, **kwargs):
        trace = current_trace()
        if convert is not None and trace is not None and args and arrayconv.holds_traced(args[0]):
            return convert(*args, **kwargs)  # of traced values: NumPy's conversion, traced
        result = original(*args, **kwargs)
        if trace is None or kwargs.get("like") is not None:
            return result
        return _registered(trace, result)
    functools.update_wrapper(created, original)
    return created


def _registered(trace, result):
    """``result`` (a NumPy call's) remembered with its creation site, or lifted to a traced
    constant where the function is traced again with that site traced."""
    if type(result) is not np.ndarray:
        return result
    root = root_trace(trace)
    site = user_location()
    if site in getattr(root, "traced_sites", ()):
        return _lifted(trace, result)
    registry = root.__dict__.setdefault("created", {})
    registry[id(result)] = (site, result)  # (kept alive: ids stay unique while the trace lives)
    return result


def computed(func: Callable) -> Callable:
    """``func`` (a NumPy function of converted code, ``frontend/convert.py``) whose array
    results computed from constants (``np.quantile(0, [.25, .5])``: no argument traced, so
    NumPy runs it) are creation sites like ``np.array``'s: a traced value written into one
    traces the function again with the arrays of that site traced constants."""

    @functools.wraps(func)
    def call(*args, **kwargs):
        result = func(*args, **kwargs)
        trace = current_trace()
        return result if trace is None else _registered(trace, result)
    return call


def _lifted(trace, value: np.ndarray):
    """``value`` as a new traced array of ``trace`` (writes to it are recorded)."""
    if value.dtype.kind == "c":
        return complex_support().constant(trace, value)
    if value.dtype not in SUPPORTED_DTYPES:
        return value
    return Tracer(trace, trace.constant(value))


CREATORS = {name: _creator(name) for name in NAMES}  # what converted code's np.array & co. are
BY_ORIGINAL = {id(ORIGINALS[name]): CREATORS[name] for name in NAMES}
