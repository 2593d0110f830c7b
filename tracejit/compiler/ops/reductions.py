"""Reductions over a set of axes: sum, prod, max, min, nanmax, nanmin, any, all, argmax, argmin,
and the bitwise ``bitand``/``bitor``/``bitxor`` (``np.bitwise_and.reduce``... of integers and bools).

The reduce op's input dtype is its accumulator dtype: the frontend inserts a
``convert`` first where NumPy widens (``sum`` of int32 accumulates in int64) or
tests truth (``any``/``all`` reduce booleans). ``mean``, ``var`` and ``std`` are
compositions built by the frontend.

Differentiation: ``sum`` is linear; ``prod`` passes each element the product of the others
(exact with zeros: no division by them); ``max``/``min`` (and ``nanmax``/``nanmin``) split
the derivative evenly among the elements equal to the result, as JAX does. The other
reductions give bools or integers.
"""
from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from tracejit.compiler.dtypes import AVal
from tracejit.compiler.ops.diffrules import linear_jvp
from tracejit.compiler.ops.registry import OpDef, Reduction, register


def reduced_shape(shape: tuple[int, ...], axes: tuple[int, ...], keepdims: bool) -> tuple[int, ...]:
    """The shape of a reduction of ``shape`` over ``axes``."""
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


def _nan_or_extreme(dtype: np.dtype, largest: bool):
    """nanmax/nanmin start at NaN for floats (fmax/fmin skip it, so an all-NaN slice stays NaN)."""
    return math.nan if np.dtype(dtype).kind == "f" else _extreme(dtype, largest)


def expand(b: Any, ct: int, shape: tuple[int, ...], axes: tuple[int, ...], keepdims: bool) -> int:
    """A reduction's cotangent ``ct`` broadcast back over the reduced ``axes`` of ``shape``."""
    return b.broadcast(b.reshape(ct, reduced_shape(shape, axes, True)), shape)


def _sum_vjp(b, ct, operands, out, axes, keepdims):
    return (expand(b, ct, b.shape(operands[0]), axes, keepdims),)


def _prod_partial(b, x, out, axes):
    """d prod / d x_i: the product of the other elements (no division by a zero)."""
    zero, one = b.const(0.0, x), b.const(1.0, x)
    is_zero = b.op("equal", x, zero)
    safe = b.op("where", is_zero, one, x)
    nonzero_prod = b.op("prod", safe, axes=axes, keepdims=True)
    zeros = b.op("sum", b.convert(is_zero, b.dtype(x)), axes=axes, keepdims=True)
    lone_zero = b.op("logical_and", is_zero, b.op("equal", zeros, one))
    return b.op("where", b.op("equal", zeros, zero), b.op("divide", nonzero_prod, safe),
                b.op("where", lone_zero, nonzero_prod, zero))


def _extreme_partial(b, x, out, axes):
    """d max / d x_i: 1 / (number of maxima) at each maximum, 0 elsewhere."""
    hit = b.convert(b.op("equal", x, expand(b, out, b.shape(x), axes, False)), b.dtype(x))
    return b.op("divide", hit, b.op("sum", hit, axes=axes, keepdims=True))


def _by_partial(partial):
    def jvp(b, tangents, operands, out, axes, keepdims):
        return b.op("sum", b.op("multiply", partial(b, operands[0], out, axes), tangents[0]),
                    axes=axes, keepdims=keepdims)

    def vjp(b, ct, operands, out, axes, keepdims):
        x = operands[0]
        return (b.op("multiply", partial(b, x, out, axes), expand(b, ct, b.shape(x), axes, keepdims)),)
    return {"jvp": jvp, "vjp": vjp}


_RULES = {"sum": {"jvp": linear_jvp, "vjp": _sum_vjp}, "prod": _by_partial(_prod_partial),
          "max": _by_partial(_extreme_partial), "min": _by_partial(_extreme_partial),
          "nanmax": _by_partial(_extreme_partial), "nanmin": _by_partial(_extreme_partial)}


def _declare(name: str, numpy_fn, reduction: Reduction, out_dtype=None, arg=False):
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
        with warnings.catch_warnings():  # nanmax/nanmin of an all-NaN slice: NaN, no warning here
            warnings.simplefilter("ignore", RuntimeWarning)
            return np.asarray(numpy_fn(x, axis=axes, keepdims=keepdims, **kwargs))

    register(OpDef(name=name, kind="reduce", arity=1, infer=infer, reference=reference,
                   reduction=reduction, doc=f"numpy.{numpy_fn.__name__} over attrs['axes']",
                   **_RULES.get(name, {})))


_declare("sum", np.sum, Reduction(lambda dt: 0, "add", pairwise=True))
_declare("prod", np.prod, Reduction(lambda dt: 1, "multiply", in_order=True))
_declare("max", np.max, Reduction(lambda dt: _extreme(dt, False), "maximum"))
_declare("min", np.min, Reduction(lambda dt: _extreme(dt, True), "minimum"))
_declare("any", np.any, Reduction(lambda dt: False, "bitwise_or"), out_dtype=np.bool_)
_declare("all", np.all, Reduction(lambda dt: True, "bitwise_and"), out_dtype=np.bool_)
_declare("nanmax", np.nanmax, Reduction(lambda dt: _nan_or_extreme(dt, False), "fmax"))
_declare("nanmin", np.nanmin, Reduction(lambda dt: _nan_or_extreme(dt, True), "fmin"))
_declare("bitand", np.bitwise_and.reduce, Reduction(lambda dt: _extreme(dt, True) if np.dtype(dt).kind in "ub" else -1,
                                                   "bitwise_and"))
_declare("bitor", np.bitwise_or.reduce, Reduction(lambda dt: False if np.dtype(dt).kind == "b" else 0, "bitwise_or"))
_declare("bitxor", np.bitwise_xor.reduce, Reduction(lambda dt: False if np.dtype(dt).kind == "b" else 0, "bitwise_xor"))
_declare("argmax", np.argmax, Reduction(lambda dt: _extreme(dt, False), None, arg=True, better=">"),
         out_dtype=np.int64, arg=True)
_declare("argmin", np.argmin, Reduction(lambda dt: _extreme(dt, True), None, arg=True, better="<"),
         out_dtype=np.int64, arg=True)
