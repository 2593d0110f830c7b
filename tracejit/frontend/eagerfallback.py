"""Whole-function eager fallback: the last resort when tracejit refuses a signature.

With ``fallback=True`` (the default), a NumPy call tracejit does not compile runs in Python
inside the compiled program (a host call, ``frontend/hostcall.py``). Some programs cannot
be captured even so: a host result whose shape depends on the values used in arithmetic
(``np.roots(p) * 2``), ``np.arange(x.max() + 1)``, a traced value converted to a concrete
one... Tracing then raises a *refusal*: :class:`~tracejit.errors.UnsupportedError` or
:class:`~tracejit.errors.TracerConversionError` (which eager NumPy never raises). For such
a signature :func:`attempt` returns an :class:`EagerFallback` instead of the compiled entry,
and the jitted function caches it like one: every call of that signature (the same argument
types, shapes, static values) runs the original, unconverted Python function with the
caller's arguments, exactly as eager NumPy would (results, side effects, random streams;
tracing draws nothing from ``np.random`` or a Generator argument: random draws on traced
values are traced ones or host calls that run only when the program runs).

What does *not* trigger it: the user's own errors (TypeError, ValueError, IndexError,
LinAlgError, assertions... raised while tracing exactly as eager raises them),
:class:`~tracejit.errors.TraceError` (a tracer leaked from another trace: a mistake in how
the function is jitted, which eager would not reveal) and internal errors (a bug in
tracejit is reported as :class:`~tracejit.errors.InternalError`, never hidden by running
eagerly). With ``fallback=False`` the refusal is raised. It is decided at trace time
only: once compiled, a signature never falls back at run time (the program may have run
part way). An EagerFallback also stands for what ``lower()`` returns for the signature:
``fallbacks`` and ``as_text`` name the function, the refused line and the message.
``TRACEJIT_LOG=fallbacks`` logs it once per function.
"""
from __future__ import annotations

import re
from typing import Any, Callable

from tracejit.config import emit_log, log_enabled
from tracejit.errors import TracerConversionError, UnsupportedError

REFUSALS = (UnsupportedError, TracerConversionError)  # what tracejit refuses; eager NumPy runs it
_LOCATION = re.compile(r"\(at ([^()]*:\d+)\)")
_logged: set = set()  # (module, qualname) of the functions logged once (TRACEJIT_LOG=fallbacks)


class EagerFallback:
    """A signature tracejit refused, run eagerly: the cache entry of a jitted function and
    what its ``lower()`` returns for that signature."""

    guard = None  # (read like a compiled entry's: nothing captured, no direct or native call)
    direct = None
    native = None

    def __init__(self, fun: Callable, error: Exception):
        self.fun = fun
        self.error = error
        self.message = str(error)
        found = _LOCATION.findall(self.message)
        self.loc = found[-1] if found else None

    def __call__(self, args: tuple, kwargs: dict) -> Any:
        """Run the original function on the caller's arguments, as eager NumPy would."""
        return self.fun(*args, **kwargs)

    @property
    def fallbacks(self) -> list[tuple[str, str | None, str]]:
        """(function, refused line, refusal message): the whole function runs in Python."""
        name = getattr(self.fun, "__qualname__", repr(self.fun))
        return [(f"{name} (whole function, eager)", self.loc, f"{type(self.error).__name__}: {self.message}")]

    def as_text(self, stage: str = "optimized") -> str:
        """Says that this signature runs eagerly, and why (every stage: none was compiled)."""
        name = getattr(self.fun, "__qualname__", repr(self.fun))
        return (f"# {name}: not compiled; runs eagerly with NumPy (whole-function fallback, stage {stage!r})\n"
                f"# refused{' at ' + self.loc if self.loc else ''}: {type(self.error).__name__}: {self.message}")

    def __repr__(self) -> str:
        return f"<EagerFallback of {getattr(self.fun, '__qualname__', self.fun)}: {self.message}>"


def is_refusal(error: BaseException) -> bool:
    """Whether ``error`` is tracejit refusing the program (not the user's error, not a bug)."""
    return isinstance(error, REFUSALS)


def attempt(make: Callable[[], Any], fun: Callable, enabled: bool, cache: dict | None = None,
            key: Any = None) -> Any:
    """``make()`` (trace and compile, or lower), or, when it raises a refusal and ``enabled``,
    an :class:`EagerFallback` for ``fun`` (stored as ``cache[key]`` when ``cache`` is given)."""
    try:
        return make()
    except REFUSALS as error:
        if not enabled:
            raise
        fallback = EagerFallback(fun, error)
    if cache is not None:
        cache[key] = fallback
        _log(fallback)
    return fallback


def _log(fallback: EagerFallback) -> None:
    fun = fallback.fun
    key = (getattr(fun, "__module__", None), getattr(fun, "__qualname__", repr(fun)))
    if log_enabled("fallbacks") and key not in _logged:
        _logged.add(key)
        emit_log("fallbacks", f"{key[1]} runs eagerly with NumPy (whole-function fallback, not compiled): "
                              f"{type(fallback.error).__name__}: {fallback.message}")
