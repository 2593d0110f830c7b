"""Arrays created inside a traced function are traced arrays.

``buf = np.zeros(n); buf[i] = f(x)`` fills a local buffer piecewise: for the writes to
be recorded, ``np.zeros`` (and ``empty``, ``ones``, ``full``) must return a traced array
while the function is being traced. NumPy cannot dispatch them (no argument is traced),
so while a trace runs, these names in the ``numpy`` module are wrappers that return a
traced array when *this thread* is tracing and call NumPy's own function otherwise
(another thread using NumPy meanwhile is unaffected), and only for calls from the
user's code (NumPy's and tracejit's own calls get NumPy arrays). They are installed when the first
trace starts and removed when the last one ends. ``np.empty`` gives zeros (NumPy leaves
the contents undefined).

Python's ``min`` and ``max`` are wrapped the same way: on traced scalars (``max(a[i],
b[j], 0.0)``, ``min(v)`` of a traced vector) Python would need each comparison's truth
value; the wrapper instead selects with ``where``, exactly as Python picks (the first
of equal or unordered values; a later one only when strictly greater or smaller). Other
uses (``key=``, ``default=``, no traced value, arrays that are not scalars) call Python's.
"""
from __future__ import annotations

import builtins
import os
import sys
import threading
from contextlib import contextmanager

import numpy as np

import tracejit

_INTERNAL = (os.path.dirname(tracejit.__file__) + os.sep, os.path.dirname(np.__file__) + os.sep)

_state = threading.local()
_lock = threading.Lock()
_active = 0
_originals: dict[str, object] = {}
NAMES = ("zeros", "empty", "ones", "full")


def _current():
    return getattr(_state, "trace", None)


def current_trace():
    """The innermost trace this thread is recording (None: not tracing)."""
    return getattr(_state, "trace", None)


def _wrap(name: str, original):
    def created(shape, *args, **kwargs):
        trace = _current()
        if (trace is None or kwargs.get("like") is not None
                or sys._getframe(1).f_code.co_filename.startswith(_INTERNAL)):
            return original(shape, *args, **kwargs)  # not tracing, or NumPy's or tracejit's own call
        return _traced(trace, name, shape, *args, **kwargs)
    created.__name__, created.__doc__, created.__wrapped__ = original.__name__, original.__doc__, original
    return created


def _traced(trace, name: str, shape, *args, **kwargs):
    from tracejit.frontend.functions import _shape_arg, filled, full_like
    if name == "full":
        fill_value, *args = args if args else (kwargs.pop("fill_value"),)
    dtype = args[0] if args else kwargs.get("dtype")
    order = args[1] if len(args) > 1 else kwargs.get("order", "C")
    if order not in ("C", "K", "A"):
        from tracejit.errors import UnsupportedError, at
        from tracejit.frontend.trace import user_location
        raise UnsupportedError(f"numpy.{name} with order={order!r} while tracing{at(user_location())}")
    shape = _shape_arg(shape)
    if name == "full":
        from tracejit.frontend.values import is_tracer
        if is_tracer(fill_value):
            dtype = fill_value.dtype if dtype is None and fill_value._weak is None else dtype
            template = filled(trace, shape, dtype if dtype is not None else np.asarray(float()).dtype, 0)
            return full_like(template, fill_value, dtype=template.dtype)
        dtype = np.asarray(fill_value).dtype if dtype is None else dtype
        return filled(trace, shape, dtype, fill_value)
    return filled(trace, shape, np.float64 if dtype is None else dtype, 1 if name == "ones" else 0)


def _minmax(original, strictly_better):
    def chosen(*args, **kwargs):
        if _current() is None or kwargs or not args or sys._getframe(1).f_code.co_filename.startswith(_INTERNAL):
            return original(*args, **kwargs)
        from tracejit.frontend.values import is_tracer
        items = list(args[0]) if len(args) == 1 else list(args)
        traced = [v for v in items if is_tracer(v)]
        if not traced or any(v.ndim for v in traced) or not all(
                is_tracer(v) or isinstance(v, (int, float, np.generic)) for v in items):
            return original(items) if len(args) == 1 else original(*args)
        from tracejit.frontend.functions import where
        result = items[0]
        for v in items[1:]:
            result = where(strictly_better(v, result), v, result)
        if is_tracer(result):
            result._scalar = True
        return result
    chosen.__name__, chosen.__doc__, chosen.__wrapped__ = original.__name__, original.__doc__, original
    return chosen


BUILTINS = {"max": lambda v, best: v > best, "min": lambda v, best: v < best}


@contextmanager
def creating_traced_arrays(trace):
    """While the body runs, ``np.zeros``/``empty``/``ones``/``full`` called in this thread
    return arrays of ``trace``."""
    global _active
    with _lock:
        if _active == 0:
            for name in NAMES:
                _originals[name] = getattr(np, name)
                setattr(np, name, _wrap(name, _originals[name]))
            for name, better in BUILTINS.items():
                _originals["builtins." + name] = getattr(builtins, name)
                setattr(builtins, name, _minmax(_originals["builtins." + name], better))
        _active += 1
    previous = _current()
    _state.trace = trace
    try:
        yield
    finally:
        _state.trace = previous
        with _lock:
            _active -= 1
            if _active == 0:
                for name in NAMES:
                    setattr(np, name, _originals[name])
                for name in BUILTINS:
                    setattr(builtins, name, _originals["builtins." + name])
