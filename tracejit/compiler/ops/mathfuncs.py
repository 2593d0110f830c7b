"""Floating-point math ops: exponentials, logarithms, trigonometry, rounding,
classification, and ``sigmoid``/``erf`` (no NumPy ufunc). Lowered in
``codegen/lowerings/mathfuncs.py`` (mostly by our own vector math, ``compiler/mathlib``).

Differentiation: the partial derivatives in ``PARTIALS`` (``ops/diffrules.py``); rounding and
classification are piecewise constant. ``sqrt`` and ``cbrt`` have an infinite derivative at 0,
as in JAX; ``hypot`` has derivative 0 at the origin and ``arctan2`` NaN at (0, 0)."""
from __future__ import annotations

import math

import numpy as np

from tracejit.compiler.dtypes import check_supported
from tracejit.compiler.ops.diffrules import ZERO_RULES, from_partials
from tracejit.compiler.ops.elementwise import infer_for, ufunc_op
from tracejit.compiler.ops.registry import OpDef, register

TRANSCENDENTAL_COST = 20


def _inv_sqrt(b, x, out, sign: float):
    """``1 / sqrt(1 + sign * x**2)``."""
    return b.op("reciprocal", b.op("sqrt", b.op("add", b.const(1.0, out),
                                                    b.mul(b.op("square", x), sign))))


def _over_sum_squares(b, ops, out):
    """d arctan2(y, x): (x, -y) / (x**2 + y**2)."""
    y, x = ops
    r2 = b.op("add", b.op("square", x), b.op("square", y))
    return b.op("divide", x, r2), b.op("negative", b.op("divide", y, r2))


def _nonzero(b, x):
    """``x`` with zeros replaced by ones (a derivative 0 instead of NaN at hypot's origin)."""
    return b.op("where", b.op("equal", x, b.const(0.0, x)), b.const(1.0, x), x)


def _mul_const(c: float):
    return lambda b, ops, out: (c,)


PARTIALS = {
    "exp": lambda b, ops, out: (out,),
    "exp2": lambda b, ops, out: (b.mul(out, math.log(2.0)),),
    "log": lambda b, ops, out: (b.op("reciprocal", ops[0]),),
    "log2": lambda b, ops, out: (b.op("reciprocal", b.mul(ops[0], math.log(2.0))),),
    "log10": lambda b, ops, out: (b.op("reciprocal", b.mul(ops[0], math.log(10.0))),),
    "log1p": lambda b, ops, out: (b.op("reciprocal", b.op("add", ops[0], b.const(1.0, out))),),
    "expm1": lambda b, ops, out: (b.op("add", out, b.const(1.0, out)),),
    "sin": lambda b, ops, out: (b.op("cos", ops[0]),),
    "cos": lambda b, ops, out: (b.op("negative", b.op("sin", ops[0])),),
    "tan": lambda b, ops, out: (b.op("add", b.const(1.0, out), b.op("square", out)),),
    "arcsin": lambda b, ops, out: (_inv_sqrt(b, ops[0], out, -1.0),),
    "arccos": lambda b, ops, out: (b.op("negative", _inv_sqrt(b, ops[0], out, -1.0)),),
    "arctan": lambda b, ops, out: (b.op("reciprocal", b.op("add", b.const(1.0, out), b.op("square", ops[0]))),),
    "sinh": lambda b, ops, out: (b.op("cosh", ops[0]),),
    "cosh": lambda b, ops, out: (b.op("sinh", ops[0]),),
    "tanh": lambda b, ops, out: (b.op("subtract", b.const(1.0, out), b.op("square", out)),),
    "arcsinh": lambda b, ops, out: (_inv_sqrt(b, ops[0], out, 1.0),),
    "arccosh": lambda b, ops, out: (b.op("reciprocal", b.op("sqrt", b.op(
        "subtract", b.op("square", ops[0]), b.const(1.0, out)))),),
    "arctanh": lambda b, ops, out: (b.op("reciprocal", b.op("subtract", b.const(1.0, out), b.op("square", ops[0]))),),
    "cbrt": lambda b, ops, out: (b.op("reciprocal", b.mul(b.op("square", out), 3.0)),),
    "arctan2": _over_sum_squares,
    "hypot": lambda b, ops, out: (b.op("divide", ops[0], _nonzero(b, out)), b.op("divide", ops[1], _nonzero(b, out))),
    "sqrt": lambda b, ops, out: (b.op("reciprocal", b.mul(out, 2.0)),),
    "logaddexp": lambda b, ops, out: (b.op("exp", b.op("subtract", ops[0], out)),
                                      b.op("exp", b.op("subtract", ops[1], out))),
    "deg2rad": _mul_const(math.pi / 180), "radians": _mul_const(math.pi / 180),
    "rad2deg": _mul_const(180 / math.pi), "degrees": _mul_const(180 / math.pi),
    # copysign(x, y) = |x| with y's sign: +-1 in x, piecewise constant in y
    "copysign": lambda b, ops, out: (b.op("where", b.op("equal", b.op("signbit", ops[0]), b.op("signbit", out)),
                                          b.const(1.0, out), b.const(-1.0, out)), None),
    # heaviside(x, h): 0 below 0, h at 0, 1 above: constant in x, 1 at x == 0 in h
    "heaviside": lambda b, ops, out: (None, b.op("where", b.op("equal", ops[0], b.const(0.0, out)),
                                                 b.const(1.0, out), b.const(0.0, out))),
    "sigmoid": lambda b, ops, out: (b.op("multiply", out, b.op("subtract", b.const(1.0, out), out)),),
    "erf": lambda b, ops, out: (b.mul(b.op("exp", b.op("negative", b.op("square", ops[0]))),
                                      2.0 / math.sqrt(math.pi)),),
}


def _rules(name: str) -> dict:
    return from_partials(PARTIALS[name]) if name in PARTIALS else {}

for _name, _uf in [
    ("exp", np.exp), ("exp2", np.exp2), ("log", np.log), ("log2", np.log2), ("log10", np.log10),
    ("log1p", np.log1p), ("expm1", np.expm1), ("sin", np.sin), ("cos", np.cos), ("tan", np.tan),
    ("arcsin", np.arcsin), ("arccos", np.arccos), ("arctan", np.arctan), ("sinh", np.sinh), ("cosh", np.cosh),
    ("tanh", np.tanh), ("arcsinh", np.arcsinh), ("arccosh", np.arccosh), ("arctanh", np.arctanh),
    ("cbrt", np.cbrt), ("arctan2", np.arctan2), ("hypot", np.hypot),
]:
    ufunc_op(_name, _uf, cost=TRANSCENDENTAL_COST, **_rules(_name))
ufunc_op("sqrt", np.sqrt, cost=4, **_rules("sqrt"))
ufunc_op("copysign", np.copysign, **_rules("copysign"))
ufunc_op("heaviside", np.heaviside, cost=2, **_rules("heaviside"))  # 0 below 0, x2 at (either) 0, 1 above, NaN at NaN
ufunc_op("logaddexp", np.logaddexp, cost=2 * TRANSCENDENTAL_COST, **_rules("logaddexp"))
for _name, _uf in [("deg2rad", np.deg2rad), ("radians", np.radians), ("rad2deg", np.rad2deg), ("degrees", np.degrees)]:
    ufunc_op(_name, _uf, **_rules(_name))  # one multiply by pi/180 or 180/pi, the constant rounded in the loop dtype
for _name, _uf in [("floor", np.floor), ("ceil", np.ceil), ("trunc", np.trunc), ("rint", np.rint)]:
    ufunc_op(_name, _uf, **ZERO_RULES)
for _name, _uf in [("isnan", np.isnan), ("isinf", np.isinf), ("isfinite", np.isfinite), ("signbit", np.signbit)]:
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
    reference=_sigmoid_reference, cost=TRANSCENDENTAL_COST, **_rules("sigmoid"),
    extra={"signature": _like_exp}, doc="1 / (1 + exp(-x)) as NumPy evaluates it; recognized by the simplifier"))
register(OpDef(
    name="erf", kind="elementwise", arity=1, infer=infer_for(_like_exp),
    reference=_erf_reference, cost=TRANSCENDENTAL_COST, **_rules("erf"),
    extra={"signature": _like_exp}, doc="the error function (scipy.special.erf)"))


