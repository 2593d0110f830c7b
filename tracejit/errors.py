"""Exceptions raised to users. Each names the user's source line where one is known."""
from __future__ import annotations

from typing import TypeVar

E = TypeVar("E", bound=BaseException)


def add_note(error: BaseException, note: str) -> None:
    """``error.add_note(note)`` (PEP 678, Python 3.11+). Python 3.10 has no notes: there the note
    goes into ``__notes__`` as 3.11 keeps it (its tracebacks don't print it; the ``exceptiongroup``
    backport's do)."""
    if hasattr(error, "add_note"):
        error.add_note(note)
    else:
        error.__notes__ = [*getattr(error, "__notes__", ()), note]


class TracejitError(Exception):
    """Base class of tracejit's own errors.

    >>> import tracejit as tj
    >>> all(issubclass(e, tj.TracejitError) for e in (tj.UnsupportedError, tj.InternalError))
    True
    """


class UnsupportedError(TracejitError, NotImplementedError):
    """A NumPy function, method, argument or dtype that tracejit cannot compile yet
    (raised where ``jit(fallback=False)`` would otherwise run it in Python).

    >>> import numpy as np, tracejit as tj
    >>> try:
    ...     tj.jit(lambda x: np.fft.rfft(x), fallback=False)(np.ones(4))
    ... except tj.UnsupportedError as error:
    ...     print(str(error).split(" (at ")[0])
    numpy.fft.rfft is not supported by tracejit
    """


class TracerConversionError(TracejitError, TypeError):
    """A traced value was used where a concrete Python value is needed
    (``if``, ``bool()``, ``float()``, ``np.asarray``...) that autograph did not convert.

    >>> import numpy as np, tracejit as tj
    >>> def relu_sum(x):
    ...     return x.sum() if x.sum() > 0 else 0.0
    >>> try:
    ...     tj.jit(relu_sum, autograph=False, fallback=False)(np.ones(2))
    ... except tj.TracerConversionError:
    ...     print("needs autograph (the default), tj.cond or np.where")
    needs autograph (the default), tj.cond or np.where
    """


class TraceError(TracejitError, ValueError):
    """The traced program is malformed (e.g. a tracer leaked from another trace).

    >>> import numpy as np, tracejit as tj
    >>> leaked = []
    >>> _ = tj.jit(lambda x: leaked.append(x) or x + 1)(np.ones(2))
    >>> try:
    ...     tj.jit(lambda y: y + leaked[0])(np.ones(2))
    ... except tj.TraceError:
    ...     print("a traced value escaped its function")
    a traced value escaped its function
    """


class InternalError(TracejitError, RuntimeError):
    """A bug in tracejit: an exception it did not mean to raise (an assertion, a KeyError,
    an LLVM error...), raised from a jitted call with the original chained as ``__cause__``
    (see ``frontend/boundary.py``). Please report it; ``TRACEJIT_DISABLE_JIT=1`` runs eagerly meanwhile.

    >>> import tracejit as tj
    >>> issubclass(tj.InternalError, RuntimeError)
    True
    """


_USER = "__tracejit_user_error__"


def user_error(error: E) -> E:
    """Mark ``error`` as raised on purpose (a NumPy-like TypeError, ValueError, IndexError...
    reporting the user's mistake): it leaves a jitted call unchanged. Returns ``error``."""
    setattr(error, _USER, True)
    return error


def is_user_error(error: BaseException) -> bool:
    """Whether ``error`` was marked by :func:`user_error` (or :func:`with_location`)."""
    return getattr(error, _USER, False) is True


def at(loc: str | None) -> str:
    """Suffix naming a source location, for error messages."""
    return f" (at {loc})" if loc else ""


def with_location(error: Exception, loc: str | None) -> Exception:
    """A copy of ``error`` whose message names ``loc`` (same type where its constructor
    takes a message, else the nearest builtin base such as ValueError or TypeError),
    marked as the user's error (:func:`user_error`)."""
    message = f"{error}{at(loc)}"
    for cls in type(error).__mro__:
        try:
            new = cls(message)
        except Exception:  # noqa: BLE001 - constructors with other signatures
            continue
        if str(new) == message:
            return user_error(new)
    return user_error(RuntimeError(message))


class ControlException(Exception):
    """Internal control flow between tracejit's own functions (never shown to users):
    it crosses a jitted call's error boundary unchanged."""


class StaticNeeded(ControlException):
    """Internal: a traced Python-scalar argument was used where its value is needed
    (``if``, ``float()``, a shape, an index, a narrowing cast). ``tj.jit`` catches it,
    makes those arguments static for the function and traces again; users never see it."""

    def __init__(self, names: frozenset, what: str, loc: str | None):
        super().__init__(f"{', '.join(sorted(names))}: {what}{at(loc)}")
        self.names, self.what, self.loc = names, what, loc
