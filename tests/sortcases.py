"""Shared by the sort tests (``test_sort_network``, ``test_quicksort``): lines of keys with
the values that expose a sort's order (ties, the padding key, special floats, a NaN payload),
a bit-for-bit comparison against NumPy's stable sort, and the sweep of lengths both run."""
from __future__ import annotations

import numpy as np

import tracejit as tj


def same_bits(got: np.ndarray, want: np.ndarray) -> None:
    """Equal dtype, shape and bits (``-0.0`` and NaN payloads included)."""
    assert got.dtype == want.dtype and got.shape == want.shape
    if want.dtype.kind == "f":
        got, want = got.view(f"u{want.itemsize}"), want.view(f"u{want.itemsize}")
    np.testing.assert_array_equal(got, want)


def key_lines(dtype: str, rows: int, n: int, rng: np.random.Generator, special: bool) -> np.ndarray:
    """``rows`` lines of ``n`` keys of ``dtype``: integers from the whole range with the
    largest (a network's padding key) many times and the smallest; floats with NaNs (one
    with a payload), infinities and signed zeros where ``special``."""
    dt = np.dtype(dtype)
    if dt.kind in "iu":
        info = np.iinfo(dt)
        x = rng.integers(info.min, info.max, (rows, n), dtype=dt, endpoint=True)
        x[0, : n // 2] = info.max  # the padding key's value, many times
        x[-1, ::3] = info.min
        return x
    x = (rng.standard_normal((rows, n)) * 100).astype(dt)
    if special:
        for value in (np.nan, -np.nan, np.inf, -np.inf, 0.0, -0.0):
            x[rng.integers(0, rows, n // 8 + 1), rng.integers(0, n, n // 8 + 1)] = value
        bits = x.view(f"u{dt.itemsize}")
        bits[0, 0] = bits.dtype.type(0x7FF8000000000123 if dt.itemsize == 8 else 0x7FC00123)  # a payload
    return x


def sort_last(a):
    return np.sort(a, axis=-1)


def check_lengths(dtype: str, lengths: list[int], rows: int, seed: int) -> None:
    """``np.sort`` along the last axis under ``tj.jit`` equals NumPy's stable sort bit for bit
    on ``rows`` lines of each length in ``lengths`` (floats with and without special values)."""
    rng = np.random.default_rng(seed)
    f = tj.jit(sort_last, fallback=False)
    for n in lengths:
        for special in (False, True) if dtype[0] == "f" else (False,):
            x = key_lines(dtype, rows, n, rng, special)
            same_bits(f(x), np.sort(x, axis=-1, kind="stable"))
