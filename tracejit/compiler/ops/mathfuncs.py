"""Floating-point math: exponentials, logarithms, trigonometry, rounding, classification.

Functions with an LLVM intrinsic use it (the backend may still call libm for them);
the rest call the C library lane by lane. Issue 3 replaces these calls with
vectorizable polynomial code of our own.
"""
from __future__ import annotations

import math

import numpy as np

from tracejit.compiler.ops.elementwise import ufunc_op

_TRANSCENDENTAL_COST = 20


def _intrinsic(name: str):
    return lambda ctx, *args: ctx.intrinsic(name, list(args))


def _libm(name: str):
    return lambda ctx, *args: ctx.libm(name, list(args))


for _name, _uf, _how in [
    ("sqrt", np.sqrt, _intrinsic("sqrt")),
    ("exp", np.exp, _intrinsic("exp")),
    ("exp2", np.exp2, _intrinsic("exp2")),
    ("log", np.log, _intrinsic("log")),
    ("log2", np.log2, _intrinsic("log2")),
    ("log10", np.log10, _intrinsic("log10")),
    ("log1p", np.log1p, _libm("log1p")),
    ("expm1", np.expm1, _libm("expm1")),
    ("sin", np.sin, _intrinsic("sin")),
    ("cos", np.cos, _intrinsic("cos")),
    ("tan", np.tan, _intrinsic("tan")),
    ("arcsin", np.arcsin, _intrinsic("asin")),
    ("arccos", np.arccos, _intrinsic("acos")),
    ("arctan", np.arctan, _intrinsic("atan")),
    ("sinh", np.sinh, _intrinsic("sinh")),
    ("cosh", np.cosh, _intrinsic("cosh")),
    ("tanh", np.tanh, _intrinsic("tanh")),
    ("arcsinh", np.arcsinh, _libm("asinh")),
    ("arccosh", np.arccosh, _libm("acosh")),
    ("arctanh", np.arctanh, _libm("atanh")),
    ("cbrt", np.cbrt, _libm("cbrt")),
    ("arctan2", np.arctan2, _intrinsic("atan2")),
    ("hypot", np.hypot, _libm("hypot")),
]:
    ufunc_op(_name, _uf, _how, cost=4 if _name == "sqrt" else _TRANSCENDENTAL_COST)

ufunc_op("copysign", np.copysign, _intrinsic("copysign"))


def _logaddexp(ctx, a, b):
    """log(exp(a) + exp(b)) without overflow, as NumPy's npy_logaddexp."""
    bl = ctx.b
    same = ctx.cmp("==", a, b)  # also handles equal infinities
    diff = bl.fsub(a, b)
    pos = ctx.cmp(">", diff, ctx.const(0))
    big = ctx.select(pos, a, b)
    neg_abs = bl.fneg(ctx.intrinsic("fabs", [diff]))
    out = bl.fadd(big, ctx.libm("log1p", [ctx.intrinsic("exp", [neg_abs])]))
    out = ctx.select(ctx.isnan(diff), diff, out)
    return ctx.select(same, bl.fadd(a, ctx.const(math.log(2))), out)


ufunc_op("logaddexp", np.logaddexp, _logaddexp, cost=2 * _TRANSCENDENTAL_COST)


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
