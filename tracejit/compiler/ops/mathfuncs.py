"""Floating-point math: exponentials, logarithms, trigonometry, rounding, classification.

The common transcendental functions use our own vectorizable implementations
(:mod:`tracejit.compiler.mathlib`: no libm calls, float32 within 1 ulp, float64 within
a few); the remaining ones still use an LLVM intrinsic or the C library lane by lane.
"""
from __future__ import annotations

import math

import numpy as np

from tracejit.compiler import mathlib
from tracejit.compiler.dtypes import check_supported
from tracejit.compiler.ops.elementwise import _infer_for, ufunc_op
from tracejit.compiler.ops.registry import OpDef, register

_TRANSCENDENTAL_COST = 20


def _intrinsic(name: str):
    return lambda ctx, *args: ctx.intrinsic(name, list(args))


for _name, _uf, _how in [
    ("sqrt", np.sqrt, _intrinsic("sqrt")),
    ("exp", np.exp, mathlib.lowering("exp")),
    ("exp2", np.exp2, mathlib.lowering("exp2")),
    ("log", np.log, mathlib.lowering("log")),
    ("log2", np.log2, mathlib.lowering("log2")),
    ("log10", np.log10, mathlib.lowering("log10")),
    ("log1p", np.log1p, mathlib.lowering("log1p")),
    ("expm1", np.expm1, mathlib.lowering("expm1")),
    ("sin", np.sin, mathlib.lowering("sin")),
    ("cos", np.cos, mathlib.lowering("cos")),
    ("tan", np.tan, mathlib.lowering("tan")),
    ("arcsin", np.arcsin, mathlib.lowering("arcsin")),
    ("arccos", np.arccos, mathlib.lowering("arccos")),
    ("arctan", np.arctan, mathlib.lowering("arctan")),
    ("sinh", np.sinh, mathlib.lowering("sinh")),
    ("cosh", np.cosh, mathlib.lowering("cosh")),
    ("tanh", np.tanh, mathlib.lowering("tanh")),
    ("arcsinh", np.arcsinh, mathlib.lowering("arcsinh")),
    ("arccosh", np.arccosh, mathlib.lowering("arccosh")),
    ("arctanh", np.arctanh, mathlib.lowering("arctanh")),
    ("cbrt", np.cbrt, mathlib.lowering("cbrt")),
    ("arctan2", np.arctan2, mathlib.lowering("arctan2")),
    ("hypot", np.hypot, mathlib.lowering("hypot")),
]:
    ufunc_op(_name, _uf, _how, cost=4 if _name == "sqrt" else _TRANSCENDENTAL_COST)

ufunc_op("copysign", np.copysign, _intrinsic("copysign"))


ufunc_op("logaddexp", np.logaddexp, lambda ctx, a, b: _logaddexp_vector(ctx, a, b),
         cost=2 * _TRANSCENDENTAL_COST)


def _rounding(name: str):
    def lower(ctx, x):
        return x if ctx.kind != "f" else ctx.intrinsic(name, [x])
    return lower


ufunc_op("floor", np.floor, _rounding("floor"))
ufunc_op("ceil", np.ceil, _rounding("ceil"))
ufunc_op("trunc", np.trunc, _rounding("trunc"))
ufunc_op("rint", np.rint, _rounding("roundeven"))


def _classify(float_test, int_value: bool):
    def lower(ctx, x):
        if ctx.kind != "f":
            return ctx.const(int_value, np.bool_)
        return float_test(ctx, x)
    return lower


def _isinf(ctx, x):
    return ctx.b.fcmp_ordered("==", ctx.intrinsic("fabs", [x]), ctx.const(math.inf))


def _isfinite(ctx, x):
    return ctx.b.fcmp_ordered("<", ctx.intrinsic("fabs", [x]), ctx.const(math.inf))


def _signbit(ctx, x):
    ity = ctx.ty(np.dtype(f"int{ctx.bits}"))
    return ctx.b.icmp_signed("<", ctx.b.bitcast(x, ity), ctx.at(np.dtype(f"int{ctx.bits}")).const(0))


ufunc_op("isnan", np.isnan, _classify(lambda ctx, x: ctx.isnan(x), False))
ufunc_op("isinf", np.isinf, _classify(_isinf, False))
ufunc_op("isfinite", np.isfinite, _classify(_isfinite, True))
ufunc_op("signbit", np.signbit, _classify(_signbit, False))


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
    name="sigmoid", kind="elementwise", arity=1, infer=_infer_for(_like_exp),
    reference=_sigmoid_reference, lower=mathlib.lowering("sigmoid"), cost=_TRANSCENDENTAL_COST,
    extra={"signature": _like_exp}, doc="1 / (1 + exp(-x)) as NumPy evaluates it; recognized by the simplifier"))
register(OpDef(
    name="erf", kind="elementwise", arity=1, infer=_infer_for(_like_exp),
    reference=_erf_reference, lower=mathlib.lowering("erf"), cost=_TRANSCENDENTAL_COST,
    extra={"signature": _like_exp}, doc="the error function (scipy.special.erf)"))


def _logaddexp_vector(ctx, a, b):
    """log(exp(a) + exp(b)) without overflow, as NumPy's npy_logaddexp."""
    bl = ctx.b
    same = ctx.cmp("==", a, b)  # also handles equal infinities
    diff = bl.fsub(a, b)
    big = ctx.select(ctx.cmp(">", diff, ctx.const(0)), a, b)
    neg_abs = bl.fneg(ctx.intrinsic("fabs", [diff]))
    out = bl.fadd(big, mathlib.emit("log1p", ctx, mathlib.emit("exp", ctx, neg_abs)))
    out = ctx.select(ctx.isnan(diff), diff, out)
    return ctx.select(same, bl.fadd(a, ctx.const(math.log(2))), out)
