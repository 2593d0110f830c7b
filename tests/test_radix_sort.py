"""The radix sort of long lines (``codegen/radix.py``) against NumPy: ``np.sort`` bit for bit
(NaN payloads and ``-0.0`` in the stable sort's places) and ``np.argsort`` equal to
``kind='stable'``, for every key dtype, special floats, structured lines, 2-D axes,
non-contiguous operands, in-place sorts and zero-size arrays."""
from __future__ import annotations

import numpy as np
import pytest

import tracejit as tj
from tracejit.compiler.codegen.radix import RADIX_MIN, RADIX_MIN_WIDE, radix_applies

N = RADIX_MIN_WIDE + 77  # above both thresholds: every dtype's sort and argsort is a radix sort


def _same(got: np.ndarray, want: np.ndarray) -> None:
    """Equal dtype, shape and bits (``-0.0`` and NaN payloads included)."""
    assert got.dtype == want.dtype and got.shape == want.shape
    if want.dtype.kind == "f":
        got, want = got.view(f"u{want.itemsize}"), want.view(f"u{want.itemsize}")
    np.testing.assert_array_equal(got, want)


def _line(dtype: str, n: int, rng: np.random.Generator) -> np.ndarray:
    dt = np.dtype(dtype)
    if dt.kind == "b":
        return rng.integers(0, 2, n).astype(bool)
    if dt.kind in "iu":
        info = np.iinfo(dt)
        return rng.integers(info.min, info.max, n, dtype=dt, endpoint=True)
    x = rng.normal(0, 3, n).astype(dt)
    for value in (np.nan, -np.nan, np.inf, -np.inf, 0.0, -0.0):
        x[rng.integers(0, n, n // 20)] = value
    x[:3] = np.frombuffer(np.array([0x7FF8000000000123, 0xFFF0000000000001], np.uint64).tobytes(), np.float64)[
        [0, 1, 0]].astype(dt) if dt.itemsize == 8 else x[:3]  # NaN payloads and signs
    return x


def both(x):
    return np.sort(x), np.argsort(x, kind="stable")


def stable(x):
    """NumPy's stable sort and argsort (its default sort leaves -0.0/0.0 and NaN order open)."""
    return np.sort(x, kind="stable"), np.argsort(x, kind="stable")


def test_thresholds():
    assert radix_applies("argsort", np.dtype(np.float64), RADIX_MIN)
    assert not radix_applies("sort", np.dtype(np.float64), RADIX_MIN)
    assert radix_applies("sort", np.dtype(np.int32), RADIX_MIN)
    assert not radix_applies("sort", np.dtype(np.complex128), N)


@pytest.mark.parametrize("dtype", ["f8", "f4", "f2", "i8", "i4", "i2", "i1", "u8", "u2", "u1", "bool"])
def test_dtypes(dtype):
    rng = np.random.default_rng(3)
    x = _line(dtype, N, rng)
    got_sort, got_arg = tj.jit(both, fallback=False)(x)
    want_sort, want_arg = stable(x)
    _same(got_sort, want_sort)
    _same(got_arg, want_arg)


def test_structured_lines():
    """All equal (no digit pass), sorted, reversed, all NaN, small ints (one digit), many
    ties of -0.0 and 0.0: one compiled function, new data each call."""
    rng = np.random.default_rng(5)
    f = tj.jit(both, fallback=False)
    ramp = np.linspace(-5, 5, N)
    zeros = np.where(rng.random(N) < 0.5, -0.0, 0.0)
    for x in (np.full(N, 2.5), ramp, ramp[::-1].copy(), np.full(N, np.nan), rng.integers(0, 9, N) * 1.0, zeros,
              np.full(N, -0.0), np.where(rng.random(N) < 0.5, np.inf, -np.inf)):
        for got, want in zip(f(x), stable(x)):
            _same(got, want)


def test_rows_axes_views_and_new_shapes():
    """2-D along either axis (many rows: parallel chunks), transposed and strided
    operands, then a second call with new shapes."""
    rng = np.random.default_rng(7)

    def f(a, b, kind=None):
        return (np.sort(a, axis=1, kind=kind), np.argsort(a, axis=1, kind="stable"), np.sort(b, axis=0, kind=kind),
                np.argsort(b.T, axis=1, kind="stable"))

    g = tj.jit(f, fallback=False)
    for rows in (40, 3):
        a = rng.integers(-50, 50, (rows, 2 * N)).astype(np.float32)[:, ::2]
        a[0, :7] = [np.nan, -0.0, 0.0, -np.nan, np.inf, -0.0, np.nan]
        b = rng.normal(size=(N + rows, 5))
        for got, want in zip(g(a, b), f(a, b, "stable")):
            _same(got, want)


def test_in_place_and_zero_size():
    """``x.sort()`` of a line with NaNs and -0.0 (the patch reads the operand it sorts),
    and arrays with no lines."""
    rng = np.random.default_rng(11)

    def f(x, e):
        x.sort()
        return x, np.sort(e, axis=1), np.argsort(e, axis=1)

    x = _line("f8", N, rng)
    e = np.zeros((0, N), np.int32)
    want = np.sort(x, kind="stable")
    got = tj.jit(f, fallback=False)(x.copy(), e)
    _same(got[0], want)
    _same(got[1], np.sort(e, axis=1))
    _same(got[2], np.argsort(e, axis=1))
