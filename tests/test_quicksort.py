"""The vectorized quicksort of long value sorts (``codegen/quicksort.py``) against NumPy's
stable sort, bit for bit (``-0.0``/``0.0`` in line order, NaN payloads): lengths around the
crossovers and leaf blocks, every key dtype, special floats, ties, sorted and reversed lines,
axes, strided operands, in-place sorts, threads, and the heapsort of ranges too deep."""
from __future__ import annotations

import numpy as np
import pytest

import tracejit as tj
from tests.sortcases import check_lengths, key_lines, same_bits, sort_last
from tracejit.compiler.codegen import quicksort
from tracejit.compiler.schedule.scan_sort import NET_MAX, PLAIN_NET_MAX, QUICK_MIN, quick_applies

LENGTHS = [QUICK_MIN[8] + 1, 2500, 3001, QUICK_MIN[4] + 1, 6007, NET_MAX - 1, NET_MAX + 1,
           16383, 16384, 16385, 100003]




def test_which_lines_are_quicksorted():
    assert not quick_applies("sort", QUICK_MIN[8], 8, 8) and quick_applies("sort", QUICK_MIN[8] + 1, 8, 8)
    assert not quick_applies("sort", QUICK_MIN[4], 16, 4) and quick_applies("sort", QUICK_MIN[4] + 1, 16, 4)
    assert not quick_applies("sort", 8192, 8, 8) and quick_applies("sort", 16384, 8, 8)  # powers of two
    assert not quick_applies("argsort", 5000, 8, 8) and not quick_applies("sort", 5000, 0, 8)
    assert not quick_applies("sort", 16385, 8, 8, compress=False)  # (no vector compress-store)


def test_targets_without_a_compress_store_keep_the_network_and_radix_sorts():
    """As AVX2 (``tj.config.isa``): no quicksort, whose compress-stores LLVM expands into a
    store per lane there (5-10x slower, measured); lines to ``PLAIN_NET_MAX`` keys run the
    network, longer ones the radix sort, and the values stay NumPy's bit for bit."""
    rng = np.random.default_rng(9)
    with tj.config.overriding(isa="avx2"):
        for n in (5001, PLAIN_NET_MAX, PLAIN_NET_MAX + 1):
            x = key_lines("f8", 2, n, rng, True)
            f = tj.jit(sort_last, fallback=False)
            listing = f.lower(x).as_text("kernels")
            assert "quicksort" not in listing
            assert ("bitonic" in listing) == (n <= PLAIN_NET_MAX)
            same_bits(f(x), np.sort(x, axis=-1, kind="stable"))


@pytest.mark.parametrize("dtype", ["f8", "f4", "i8", "i4", "u8", "u4"])
def test_lengths_and_dtypes(dtype):
    check_lengths(dtype, LENGTHS, rows=3, seed=11)


@pytest.mark.parametrize("dtype", ["f8", "i4"])
def test_structured_lines(dtype):
    """Ties (all equal, few values: the pivot is often the minimum), sorted, reversed,
    organ pipes, zeros of both signs only, NaNs."""
    n = 20011
    rng = np.random.default_rng(3)
    base = rng.standard_normal(n) * 1000
    lines = [np.zeros(n), np.full(n, 7.0), rng.integers(0, 3, n), rng.integers(0, 300, n), np.sort(base),
             np.sort(base)[::-1], np.concatenate([np.arange(n // 2), np.arange(n - n // 2)[::-1]]),
             np.arange(n) % 17, np.where(rng.random(n) < 0.5, -0.0, 0.0)]
    if dtype == "f8":  # a NaN only at the end, NaNs only, one number among NaNs
        lines += [np.concatenate([base[:-1], [np.nan]]), np.full(n, np.nan), np.where(np.arange(n) == 7, -0.0, np.nan)]
    x = np.array(lines).astype(dtype)
    f = tj.jit(sort_last, fallback=False)
    same_bits(f(x), np.sort(x, axis=-1, kind="stable"))


def test_a_million_keys():
    rng = np.random.default_rng(5)
    x = rng.standard_normal(1_000_000)
    f = tj.jit(np.sort, fallback=False)
    same_bits(f(x), np.sort(x, kind="stable"))
    x[rng.integers(0, x.size, 1000)] = -0.0
    x[rng.integers(0, x.size, 1000)] = np.nan
    same_bits(f(x), np.sort(x, kind="stable"))
    y = rng.integers(-(2 ** 31), 2 ** 31 - 1, 1_000_000, dtype=np.int32)
    same_bits(tj.jit(np.sort, fallback=False)(y), np.sort(y, kind="stable"))


def test_axes_views_and_in_place():
    rng = np.random.default_rng(9)
    x = key_lines("f8", 3, 5000, rng, True)
    for view, axis in ((lambda a: a.T, 0), (lambda a: a[:, ::-2], 1), (lambda a: a[::-1], -1)):
        got = tj.jit(lambda a: np.sort(view(a), axis=axis), fallback=False)(x)
        same_bits(got, np.sort(view(x), axis=axis, kind="stable"))

    def in_place(a):
        a.sort()
        return a

    for y in (x.copy(), key_lines("i8", 2, 6007, rng, False), key_lines("f4", 2, 5001, rng, False)):
        want = np.sort(y, kind="stable")
        same_bits(tj.jit(in_place, fallback=False)(y), want)
        same_bits(y, want)


def test_threads_match_serial(monkeypatch):
    rng = np.random.default_rng(2)
    x = key_lines("f8", 16, 3001, rng, True)
    monkeypatch.setattr(tj.config, "num_threads", 2)
    same_bits(tj.jit(sort_last, fallback=False)(x), np.sort(x, axis=-1, kind="stable"))


def test_deep_ranges_are_heapsorted(monkeypatch):
    """With a depth limit of 0 every range past the first partition is heapsorted."""
    monkeypatch.setattr(quicksort, "DEPTH_FACTOR", 0)
    monkeypatch.setattr(quicksort, "DEPTH_EXTRA", 0)
    rng = np.random.default_rng(4)
    for dtype in ("f8", "i4", "u8"):
        x = key_lines(dtype, 2, 7001, rng, dtype == "f8")
        x[1, :3000] = x[1, 0]  # ties
        same_bits(tj.jit(sort_last, fallback=False)(x), np.sort(x, axis=-1, kind="stable"))


@pytest.mark.parametrize("target", ["aarch64-linux-gnu", "armv7-linux-gnueabihf", "wasm32-wasi"])
def test_exports_to_other_targets(target, tmp_path):
    """Long lines sorted on targets without AVX-512 (NEON, 32-bit ARM, wasm: no vector
    compress-store, so the network and radix sorts, not the quicksort): the exported
    sort's values equal NumPy's bit for bit."""
    from tests import crossharness
    crossharness.toolchain(target)
    rng = np.random.default_rng(8)
    x = key_lines("f4", 3, 5001, rng, True)
    done = tj.export(sort_last, x, target=target, out_dir=str(tmp_path), name="quick")
    exe = crossharness.build(done, str(tmp_path), target)
    code, got, _ = crossharness.run(exe, done, target, [x.copy()])
    assert code == 0
    same_bits(got[0], np.sort(x, axis=-1, kind="stable"))
