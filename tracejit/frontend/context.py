"""The tracing context of this thread: the trace it records into, and the user's source
line an op comes from (the innermost frame outside tracejit and NumPy)."""
from __future__ import annotations

import os
import sys
import threading
import types
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # (type hints only: these modules build on this one)
    from tracejit.frontend.core import Trace

_PACKAGE = os.path.dirname(os.path.dirname(__file__))  # tracejit/
# tracejit's own code (every module but the demo's user functions: a check after the trace, run from
# compile.py, named compile.py as the user's line) and NumPy's
_SKIP_PREFIXES = tuple(sorted(
    os.path.join(_PACKAGE, name) + (os.sep if os.path.isdir(os.path.join(_PACKAGE, name)) else "")
    for name in os.listdir(_PACKAGE) if name != "demo.py" and not name.startswith((".", "__pycache__")))) + (
    os.path.dirname(np.__file__) + os.sep,)

_state = threading.local()


def current_trace() -> object:  # -> core.Trace | None (core builds on this module)
    """The innermost trace this thread is recording (None: not tracing)."""
    return getattr(_state, "trace", None)


@contextmanager
def creating_traced_arrays(trace: Trace) -> Iterator[None]:
    """Make ``trace`` this thread's current trace while the body runs (the converted
    code's ``np.zeros`` & co. and ``tj.fori_loop``/``cond`` record into it)."""
    previous = current_trace()
    _state.trace = trace
    try:
        yield
    finally:
        _state.trace = previous


def differentiated(trace: object) -> list[int]:
    """The alias nodes of ``trace`` that the differentiation recordings this thread is inside
    (``difftrace.record``) differentiate against."""
    return [n for t, nodes in getattr(_state, "recordings", ()) if t is trace for n in nodes]


@contextmanager
def recording_derivative(trace: object, nodes: list[int]) -> Iterator[None]:
    """While the body runs, :func:`differentiated` of ``trace`` includes ``nodes``."""
    previous = getattr(_state, "recordings", ())
    _state.recordings = previous + ((trace, tuple(nodes)),)
    try:
        yield
    finally:
        _state.recordings = previous


def user_frame() -> types.FrameType | None:
    """The innermost frame outside tracejit and NumPy (None: none)."""
    frame = sys._getframe(1)
    while frame is not None:
        filename = frame.f_code.co_filename
        if not filename.startswith(_SKIP_PREFIXES) and not filename.startswith("<frozen"):
            return frame
        frame = frame.f_back
    return None


def user_location() -> str | None:
    """``file:line`` of the innermost frame outside tracejit and NumPy."""
    frame = sys._getframe(1)
    while frame is not None:
        filename = frame.f_code.co_filename
        if not filename.startswith(_SKIP_PREFIXES) and not filename.startswith("<frozen"):
            return f"{_shown(filename)}:{frame.f_lineno}"
        frame = frame.f_back
    return None


def location(filename: str, line: int) -> str:
    """``file:line`` as :func:`user_location` shows it."""
    return f"{_shown(filename)}:{line}"


_shown_names: dict[tuple[str, str], str] = {}


def _shown(filename: str) -> str:
    """``filename`` relative to the working directory when inside it (cached: traces
    ask for every op)."""
    key = (filename, os.getcwd())
    shown = _shown_names.get(key)
    if shown is None:
        rel = os.path.relpath(filename) if os.path.isabs(filename) else filename
        shown = _shown_names[key] = filename if rel.startswith("..") else rel
    return shown
