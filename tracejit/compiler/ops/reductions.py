"""Reductions over a set of axes: sum, prod, max, min, any, all, argmax, argmin.

The reduce op's input dtype is its accumulator dtype: the frontend inserts a
``convert`` first where NumPy widens (``sum`` of int32 accumulates in int64) or
tests truth (``any``/``all`` reduce booleans). ``mean``, ``var`` and ``std`` are
compositions built by the frontend.
"""
from __future__ import annotations

import math

import numpy as np

from tracejit.compiler.dtypes import AVal
from tracejit.compiler.ops import arith
from tracejit.compiler.ops.registry import OpDef, ReduceLowering, get_op, register


def reduced_shape(shape: tuple[int, ...], axes: tuple[int, ...], keepdims: bool) -> tuple[int, ...]:
    if keepdims:
        return tuple(1 if d in axes else n for d, n in enumerate(shape))
    return tuple(n for d, n in enumerate(shape) if d not in axes)


def _extreme(dtype: np.dtype, largest: bool):
    dt = np.dtype(dtype)
    if dt.kind == "f":
        return math.inf if largest else -math.inf
    if dt.kind == "b":
        return largest
    info = np.iinfo(dt)
    return int(info.max if largest else info.min)


def _combine_with(op_name: str):
    return lambda ctx, acc, x: get_op(op_name).lower(ctx, acc, x)


def _better(op: str):
    def better(ctx, x, best):
        strict = ctx.cmp(op, x, best)
        if ctx.kind == "f":  # the first NaN wins, as in NumPy
            strict = ctx.b.or_(strict, ctx.b.and_(ctx.isnan(x), ctx.b.not_(ctx.isnan(best))))
        return strict
    return better


def _declare(name: str, numpy_fn, lowering: ReduceLowering, out_dtype=None, arg=False):
    def infer(avals, axes, keepdims) -> AVal:
        (a,) = avals
        if any(not 0 <= ax < a.ndim for ax in axes) or len(set(axes)) != len(axes):
            raise ValueError(f"{name}: bad axes {axes} for rank {a.ndim}")
        if arg and not (len(axes) == 1 or len(axes) == a.ndim):
            raise ValueError(f"{name}: reduces one axis or all of them")
        dtype = np.dtype(out_dtype) if out_dtype is not None else a.dtype
        return AVal(reduced_shape(a.shape, axes, keepdims), dtype)

    def reference(x, axes, keepdims):
        x = np.asarray(x)
        if arg:
            axis = None if (len(axes) != 1 or x.ndim == 0) else axes[0]
            out = numpy_fn(x, axis=axis, keepdims=keepdims)
            return np.asarray(out).reshape(reduced_shape(x.shape, axes, keepdims))
        kwargs = {"dtype": x.dtype} if name in ("sum", "prod") else {}
        return np.asarray(numpy_fn(x, axis=axes, keepdims=keepdims, **kwargs))

    register(OpDef(name=name, kind="reduce", arity=1, infer=infer, reference=reference,
                   lower=lowering, doc=f"numpy.{numpy_fn.__name__} over attrs['axes']"))


_declare("sum", np.sum, ReduceLowering(lambda dt: 0, _combine_with("add"), pairwise=True))
_declare("prod", np.prod, ReduceLowering(lambda dt: 1, _combine_with("multiply")))
_declare("max", np.max, ReduceLowering(lambda dt: _extreme(dt, False), _combine_with("maximum")))
_declare("min", np.min, ReduceLowering(lambda dt: _extreme(dt, True), _combine_with("minimum")))
_declare("any", np.any, ReduceLowering(lambda dt: False, lambda ctx, a, x: ctx.b.or_(a, x)),
         out_dtype=np.bool_)
_declare("all", np.all, ReduceLowering(lambda dt: True, lambda ctx, a, x: ctx.b.and_(a, x)),
         out_dtype=np.bool_)
_declare("argmax", np.argmax, ReduceLowering(lambda dt: _extreme(dt, False), None, arg=True,
                                             better=_better(">")), out_dtype=np.int64, arg=True)
_declare("argmin", np.argmin, ReduceLowering(lambda dt: _extreme(dt, True), None, arg=True,
                                             better=_better("<")), out_dtype=np.int64, arg=True)

assert arith  # the combine functions use arith's lowerings through the registry
