"""``np.unique`` of traced arrays: the elements of the sorted array that differ from their
predecessor, a boolean selection (``selection.py``) whose length is known only when the
function runs (``len(np.unique(labels))``, returned, reduced)."""
from __future__ import annotations

import numpy as np

from tracejit.errors import UnsupportedError, at
from tracejit.frontend.context import user_location
from tracejit.frontend.dispatch import implements
from tracejit.frontend.numpy.scans_and_sorts import sort
from tracejit.frontend.numpy.selection import Selection
from tracejit.frontend.numpy.shape import concatenate, ravel
from tracejit.frontend.operands import Operand


@implements(np.unique)
def unique(ar: Operand, return_index: bool = False, return_inverse: bool = False, return_counts: bool = False,
           axis: int | None = None, *, equal_nan: bool = True, sorted: bool = True) -> Operand:  # noqa: A002
    """``numpy.unique`` of a traced array (its sorted distinct elements, NaNs as one where
    ``equal_nan``); the index, inverse and count outputs and ``axis`` are refused."""
    if return_index or return_inverse or return_counts or axis is not None:
        raise UnsupportedError(f"numpy.unique with return_index, return_inverse, return_counts or axis (only the "
                               f"sorted distinct values){at(user_location())}")
    flat = sort(ravel(ar), axis=-1)
    differs = np.not_equal(flat[1:], flat[:-1])
    if equal_nan and flat.dtype.kind in "fc":
        differs = np.logical_and(differs, np.logical_not(np.logical_and(np.isnan(flat[1:]), np.isnan(flat[:-1]))))
    mask = concatenate([np.ones_like(flat[:1], dtype=np.bool_), differs])  # (the first element: always)
    return Selection(flat, mask)
