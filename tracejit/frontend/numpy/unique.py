"""``np.unique`` of traced arrays: the elements of the sorted array that differ from their
predecessor, a boolean selection (``selection.py``) whose length is known only when the
function runs (``len(np.unique(labels))``, returned, reduced).

With ``return_index``, ``return_inverse`` or ``return_counts`` (``axis=None``), the array
is ordered by a stable argsort ``perm`` (``kind='stable'``, as NumPy's mergesort for
``return_index``); ``mask`` marks the first element of each run of equal values (NaNs one
run where ``equal_nan``). Then, all computed with static shapes:

* the values: ``sorted[mask]``; the first indices: ``perm[mask]`` (the stable order keeps
  the first occurrence first in each run), both selections by ``mask``;
* the counts: at each run's start, the next start's position minus its own (the next start
  by a reversed running minimum of ``where(mask, position, n)``), selected by ``mask``;
* the inverse: ``inverse[perm] = cumsum(mask) - 1`` (a scatter), of the input's shape as
  NumPy 2.x gives it for ``axis=None`` (0-d for a 0-d input): a static shape.

So the values, first indices and counts share one data-dependent length; each can be
returned, reduced or indexed by a scalar (``values[np.argmax(counts)]``), and combining one
with an array of static shape raises UnsupportedError naming the line (``selection.py``).
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


def _sorted_results(flat: Operand, equal_nan: bool, wants: tuple[bool, bool, bool]) -> tuple:
    """The sort path: the sorted values, the run-start mask, then what ``wants`` asks of
    (first indices, inverse, counts), all of the flattened array's length."""
    return_index, return_inverse, return_counts = wants
    if return_index or return_inverse:
        perm = argsort(flat, axis=-1, kind="stable")
        values = np.take(flat, perm)
    else:  # no permutation needed
        values = sort(flat, axis=-1)
    mask = _run_starts(values, equal_nan)
    results = [values, mask]
    if return_index:
        results.append(perm)
    if return_inverse:
        inverse = np.zeros_like(perm, dtype=np.intp)
        inverse[perm] = np.subtract(np.cumsum(mask, dtype=np.intp), 1)
        results.append(inverse)
    if return_counts:
        results.append(_counts(mask))
    return tuple(results)


def _hashed_results(flat: Operand, equal_nan: bool, wants: tuple[bool, bool, bool]) -> tuple:
    """The hash path (``runtime/hashunique.py``), in the sort path's form: the first ``k``
    elements of each result are the distinct values' (the mask selects them)."""
    n = flat.shape[0]
    i64 = np.dtype(np.int64)
    name = hashunique.routine_name(flat.dtype.kind, flat.dtype.itemsize, equal_nan, wants[1])
    shapes = [((1,), i64), ((n,), flat.dtype), ((n,), i64), ((n,), i64), ((n if wants[1] else 1,), i64),
              ((8 * n + 8,), i64)]  # k, values, counts, first indices, inverse, scratch
    args = (("in", 0), ("dim", 0)) + tuple(("out", i) for i in range(len(shapes)))
    k, values, counts, first, inverse, _ = record_call(current_trace(), name, [flat], args,
                                                       [(s, d, False) for s, d in shapes], (), (n,), 1)
    mask = np.less(np.arange(n, dtype=np.int64), k[0])
    picked = (first, inverse, counts)
    return (values, mask) + tuple(r for r, want in zip(picked, wants) if want)


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
        results = _sorted_results(flat, equal_nan, wants)
    else:  # (control imports numpy's handlers through controlwrites: imported once both have loaded)
        from tracejit.frontend.control import cond
        results = cond(_few_distinct(flat), lambda x: _hashed_results(x, equal_nan, wants),
                       lambda x: _sorted_results(x, equal_nan, wants), flat)
    values, mask, *rest = results
    out, parts = [Selection(values, mask)], iter(rest)
    if return_index:
        out.append(Selection(next(parts), mask))
    if return_inverse:
        out.append(reshape(next(parts), shape))
    if return_counts:
        out.append(Selection(next(parts), mask))
    return out[0] if len(out) == 1 else tuple(out)
