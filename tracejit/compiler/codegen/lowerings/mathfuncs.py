"""Lowerings of the floating-point math ops (declared in ``compiler/ops/mathfuncs.py``):
exponentials, logarithms, trigonometry, rounding, classification.

The common transcendental functions use our own vectorizable implementations
(:mod:`tracejit.compiler.mathlib`: no libm calls, float32 within 1 ulp, float64 within
a few); the remaining ones still use an LLVM intrinsic lane by lane.
"""
from __future__ import annotations

import math

import numpy as np

from tracejit.compiler import mathlib
from tracejit.compiler.codegen.lowerings.table import register_lowering

VECTOR_MATH = ("exp", "exp2", "log", "log2", "log10", "log1p", "expm1", "sin", "cos", "tan", "arcsin",
               "arccos", "arctan", "sinh", "cosh", "tanh", "arcsinh", "arccosh", "arctanh", "cbrt", "arctan2",
               "hypot", "sigmoid", "erf")


def _intrinsic(name: str):
    return lambda ctx, *args: ctx.intrinsic(name, list(args))


for _name in VECTOR_MATH:
    register_lowering(_name, mathlib.lowering(_name))
register_lowering("sqrt", _intrinsic("sqrt"))
register_lowering("copysign", _intrinsic("copysign"))
register_lowering("logaddexp", lambda ctx, a, b: _logaddexp_vector(ctx, a, b))


def _heaviside(ctx, x, at_zero):
    """NumPy's npy_heaviside: NaN for NaN, ``at_zero`` for +-0, else 0 below 0 and 1 above."""
    zero = ctx.const(0)
    out = ctx.select(ctx.cmp("<", x, zero), zero, ctx.const(1))
    out = ctx.select(ctx.cmp("==", x, zero), at_zero, out)
    return ctx.select(ctx.isnan(x), ctx.const(math.nan), out)


register_lowering("heaviside", _heaviside)


def _angle_scale(numerator: float, denominator: float):
    """NumPy's npy_deg2rad/npy_rad2deg: ``x * (numerator / denominator)``, the constant
    computed in the loop dtype (float32: ``NPY_PIf / 180.0f``), so results match bit for bit."""
    def lower(ctx, x):
        t = np.dtype(ctx.dtype).type
        return ctx.b.fmul(x, ctx.const(t(numerator) / t(denominator)), flags=ctx.fast)
    return lower


for _name in ("deg2rad", "radians"):
    register_lowering(_name, _angle_scale(math.pi, 180.0))
for _name in ("rad2deg", "degrees"):
    register_lowering(_name, _angle_scale(180.0, math.pi))


def _rounding(name: str):
    def lower(ctx, x):
        return x if ctx.kind != "f" else ctx.intrinsic(name, [x])
    return lower


register_lowering("floor", _rounding("floor"))
register_lowering("ceil", _rounding("ceil"))
register_lowering("trunc", _rounding("trunc"))
register_lowering("rint", _rounding("roundeven"))


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


register_lowering("isnan", _classify(lambda ctx, x: ctx.isnan(x), False))
register_lowering("isinf", _classify(_isinf, False))
register_lowering("isfinite", _classify(_isfinite, True))
register_lowering("signbit", _classify(_signbit, False))


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
