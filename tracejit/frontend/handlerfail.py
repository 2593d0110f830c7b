"""When a NumPy function's handler fails by surprise: NumPy decides who was wrong.

A handler (``frontend/numpy/``) that raises an exception it did not mean to raise -- a
builtin ``TypeError``, ``IndexError``, ``AttributeError``, ``KeyError``, an assertion...
from tracejit's own code -- must not reach the user as that bare exception. Errors the
handlers raise on purpose (``errors.user_error``) cross unchanged: some depend on what
placeholders lose (``reshape(copy=False)`` of a Fortran-ordered argument).
:func:`handler_failed` is called by ``dispatch.fallback_on_refusal`` (the trace boundary
of every NumPy function and ufunc call) with the exception; it asks NumPy: the function
runs eagerly on placeholder arrays of the traced arguments' shapes and dtypes (concrete
arguments as they are; zeros, ones, then random values: any filling NumPy accepts counts).

* NumPy refuses these arguments too: the user's mistake. The handler's exception crosses
  unchanged where its type is NumPy's (or related); else NumPy's own exception is raised,
  naming the user's line, so the type is eager's.
* NumPy accepts them: a bug in the handler. With host fallback on (the default), the call
  becomes a host call (``frontend/hostcall.py``: eager NumPy at run time, exact results),
  with a ``RuntimeWarning`` naming the function, the line and the handler's error, so the
  bug is seen (and reported) but the program runs. Otherwise (``fallback=False``, ``out=``,
  or no host call possible) an :class:`UnsupportedError` names the NumPy function and the
  user's line, with the handler's exception as ``__cause__``.

Exceptions of the user's own code that a handler called back (the innermost frame outside
the libraries is the user's), tracejit's deliberate errors, its internal control
exceptions, warnings and MemoryError cross unchanged.
"""
from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from tracejit.errors import ControlException, TracejitError, UnsupportedError, at, is_user_error, with_location
from tracejit.frontend.arraylike import complex_support
from tracejit.frontend.boundary import raised_by_tracejit
from tracejit.frontend.context import user_location
from tracejit.frontend.hostcall import fallback_enabled, host_call, public_name
from tracejit.frontend.hostplaceholders import placeholder
from tracejit.frontend.operands import is_tracer, python_kind
from tracejit.frontend.tree import flatten, unflatten

_CROSS = (TracejitError, ControlException, Warning, MemoryError)
_RANDOM = (np.random.Generator, np.random.RandomState, np.random.BitGenerator)
_FAMILIES = (IndexError, KeyError, ValueError, TypeError, ArithmeticError, AttributeError)


def _traced_aval(leaf: Any) -> tuple | None:
    """(shape, dtype, scalar, Python kind) of a traced leaf (real or complex), else None."""
    if is_tracer(leaf):
        return tuple(leaf.shape), leaf.dtype, bool(leaf._scalar), python_kind(leaf)
    if isinstance(leaf, (np.ndarray, np.generic)) or complex_support().split(leaf) is None:
        return None
    weak = getattr(leaf, "_weak", None)
    return tuple(leaf.shape), leaf.dtype, bool(getattr(leaf, "_scalar", False)), weak


def numpy_error(func: Callable, args: tuple, kwargs: dict) -> BaseException | None:
    """NumPy's exception for ``func(*args, **kwargs)`` with each traced argument replaced by
    placeholder values of its shape and dtype (None: some filling runs). Concrete arrays
    are copied first, so nothing the caller holds is written."""
    leaves, tree = flatten((tuple(args), dict(kwargs)))
    avals = [_traced_aval(leaf) for leaf in leaves]
    rng = np.random.RandomState(1717)
    first = None
    for k in (2, 1, 0):
        filled = []
        for leaf, aval in zip(leaves, avals):
            if aval is None:
                filled.append(leaf.copy() if type(leaf) is np.ndarray else leaf)
                continue
            shape, dtype, scalar, kind = aval
            value = placeholder(k, shape, dtype, rng)
            value = value[()] if scalar or kind is not None else value
            filled.append(kind(value) if kind is not None else value)
        a, kw = unflatten(tree, filled)
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                func(*a, **kw)
            return None
        except Exception as error:  # noqa: BLE001 - NumPy's verdict, kept
            first = first or error
    return first


def _related(ours: BaseException, numpy_exc: BaseException) -> bool:
    if isinstance(ours, type(numpy_exc)) or isinstance(numpy_exc, type(ours)):
        return True
    return any(isinstance(ours, fam) and isinstance(numpy_exc, fam) for fam in _FAMILIES)


def handler_failed(func: Callable, args: tuple, kwargs: dict, error: Exception) -> Any:
    """The answer to ``error``, raised by the handler of ``func(*args, **kwargs)``: re-raises it
    (or NumPy's exception) where it is the user's, else a host call's result or an
    :class:`UnsupportedError` (see the module)."""
    if isinstance(error, _CROSS) or is_user_error(error) or not raised_by_tracejit(error):
        raise error  # (a deliberate error may hang on what placeholders lose: a layout, say)
    owner = getattr(func, "__self__", None)
    if str(getattr(func, "__module__", "")).startswith("numpy.random") or isinstance(owner, _RANDOM):
        raise error  # (a draw on placeholders would advance the user's stream)
    loc = user_location()
    eager = numpy_error(func, args, kwargs)
    if eager is not None:  # NumPy refuses these arguments too
        if _related(error, eager):
            raise error
        raise with_location(eager, loc) from None
    name = public_name(func)
    what = f"{type(error).__name__}: {str(error).split(' (at ')[0]}"
    if fallback_enabled() and kwargs.get("out") is None:
        try:
            result = host_call(func, args, kwargs, f"tracejit's handler failed ({what})")
        except UnsupportedError:
            pass
        else:
            warnings.warn(f"tracejit: the native handler of {name} failed ({what}){at(loc)}; it runs as a host "
                          "call instead. This is a bug in tracejit; please report it.", RuntimeWarning, stacklevel=2)
            return result
    raise UnsupportedError(f"{name}: tracejit cannot compile this call: its handler failed ({what}), "
                           f"a bug in tracejit; please report it{at(loc)}") from error
