"""Python operators on Python numbers, computed as Python computes them.

A Python operator whose operands are all Python numbers -- traced ``int``/``float``/
``bool`` arguments (``frontend/signature.py``), a loop's index, Python constants and
the results of such operators -- gives a Python number in eager code: ``True + True``
is 2, ``s * t`` of two ints is exact, ``s // 0`` raises ZeroDivisionError. Traced,
such operands are int64/float64 values. This module decides their operand dtypes
(bools count as ints, except in ``& | ^`` and comparisons), refuses ints beyond int64
(the arguments behind them become static, so Python computes the result), and records
run-time checks (``frontend/checks.py``) that raise OverflowError where the int64
result wrapped, and ZeroDivisionError (or ValueError for a negative shift count) where
Python raises it. In a loop body or branch, whose checks would not reach the caller,
int arithmetic on arguments makes them static instead; float division there still
gives inf/nan where Python raises.
"""
from __future__ import annotations

import numpy as np

from tracejit.errors import StaticNeeded, UnsupportedError, at, user_error
from tracejit.frontend import checks
from tracejit.frontend.operands import Operand, python_kind

_INT64 = np.dtype(np.int64)
_MIN = np.iinfo(np.int64).min
_MAX = np.iinfo(np.int64).max
# ufuncs for which Python's bools are ints (``True + True == 2``, ``-True == -1``)
_BITWISE = frozenset({np.bitwise_and, np.bitwise_or, np.bitwise_xor})
_COMPARISONS = frozenset({np.equal, np.not_equal, np.less, np.less_equal, np.greater, np.greater_equal})
_DIVISIONS = frozenset({np.true_divide, np.floor_divide, np.remainder})


def operand_dtypes(ufunc: np.ufunc, inputs: Operand, operator: bool) -> tuple[np.dtype, ...]:
    """The dtypes Python numbers enter ``ufunc`` with: int64, float64 or bool, as NumPy
    converts them to arrays; for a Python ``operator``, bools are int64 (Python's bools
    are ints) except in bitwise operators on bools only and in comparisons."""
    kinds = [python_kind(x) for x in inputs]
    keep_bool = not operator or ufunc in _COMPARISONS or (ufunc in _BITWISE and all(k is bool for k in kinds))
    out = []
    for k in kinds:
        if k is float:
            out.append(np.dtype(np.float64))
        elif k is int or not keep_bool:
            out.append(_INT64)
        else:
            out.append(np.dtype(np.bool_))
    return tuple(out)


def refuse_big_ints(inputs: Operand, loop: tuple, origins: frozenset, loc: str | None) -> None:
    """A Python int constant beyond int64 in integer arithmetic on Python numbers: Python
    computes it exactly; the arguments become static so it does (StaticNeeded)."""
    if loop[0].kind not in "iu" or not any(type(x) is int and not _MIN <= x <= _MAX for x in inputs):
        return
    if origins:
        raise StaticNeeded(origins, "Python int arithmetic beyond int64", loc)
    raise user_error(OverflowError(f"Python int arithmetic with an int beyond int64 on a traced loop value{at(loc)}: "
                                   "tracejit computes such values as int64"))


_INT_FAILING = frozenset({np.add, np.subtract, np.multiply, np.negative, np.absolute, np.left_shift,
                          np.right_shift}) | _DIVISIONS


def record_checks(ufunc: np.ufunc, operands: list, result: Operand, origins: frozenset, loc: str | None) -> None:
    """Record the errors Python raises for ``ufunc`` on these Python numbers (now int64/
    float64 values ``operands`` giving ``result``): int64 overflow, division by zero,
    negative shift counts."""
    kind = result.dtype.kind
    if kind == "f":
        if ufunc not in _DIVISIONS and ufunc is not np.power:
            return
    elif kind not in "iu" or ufunc not in _INT_FAILING:
        return
    if result._trace.parent is not None:  # a loop body or branch: its checks would not reach the call
        if kind == "f" or not origins:
            return
        raise StaticNeeded(origins, "Python int arithmetic inside a loop body or branch", loc)
    for flag, error, message in _failures(ufunc, operands, result, origins):
        checks.record(flag, error, f"{message}{at(loc)}")


def _failures(ufunc: np.ufunc, operands: list, r, origins: frozenset) -> list:
    """(0-d bool flag, exception type, message) for each way ``ufunc`` fails in Python."""
    a = operands[0]
    b = operands[1] if len(operands) > 1 else None
    names = ", ".join(sorted(origins)) or "the values"
    overflow = (f"Python int arithmetic overflowed int64 (Python's result would be exact; tracejit computes "
                f"Python ints of traced arguments as int64: make {names} static with tj.jit(static_argnames=...))")
    if r.dtype.kind == "f":
        if ufunc is np.power:
            fractional = np.logical_and(np.isfinite(b), np.not_equal(b, np.floor(b)))
            return [(np.logical_and(np.equal(a, 0), np.less(b, 0)), ZeroDivisionError,
                     "0.0 cannot be raised to a negative power"),
                    (np.logical_and(np.less(a, 0), fractional), UnsupportedError,
                     "a negative Python float to a fractional power is a complex number in Python; "
                     "tracejit computes real numbers (use complex(x) ** y eagerly, or np.power for NumPy's nan)")]
        return [(np.equal(b, 0), ZeroDivisionError, "division by zero")]
    if ufunc is np.add:
        return [(np.less(np.bitwise_and(np.bitwise_xor(a, r), np.bitwise_xor(b, r)), 0), OverflowError, overflow)]
    if ufunc is np.subtract:
        return [(np.less(np.bitwise_and(np.bitwise_xor(a, b), np.bitwise_xor(a, r)), 0), OverflowError, overflow)]
    if ufunc is np.multiply:
        wrapped = np.logical_or(np.not_equal(np.floor_divide(r, b), a),
                                np.logical_and(np.equal(a, _MIN), np.equal(b, -1)))
        return [(np.logical_and(np.not_equal(b, 0), wrapped), OverflowError, overflow)]
    if ufunc in (np.negative, np.absolute):
        return [(np.equal(a, _MIN), OverflowError, overflow)]
    if ufunc is np.left_shift:
        return [(np.less(b, 0), ValueError, "negative shift count"),
                (np.not_equal(np.right_shift(r, b), a), OverflowError, overflow)]
    if ufunc is np.right_shift:
        return [(np.less(b, 0), ValueError, "negative shift count")]
    if ufunc in _DIVISIONS:
        message = "division by zero" if ufunc is np.true_divide else "integer division or modulo by zero"
        out = [(np.equal(b, 0), ZeroDivisionError, message)]
        if ufunc is np.floor_divide:
            out.append((np.logical_and(np.equal(a, _MIN), np.equal(b, -1)), OverflowError, overflow))
        return out
    return []
