"""Classifying operands: traced values, concrete arrays and weak Python scalars."""
from __future__ import annotations

import numpy as np

from tracejit.errors import UnsupportedError, at

PY_SCALARS = (bool, int, float)


def is_tracer(x) -> bool:
    from tracejit.frontend.tracer import Tracer
    return isinstance(x, Tracer)


def find_trace(values):
    """The trace of the first tracer among ``values`` (searching one level of sequences)."""
    for v in values:
        if is_tracer(v):
            return v._trace
        if isinstance(v, (list, tuple)):
            for w in v:
                if is_tracer(w):
                    return w._trace
    raise AssertionError("no traced value among the operands")


def dtype_or_weak(x, loc=None):
    """The dtype of an array-like operand, or the Python type of a weak scalar."""
    if is_tracer(x) or isinstance(x, (np.ndarray, np.generic)):
        return x.dtype
    if isinstance(x, bool):  # NumPy treats Python bools as its bool dtype
        return np.dtype(bool)
    if isinstance(x, PY_SCALARS):
        return type(x)
    if isinstance(x, (list, tuple)):
        return np.asarray(x).dtype
    raise UnsupportedError(f"cannot use a value of type {type(x).__name__} as an array operand{at(loc)}")


def as_operand(trace, x, dtype=None):
    """A tracer or array for ``x``: weak scalars become constants of ``dtype``,
    lists become arrays (as NumPy would convert them)."""
    if is_tracer(x) or isinstance(x, (np.ndarray, np.generic)):
        return x
    if isinstance(x, PY_SCALARS):
        return trace.weak_scalar(x, dtype if dtype is not None else np.asarray(x).dtype)
    return np.asarray(x)
