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
from tracejit.frontend.context import user_location
from tracejit.frontend.dispatch import implements
from tracejit.frontend.numpy.scans_and_sorts import argsort, sort
from tracejit.frontend.numpy.selection import Selection
from tracejit.frontend.numpy.shape import concatenate, ravel, reshape
from tracejit.frontend.operands import Operand


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


@implements(np.unique)
def unique(ar: Operand, return_index: bool = False, return_inverse: bool = False, return_counts: bool = False,
           axis: int | None = None, *, equal_nan: bool = True, sorted: bool = True) -> Operand:  # noqa: A002
    """``numpy.unique`` of a traced array (its sorted distinct elements, NaNs as one where
    ``equal_nan``) and, for ``axis=None``, the first indices, the inverse and the counts."""
    if axis is not None:
        raise UnsupportedError(f"numpy.unique with axis (only axis=None, the flattened array){at(user_location())}")
    if not (return_index or return_inverse or return_counts):
        flat = sort(ravel(ar), axis=-1)
        return Selection(flat, _run_starts(flat, equal_nan))
    shape = tuple(np.shape(ar))
    values = ravel(ar)
    if return_index or return_inverse:
        perm = argsort(values, axis=-1, kind="stable")
        flat = np.take(values, perm)
    else:  # the counts alone: no permutation needed
        flat = sort(values, axis=-1)
    mask = _run_starts(flat, equal_nan)
    results: list = [Selection(flat, mask)]
    if return_index:
        results.append(Selection(perm, mask))
    if return_inverse:
        inverse = np.zeros_like(perm, dtype=np.intp)
        inverse[perm] = np.subtract(np.cumsum(mask, dtype=np.intp), 1)
        results.append(reshape(inverse, shape))
    if return_counts:
        results.append(Selection(_counts(mask), mask))
    return tuple(results)
