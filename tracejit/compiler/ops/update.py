"""The functional update: ``update(base, value, path)`` is ``base`` with the elements a
view path selects replaced by ``value``.

The frontend turns every in-place write (``a[i] = v``, ``a += b``, ``np.copyto``,
``out=``, writes through views) into this pure op on the written array's current
version (``frontend/versions.py``), so every pass still sees a pure graph. ``path`` is
a tuple of view steps ``(op, attrs)`` from ``base`` to the written region, the same
view ops reads use (slices, reshapes, transposes); ``value`` has the region's shape and
``base``'s dtype. Kernel formation copies ``base`` and stores ``value`` through the
path's strides, or, when nothing else reads ``base`` any more, stores into ``base``'s
own buffer (``compiler/kernelize/``): a loop of element writes costs one element
each, not one copy of the array each.

Differentiation: linear in ``base`` and ``value``; the cotangent of ``value`` is the
cotangent's region (the path's views applied to it), that of ``base`` the cotangent with
the region zeroed (an update with zeros).
"""
from __future__ import annotations

from typing import Any, Iterable

import numpy as np

from tracejit.compiler.dtypes import AVal
from tracejit.compiler.ops.diffrules import linear_jvp
from tracejit.compiler.ops.registry import OpDef, get_op, register


def path_aval(base: AVal, path: Iterable[tuple[str, Any]]) -> AVal:
    """The shape and dtype of the region ``path`` selects in an array of ``base``'s."""
    aval = base
    for op, attrs in path:
        aval = get_op(op).infer((aval,), **dict(attrs))
    return aval


def _infer(avals, path) -> AVal:
    base, value = avals
    region = path_aval(base, path)
    if value.shape != region.shape or value.dtype != base.dtype:
        raise ValueError(f"update: value {value} does not match the region {region} of {base}")
    return base


def _reference(base, value, path):
    out = np.array(base, copy=True)
    view = out
    for op, attrs in path:
        view = get_op(op).reference(view, **dict(attrs))
    if not np.shares_memory(view, out):
        raise ValueError("update: the path is not a view of the array")
    view[...] = value
    return out


def _vjp(b, ct, operands, out, path):
    base, value = operands
    region = ct if b.needs(value) else None
    for op, attrs in path if region is not None else ():
        region = b.op(op, region, **dict(attrs))
    rest = b.op("update", ct, b.zeros(b.shape(value), b.dtype(ct)), path=path) if b.needs(base) else None
    return (rest, region)


register(OpDef(
    name="update", kind="update", arity=2, infer=_infer, reference=_reference, cost=0,
    doc="base with the region attrs['path'] (view steps) replaced by value", jvp=linear_jvp, vjp=_vjp))
