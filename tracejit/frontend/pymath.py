"""Python's ``math`` module on traced numbers, as converted code sees it (``frontend/convert.py``).

``math.sqrt(x)`` converts ``x`` with ``float()`` (a traced 0-d value's traced conversion:
``frontend/pybuiltins.py``) and computes in float64, giving a traced Python float (weak in
promotion, as the float ``math`` returns). ``floor``/``ceil``/``trunc`` give traced Python ints,
``isnan``/``isinf``/``isfinite`` traced bools. Arguments ``math`` refuses (``sqrt(-1)``,
``log(0)``: "math domain error"; a finite argument whose result overflows: "math range error")
raise the same ValueError/OverflowError after the call (``frontend/checks.py``). Every other
name, and every call without a traced argument, is ``math``'s own: nothing is patched.
"""
from __future__ import annotations

import math
import types
from typing import Any, Callable

import numpy as np

from tracejit.errors import at
from tracejit.frontend import checks
from tracejit.frontend.context import user_location
from tracejit.frontend.operands import is_tracer
from tracejit.frontend.pybuiltins import bool_, float_, int_

_DOMAIN = {  # name -> (NumPy's function, the arguments outside math's domain)
    "sqrt": (np.sqrt, lambda x: x < 0), "exp": (np.exp, None), "expm1": (np.expm1, None),
    "log": (np.log, lambda x: x <= 0), "log2": (np.log2, lambda x: x <= 0), "log10": (np.log10, lambda x: x <= 0),
    "log1p": (np.log1p, lambda x: x <= -1), "sin": (np.sin, np.isinf), "cos": (np.cos, np.isinf),
    "tan": (np.tan, np.isinf), "asin": (np.arcsin, lambda x: np.abs(x) > 1),
    "acos": (np.arccos, lambda x: np.abs(x) > 1), "atan": (np.arctan, None), "sinh": (np.sinh, None),
    "cosh": (np.cosh, None), "tanh": (np.tanh, None), "asinh": (np.arcsinh, None),
    "acosh": (np.arccosh, lambda x: x < 1), "atanh": (np.arctanh, lambda x: np.abs(x) >= 1),
    "fabs": (np.abs, None), "degrees": (np.degrees, None), "radians": (np.radians, None),
}
_BINARY = {"atan2": np.arctan2, "hypot": np.hypot, "copysign": np.copysign}
_ROUNDING = {"floor": np.floor, "ceil": np.ceil, "trunc": np.trunc}
_TESTS = {"isnan": np.isnan, "isinf": np.isinf, "isfinite": np.isfinite}
_OVERFLOWING = ("exp", "expm1", "sinh", "cosh")


def _unary(name: str) -> Callable:
    original = getattr(math, name)
    fn, outside = _DOMAIN[name]

    def traced(x: Any) -> Any:
        if not is_tracer(x):
            return original(x)
        x = float_(x)
        loc = user_location()
        if outside is not None:
            checks.record(np.logical_and(np.logical_not(np.isnan(x)), outside(x)), ValueError,
                          f"math domain error (math.{name}){at(loc)}")
        y = fn(x)
        if name in _OVERFLOWING:
            checks.record(np.logical_and(np.isfinite(x), np.isinf(y)), OverflowError,
                          f"math range error (math.{name}){at(loc)}")
        return float_(y)
    return traced


def _binary(name: str) -> Callable:
    original, fn = getattr(math, name), _BINARY[name]

    def traced(x: Any, y: Any) -> Any:
        if not (is_tracer(x) or is_tracer(y)):
            return original(x, y)
        return float_(fn(float_(x) if is_tracer(x) else float(x), float_(y) if is_tracer(y) else float(y)))
    return traced


def _rounding(name: str) -> Callable:
    original, fn = getattr(math, name), _ROUNDING[name]

    def traced(x: Any) -> Any:
        if not is_tracer(x):
            return original(x)
        return int_(x) if x.dtype.kind in "iub" else int_(fn(float_(x)))
    return traced


def _test(name: str) -> Callable:
    original, fn = getattr(math, name), _TESTS[name]

    def traced(x: Any) -> Any:
        return bool_(fn(float_(x))) if is_tracer(x) else original(x)
    return traced


REPLACED: dict[str, Callable] = {
    **{name: _unary(name) for name in _DOMAIN}, **{name: _binary(name) for name in _BINARY},
    **{name: _rounding(name) for name in _ROUNDING}, **{name: _test(name) for name in _TESTS}}
for _name, _fn in REPLACED.items():
    _fn.__name__ = _fn.__qualname__ = _name
    _fn.__doc__ = getattr(math, _name).__doc__
BY_ORIGINAL = {id(getattr(math, name)): fn for name, fn in REPLACED.items()}  # ``from math import sqrt``


class _MathProxy(types.ModuleType):
    """``math`` as converted code sees it."""

    def __init__(self):
        super().__init__("math", math.__doc__)
        self.__dict__.update(REPLACED)

    def __getattr__(self, name: str):
        return getattr(math, name)

    def __dir__(self):
        return dir(math)


MATH = _MathProxy()
