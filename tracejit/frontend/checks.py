"""Run-time checks of a traced function: errors NumPy raises from values, not shapes.

A gather of traced indices raises ``IndexError`` when an index is out of range, and a
max/min of an empty boolean selection raises ``ValueError``; whether either happens
depends on the data. While tracing, each such condition becomes a boolean 0-d value of
the graph (:func:`record`); the traced function returns it as a hidden extra output and
the runtime raises the recorded exception after the call when it is true
(:func:`raise_failed`), before any argument is written back. Native code stays safe
meanwhile: gathers clamp their indices, so the call itself never reads out of bounds.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Check:
    """An exception to raise after the call when output ``index`` (a 0-d bool) is true."""

    index: int
    error: type
    message: str


def record(flag, error: type, message: str) -> None:
    """Raise ``error(message)`` after the call if traced 0-d bool ``flag`` is true."""
    trace = flag._trace
    if not hasattr(trace, "checks"):
        trace.checks = []
    trace.checks.append((flag, error, message))


def pending(trace) -> list:
    """(flag tracer, error, message) of every check recorded in ``trace``."""
    return list(getattr(trace, "checks", ()))


def raise_failed(checks: list[Check], outs) -> None:
    """Raise the first recorded error whose flag came back true."""
    for check in checks:
        if bool(outs[check.index]):
            raise check.error(check.message)
