"""Exceptions raised to users. Each names the user's source line where one is known."""
from __future__ import annotations


class TracejitError(Exception):
    """Base class of tracejit's own errors."""


class UnsupportedError(TracejitError, NotImplementedError):
    """A NumPy function, method, argument or dtype that tracejit cannot compile yet."""


class TracerConversionError(TracejitError, TypeError):
    """A traced value was used where a concrete Python value is needed
    (``if``, ``bool()``, ``float()``, ``np.asarray``...)."""


class TraceError(TracejitError, ValueError):
    """The traced program is malformed (e.g. a tracer leaked from another trace)."""


def at(loc: str | None) -> str:
    """Suffix naming a source location, for error messages."""
    return f" (at {loc})" if loc else ""


def with_location(error: Exception, loc: str | None) -> Exception:
    """A copy of ``error`` whose message names ``loc`` (same type where its constructor
    takes a message, else the nearest builtin base such as ValueError or TypeError)."""
    message = f"{error}{at(loc)}"
    for cls in type(error).__mro__:
        try:
            new = cls(message)
        except Exception:  # noqa: BLE001 - constructors with other signatures
            continue
        if str(new) == message:
            return new
    return RuntimeError(message)


class StaticNeeded(Exception):
    """Internal: a traced Python-scalar argument was used where its value is needed
    (``if``, ``float()``, a shape, an index, a narrowing cast). ``tj.jit`` catches it,
    makes those arguments static for the function and traces again; users never see it."""

    def __init__(self, names: frozenset, what: str, loc: str | None):
        super().__init__(f"{', '.join(sorted(names))}: {what}{at(loc)}")
        self.names, self.what, self.loc = names, what, loc
