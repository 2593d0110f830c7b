"""Lowerings of the elementwise ops that are no NumPy ufunc (declared in
``compiler/ops/elementwise.py`` and ``compiler/ops/fused.py``): where, convert, copy, fma."""
from __future__ import annotations

from tracejit.compiler.codegen.lowerings.table import register_lowering

register_lowering("where", lambda ctx, c, x, y: ctx.select(c, x, y))
register_lowering("convert", lambda ctx, x: ctx.convert(x, ctx.dtype, ctx.out_dtype))
register_lowering("copy", lambda ctx, x: x)
register_lowering("fma", lambda ctx, a, b, c: ctx.intrinsic("fma", [a, b, c]))


def _size(ctx, *args):
    raise AssertionError("tracejit: a size node is an iota of kernel formation (kernelize/builder.py), never an op")


register_lowering("size", _size)
