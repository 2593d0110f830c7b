"""Vectorizable math in our own LLVM IR (no libm calls), for float32 and float64 (float16: float32, rounded).

Every function is written once in float64 against :class:`FP` (so it serves scalars and
``<W x double>`` vectors). float32 inputs use a native float32 kernel where one exists
(:mod:`fast32`: exp, expm1, log, tanh, sigmoid, sin, cos) and otherwise are widened to
float64, computed, and rounded once: the float64 error (~1e-16) is far below half a
float32 ulp, so those results are within 1 ulp, with overflow, underflow and subnormals
coming out right from the final rounding.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

from tracejit.compiler.codegen.lowerctx import LowerCtx
from tracejit.compiler.mathlib import explog, fast32, hyperbolic, inverse_trig, special, trig
from tracejit.compiler.mathlib.fp import FP, Value

FUNCTIONS: dict[str, Callable] = {
    "exp": explog.exp, "exp2": explog.exp2, "expm1": explog.expm1, "log": explog.log,
    "log2": explog.log2, "log10": explog.log10, "log1p": explog.log1p, "power": explog.power,
    "sin": trig.sin, "cos": trig.cos, "tan": trig.tan,
    "arctan": inverse_trig.arctan, "arcsin": inverse_trig.arcsin, "arccos": inverse_trig.arccos,
    "arctan2": inverse_trig.arctan2, "hypot": inverse_trig.hypot,
    "sinh": hyperbolic.sinh, "cosh": hyperbolic.cosh, "arcsinh": hyperbolic.arcsinh,
    "arccosh": hyperbolic.arccosh, "arctanh": hyperbolic.arctanh,
    "tanh": special.tanh, "sigmoid": special.sigmoid, "erf": special.erf, "cbrt": special.cbrt,
}


def emit(name: str, ctx: LowerCtx, *args: Value) -> Value:
    """``name(*args)`` at ``ctx.dtype`` (float32 or float64)."""
    fn = FUNCTIONS[name]
    f64 = np.dtype(np.float64)
    if ctx.dtype == f64:
        return fn(FP(ctx, f64), *args)
    if ctx.dtype == np.float16:  # NumPy's float16 loops: the float32 function, rounded once
        f32 = np.dtype(np.float32)
        out = emit(name, ctx.at(f32), *[ctx.convert(a, ctx.dtype, f32) for a in args])
        return ctx.at(f32).convert(out, f32, ctx.dtype)
    if ctx.dtype != np.float32:
        raise TypeError(f"{name}: no vector implementation for {ctx.dtype}")
    if name in fast32.FUNCTIONS:
        return fast32.FUNCTIONS[name](FP(ctx, ctx.dtype), *args)
    wide = [ctx.convert(a, ctx.dtype, f64) for a in args]
    return ctx.at(f64).convert(fn(FP(ctx, f64), *wide), f64, ctx.dtype)


def lowering(name: str) -> Callable[..., Value]:
    """An op lowering that calls the vector implementation of ``name``."""
    def lower(ctx: LowerCtx, *args: Value) -> Value:
        return emit(name, ctx, *args)
    lower.__name__ = f"vector_{name}"
    return lower
