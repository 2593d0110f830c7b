"""The bitonic sorting network of value sorts (``codegen/sortnet.py``) against NumPy's
stable sort, bit for bit (``-0.0`` before or after ``0.0`` in line order, NaN payloads):
lengths around every block and threshold of the network, key dtypes, special floats,
structured lines, axes, non-contiguous operands and results, in-place sorts, threads."""
from __future__ import annotations

import itertools

import numpy as np
import pytest

import tracejit as tj
from tests.sortcases import check_lengths, key_lines, same_bits, sort_last
from tracejit.compiler.codegen.sortnet import network_size, odd_even_network
from tracejit.compiler.schedule.scan_sort import NET_MAX, NET_MIN

# lengths around the threshold, vectors (4..16 lanes), register blocks (64..256), powers of two
LENGTHS = sorted({NET_MIN - 1, NET_MIN, NET_MIN + 1, 31, 33, 63, 64, 65, 127, 128, 129, 255, 256, 257,
                  511, 513, 1000, 1023, 1025, 2047, 2049, NET_MAX - 1, NET_MAX, NET_MAX + 1})




@pytest.mark.parametrize("dtype", ["f8", "f4", "i8", "i4", "u8", "u4"])
def test_lengths_and_dtypes(dtype):
    check_lengths(dtype, LENGTHS, rows=5, seed=7)


def test_structured_lines():
    """Sorted, reversed, all equal, all NaN, all zeros of mixed signs, only infinities,
    few distinct values, the largest finite numbers: one compiled function."""
    n = 1000
    rng = np.random.default_rng(11)
    f = tj.jit(sort_last, fallback=False)
    ramp = np.linspace(-5, 5, n)
    big = np.finfo(np.float64).max
    for x in (ramp, ramp[::-1].copy(), np.full(n, 2.5), np.full(n, np.nan), np.where(rng.random(n) < 0.5, -0.0, 0.0),
              np.full(n, -0.0), np.where(rng.random(n) < 0.5, np.inf, -np.inf), rng.integers(0, 3, n) * 1.0,
              np.where(rng.random(n) < 0.5, big, -big), np.where(rng.random(n) < 0.1, np.nan, -0.0)):
        same_bits(f(x), np.sort(x, kind="stable"))


def test_axes_views_in_place_and_threads(monkeypatch):
    """Along the first axis (strided reads and writes), strided and reversed operands,
    ``x.sort()`` on an argument and a view, 1 and 2 threads (parallel chunks)."""
    rng = np.random.default_rng(13)
    x = key_lines("f8", 64, 1000, rng, True)
    for threads in (1, 2):
        monkeypatch.setattr(tj.config, "num_threads", threads)
        same_bits(tj.jit(lambda a: np.sort(a, axis=0))(x.T), np.sort(x.T, axis=0, kind="stable"))
        same_bits(tj.jit(sort_last)(x[:, ::2]), np.sort(x[:, ::2], axis=-1, kind="stable"))
        same_bits(tj.jit(sort_last)(x[::-1, ::-1]), np.sort(x[::-1, ::-1], axis=-1, kind="stable"))
        f = tj.jit(sort_last)
        same_bits(f(x), np.sort(x, axis=-1, kind="stable"))
        assert threads == 1 or next(k for k in f.lower(x).kernels if k.kind == "along_axis").parallel_grain > 0

        def in_place(a, kind=None):
            a.sort(kind=kind)

        def view_in_place(a, kind=None):
            a[1:, 3:].sort(axis=0, kind=kind)

        for fn in (in_place, view_in_place):  # (NumPy's default kind leaves NaN order open)
            got, want = x.copy(), x.copy()
            fn(want, "stable")
            assert tj.jit(fn)(got) is None
            same_bits(got, want)


def test_zero_size_and_after_other_ops():
    f = tj.jit(lambda a: np.sort(a * 2.0 - 1.0, axis=-1) + 1.0)
    for shape in ((0, 100), (3, 0), (2, 100)):
        x = np.random.default_rng(3).standard_normal(shape)
        same_bits(f(x), np.sort(x * 2.0 - 1.0, axis=-1, kind="stable") + 1.0)


def test_which_sorts_run_the_network():
    """Value sorts of 4- and 8-byte numbers from ``NET_MIN`` to ``NET_MAX`` keys; argsorts
    (stable), bools, 2-byte keys and other lengths keep the merge or radix sort."""
    def text(fn, x):
        return tj.jit(fn).lower(x).as_text("kernels")

    for dtype in ("f8", "f4", "i8", "u4"):
        assert "bitonic sorting network" in text(sort_last, np.zeros((2, 1000), dtype))
    assert "vectorized quicksort" in text(sort_last, np.zeros((2, NET_MAX + 1)))
    assert "quicksort" not in text(sort_last, np.zeros((2, NET_MAX)))  # (a power of two)
    for x in (np.zeros((2, NET_MIN - 1)), np.zeros((2, 1000), "f2"),
              np.zeros((2, 1000), bool), np.zeros((2, 1000), "i2")):
        assert "bitonic" not in text(sort_last, x)
    assert "bitonic" not in text(lambda a: np.argsort(a, axis=-1), np.zeros((2, 1000)))


def test_network_parts():
    """Batcher's network sorts every 0/1 input (so every input); sizes are powers of two."""
    for n in (2, 4, 8, 16):
        net = odd_even_network(n)
        for bits in itertools.product((0, 1), repeat=n):
            v = list(bits)
            for i, j in net:
                v[i], v[j] = min(v[i], v[j]), max(v[i], v[j])
            assert v == sorted(v)
    assert len(odd_even_network(8)) == 19
    assert [network_size(n) for n in (1, 2, 3, 1000, 1024, 1025)] == [1, 2, 4, 1024, 1024, 2048]
