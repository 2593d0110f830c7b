"""Complex arrays at the boundary of compiled code: arguments in, results out.

Compiled code reads and writes only real buffers. A complex argument is passed as its
*pair view*: the same memory seen as a float array with one more axis of length 2 (real
part, imaginary part), no copy; the trace splits that axis into the two parts. A complex
result is computed as such a float array (its parts stacked on a new last axis) and
returned viewed as complex, again without a copy; a complex argument the function
wrote is written back through its pair view.

These functions see only NumPy arrays (``frontend/api.py`` and ``frontend/signature.py``
call them around the compiled code); the trace's side of the pair view (binding the
argument, stacking the result) is in ``complex/support.py``.
"""
from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided


def pair_view(arr: np.ndarray) -> np.ndarray:
    """The float array of shape ``arr.shape + (2,)`` over ``arr``'s memory (real, imaginary)."""
    part = arr.real  # a view with arr's strides, of the part dtype
    return as_strided(part, shape=arr.shape + (2,), strides=arr.strides + (part.itemsize,),
                      writeable=arr.flags.writeable)


def as_complex(pairs: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """The complex array of dtype ``dtype`` whose parts are ``pairs[..., 0]`` and
    ``pairs[..., 1]``: a view when the pairs are adjacent in memory, else a copy."""
    if pairs.strides[-1] == pairs.itemsize and pairs.flags.aligned and \
            all(s % (2 * pairs.itemsize) == 0 for s in pairs.strides[:-1]) and pairs.size:
        return pairs.view(dtype)[..., 0]
    out = np.empty(pairs.shape[:-1], dtype)
    out.real, out.imag = pairs[..., 0], pairs[..., 1]
    return out
