"""NumPy ufuncs with a complex operand, computed on real and imaginary parts.

Type promotion is NumPy's own (``ufunc.resolve_dtypes``, with Python ``complex`` weak
like ``float``: ``float32_array * 1j`` is complex64); each operand is then converted to
the loop's complex dtype as NumPy converts it and the ufunc's rule
(``complex/arithmetic.py``) computes the result's parts. Each supported ufunc is one
entry of :data:`RULES`; any other ufunc on complex values raises UnsupportedError naming
the user's line. :func:`apply` is what the installed complex support runs for a ufunc
call with a complex operand, from the real frontend (``frontend/numpy/ufuncs.py``) or from a
complex value's operators and ``__array_ufunc__`` (``complex/value.py``).
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from tracejit.errors import UnsupportedError, at, user_error, with_location
from tracejit.frontend.complex import arithmetic as arith
from tracejit.frontend.complex import elementary as elem
from tracejit.frontend.complex import inverse, trig
from tracejit.frontend.complex import matmul as cmatmul
from tracejit.frontend.complex import ordering as order
from tracejit.frontend.complex.value import ComplexTracer, is_python_number, make, operand_kind, part_dtype, parts
from tracejit.frontend.context import user_location
from tracejit.frontend.core import as_python_scalar
from tracejit.frontend.operands import find_trace

# ufunc -> rule(list of operand part pairs, fused: bool) -> a part pair (complex result)
# or one real tracer (real result: magnitude, comparisons, classification). ``fused``
# is False for NumPy's scalar math (operators on NumPy/Python scalars only), which
# neither fuses products nor uses the SIMD magnitude: ``abs`` is C's ``hypot`` there.
RULES: dict[np.ufunc, Callable] = {
    np.add: lambda ops, fused: arith.add(*ops),
    np.subtract: lambda ops, fused: arith.subtract(*ops),
    np.multiply: lambda ops, fused: arith.multiply(*ops, fused),
    np.true_divide: lambda ops, fused: arith.divide(*ops),
    np.negative: lambda ops, fused: (-ops[0][0], -ops[0][1]),
    np.positive: lambda ops, fused: (+ops[0][0], +ops[0][1]),
    np.conjugate: lambda ops, fused: (+ops[0][0], -ops[0][1]),
    np.square: lambda ops, fused: arith.square(ops[0], fused),
    np.exp: lambda ops, fused: arith.exp(ops[0]),
    np.exp2: lambda ops, fused: elem.exp2(ops[0]),
    np.expm1: lambda ops, fused: elem.expm1(ops[0]),
    np.sqrt: lambda ops, fused: elem.sqrt(ops[0]),
    np.reciprocal: lambda ops, fused: elem.reciprocal(ops[0]),
    np.log: lambda ops, fused: elem.log(ops[0]),
    np.log10: lambda ops, fused: elem.log_scaled(ops[0], elem.LOG10E),
    np.log2: lambda ops, fused: elem.log_scaled(ops[0], elem.LOG2E),
    np.log1p: lambda ops, fused: elem.log1p(ops[0]),
    np.power: lambda ops, fused: elem.power(*ops),
    np.sin: lambda ops, fused: trig.sin(ops[0]),
    np.cos: lambda ops, fused: trig.cos(ops[0]),
    np.tan: lambda ops, fused: trig.tan(ops[0]),
    np.sinh: lambda ops, fused: trig.sinh(ops[0]),
    np.cosh: lambda ops, fused: trig.cosh(ops[0]),
    np.tanh: lambda ops, fused: trig.tanh(ops[0]),
    np.arctanh: lambda ops, fused: trig.arctanh(ops[0]),
    np.arctan: lambda ops, fused: trig.arctan(ops[0]),
    np.arcsinh: lambda ops, fused: inverse.arcsinh(ops[0]),
    np.arcsin: lambda ops, fused: inverse.arcsin(ops[0]),
    np.arccos: lambda ops, fused: inverse.arccos(ops[0]),
    np.arccosh: lambda ops, fused: inverse.arccosh(ops[0]),
    np.absolute: lambda ops, fused: arith.absolute(ops[0], fused) if fused is not None else np.hypot(*ops[0]),
    np.equal: lambda ops, fused: (ops[0][0] == ops[1][0]) & (ops[0][1] == ops[1][1]),
    np.not_equal: lambda ops, fused: (ops[0][0] != ops[1][0]) | (ops[0][1] != ops[1][1]),
    np.less: lambda ops, fused: order.less(*ops),
    np.less_equal: lambda ops, fused: order.less_equal(*ops),
    np.greater: lambda ops, fused: order.greater(*ops),
    np.greater_equal: lambda ops, fused: order.greater_equal(*ops),
    np.maximum: lambda ops, fused: order.maximum(*ops),
    np.minimum: lambda ops, fused: order.minimum(*ops),
    np.fmax: lambda ops, fused: order.fmax(*ops),
    np.fmin: lambda ops, fused: order.fmin(*ops),
    np.isnan: lambda ops, fused: np.isnan(ops[0][0]) | np.isnan(ops[0][1]),
    np.isinf: lambda ops, fused: np.isinf(ops[0][0]) | np.isinf(ops[0][1]),
    np.isfinite: lambda ops, fused: np.isfinite(ops[0][0]) & np.isfinite(ops[0][1]),
}



def _unsupported(ufunc, loc) -> UnsupportedError:
    supported = ", ".join(sorted(u.__name__ for u in RULES))
    return UnsupportedError(f"numpy.{ufunc.__name__} of complex values is not supported by tracejit "
                            f"(supported on complex: {supported}){at(loc)}")


def _loop(ufunc: np.ufunc, inputs: tuple, dtype: Any, loc: str | None) -> tuple[np.dtype, np.dtype]:
    """(complex loop dtype of the inputs, result dtype), as NumPy resolves them."""
    kinds = tuple(operand_kind(x, loc) for x in inputs)
    if dtype is not None:
        dtype = np.dtype(dtype)
        for k in kinds:
            if isinstance(k, np.dtype) and not np.can_cast(k, dtype, "same_kind"):
                raise user_error(TypeError(f"Cannot cast ufunc '{ufunc.__name__}' input from {k!r} to {dtype!r} "
                                           f"with casting rule 'same_kind'{at(loc)}"))
        kinds = (dtype,) * ufunc.nin
    try:
        resolved = ufunc.resolve_dtypes(kinds + (None,) * ufunc.nout)
    except TypeError as e:
        raise with_location(e, loc) from e
    return resolved[0], resolved[-1]


def apply(ufunc: np.ufunc, inputs: tuple, dtype: Any = None, loc: str | None = None,
          operator: bool = False) -> Any:
    """``ufunc(*inputs)`` where some input is complex (or ``dtype`` is)."""
    loc = loc or user_location()
    if ufunc is np.matmul:
        return cmatmul.matmul(inputs, loc)
    rule = RULES.get(ufunc)
    if rule is None:
        _loop(ufunc, inputs, dtype, loc)  # NumPy's own TypeError where it has no complex loop
        raise _unsupported(ufunc, loc)
    loop, out = _loop(ufunc, inputs, dtype, loc)
    if loop.kind != "c":
        raise _unsupported(ufunc, loc)
    trace = find_trace([x.re_part if isinstance(x, ComplexTracer) else x for x in inputs])
    part = part_dtype(loop)
    fused = arith.numpy_fuses(loop)
    if operator and all(_is_scalar(x) for x in inputs):
        fused = None  # NumPy's scalar math: unfused products, hypot for abs
    if ufunc is np.power and _is_number(inputs[1]):  # a constant exponent: NumPy's branch chosen now
        result = elem.power_constant(parts(trace, inputs[0], part, loc), complex(np.asarray(inputs[1]).item()))
    else:
        result = rule([parts(trace, x, part, loc) for x in inputs], fused)
    python = operator and all(is_python_number(x) for x in inputs)  # Python's arithmetic gives a Python number
    if isinstance(result, tuple):
        value = make(*result)
        value._scalar = not value.shape
        value._weak = complex if python else None
        return value
    if not result.shape:
        result._scalar = True
        if python:  # abs(z) a Python float, z == w a Python bool
            result = as_python_scalar(result)
            result._weak = float if result.dtype.kind == "f" else None
    return result


def _is_number(x) -> bool:
    """A number known while tracing (a Python or NumPy scalar, not a traced value)."""
    return isinstance(x, (bool, int, float, complex, np.generic))


def _is_scalar(x) -> bool:
    """A NumPy or Python scalar (traced or not): operators on such use NumPy's scalar math."""
    if isinstance(x, (bool, int, float, complex, np.generic)):
        return True
    return bool(getattr(x, "_scalar", False))
