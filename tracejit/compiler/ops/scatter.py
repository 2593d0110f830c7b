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
"""
from __future__ import annotations

import numpy as np

from tracejit.compiler.dtypes import AVal
from tracejit.compiler.ops.gather import gather_shape, wrap_clamp
from tracejit.compiler.ops.registry import OpDef, register


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


register(OpDef(
    name="scatter", kind="update", arity=None, infer=_infer, reference=_reference, cost=0,
    doc="base with the elements gathered by k index arrays from attrs['axis'] replaced by value "
        "(last write wins; indices wrap and clamp; the frontend checks the bounds), or combined with "
        "it by attrs['combine'] (np.ufunc.at)"))
