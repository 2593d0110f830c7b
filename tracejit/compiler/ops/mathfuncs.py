"""Floating-point math ops: exponentials, logarithms, trigonometry, rounding,
classification, and ``sigmoid``/``erf`` (no NumPy ufunc). Lowered in
``codegen/lowerings/mathfuncs.py`` (mostly by our own vector math, ``compiler/mathlib``)."""
from __future__ import annotations

import math

import numpy as np

from tracejit.compiler.dtypes import check_supported
from tracejit.compiler.ops.elementwise import infer_for, ufunc_op
from tracejit.compiler.ops.registry import OpDef, register

TRANSCENDENTAL_COST = 20

for _name, _uf in [
    ("exp", np.exp), ("exp2", np.exp2), ("log", np.log), ("log2", np.log2), ("log10", np.log10),
    ("log1p", np.log1p), ("expm1", np.expm1), ("sin", np.sin), ("cos", np.cos), ("tan", np.tan),
    ("arcsin", np.arcsin), ("arccos", np.arccos), ("arctan", np.arctan), ("sinh", np.sinh), ("cosh", np.cosh),
    ("tanh", np.tanh), ("arcsinh", np.arcsinh), ("arccosh", np.arccosh), ("arctanh", np.arctanh),
    ("cbrt", np.cbrt), ("arctan2", np.arctan2), ("hypot", np.hypot),
]:
    ufunc_op(_name, _uf, cost=TRANSCENDENTAL_COST)
ufunc_op("sqrt", np.sqrt, cost=4)
ufunc_op("copysign", np.copysign)
ufunc_op("heaviside", np.heaviside, cost=2)  # 0 below 0, x2 at (either) 0, 1 above, NaN at NaN
ufunc_op("logaddexp", np.logaddexp, cost=2 * TRANSCENDENTAL_COST)
for _name, _uf in [("deg2rad", np.deg2rad), ("radians", np.radians), ("rad2deg", np.rad2deg), ("degrees", np.degrees)]:
    ufunc_op(_name, _uf)  # one multiply by pi/180 or 180/pi, the constant rounded in the loop dtype
for _name, _uf in [("floor", np.floor), ("ceil", np.ceil), ("trunc", np.trunc), ("rint", np.rint),
                   ("isnan", np.isnan), ("isinf", np.isinf), ("isfinite", np.isfinite), ("signbit", np.signbit)]:
    ufunc_op(_name, _uf)


# -- sigmoid and erf: no NumPy ufunc, same loop dtypes as np.exp ----------------------------

def _like_exp(in_dtypes, **_):
    loop = np.exp.resolve_dtypes((in_dtypes[0], None))
    check_supported(loop[1], "sigmoid/erf")
    return (loop[0],), loop[1]


def _result_dtype(x: np.ndarray) -> np.dtype:
    return np.exp.resolve_dtypes((x.dtype, None))[1]


def _sigmoid_reference(x):
    x = np.asarray(x)
    with np.errstate(over="ignore"):
        return (1 / (1 + np.exp(-x.astype(_result_dtype(x))))).astype(_result_dtype(x))


def _erf_reference(x):
    x = np.asarray(x)
    out = np.vectorize(math.erf, otypes=[np.float64])(x.astype(np.float64))
    return out.astype(_result_dtype(x))


register(OpDef(
    name="sigmoid", kind="elementwise", arity=1, infer=infer_for(_like_exp),
    reference=_sigmoid_reference, cost=TRANSCENDENTAL_COST,
    extra={"signature": _like_exp}, doc="1 / (1 + exp(-x)) as NumPy evaluates it; recognized by the simplifier"))
register(OpDef(
    name="erf", kind="elementwise", arity=1, infer=infer_for(_like_exp),
    reference=_erf_reference, cost=TRANSCENDENTAL_COST,
    extra={"signature": _like_exp}, doc="the error function (scipy.special.erf)"))


