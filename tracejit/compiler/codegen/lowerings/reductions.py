"""How codegen accumulates a reduction: the ops' :class:`Reduction` records
(``compiler/ops/reductions.py``) turned into LLVM IR steps."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from tracejit.compiler.codegen.lowerctx import LowerCtx
from tracejit.compiler.codegen.lowerings.table import lowering
from tracejit.compiler.ops import get_op


@dataclass(frozen=True)
class ReduceLowering:
    """One reduction in LLVM IR.

    ``identity(dtype)`` is the neutral start value (a Python number); ``combine(ctx, acc, x)``
    emits one accumulation step and must be associative (so vector lanes may be combined
    in any tree); ``pairwise`` asks for blocked pairwise accumulation (float sums); ``arg``
    marks argmax/argmin, which track an index, ``better(ctx, x, acc)`` tests whether x
    strictly beats acc (the first NaN wins, as in NumPy).
    """

    identity: Callable[[Any], Any]
    combine: Callable[..., Any] | None
    pairwise: bool = False
    arg: bool = False
    better: Callable[..., Any] | None = None


def _better(op: str) -> Callable[..., Any]:
    def better(ctx: LowerCtx, x: Any, best: Any) -> Any:
        strict = ctx.cmp(op, x, best)
        if ctx.kind == "f":  # the first NaN wins, as in NumPy
            strict = ctx.b.or_(strict, ctx.b.and_(ctx.isnan(x), ctx.b.not_(ctx.isnan(best))))
        return strict
    return better


def reduce_lowering(op: str) -> ReduceLowering:
    """How reduction op ``op`` accumulates, in LLVM IR."""
    red = get_op(op).reduction
    if red is None:
        raise KeyError(f"op {op!r} is not a reduction")
    return ReduceLowering(identity=red.identity, combine=None if red.combine is None else lowering(red.combine),
                          pairwise=red.pairwise, arg=red.arg,
                          better=None if red.better is None else _better(red.better))
