"""float16 ops as NumPy's float16 loops compute them: each operand widened to float32,
the float32 operation, the result rounded to float16 once per op.

NumPy's ``HALF_*`` loops call the float32 function between ``npy_half_to_float`` and
``npy_float_to_half``; so does every lowering here at a float16 ctx (ctx at float32,
operands ``fpext``, result ``fptrunc``). The rounding after each op is explicit in our
IR, so a fused kernel keeps no float32 intermediate from one op to the next, whatever
LLVM's legalization of ``half`` does. For +, -, *, /, sqrt the float32 result rounded to
float16 is also the correctly rounded float16 result (24 >= 2 * 11 + 2 bits).
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np
from llvmlite import ir

from tracejit.compiler.codegen.lowerctx import float_to_half

HALF = np.dtype(np.float16)
F32 = np.dtype(np.float32)

# ops whose result in float16 needs no arithmetic: selection, moves, casts (ctx.convert
# handles float16 itself)
EXACT_IN_HALF = frozenset({"where", "copy", "convert", "size"})


def _is_half(value: ir.Value) -> bool:
    ty = value.type
    return isinstance(ty.element if isinstance(ty, ir.VectorType) else ty, ir.HalfType)


def _like(value: ir.Value, element: ir.Type) -> ir.Type:
    """``element``, or a vector of it with as many lanes as ``value`` (``<1 x half>`` too)."""
    ty = value.type
    return ir.VectorType(element, ty.count) if isinstance(ty, ir.VectorType) else element


def in_float32(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn`` itself, or at a float16 ctx: ``fn`` at float32 on widened operands, the
    float result rounded to float16 when the op's result dtype is float16."""
    def lower(ctx: Any, *args: Any) -> Any:
        if ctx.dtype != HALF and ctx.out_dtype != HALF:
            return fn(ctx, *args)
        wide = ctx.__class__(ctx.b, ctx.width, F32 if ctx.dtype == HALF else ctx.dtype,
                             F32 if ctx.out_dtype == HALF else ctx.out_dtype, fast=ctx.fast)
        out = fn(wide, *[ctx.b.fpext(a, _like(a, ir.FloatType())) if _is_half(a) else a for a in args])
        if ctx.out_dtype != HALF:
            return out
        return float_to_half(ctx.b, out)
    lower.__name__ = getattr(fn, "__name__", "lower")
    return lower
