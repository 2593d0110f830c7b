"""Basic indexing of traced arrays: ints, slices (with steps), None and Ellipsis.

``x[key]`` becomes one ``slice`` view (ints are length-1 slices) followed, when dims
are dropped or inserted, by one ``reshape`` view.
"""
from __future__ import annotations

import operator

import numpy as np

from tracejit.errors import UnsupportedError, at
from tracejit.frontend.trace import user_location
from tracejit.frontend.values import is_tracer


def _expand(key: tuple, ndim: int, loc) -> list:
    """Replace the Ellipsis by full slices; check the number of indices."""
    if sum(k is Ellipsis for k in key) > 1:
        raise IndexError(f"an index can only have a single ellipsis ('...'){at(loc)}")
    used = sum(k is not None and k is not Ellipsis for k in key)
    if used > ndim:
        raise IndexError(f"too many indices for array: array is {ndim}-dimensional, but "
                         f"{used} were indexed{at(loc)}")
    out = []
    for k in key:
        if k is Ellipsis:
            out.extend([slice(None)] * (ndim - used))
        else:
            out.append(k)
    if Ellipsis not in key:
        out.extend([slice(None)] * (ndim - used))
    return out


def getitem(x, key):
    loc = user_location()
    key = key if isinstance(key, tuple) else (key,)
    for k in key:
        if is_tracer(k) or isinstance(k, (np.ndarray, list, bool, np.bool_)):
            raise UnsupportedError(f"advanced indexing (with arrays, lists or booleans) is not "
                                   f"supported yet{at(loc)}")
    starts, steps, lengths, final_shape = [], [], [], []
    dim = 0
    all_ints = Ellipsis not in key  # x[..., 0] of a 1-d x is a 0-d array, not a scalar
    for k in _expand(key, x.ndim, loc):
        if k is None:
            final_shape.append(1)
            all_ints = False
            continue
        n = x.shape[dim]
        if isinstance(k, slice):
            start, stop, step = k.indices(n)
            length = len(range(start, stop, step))
            starts.append(start if length else 0)
            steps.append(step)
            lengths.append(length)
            final_shape.append(length)
            all_ints = False
        else:
            try:
                i = operator.index(k)
            except TypeError:
                raise IndexError(f"only integers, slices (`:`), ellipsis (`...`) and numpy.newaxis "
                                 f"(`None`) are valid indices, not {type(k).__name__}{at(loc)}") from None
            if not -n <= i < n:
                raise IndexError(f"index {i} is out of bounds for axis {dim} with size {n}{at(loc)}")
            starts.append(i % n)
            steps.append(1)
            lengths.append(1)
        dim += 1
    from tracejit.frontend.functions import make_view
    out = x
    if tuple(lengths) != x.shape or any(s != 0 for s in starts) or any(s != 1 for s in steps):
        out = make_view(out, "slice", {"starts": tuple(starts), "steps": tuple(steps),
                                       "shape": tuple(lengths)})
    if tuple(final_shape) != out.shape:
        out = make_view(out, "reshape", {"shape": tuple(final_shape)})
    if out is x:
        out = make_view(x, "reshape", {"shape": x.shape})  # x[...] is a new view object
    out._scalar = all_ints and out.ndim == 0
    return out
