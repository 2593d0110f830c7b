"""Arrays the user's code creates from constants (``np.array([0.0, 0.0])``,
``np.arange``, ``np.linspace``, ``np.eye`` ...) stay concrete NumPy arrays while tracing,
so that code using their values in Python (``for i in np.arange(n)``, shapes, ``if``)
folds them as NumPy computes them. Writing a traced value into one
(``out[0] = x.sum()``, ``grid[1:] += x``, ``np.add(e, x, out=e)``) cannot be recorded on a
concrete array: the conversion tracejit refuses there names the creation call site (the
``file:line`` of the call), found from the names the failing line reads, and the function
is traced again with the arrays made at those sites traced constants (writable, views
and all), as ``np.zeros`` always makes them (``frontend/creation.py``). The converted
code's ``numpy`` holds the creators below (``frontend/convert.py``); NumPy is untouched.
"""
from __future__ import annotations

import dis
import functools

import numpy as np

from tracejit.compiler.dtypes import SUPPORTED_DTYPES
from tracejit.frontend import arrayconv
from tracejit.frontend.arraylike import complex_support
from tracejit.frontend.creation import current_trace
from tracejit.frontend.trace import user_frame, user_location

NAMES = ("array", "asarray", "asanyarray", "ascontiguousarray", "copy", "arange", "linspace", "logspace",
         "geomspace", "eye", "identity", "tri", "zeros_like", "ones_like", "empty_like", "full_like")
ORIGINALS = {name: getattr(np, name) for name in NAMES}
_LOADS = ("LOAD_FAST", "LOAD_DEREF", "LOAD_NAME", "LOAD_CLOSURE")  # (and LOAD_FAST_CHECK & co.)


class TraceSites(Exception):
    """Internal: trace again with the arrays made at ``sites`` traced (never shown to users)."""

    def __init__(self, sites: frozenset, error: BaseException):
        super().__init__(f"arrays created at {sorted(sites)} receive traced values")
        self.sites, self.error = sites, error


def _root(trace):
    while trace.parent is not None:
        trace = trace.parent
    return trace


def _creator(name: str):
    original = ORIGINALS[name]

    convert = arrayconv.CONVERTERS.get(name)

    def created(*args, **kwargs):
        trace = current_trace()
        if convert is not None and trace is not None and args and arrayconv.holds_traced(args[0]):
            return convert(*args, **kwargs)  # of traced values: NumPy's conversion, traced
        result = original(*args, **kwargs)
        if trace is None or type(result) is not np.ndarray or kwargs.get("like") is not None:
            return result
        root = _root(trace)
        site = user_location()
        if site in getattr(root, "traced_sites", ()):
            return _lifted(trace, result)
        registry = root.__dict__.setdefault("created", {})
        registry[id(result)] = (site, result)  # (kept alive: ids stay unique while the trace lives)
        return result
    functools.update_wrapper(created, original)
    return created


def _lifted(trace, value: np.ndarray):
    """``value`` as a new traced array of ``trace`` (writes to it are recorded)."""
    from tracejit.frontend.tracer import Tracer
    if value.dtype.kind == "c":
        return complex_support().constant(trace, value)
    if value.dtype not in SUPPORTED_DTYPES:
        return value
    return Tracer(trace, trace.constant(value))


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
    registry = getattr(_root(trace), "created", None) if trace is not None else None
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


CREATORS = {name: _creator(name) for name in NAMES}  # what converted code's np.array & co. are
BY_ORIGINAL = {id(ORIGINALS[name]): CREATORS[name] for name in NAMES}
