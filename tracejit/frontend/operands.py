"""Classifying operands: traced values, concrete arrays and weak Python scalars.

A weak scalar is a Python ``int`` or ``float``, concrete (a constant of the function)
or traced (an argument, see ``frontend/signature.py``): NumPy 2 promotion gives it the
dtype of the arrays it meets (``float32_array * 0.1`` stays float32)."""
from __future__ import annotations

import operator
from typing import TypeAlias

import numpy as np
from numpy.typing import DTypeLike

from tracejit.errors import StaticNeeded, UnsupportedError, at
from tracejit.frontend.context import user_location
from tracejit.frontend.core import ScalarTracer, Trace, Tracer

PY_SCALARS = (bool, int, float)

# What a NumPy function accepts where it takes an array (type hints): a traced value, an
# array, a NumPy scalar, a Python number or a (nested) sequence of them.
Operand: TypeAlias = "Tracer | np.ndarray | np.generic | bool | int | float | complex | list | tuple"


def is_tracer(x: object) -> bool:
    """Whether ``x`` is a (real) traced value."""
    return isinstance(x, Tracer)


def python_kind(x: object) -> type | None:
    """``bool``, ``int`` or ``float`` for a Python number (a constant, or a traced Python
    scalar or arithmetic on such), else None (arrays, NumPy scalars, NumPy results)."""
    if type(x) in PY_SCALARS:
        return type(x)
    if not is_tracer(x):
        return None
    if x._weak is not None:
        return x._weak
    return bool if isinstance(x, ScalarTracer) else None


def all_python(inputs: tuple | list) -> bool:
    """Whether every operand is a Python number (a Python operator on them gives one)."""
    return all(python_kind(x) is not None for x in inputs)


def find_trace(values: Operand) -> Trace:
    """The trace of the first tracer among ``values`` (searching one level of sequences)."""
    for v in values:
        if is_tracer(v):
            return v._trace
        if isinstance(v, (list, tuple)):
            for w in v:
                if is_tracer(w):
                    return w._trace
    raise AssertionError("no traced value among the operands")


def weak_type(x: Operand) -> type | None:
    """``float`` or ``int`` for a traced weak scalar, else None."""
    return getattr(x, "_weak", None) if is_tracer(x) else None


def dtype_or_weak(x: Operand, loc: str | None = None) -> np.dtype | type:
    """The dtype of an array-like operand, or the Python type of a weak scalar."""
    weak = weak_type(x)
    if weak is not None:
        return weak
    if is_tracer(x) or isinstance(x, (np.ndarray, np.generic)):
        return x.dtype
    if isinstance(x, bool):  # NumPy treats Python bools as its bool dtype
        return np.dtype(bool)
    if isinstance(x, PY_SCALARS):
        return type(x)
    if isinstance(x, (list, tuple)):
        return np.asarray(x).dtype
    raise UnsupportedError(f"cannot use a value of type {type(x).__name__} as an array operand{at(loc)}")


def promotion_operand(x: Operand, loc: str | None = None) -> object:
    """What ``np.result_type`` needs for ``x``: a Python scalar itself (weak), an example
    value of a traced weak scalar's type, else the dtype."""
    if isinstance(x, PY_SCALARS):
        return x
    weak = weak_type(x)
    return weak(0) if weak is not None else dtype_or_weak(x, loc)


def as_operand(trace: Trace, x: Operand, dtype: DTypeLike = None) -> Tracer | np.ndarray | np.generic:
    """A tracer or array for ``x``: weak scalars become values of ``dtype`` (constants,
    or conversions of a traced one), lists become arrays (as NumPy would convert them)."""
    weak = weak_type(x)
    if weak is not None and dtype is not None:
        return convert_weak(trace, x, np.dtype(dtype))
    if is_tracer(x) or isinstance(x, (np.ndarray, np.generic)):
        return x
    if isinstance(x, PY_SCALARS):
        return trace.weak_scalar(x, dtype if dtype is not None else np.asarray(x).dtype)
    return np.asarray(x)


def static_ints(x: Operand) -> int | tuple[int, ...]:
    """An int (or a sequence of ints) argument as Python ints: a traced Python int's
    value is needed here (it becomes static), a traced array's cannot be."""
    if isinstance(x, (list, tuple)) or (isinstance(x, np.ndarray) and x.ndim):
        return tuple(operator.index(v) for v in x)
    return operator.index(x)


def lift(trace: Trace, x: Operand) -> Tracer:
    """A concrete array or NumPy scalar operand of a traced call as a traced constant of
    ``trace`` (a NumPy scalar stays a scalar); tracers are returned as they are."""
    if is_tracer(x):
        return x
    return Tracer(trace, trace.constant(np.asarray(x)), scalar=isinstance(x, np.generic))


def as_array(trace: Trace, x: Operand) -> Operand:
    """``x`` as NumPy's ``asarray`` makes it: a Python number becomes a strong 0-d array
    (a traced one a strong traced 0-d value, keeping the arguments it comes from)."""
    if type(x) in PY_SCALARS:
        return np.asarray(x)
    if is_tracer(x) and python_kind(x) is not None:
        out = Tracer(trace, trace.node_of(x))
        out._origins = x._origins
        return out
    return x


def convert_weak(trace: Trace, x: Tracer, dtype: np.dtype) -> Tracer:
    """A traced weak scalar as a value of ``dtype``, exactly as NumPy converts the Python
    scalar: floats round once to a float or complex dtype; ints go through float64 to a
    float dtype (exact as NumPy's conversion), stay int64, and are made static for any
    narrower integer dtype (NumPy raises OverflowError there, which needs the value)."""
    if dtype == x.dtype:
        return x
    if not x._origins:  # a loop's index or counter: no argument to make static; converts as C does
        return trace.apply("convert", [x], {"dtype": dtype}, scalar=True)
    if x._weak is int:
        if dtype.kind in "fc":
            x = trace.apply("convert", [x], {"dtype": np.dtype(np.float64)}, scalar=True)
            return x if dtype == x.dtype else trace.apply("convert", [x], {"dtype": dtype}, scalar=True)
        raise StaticNeeded(x._origins, f"a Python int converted to {dtype}", user_location())
    if dtype.kind not in "fc":
        raise StaticNeeded(x._origins, f"a Python float converted to {dtype}", user_location())
    return trace.apply("convert", [x], {"dtype": dtype}, scalar=True)
