"""Arithmetic-sequence constants (``np.arange``, ``np.arange(n) * 2 + 1``, reshaped or
not): computed from the element index in the kernel instead of stored in a buffer.

A constant qualifies when every element ``e`` (in C order) equals ``start + step * e``
exactly as the kernel will compute it: in int64 for integers (no overflow), and as
``start + float(e) * step`` rounded in the constant's own float type, compared bit for
bit, for floats. Otherwise it stays a buffer, which is always correct.
"""
from __future__ import annotations

import numpy as np

MIN_SIZE = 2


def affine_constant(value: np.ndarray) -> tuple[object, object] | None:
    """``(start, step)`` as Python numbers when ``value`` is ``start + step * e`` for its
    flat index ``e`` in the arithmetic the kernel uses, else None."""
    dtype = value.dtype
    if value.size < MIN_SIZE or dtype.kind not in "iuf" or dtype.itemsize < 4 and dtype.kind == "f":
        return None
    flat = value.reshape(-1)
    index = np.arange(flat.size, dtype=np.int64)
    if dtype.kind in "iu":
        if dtype == np.uint64 and int(flat.max()) > np.iinfo(np.int64).max:
            return None
        start, step = int(flat[0]), int(flat[1]) - int(flat[0])
        last = start + step * (flat.size - 1)
        if not np.iinfo(np.int64).min <= last <= np.iinfo(np.int64).max:
            return None
        computed = (start + step * index).astype(dtype)  # the kernel wraps as astype does
        return (start, step) if np.array_equal(computed, flat) else None
    with np.errstate(all="ignore"):
        start, step = flat[0], dtype.type(flat[1] - flat[0])
        computed = start + index.astype(dtype) * step
    bits = np.dtype(f"u{dtype.itemsize}")
    if not np.isfinite(step) or not np.array_equal(computed.view(bits), flat.view(bits)):
        return None
    return float(start), float(step)
