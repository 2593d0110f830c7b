"""The binary search: ``np.searchsorted(a, v, side)`` of a sorted 1-d array, as one op.

``searchsorted(a, v, right=False)`` is, per element of ``v`` (any shape), the number of
elements of ``a`` that go before it: ``a[i] < v`` (``right``: ``a[i] <= v``) in NumPy's
order, where NaN is greater than every number; int64, of ``v``'s shape: exactly
``np.searchsorted``. ``a`` and ``v`` share a dtype (the frontend converts both to the
dtype NumPy compares in) and ``a`` has two or more elements.

Kernel formation reads it like a gather (kind ``gather``: ``a`` gets a buffer, the op
fuses into its consumers): a :class:`tracejit.compiler.kir.Search` expression, which
code generation turns into a loop of ``ceil(log2(len(a)))`` halving steps run on all
vector lanes at once (``len(a)`` may be a run-time size of the generic form).
"""
from __future__ import annotations

import numpy as np

from tracejit.compiler.dtypes import AVal
from tracejit.compiler.ops.registry import OpDef, register


def _infer(avals, right) -> AVal:
    a, v = avals
    if a.ndim != 1 or a.shape[0] < 2 or a.dtype != v.dtype or a.dtype.kind not in "biuf":
        raise ValueError(f"searchsorted: a sorted 1-d array of two or more and values of its dtype, not {a} and {v}")
    return AVal(v.shape, np.dtype(np.int64))


def _reference(a, v, right):
    return np.searchsorted(np.asarray(a), np.asarray(v), side="right" if right else "left").astype(np.int64)


register(OpDef(
    name="searchsorted", kind="gather", arity=2, infer=_infer, reference=_reference, cost=8,
    doc="per value, the number of elements of sorted 1-d a before it (a[i] < v; right: a[i] <= v), int64"))
