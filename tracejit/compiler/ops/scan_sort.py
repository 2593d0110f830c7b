"""Ops that compute each line along one axis from the whole input line: the running
sum and product (``cumsum``, ``cumprod``), maximum, minimum and bitwise and/or/xor
(``cummax``... ``cumxor``: the other ``ufunc.accumulate``s) and sorting (``sort``, ``argsort``).

Each takes one operand and ``attrs['axis']`` (a non-negative axis; the frontend
flattens for ``axis=None``). ``cumsum``/``cumprod`` accumulate in the operand's dtype
(the frontend converts to NumPy's accumulator dtype first, as for ``sum``), strictly
in order along the axis, as NumPy's ``add.accumulate`` does. ``sort``/``argsort`` are
stable for every ``kind`` (equal keys keep their input order, NaNs sort last in input
order), so they match NumPy's ``kind='stable'`` exactly. Kernel formation turns each
into a library kernel (``kernelize/scan_sort.py``, ``schedule/scan_sort.py``, ``codegen/scan_sort.py``).

Differentiation (``ops/indexrules.py``): ``cumsum`` is linear (its transpose: a cumsum from
the end); ``cumprod``'s derivatives are linear recurrences (``ty[i] = x[i] ty[i-1] + y[i-1]
t[i]``) computed by a doubling scan of products, without division, so exact with zeros;
sorts, heads and partitions rearrange their operand: tangents are taken along the positions
``argsort`` gives (for partitions, whose order NumPy leaves unspecified, the positions are
matched through the sorts of operand and result) and cotangents put back there;
``cummax``/``cummin`` pass each result element's derivative to the element it equals (the
latest one among ties, as ``torch.cummax``). Integer results (``argsort``...) have none.
"""
from __future__ import annotations

import numpy as np

from tracejit.compiler.dtypes import AVal
from tracejit.compiler.ops import indexrules as ir
from tracejit.compiler.ops.diffrules import linear_jvp
from tracejit.compiler.ops.registry import OpDef, register

SCANS = {"cumsum": "add", "cumprod": "multiply",  # op -> the elementwise op it accumulates with
         "cummax": "maximum", "cummin": "minimum", "cumand": "bitwise_and", "cumor": "bitwise_or",
         "cumxor": "bitwise_xor"}  # (the other ``ufunc.accumulate``s: ``frontend/numpy/accumulate.py``)
SORTS = ("sort", "argsort")
PARTITIONS = ("partition", "argpartition")
HEADS = ("sort_head", "argsort_head")  # the first attrs['k'] of a stable sort / argsort
SELECTS = PARTITIONS + HEADS  # the ops an introselect computes (``codegen/select.py``)
INDEX_OPS = ("argsort", "argpartition", "argsort_head")  # the ops whose result is int64 positions


def _infer(name: str):
    def infer(avals, axis, kth=(), k=None, nanq=()) -> AVal:
        (a,) = avals
        if not 0 <= axis < a.ndim:
            raise ValueError(f"{name}: bad axis {axis} for rank {a.ndim}")
        if name in HEADS:
            if not 0 < k <= a.shape[axis]:
                raise ValueError(f"{name}: bad k {k} for a line of {a.shape[axis]}")
            shape = a.shape[:axis] + (k,) + a.shape[axis + 1:]
            return AVal(shape, np.dtype(np.int64) if name in INDEX_OPS else a.dtype)
        if any(not 0 <= k < a.shape[axis] for k in kth) or list(kth) != sorted(set(kth)):
            raise ValueError(f"{name}: bad kth {kth} for a line of {a.shape[axis]}")
        if any(not 0 <= q <= 1 for q in nanq) or list(nanq) != sorted(nanq):
            raise ValueError(f"{name}: bad nanq {nanq}")
        return AVal(a.shape, np.dtype(np.int64) if name in INDEX_OPS else a.dtype)
    return infer


def _reference(name: str):
    def reference(x, axis, kth=(), k=None, nanq=()):
        x = np.asarray(x)
        if nanq:  # ranks read from each line's count of numbers: a sort puts every rank in place
            return getattr(np, name.replace("partition", "sort"))(x, axis=axis, kind="stable")
        if name in HEADS:
            full = getattr(np, name.removesuffix("_head"))(x, axis=axis, kind="stable")
            return np.take(full, np.arange(k), axis=axis)
        if name in PARTITIONS:
            return getattr(np, name)(x, list(kth), axis=axis)
        if name in SCANS:
            return getattr(np, SCANS[name]).accumulate(x, axis=axis, dtype=x.dtype)
        return getattr(np, name)(x, axis=axis, kind="stable")
    return reference


def _cumsum_vjp(b, ct, operands, out, axis):
    return (ir.reverse_cumsum(b, ct, axis),)


def _cumprod_jvp(b, tangents, operands, out, axis):
    return None if tangents[0] is None else ir.cumprod_jvp(b, tangents[0], operands[0], out, axis)


def _cumprod_vjp(b, ct, operands, out, axis):
    return (ir.cumprod_vjp(b, ct, operands[0], out, axis),)


def _sort_positions(b, x, out, axis):
    return b.op("argsort", x, axis=axis)


def _head_positions(b, x, out, axis, k):
    return b.op("argsort_head", x, axis=axis, k=k)


def _matched_positions(b, x, out, axis, kth=(), nanq=()):
    return ir.matched_positions(b, x, out, axis)


def _extreme_positions(b, x, out, axis):
    return ir.last_extreme(b, x, out, axis)


_RULES = {"cumsum": {"jvp": linear_jvp, "vjp": _cumsum_vjp}, "cumprod": {"jvp": _cumprod_jvp, "vjp": _cumprod_vjp},
          "cummax": ir.permutation_rules(_extreme_positions), "cummin": ir.permutation_rules(_extreme_positions),
          "sort": ir.permutation_rules(_sort_positions), "sort_head": ir.permutation_rules(_head_positions),
          "partition": ir.permutation_rules(_matched_positions)}

for _name in (*SCANS, *SORTS, *SELECTS):
    register(OpDef(name=_name, kind="along_axis", arity=1, infer=_infer(_name), reference=_reference(_name),
                   **_RULES.get(_name, {}),
                   cost=4, doc=f"numpy.{_name} along attrs['axis'] (sorts: stable; partitions: attrs['kth'], and with "
                       "attrs['nanq'] the ranks NumPy's linear nanquantile reads for each q: floor((m-1)q) "
                       "and the next, m the line's count of numbers)"))
