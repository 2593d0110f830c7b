"""Where NumPy hands a traced value to tracejit: the handler tables and the protocol entry points.

NumPy calls ``Tracer.__array_function__`` for a NumPy function with a traced argument and
``Tracer.__array_ufunc__`` for a ufunc; this module installs both on the Tracer and routes
them: a function to its handler in :data:`HANDLERS` (filled by ``@implements`` in the
modules of ``frontend/numpy/``, registered when that package is imported), a ufunc to the
handlers ``frontend/numpy/ufuncs.py`` registers (:func:`register_ufunc_handlers`), and
anything involving complex values to complex support (``frontend/complex/``) through
``arraylike.complex_support()``, the one hook. This module imports no handler: the handlers
and the complex frontend build on it.

A NumPy function without a handler, or whose handler refuses its arguments, becomes a
host call run in Python at run time (``frontend/hostcall.py``); with ``tj.jit(fallback=False)``
it raises :class:`tracejit.UnsupportedError` naming it and the user's source line. A handler
that fails by surprise (a builtin exception from tracejit's code) is judged by NumPy on
placeholder arguments (``frontend/handlerfail.py``): the user's error, or a host call.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

from tracejit.errors import UnsupportedError, add_note, at
from tracejit.frontend.arraylike import complex_support
from tracejit.frontend.attributes import registrar
from tracejit.frontend.context import user_location
from tracejit.frontend.core import Tracer
from tracejit.frontend.handlerfail import handler_failed
from tracejit.frontend.hostcall import fallback_enabled, host_call
from tracejit.frontend.operands import as_array, is_tracer, python_kind

HANDLERS: dict = {}  # NumPy function -> its handler, called with the function's arguments

implements = registrar(HANDLERS)  # @implements(np.f): the handler of np.f

# functions whose first argument is not converted to an array (sequences, subscripts)
_FIRST_NOT_ARRAY = frozenset({np.concatenate, np.stack, np.hstack, np.vstack, np.einsum, np.meshgrid,
                              np.atleast_1d, np.atleast_2d, np.copyto, np.broadcast_arrays,
                              np.real, np.imag})  # (``val.real`` first: of a Python number, one)


def _first_as_array(func, args: tuple, kwargs: dict) -> tuple:
    """NumPy converts a function's array argument with ``asarray``: a Python number there
    is a strong array (``np.clip(3, -1, a)`` is int64-based), traced or not."""
    if not args or func in _FIRST_NOT_ARRAY:
        return args
    first = args[0]
    if python_kind(first) is None:
        return args
    candidates = [v for v in (*args, *kwargs.values()) if is_tracer(v)]
    return (as_array(candidates[0]._trace, first),) + tuple(args[1:]) if candidates else args


def array_function(func: Callable, args: tuple, kwargs: dict) -> object:
    """NumPy's ``func(*args, **kwargs)`` with a traced argument: its handler's result."""
    args = _first_as_array(func, args, kwargs)
    if complex_support().takes_function(func, args, kwargs):  # the complex frontend
        return fallback_on_refusal(func, lambda *a, **k: complex_support().call_function(func, a, k), args, kwargs)
    handler = HANDLERS.get(func)
    if handler is None:
        module = getattr(func, "__module__", "numpy") or "numpy"
        public = "numpy" if module.startswith("numpy._core") or module == "numpy" else module
        if fallback_enabled():  # run in Python at run time (frontend/hostcall.py)
            return host_call(func, args, kwargs, "no native handler")
        raise UnsupportedError(f"{public}.{func.__name__} is not supported by tracejit"
                               f"{at(user_location())}")
    return fallback_on_refusal(func, handler, args, kwargs)


def fallback_on_refusal(func: Callable, handler: Callable, args: tuple, kwargs: dict) -> object:
    """``handler(*args, **kwargs)``; where it refuses these arguments (an :class:`UnsupportedError`
    itself, not a subclass: those steer tracing), ``func`` as a host call instead."""
    try:
        return handler(*args, **kwargs)
    except UnsupportedError as error:
        if type(error) is not UnsupportedError or not fallback_enabled() or kwargs.get("out") is not None:
            raise
        reason = str(error).split(" (at ")[0].split("\n")[0]
        try:
            return host_call(func, args, kwargs, reason)
        except UnsupportedError as host_error:  # the handler's refusal says more; this one why no fallback
            add_note(error, f"(not run as a host call either: {host_error})")
            raise error from None
    except Exception as error:  # noqa: BLE001 - a surprise: NumPy decides whose (frontend/handlerfail.py)
        return handler_failed(func, args, kwargs, error)


def function_fallback(impl: Callable) -> Callable:
    """An ``__array_function__`` (of a value class beside the Tracer, e.g. complex) whose
    refusals become host calls, as :func:`fallback_on_refusal` makes them."""
    def protocol(self, func, types, args, kwargs):
        return fallback_on_refusal(func, lambda *a, **k: impl(self, func, types, a, k), args, kwargs)
    return protocol


def ufunc_fallback(impl: Callable) -> Callable:
    """An ``__array_ufunc__`` whose refusals become host calls (see :func:`function_fallback`)."""
    def protocol(self, ufunc, method, *inputs, **kwargs):
        func = ufunc if method == "__call__" else getattr(ufunc, method)
        return fallback_on_refusal(func, lambda *a, **k: impl(self, ufunc, method, *a, **k), inputs, kwargs)
    return protocol


_UFUNC_HANDLERS: dict[str, Callable] = {}


def register_ufunc_handlers(call: Callable, method: Callable) -> None:
    """Route ufuncs: ``call(ufunc, inputs, kwargs)`` for ``ufunc(...)``, ``method(ufunc,
    method, inputs, kwargs)`` for ``ufunc.reduce(...)`` & co. (``frontend/numpy/ufuncs.py``)."""
    _UFUNC_HANDLERS["__call__"], _UFUNC_HANDLERS["method"] = call, method


def array_ufunc(ufunc: np.ufunc, method: str, inputs: tuple, kwargs: dict) -> object:
    """NumPy's ``ufunc`` (``method``: ``__call__``, ``reduce``...) with a traced input."""
    if method == "__call__":
        return fallback_on_refusal(ufunc, lambda *a, **k: _UFUNC_HANDLERS["__call__"](ufunc, a, k), inputs, kwargs)
    return fallback_on_refusal(getattr(ufunc, method),
                               lambda *a, **k: _UFUNC_HANDLERS["method"](ufunc, method, a, k), inputs, kwargs)


def _tracer_array_ufunc(self, ufunc, method, *inputs, **kwargs):
    return array_ufunc(ufunc, method, inputs, kwargs)


def _tracer_array_function(self, func, types, args, kwargs):
    return array_function(func, args, kwargs)


Tracer.__array_ufunc__ = _tracer_array_ufunc
Tracer.__array_function__ = _tracer_array_function
