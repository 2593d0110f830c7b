"""The scatter: assignment through integer arrays, ``x[..., i0, ..., ik-1, ...] = v``.

``scatter(base, value, i0, ..., ik-1, axis=a)`` is ``base`` with the elements a
gather of the same indices would read (``ops/gather.py``) replaced by ``value``
(the gather's shape, ``base``'s dtype). Where indices repeat, the last write in C
order of the value wins (what NumPy does). With ``attrs['combine']`` (an elementwise
op, ``np.add.at`` and the other ``ufunc.at``s) each element is instead combined with
the one stored there, in the value's dtype (the ufunc's loop dtype), and cast back to
``base``'s dtype unsafely, serially in C order: repeated indices accumulate. Negative indices wrap, out-of-range ones
are clamped (the frontend checks the bounds, as for gathers). Like ``update`` it is a
functional write: kernel formation copies the base (or reuses its buffer when nothing
else reads it) and stores each value at its computed address, serially in C order.

Differentiation: the plain scatter and ``combine`` ``add``/``subtract`` are linear in
``base`` and ``value`` (the tangent is the same scatter of the tangents). Reverse: ``base``
gets the cotangent, with the written elements zeroed for the plain scatter; ``value`` gets
it gathered at the indices (negated for ``subtract``), and for the plain scatter only where
the element won (the last write of its position: found by scattering each write's number
and gathering it back; constant indices without repeats need no such mask).
``multiply``: ``d/dbase`` is the product of the values written there, ``d/dvalue`` the
base times the product of the *other* values written there (the product of the nonzero
ones, divided by this one only where it is nonzero; zero where another one is zero, as
``prod``'s rule). ``maximum``/``minimum``/``fmax``/``fmin``: split evenly among the base
element and the values equal to the result (the ``maximum`` convention). Other combines
raise ``UnsupportedError``.
"""
from __future__ import annotations

import math

import numpy as np

from tracejit.compiler.dtypes import AVal
from tracejit.compiler.ops.gather import gather_shape, wrap_clamp
from tracejit.compiler.ops.registry import OpDef, register
from tracejit.errors import UnsupportedError, at


def _infer(avals, axis, combine=None) -> AVal:
    base, value, *indices = avals
    if any(i.dtype.kind not in "iu" for i in indices):
        raise ValueError("scatter: index arrays must have an integer dtype")
    region = gather_shape(base.shape, [i.shape for i in indices], axis)
    if value.shape != region or (value.dtype != base.dtype and combine is None):
        raise ValueError(f"scatter: value {value} does not match the indexed region {region} of {base}")
    return base


def _reference(base, value, *indices, axis, combine=None):
    out = np.array(base, copy=True)
    k = len(indices)
    if value.size == 0:
        return out
    batch = np.broadcast_shapes(*(np.shape(i) for i in indices))
    wrapped = [np.broadcast_to(wrap_clamp(i, out.shape[axis + j]), batch) for j, i in enumerate(indices)]
    moved = np.moveaxis(out, list(range(axis, axis + k)), list(range(k)))  # a view: index dims first
    vals = np.moveaxis(value, list(range(axis, axis + len(batch))), list(range(len(batch))))
    for pos in np.ndindex(*batch):  # C order: the last duplicate wins
        at = tuple(w[pos] for w in wrapped)
        if combine is None:
            moved[at] = vals[pos]
        else:  # (np.ufunc.at: in the value's dtype, then cast back unsafely)
            with np.errstate(all="ignore"):
                moved[at] = getattr(np, combine)(moved[at].astype(value.dtype), vals[pos]).astype(out.dtype)
    return out


LINEAR = (None, "add", "subtract")
EXTREMES = ("maximum", "minimum", "fmax", "fmin")
RULES = LINEAR + ("multiply",) + EXTREMES  # the combines with rules


def _unsupported(b, combine):
    return UnsupportedError(f"cannot differentiate through scatter with combine={combine!r} "
                            f"(np.{combine}.at; differentiable: {', '.join(str(c) for c in RULES)}){at(b.loc)}")


def _attrs(axis, combine):
    return {"axis": axis} if combine is None else {"axis": axis, "combine": combine}


def _jvp(b, tangents, operands, out, axis, combine=None):
    if combine not in RULES:
        raise _unsupported(b, combine)
    tb, tv = tangents[:2]
    if tb is None and tv is None:
        return None
    base, value, *indices = operands
    if combine not in LINEAR:
        pb, pv = _partials(b, base, value, indices, out, axis, combine)
        return b.add(None if tb is None else b.op("multiply", tb, pb),
                     None if tv is None else b.op("scatter", b.zeros(b.shape(base), b.dtype(tv)),
                                                  b.op("multiply", tv, pv), *indices, axis=axis, combine="add"))
    tb = b.zeros(b.shape(base), b.dtype(out)) if tb is None else tb
    tv = b.zeros(b.shape(value), b.dtype(value)) if tv is None else tv
    return b.op("scatter", tb, tv, *indices, **_attrs(axis, combine))


def _vjp(b, ct, operands, out, axis, combine=None):
    if combine not in RULES:
        raise _unsupported(b, combine)
    base, value, *indices = operands
    none = (None,) * len(indices)
    if math.prod(b.shape(value)) == 0:
        return (ct, None) + none
    if combine not in LINEAR:
        pb, pv = _partials(b, base, value, indices, out, axis, combine)
        return (b.op("multiply", ct, pb) if b.needs(base) else None,
                b.op("multiply", b.op("gather", b.convert(ct, b.dtype(value)), *indices, axis=axis), pv)
                if b.needs(value) else None) + none
    if combine is None and b.needs(base):
        rest = b.op("scatter", ct, b.zeros(b.shape(value), b.dtype(ct)), *indices, axis=axis)
    else:
        rest = ct
    if not b.needs(value):
        return (rest, None) + none
    gathered = b.op("gather", b.convert(ct, b.dtype(value)), *indices, axis=axis)
    if combine is None and not _distinct_constants(b, base, indices, axis):
        gathered = b.op("where", _won(b, base, value, indices, axis), gathered, b.const(0.0, gathered))
    return (rest, b.neg(gathered) if combine == "subtract" else gathered) + none


def _distinct_constants(b, base, indices, axis):
    """Whether the indices are constants naming each position at most once (every write wins)."""
    if any(b.graph.op(i) != "constant" for i in indices):
        return False
    shape = b.shape(base)
    batch = np.broadcast_shapes(*(b.shape(i) for i in indices))
    wrapped = [np.broadcast_to(wrap_clamp(b.graph.data(i)["value"], shape[axis + j]), batch).ravel()
               for j, i in enumerate(indices)]
    flat = np.ravel_multi_index(wrapped, shape[axis:axis + len(indices)])
    return len(np.unique(flat)) == flat.size


def _won(b, base, value, indices, axis):
    """Bool of ``value``'s shape: whether each write is the last one to its position."""
    batch = tuple(np.broadcast_shapes(*(b.shape(i) for i in indices)))
    shape = b.shape(value)
    number = np.arange(math.prod(batch), dtype=np.int64)
    number = b.broadcast(b.array(number.reshape((1,) * axis + batch + (1,) * (len(shape) - axis - len(batch)))), shape)
    last = b.op("scatter", b.zeros(b.shape(base), np.dtype(np.int64)), number, *indices, axis=axis)
    return b.op("equal", b.op("gather", last, *indices, axis=axis), number)


def _partials(b, base, value, indices, out, axis, combine):
    """``d out / d base`` (base's shape) and ``d out[index] / d value`` (value's shape) of a
    combining scatter, in the value's dtype."""
    if combine == "multiply":
        return _product(b, value, indices, axis, b.shape(base)), _others(b, base, value, indices, axis)
    # maximum & co.: split evenly among the base element and the values equal to the result
    dt = b.dtype(value)
    result = b.convert(out, dt)
    hit_base = b.convert(b.op("equal", b.convert(base, dt), result), dt)
    hit_value = b.convert(b.op("equal", value, b.op("gather", result, *indices, axis=axis)), dt)
    count = b.op("add", hit_base, b.op("scatter", b.zeros(b.shape(base), dt), hit_value, *indices, axis=axis,
                                       combine="add"))
    zero, one = b.const(0.0, dt), b.const(1.0, dt)
    count = b.op("where", b.op("equal", count, zero), one, count)  # (NaN results: no hit, no derivative)
    return (b.op("divide", hit_base, count),
            b.op("divide", hit_value, b.op("gather", count, *indices, axis=axis)))


def _product(b, value, indices, axis, shape):
    """Per position of the base, the product of the values written there (1 where none is)."""
    ones = b.broadcast(b.const(1.0, value), shape)
    return b.op("scatter", ones, value, *indices, axis=axis, combine="multiply")


def _others(b, base, value, indices, axis):
    """Per write, the base element times the product of the other values written to its
    position (no division by a zero)."""
    shape = b.shape(base)
    zero, one = b.const(0.0, value), b.const(1.0, value)
    is_zero = b.op("equal", value, zero)
    safe = b.op("where", is_zero, one, value)
    nonzero = b.op("gather", _product(b, safe, indices, axis, shape), *indices, axis=axis)
    counts = b.op("scatter", b.zeros(shape, b.dtype(value)), b.convert(is_zero, b.dtype(value)), *indices,
                  axis=axis, combine="add")
    zeros_here = b.op("gather", counts, *indices, axis=axis)
    others_zero = b.op("subtract", zeros_here, b.convert(is_zero, b.dtype(value)))
    product = b.op("where", b.op("equal", others_zero, zero), b.op("divide", nonzero, safe), zero)
    return b.op("multiply", product, b.op("gather", b.convert(base, b.dtype(value)), *indices, axis=axis))


register(OpDef(
    name="scatter", kind="update", arity=None, infer=_infer, reference=_reference, cost=0,
    doc="base with the elements gathered by k index arrays from attrs['axis'] replaced by value "
        "(last write wins; indices wrap and clamp; the frontend checks the bounds), or combined with "
        "it by attrs['combine'] (np.ufunc.at)", jvp=_jvp, vjp=_vjp))
