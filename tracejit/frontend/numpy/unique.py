"""``np.unique`` of traced arrays (``axis=None``): the sorted distinct elements and, on request,
their first indices, the inverse and their counts, NaNs as one where ``equal_nan``.

Both paths are native routines (``runtime/hashunique.py``) called like LAPACK's
(``lapack_funcs.record_call``), each giving ``k`` and, in their first ``k`` places, the values
(the first occurrence's bits), first indices and counts, plus the whole inverse:

* the **hash path** counts the elements in a hash table, then sorts only the ``k`` distinct keys;
* the **sort path** sorts (``argsort(kind='stable')`` when the indices or the inverse are
  asked for, as NumPy's mergesort) and then makes one run-length pass.

A sample of 1024 elements chooses at run time (a ``tj.cond``): the hash path when at most half
of the sample is distinct. The choice only affects speed (the hash routine sorts every element
itself once its table passes ``n / 8`` keys). The values, first indices and counts are selections
of the prefix ``[0, k)`` (``Selection`` with bounds: their length is ``k``, argmax/argmin one
pass), so they combine with each other and with scalars, and can be returned, reduced or
indexed by a scalar (``values[np.argmax(counts)]``); combining one with an array of static shape
raises UnsupportedError naming the line (``selection.py``). The inverse has NumPy 2.x's static
shape (the input's; 0-d for a 0-d input). Empty inputs and other dtypes take the older form:
a sort and a mask of its run starts.
"""
from __future__ import annotations

import numpy as np

from tracejit.errors import UnsupportedError, at
from tracejit.frontend.context import current_trace, user_location
from tracejit.frontend.dispatch import implements
from tracejit.frontend.numpy.lapack_funcs import record_call
from tracejit.frontend.numpy.scans_and_sorts import argsort, sort
from tracejit.frontend.numpy.selection import Selection
from tracejit.frontend.numpy.shape import concatenate, ravel, reshape
from tracejit.frontend.operands import Operand
from tracejit.runtime import hashunique

SAMPLE = 1024  # elements sampled to choose between the hash and the sort path


def _run_starts(flat: Operand, equal_nan: bool) -> Operand:
    """The mask of the sorted ``flat``'s elements that differ from their predecessor."""
    differs = np.not_equal(flat[1:], flat[:-1])
    if equal_nan and flat.dtype.kind in "fc":
        differs = np.logical_and(differs, np.logical_not(np.logical_and(np.isnan(flat[1:]), np.isnan(flat[:-1]))))
    return concatenate([np.ones_like(flat[:1], dtype=np.bool_), differs])  # (the first element: always)


def _counts(mask: Operand) -> Operand:
    """At each position, the distance to the next run start (or the end): the run's length
    at the positions ``mask`` selects."""
    n = mask.shape[0]
    position = np.arange(n, dtype=np.intp)
    starts = np.where(mask, position, np.intp(n))
    following = concatenate([starts[1:], np.full((1,), n, dtype=np.intp)])  # the start after each position
    next_start = np.minimum.accumulate(following[::-1])[::-1]
    return np.subtract(next_start, position)


def _routine(name: str, operands: list, n: int, dtype: np.dtype, scratch: int, wants: tuple[bool, bool, bool]) -> tuple:
    """Record a call of routine ``name`` (``runtime/hashunique.py``) on ``operands``: ``k``
    (0-d) and the values, then the first indices, inverse and counts ``wants`` asks for."""
    i64 = np.dtype(np.int64)
    shapes = [((1,), i64), ((n,), dtype), ((n,), i64), ((n,), i64), ((n if wants[1] else 1,), i64)]
    if scratch:
        shapes.append(((scratch,), i64))
    args = (*(("in", i) for i in range(len(operands))), ("dim", 0), *(("out", i) for i in range(len(shapes))))
    k, values, counts, first, inverse, *_ = record_call(current_trace(), name, operands, args,
                                                       [(s, d, False) for s, d in shapes], (), (n,), 1)
    return (reshape(k, ()), values) + tuple(r for r, want in zip((first, inverse, counts), wants) if want)


def _sorted_results(flat: Operand, equal_nan: bool, wants: tuple[bool, bool, bool]) -> tuple:
    """The sort path: a (stable) sort, then one run-length pass over it."""
    if wants[0] or wants[1]:
        perm = argsort(flat, axis=-1, kind="stable")
        operands = [np.take(flat, perm), perm]
    else:  # no permutation needed
        operands = [sort(flat, axis=-1), flat]  # (the second unread)
    flag = (2 if wants[1] else (1 if wants[0] else 0)) + (3 if wants[2] else 0)
    name = hashunique.routine_name(flat.dtype.kind, flat.dtype.itemsize, equal_nan, flag, runs=True)
    return _routine(name, operands, flat.shape[0], flat.dtype, 0, wants)


def _hashed_results(flat: Operand, equal_nan: bool, wants: tuple[bool, bool, bool]) -> tuple:
    """The hash path (``runtime/hashunique.py``)."""
    n = flat.shape[0]
    name = hashunique.routine_name(flat.dtype.kind, flat.dtype.itemsize, equal_nan, wants[1])
    return _routine(name, [flat], n, flat.dtype, 8 * n + 8, wants)


def _few_distinct(flat: Operand) -> Operand:
    """Whether a sample of ``flat`` (every ``n // SAMPLE``-th element) repeats values enough
    for the hash path to beat the sort: at most half of it distinct (a guess that only
    chooses the faster path; both are exact)."""
    n = flat.shape[0]
    sample = sort(flat[::max(1, n // SAMPLE)][:SAMPLE], axis=-1)
    distinct = np.count_nonzero(np.not_equal(sample[1:], sample[:-1]))
    return np.less_equal(np.multiply(np.add(distinct, 1), 2), sample.shape[0])


@implements(np.unique)
def unique(ar: Operand, return_index: bool = False, return_inverse: bool = False, return_counts: bool = False,
           axis: int | None = None, *, equal_nan: bool = True, sorted: bool = True) -> Operand:  # noqa: A002
    """``numpy.unique`` of a traced array (its sorted distinct elements, NaNs as one where
    ``equal_nan``) and, for ``axis=None``, the first indices, the inverse and the counts."""
    if axis is not None:
        raise UnsupportedError(f"numpy.unique with axis (only axis=None, the flattened array){at(user_location())}")
    shape = tuple(np.shape(ar))
    flat = ravel(ar)
    wants = (return_index, return_inverse, return_counts)
    dtype = flat.dtype
    if flat.shape[0] == 0 or dtype.kind not in "biuf" or (dtype.kind == "f" and dtype.itemsize not in (2, 4, 8)):
        return _masked(flat, shape, equal_nan, wants)
    # (control imports numpy's handlers through controlwrites: imported once both have loaded)
    from tracejit.frontend.control import cond
    k, values, *rest = cond(_few_distinct(flat), lambda x: _hashed_results(x, equal_nan, wants),
                            lambda x: _sorted_results(x, equal_nan, wants), flat)
    n = flat.shape[0]
    mask = np.less(np.arange(n, dtype=np.int64), k)
    bounds = (0, k)
    out, parts = [Selection(values, mask, bounds=bounds)], iter(rest)
    if return_index:
        out.append(Selection(next(parts), mask, bounds=bounds))
    if return_inverse:
        out.append(reshape(next(parts), shape))
    if return_counts:
        out.append(Selection(next(parts), mask, bounds=bounds))
    return out[0] if len(out) == 1 else tuple(out)


def _masked(flat: Operand, shape: tuple, equal_nan: bool, wants: tuple[bool, bool, bool]) -> Operand:
    """The unique elements of ``flat`` by a sort and a mask of its run starts (empty inputs and
    dtypes the routines do not take)."""
    if wants[0] or wants[1]:
        perm = argsort(flat, axis=-1, kind="stable")
        values = np.take(flat, perm)
    else:
        values = sort(flat, axis=-1)
    mask = _run_starts(values, equal_nan)
    out = [Selection(values, mask)]
    if wants[0]:
        out.append(Selection(perm, mask))
    if wants[1]:
        inverse = np.zeros_like(perm, dtype=np.intp)
        inverse[perm] = np.subtract(np.cumsum(mask, dtype=np.intp), 1)
        out.append(reshape(inverse, shape))
    if wants[2]:
        out.append(Selection(_counts(mask), mask))
    return out[0] if len(out) == 1 else tuple(out)


# NumPy 2.x's result types of the array-API functions (named tuples), taken from NumPy itself
_COUNTS, _INVERSE, _ALL = (type(f(np.zeros(1))) for f in (np.unique_counts, np.unique_inverse, np.unique_all))


@implements(np.unique_counts)
def unique_counts(x: Operand) -> tuple:
    """``numpy.unique_counts``: ``unique(x, return_counts=True, equal_nan=False)`` as its named tuple."""
    return _COUNTS(*unique(x, return_counts=True, equal_nan=False))


@implements(np.unique_inverse)
def unique_inverse(x: Operand) -> tuple:
    """``numpy.unique_inverse``: the values and the inverse (of ``x``'s shape), NaNs not equal."""
    return _INVERSE(*unique(x, return_inverse=True, equal_nan=False))


@implements(np.unique_all)
def unique_all(x: Operand) -> tuple:
    """``numpy.unique_all``: values, first indices, inverse (of ``x``'s shape) and counts, NaNs not equal."""
    return _ALL(*unique(x, return_index=True, return_inverse=True, return_counts=True, equal_nan=False))


@implements(np.unique_values)
def unique_values(x: Operand) -> Operand:
    """``numpy.unique_values``: the distinct elements, NaNs not equal, in ascending order (NumPy 2.3+
    leaves the order to its hash table and documents it as unspecified: sorted is one of its orders)."""
    return unique(x, equal_nan=False)
