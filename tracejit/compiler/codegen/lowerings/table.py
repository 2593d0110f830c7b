"""The table of op lowerings: op name -> a function emitting LLVM IR for it.

An elementwise lowering is ``lower(ctx: LowerCtx, *args) -> value`` and sees operands
already converted to the op's loop dtype (``ctx.dtype``; ``ctx.out_dtype`` is the
result's). The family modules beside this one fill the table when codegen is imported
(``codegen/lowerings/__init__.py``); the ops themselves (``compiler/ops/``) know nothing
of LLVM.
"""
from __future__ import annotations

from typing import Any, Callable

from tracejit.compiler.codegen.lowerings.half import EXACT_IN_HALF, in_float32

LOWERINGS: dict[str, Callable[..., Any]] = {}


def register_lowering(op: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    """Record ``fn`` as the lowering of op ``op``; an op may be lowered only once."""
    if op in LOWERINGS:
        raise ValueError(f"op {op!r} lowered twice")
    LOWERINGS[op] = fn
    return fn


def lowering(op: str) -> Callable[..., Any]:
    """The lowering of op ``op`` (at float16: :func:`~tracejit.compiler.codegen.lowerings.half.in_float32`)."""
    try:
        fn = LOWERINGS[op]
    except KeyError:
        raise KeyError(f"no lowering registered for op {op!r} (see codegen/lowerings/)") from None
    return fn if op in EXACT_IN_HALF else in_float32(fn)
