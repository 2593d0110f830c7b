"""NumPy ufuncs on traced values (``__array_ufunc__``): calls, reductions, in-place ``out=``."""
from __future__ import annotations

import math
import sys
from collections.abc import Callable
from operator import eq, ge, gt, le, lt, ne  # (``operator`` is a parameter name here)

import numpy as np
from numpy.typing import DTypeLike

from tracejit.compiler.dtypes import check_supported
from tracejit.compiler.ops import ops_of_kind
from tracejit.errors import StaticNeeded, UnsupportedError, at, user_error, with_location
from tracejit.frontend import affine, checks, pyscalar
from tracejit.frontend.arraylike import complex_support
from tracejit.frontend.context import user_location
from tracejit.frontend.core import as_python_scalar
from tracejit.frontend.dispatch import register_ufunc_handlers
from tracejit.frontend.hostcall import public_name
from tracejit.frontend.numpy import reductions
from tracejit.frontend.numpy.accumulate import REDUCE_OF, SCAN_OF, bitwise_reduce, ufunc_accumulate
from tracejit.frontend.numpy.creation import filled
from tracejit.frontend.numpy.linalg import matmul, ufunc_outer
from tracejit.frontend.numpy.writes import write
from tracejit.frontend.operands import (
    PY_SCALARS,
    Operand,
    all_python,
    as_operand,
    dtype_or_weak,
    find_trace,
    is_tracer,
    python_kind,
)
from tracejit.frontend.refusals import note_refused

UFUNC_TO_OP = {op.ufunc: op.name for op in ops_of_kind("elementwise") if op.ufunc is not None}
COMPARISONS = {np.equal, np.not_equal, np.less, np.less_equal, np.greater, np.greater_equal}
# Ufuncs of other libraries that name a registry op (matched by module and name, so
# SciPy is never imported by tracejit).
FOREIGN_UFUNCS = {("scipy.special", "erf"): "erf", ("scipy.special", "expit"): "sigmoid"}


def op_for_ufunc(ufunc: np.ufunc) -> str | None:
    """The graph op of an elementwise ufunc (NumPy's or a known foreign one, matched by identity
    once its module is loaded: SciPy's ufuncs have no ``__module__``), else None."""
    name = UFUNC_TO_OP.get(ufunc)
    if name is None:
        for (module, attr), op in FOREIGN_UFUNCS.items():
            if attr == ufunc.__name__ and module in sys.modules and getattr(sys.modules[module], attr, None) is ufunc:
                return op
    return name

# ufunc methods whose handlers build on modules that import this one: ``ufunc.at``
# (``frontend/numpy/ufunc_at.py`` adds itself here)
LATER_METHODS: dict[str, Callable] = {}
REDUCE_METHOD = {np.add: "sum", np.multiply: "prod", np.maximum: "max", np.minimum: "min",
                 np.logical_and: "all", np.logical_or: "any"}

_DEFAULT_KWARGS = {"casting": "same_kind", "order": "K", "subok": True, "signature": None}


def _check_plain_kwargs(name: str, kwargs: dict, loc) -> None:
    for key, value in kwargs.items():
        if key in _DEFAULT_KWARGS and value == _DEFAULT_KWARGS[key]:
            continue
        raise UnsupportedError(f"numpy.{name}: argument {key}={value!r} is not supported{at(loc)}")


def call_ufunc(ufunc: np.ufunc, inputs: Operand, kwargs: object) -> object:
    """``ufunc(*inputs, **kwargs)`` where some input is traced."""
    loc = user_location()
    kwargs = dict(kwargs)
    out = kwargs.pop("out", None)
    dtype = kwargs.pop("dtype", None)
    if kwargs.pop("where", True) is not True:
        raise UnsupportedError(f"numpy.{ufunc.__name__}: where= is not supported{at(loc)}")
    _check_plain_kwargs(ufunc.__name__, kwargs, loc)
    if not any(is_tracer(x) for x in inputs):  # only ``out=`` is traced: NumPy computes the value
        with np.errstate(all="ignore"):
            result = ufunc(*inputs, **({} if dtype is None else {"dtype": dtype}), **kwargs)
    elif ufunc is np.matmul:
        result = matmul(*inputs)
    else:
        result = apply_elementwise(ufunc, inputs, dtype, loc)
    if out is not None:
        return write_inplace(out, result, ufunc.__name__, loc)
    return result


def apply_elementwise(ufunc: np.ufunc, inputs: Operand, dtype: DTypeLike = None, loc: str | None = None,
                      operator: bool = False) -> object:
    """Record the elementwise op for ``ufunc`` with NumPy 2 promotion of weak scalars.
    ``operator``: called as a Python operator (``a * b``), so on Python numbers alone the
    result is a Python number again (weak), computed as Python computes it
    (``frontend/pyscalar.py``)."""
    loc = loc or user_location()
    if complex_support().takes_ufunc(inputs, dtype):  # real and imaginary parts: frontend/complex/
        return complex_support().call_ufunc(ufunc, inputs, dtype, loc, operator)
    origins = _scalar_origins(inputs)
    given = tuple(inputs)
    python_op = operator and all_python(inputs)  # Python arithmetic: Python's result
    if origins and python_op and ufunc is np.power and all(python_kind(x) in (int, bool) for x in inputs):
        raise StaticNeeded(origins, "a power of Python ints", loc)  # Python: exact, or a float
    name = op_for_ufunc(ufunc)
    if name is None:
        raise UnsupportedError(f"{public_name(ufunc)} is not supported by tracejit{at(loc)}")
    trace = find_trace(inputs)
    if dtype is not None:
        loop = _loop_for_dtype(ufunc, inputs, np.dtype(dtype), loc)
        inputs = [as_operand(trace, x, loop[i]) for i, x in enumerate(inputs)]
        inputs = [x if x.dtype == loop[i] else trace.apply("convert", [x], {"dtype": loop[i]})
                  for i, x in enumerate(inputs)]
    else:
        if all_python(inputs):  # as Python numbers (operators) or NumPy arrays of them
            kinds = pyscalar.operand_dtypes(ufunc, inputs, python_op)
        else:
            kinds = tuple(dtype_or_weak(x, loc) for x in inputs)
        try:  # (a foreign ufunc by its own loops: scipy.special.erf of ints or float16 is float64)
            loop = ufunc.resolve_dtypes(kinds + (None,) * ufunc.nout)
        except TypeError as e:
            raise with_location(e, loc) from e
        for dt in loop:  # dtypes tracejit has no kernels for (longdouble...): said so here
            if dt != np.float16 or ufunc is not np.signbit:
                check_supported(dt, f"numpy.{ufunc.__name__} of {', '.join(_kind_name(k) for k in kinds)}{at(loc)}")
        explicit = python_op or ufunc not in UFUNC_TO_OP or (ufunc is np.signbit and loop[0] == np.float16)
        # (operands converted here: a foreign ufunc's ops take their loop's dtype from the operands)
        if ufunc is np.signbit and loop[0] == np.float16:  # of bools and 8-bit ints: any float is exact
            loop = (np.dtype(np.float32),) + tuple(loop[1:])
        if python_op and ufunc not in COMPARISONS:
            pyscalar.refuse_big_ints(inputs, loop, origins, loc)
        if ufunc in COMPARISONS and {loop[0], loop[1]} == _SIGNED_UNSIGNED:
            return _mixed_sign_comparison(ufunc, [as_operand(trace, x, loop[i]) for i, x in enumerate(inputs)])
        if ufunc in COMPARISONS and _int_out_of_range(inputs, loop[0]):
            # NumPy 2 compares integers with out-of-range Python ints by value
            decided = _decided_by_range(ufunc, inputs, loop[0], trace)
            if decided is not None:
                return decided
            if loop[0] == np.uint64:  # a negative Python int against uint64: compared exactly
                return _mixed_sign_comparison(ufunc, [np.int64(x) if type(x) is int else x for x in inputs])
            loop = (np.dtype(np.int64),) * ufunc.nin
            inputs = [trace.apply("convert", [x], {"dtype": loop[0]}) if is_tracer(x) else x for x in inputs]
        exponent = inputs[-1]
        inputs = [as_operand(trace, x, loop[i]) for i, x in enumerate(inputs)]
        if explicit:
            inputs = [x if x.dtype == loop[i] else trace.apply("convert", [x], {"dtype": loop[i]})
                      for i, x in enumerate(inputs)]
        if ufunc is np.power and loop[0].kind in "iu":
            if math.prod(np.broadcast_shapes(*(np.shape(x) for x in inputs))):  # no elements: no error
                _check_integer_exponent(exponent, inputs[1], loc)
    result = trace.apply(name, inputs, scalar=True)
    affine.derive(ufunc, given, result)
    if origins:
        result._origins = origins
        if result.dtype.kind == "c":
            raise StaticNeeded(origins, "complex arithmetic on Python scalars", loc)
    if python_op:
        pyscalar.record_checks(ufunc, inputs, result, origins, loc)
        _mark_python_number(result, bool(origins))
    return result


def _loop_for_dtype(ufunc: np.ufunc, inputs: list, dtype: np.dtype, loc: str | None) -> tuple:
    """The input dtypes of ``ufunc``'s loop for ``dtype=``, NumPy's choice (``dtype`` fixes
    the outputs; ``np.less(x, y, dtype=bool)`` compares floats), with its 'same_kind' errors
    (a Python float into ``dtype=int``, ``np.sqrt(ints, dtype=int)``: no loop)."""
    kinds = tuple(dtype_or_weak(x, loc) for x in inputs)
    if all(not isinstance(k, np.dtype) for k in kinds):  # Python numbers alone: computed in dtype
        return (dtype,) * ufunc.nin
    try:
        resolved = ufunc.resolve_dtypes(kinds + (None,) * ufunc.nout,
                                        signature=(None,) * ufunc.nin + (dtype,) * ufunc.nout)
    except TypeError as e:
        raise with_location(e, loc) from e
    return tuple(resolved[:ufunc.nin])


_SIGNED_UNSIGNED = {np.dtype(np.int64), np.dtype(np.uint64)}
_MIRRORED = {np.less: np.greater, np.less_equal: np.greater_equal, np.greater: np.less,
             np.greater_equal: np.less_equal, np.equal: np.equal, np.not_equal: np.not_equal}


def _mixed_sign_comparison(ufunc, operands):
    """NumPy 2 compares int64 with uint64 exactly (no common dtype): a negative int64 is
    below every uint64; otherwise compare both as uint64."""
    signed, unsigned = operands
    if signed.dtype == np.uint64:  # written with the unsigned one first: mirror it
        ufunc, signed, unsigned = _MIRRORED[ufunc], unsigned, signed
    negative = np.less(signed, 0)
    as_unsigned = signed.astype(np.uint64) if is_tracer(signed) else np.asarray(signed).astype(np.uint64)
    compared = ufunc(as_unsigned, unsigned)
    if ufunc in (np.less, np.less_equal, np.not_equal):
        return np.logical_or(negative, compared)
    return np.logical_and(np.logical_not(negative), compared)


def _kind_name(kind) -> str:
    return kind.__name__ if isinstance(kind, type) else str(kind)


def _check_integer_exponent(given, exponent, loc) -> None:
    """NumPy raises ValueError for negative exponents of integer powers: now for a
    constant, after the call for a traced one (``exponent``: as converted)."""
    if not is_tracer(given):
        if np.any(np.asarray(given) < 0):
            raise user_error(ValueError(f"Integers to negative integer powers are not allowed.{at(loc)}"))
    elif given._origins and python_kind(given) is not None:  # a Python int exponent: when NumPy
        raise StaticNeeded(given._origins, "the exponent of an integer power", loc)  # raises depends on it
    elif exponent.dtype.kind == "i":
        checks.record(np.any(np.less(exponent, 0)), ValueError,
                      f"Integers to negative integer powers are not allowed.{at(loc)}")


def _scalar_origins(inputs) -> frozenset:
    """The traced scalar arguments ``inputs`` derive from, when they are nothing else
    (traced Python scalars and arithmetic on them, and Python constants); else empty."""
    origins = frozenset()
    for x in inputs:
        if is_tracer(x):
            if not x._origins:
                return frozenset()
            origins |= x._origins
        elif not isinstance(x, PY_SCALARS):
            return frozenset()
    return origins


def _mark_python_number(result, from_arguments: bool) -> None:
    """The result of a Python operator on Python numbers is a Python number again (weak
    in promotion); one computed from arguments behaves as one (no array methods)."""
    kind = result.dtype.kind
    result._weak = float if kind == "f" else int if kind in "iu" else None
    if from_arguments or kind == "b":  # (a Python bool is a ScalarTracer: ``_weak`` is for int/float)
        as_python_scalar(result)


def _decided_by_range(ufunc, inputs, loop_dtype: np.dtype, trace):
    """A comparison of an integer array with a Python int beyond int64 (so beyond the
    array's range too): the same answer for every element, as NumPy's by-value rule gives."""
    if len(inputs) != 2:
        return None
    big = [i for i, x in enumerate(inputs) if type(x) is int and not -2**63 <= x < 2**63]
    if len(big) != 1:
        return None
    other = inputs[1 - big[0]]
    if not is_tracer(other) or other.dtype.kind not in "iu":
        return None
    info, value = np.iinfo(other.dtype), inputs[big[0]]
    probe = info.max if value > info.max else info.min  # any element: all compare the same way
    compare = {np.equal: eq, np.not_equal: ne, np.less: lt, np.less_equal: le, np.greater: gt,
               np.greater_equal: ge}[ufunc]
    answer = compare(probe, value) if big[0] == 1 else compare(value, probe)
    out = filled(trace, other.shape, np.bool_, answer)
    out._scalar = not other.shape  # a ufunc's 0-d result is a NumPy scalar
    return out


def _int_out_of_range(inputs, loop_dtype: np.dtype) -> bool:
    if loop_dtype.kind not in "iu":
        return False
    info = np.iinfo(loop_dtype)
    return any(type(x) is int and not info.min <= x <= info.max for x in inputs)


def reduce_method(ufunc: np.ufunc, method: str, inputs: Operand, kwargs: object) -> object:
    """``ufunc.reduce`` as the matching reduction and ``ufunc.outer``; other ufunc
    methods are unsupported."""
    loc = user_location()
    if method == "outer" and len(inputs) == 2 and not kwargs:
        return ufunc_outer(ufunc, *inputs)
    if method == "accumulate" and (ufunc in (np.add, np.multiply) or ufunc in SCAN_OF):
        return ufunc_accumulate(ufunc, *inputs, **kwargs)
    if method == "reduce" and ufunc in REDUCE_OF:
        return bitwise_reduce(ufunc, *inputs, **kwargs)
    if method in LATER_METHODS:
        return LATER_METHODS[method](ufunc, *inputs, **kwargs)
    if method != "reduce" or ufunc not in REDUCE_METHOD:
        raise UnsupportedError(f"numpy.{ufunc.__name__}.{method} is not supported{at(loc)}")
    kwargs = dict(kwargs)
    axis = kwargs.pop("axis", 0)
    handler = getattr(reductions, REDUCE_METHOD[ufunc])
    return handler(inputs[0], axis=axis, **kwargs)


def write_inplace(out: object, result: Operand, name: str, loc: str | None) -> object:
    """Write ``result`` into the traced array ``out`` (``out=`` or an augmented
    assignment), with NumPy's 'same_kind' output casting; returns ``out``."""
    target = out[0] if isinstance(out, tuple) and len(out) == 1 else out
    if not is_tracer(target):
        error = UnsupportedError(f"numpy.{name}: writing a traced result into a concrete array "
                                 f"(out=) is not supported{at(loc)}")
        note_refused(error, loc)  # an array the function made: traced next time (frontend/sites.py)
        raise error
    try:
        ok = np.broadcast_shapes(result.shape, target.shape) == target.shape
    except ValueError:
        ok = False
    if not ok:
        raise user_error(ValueError(f"non-broadcastable output operand with shape {target.shape} doesn't "
                                    f"match the broadcast shape {result.shape}{at(loc)}"))
    if result.dtype != target.dtype and not np.can_cast(result.dtype, target.dtype, "same_kind"):
        raise user_error(TypeError(f"Cannot cast ufunc '{name}' output from {result.dtype!r} to "
                                   f"{target.dtype!r} with casting rule 'same_kind'{at(loc)}"))
    write(target, result, loc)
    return target


register_ufunc_handlers(call_ufunc, reduce_method)
