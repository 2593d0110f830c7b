"""Conversions of traced values that NumPy hides: a NumPy scalar indexed by a tracer
(``np.int64(2)[mask]``, the scalar computed from constants) makes NumPy convert the
index, and NumPy replaces the error tracejit raises there by
``IndexError('invalid index to scalar variable.')``. The refusal is remembered
(:func:`note_refused`); when the traced function then fails at the same line,
:func:`replaced_error` gives tracejit's own error back: a TraceSites (the value was
written into an array the function created from constants: ``frontend/sites.py``), a
StaticNeeded (the Python scalar argument becomes static and the function is traced
again, exactly as NumPy runs it), or a clear UnsupportedError where NumPy would have
accepted the index (a 0-d bool).
"""
from __future__ import annotations

import os
import threading

from tracejit.errors import ControlException, StaticNeeded, TracejitError, UnsupportedError, at

_state = threading.local()


def note_refused(error: Exception, loc: str | None, scalar_index: bool = False) -> None:
    """Remember that tracejit refused a conversion of a traced value at ``loc``
    (``scalar_index``: of a 0-d bool, which a NumPy scalar accepts as its index), with the
    creation sites of the concrete arrays the line reads (``frontend/sites.py``)."""
    from tracejit.frontend.sites import written_sites
    _state.refused = (error, loc, scalar_index, written_sites())


def forget_refused() -> None:
    """Start a trace with nothing remembered."""
    _state.refused = None


def _raised_at(error: BaseException, loc: str) -> bool:
    name, _, line = loc.rpartition(":")
    tb = error.__traceback__
    while tb is not None:
        code = tb.tb_frame.f_code
        if str(tb.tb_lineno) == line and os.path.abspath(code.co_filename) == os.path.abspath(name):
            return True
        tb = tb.tb_next
    return False


def replaced_error(error: BaseException) -> Exception | None:
    """tracejit's error that NumPy replaced by ``error`` (raised by the traced function),
    or None when ``error`` is not such a replacement."""
    refused = getattr(_state, "refused", None)
    _state.refused = None
    if refused is None or isinstance(error, ControlException) or refused[1] is None:
        return None
    ours, loc, scalar_index, sites = refused
    if not (error is ours or (not isinstance(error, TracejitError) and _raised_at(error, loc))):
        return None
    if sites:  # a traced value written into an array the function made from constants
        from tracejit.frontend.sites import TraceSites
        return TraceSites(sites, ours)
    if error is ours:
        return None
    if isinstance(ours, StaticNeeded):
        return ours
    if scalar_index and isinstance(error, IndexError):
        return UnsupportedError(
            f"a NumPy scalar indexed by a traced boolean{at(loc)}: the scalar is computed from constants, "
            "so NumPy indexes it and cannot hand the traced index to tracejit. Index a traced 0-d array "
            "instead, e.g. np.full((), s)[mask]")
    return None
