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

import dis
import functools
import os
import threading
from typing import TYPE_CHECKING

import numpy as np

from tracejit.errors import ControlException, StaticNeeded, TracejitError, UnsupportedError, at
from tracejit.frontend.context import current_trace, user_frame

if TYPE_CHECKING:  # (type hints only: these modules build on this one)
    from tracejit.frontend.core import Trace

_LOADS = ("LOAD_FAST", "LOAD_DEREF", "LOAD_NAME", "LOAD_CLOSURE")  # (and LOAD_FAST_CHECK & co.)

_state = threading.local()


class TraceSites(Exception):
    """Internal: trace again with the arrays made at ``sites`` traced (never shown to users)."""

    def __init__(self, sites: frozenset, error: BaseException):
        super().__init__(f"arrays created at {sorted(sites)} receive traced values")
        self.sites, self.error = sites, error


def root_trace(trace: Trace) -> object:  # -> core.Trace (core builds on this module)
    """The outermost trace ``trace`` runs inside (itself if none)."""
    while trace.parent is not None:
        trace = trace.parent
    return trace


@functools.lru_cache(maxsize=256)
def _names_by_line(code) -> dict:
    names: dict[int, set] = {}
    line = None
    for ins in dis.get_instructions(code):
        positions = getattr(ins, "positions", None)  # (3.11+; before: starts_line)
        line = positions.lineno if positions is not None else (ins.starts_line or line)
        if line is not None and ins.opname.startswith(_LOADS):
            found = ins.argval if isinstance(ins.argval, tuple) else (ins.argval,)  # LOAD_FAST_LOAD_FAST
            names.setdefault(line, set()).update(found)
    return names


def written_sites() -> frozenset:
    """The creation sites of the concrete arrays the user's current line reads (directly
    or as views): where a refused conversion of a traced value was likely a write into one."""
    trace = current_trace()
    registry = getattr(root_trace(trace), "created", None) if trace is not None else None
    frame = user_frame()
    if not registry or frame is None:
        return frozenset()
    sites, unknown = set(), False
    values = frame.f_locals
    for name in _names_by_line(frame.f_code).get(frame.f_lineno, ()):
        value = values.get(name)
        found = False
        while isinstance(value, np.ndarray):
            hit = registry.get(id(value))
            if hit is not None and hit[1] is value:
                sites.add(hit[0])
                found = True
            value = value.base
        unknown |= not found and isinstance(values.get(name), np.ndarray)
    if not sites and unknown:  # an array computed from created ones (``(v < 0.5).reshape(-1)``)
        sites = {site for site, _ in registry.values()}  # so: all of them traced
    return frozenset(sites)


def created_sites(trace: Trace, value: np.ndarray) -> frozenset:
    """The creation site of the concrete array ``value`` (or of the array it is a view of) the
    function made from constants (``frontend/sites.py``); empty when it made none of them."""
    registry = getattr(root_trace(trace), "created", None) or {}
    while isinstance(value, np.ndarray):
        hit = registry.get(id(value))
        if hit is not None and hit[1] is value:
            return frozenset((hit[0],))
        value = value.base
    return frozenset()


def note_refused(error: Exception, loc: str | None, scalar_index: bool = False) -> None:
    """Remember that tracejit refused a conversion of a traced value at ``loc``
    (``scalar_index``: of a 0-d bool, which a NumPy scalar accepts as its index), with the
    creation sites of the concrete arrays the line reads (``frontend/sites.py``)."""
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
