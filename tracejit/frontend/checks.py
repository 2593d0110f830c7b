"""Run-time checks of a traced function: errors NumPy raises from values, not shapes.

A gather of traced indices raises ``IndexError`` when an index is out of range, and a
max/min of an empty boolean selection raises ``ValueError``; whether either happens
depends on the data. While tracing, each such condition becomes 0-d values of the graph
-- a boolean flag (:func:`record`), or the least and greatest index (:func:`record_range`,
compared with the bound in Python, so the compiled check does not depend on the size
and programs of other sizes share its code) -- which the traced function returns as
hidden extra outputs; the runtime raises the recorded exception after the call
(:func:`raise_failed`), before any argument is written back. Native code stays safe
meanwhile: gathers clamp their indices, so the call itself never reads out of bounds.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from tracejit.errors import user_error

if TYPE_CHECKING:  # (type hints only: these modules build on this one)
    from tracejit.frontend.core import Trace


@dataclass(frozen=True)
class Check:
    """An exception to raise after the call: when output ``index`` (a 0-d bool) is true,
    or, with a ``bound``, when output ``index`` (the least index) is below ``-bound`` or
    output ``high`` (the greatest) is at least ``bound``."""

    index: int
    error: type
    message: str
    high: int | None = None
    bound: int | None = None

    def failed(self, outs: object) -> bool:
        """Whether this check failed, from the outputs of the call."""
        if self.bound is None:
            return bool(outs[self.index])
        return int(outs[self.index]) < -self.bound or int(outs[self.high]) >= self.bound


def record(flag: object, error: type, message: str) -> None:
    """Raise ``error(message)`` after the call if traced 0-d bool ``flag`` is true."""
    _checks(flag._trace).append(((flag,), None, error, message))


def record_range(index: object, bound: int, message: str) -> None:
    """Raise ``IndexError(message)`` after the call if traced integer array ``index`` has
    an element outside ``[-bound, bound)``."""
    if index.size:
        _checks(index._trace).append(((np.min(index), np.max(index)), bound, IndexError, message))


def record_values(trace: Trace, values: tuple, bound: int | None, error: type, message: str) -> None:
    """Record in ``trace`` a check whose values (a flag, or the least and greatest index)
    were computed by a loop or branch (``frontend/controlchecks.py``)."""
    _checks(trace).append((tuple(values), bound, error, message))


def _checks(trace) -> list:
    if not hasattr(trace, "checks"):
        trace.checks = []
    return trace.checks


def pending(trace: Trace) -> list:
    """(tracers, bound, error, message) of every check recorded in ``trace``."""
    return list(getattr(trace, "checks", ()))


def raise_failed(checks: list[Check], outs: object) -> None:
    """Raise the first recorded error whose check failed."""
    for check in checks:
        if check.failed(outs):
            raise user_error(check.error(check.message))
