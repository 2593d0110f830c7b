"""Index keys normalized as NumPy reads them, shared by ``x[key]`` (``indexing.py``) and
``ufunc.at`` (``ufunc_at.py``): the Ellipsis replaced by full slices and the number of
indices checked (NumPy's own ``IndexError`` messages), constant boolean masks replaced by
the positions of their True elements.
"""
from __future__ import annotations

import numpy as np

from tracejit.errors import UnsupportedError, at, user_error
from tracejit.frontend.operands import is_tracer


def expand_key(key: tuple, ndim: int, loc: str | None) -> list:
    """``key`` with its Ellipsis (or, without one, the missing trailing axes) replaced by
    full slices, one entry per axis of the result's source; too many indices raise NumPy's IndexError."""
    if sum(k is Ellipsis for k in key) > 1:
        raise user_error(IndexError(f"an index can only have a single ellipsis ('...'){at(loc)}"))
    used = sum(k is not None and k is not Ellipsis for k in key)
    if used > ndim:
        raise user_error(IndexError(f"too many indices for array: array is {ndim}-dimensional, but "
                                    f"{used} were indexed{at(loc)}"))
    out = []
    for k in key:
        if k is Ellipsis:
            out.extend([slice(None)] * (ndim - used))
        else:
            out.append(k)
    if not any(k is Ellipsis for k in key):  # (``Ellipsis in key`` would compare arrays elementwise)
        out.extend([slice(None)] * (ndim - used))
    return out


def mask_positions(key: tuple, loc: str | None, what: str) -> tuple:
    """``key`` with each constant boolean mask replaced by the positions of its True
    elements (one integer array per axis it spans, as NumPy does); a traced boolean index
    is refused (``what`` names the caller in the message)."""
    out: list = []
    for k in key:
        if isinstance(k, (np.ndarray, list)) and np.asarray(k).dtype == np.bool_:
            out.extend(np.nonzero(np.asarray(k)))
        elif is_tracer(k) and k.dtype == np.bool_:
            raise UnsupportedError(f"{what} with a traced boolean index{at(loc)}")
        else:
            out.append(k)
    return tuple(out)
