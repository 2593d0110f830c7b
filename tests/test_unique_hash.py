"""The hash path of ``np.unique`` (``runtime/hashunique.py``, chosen by a sample of the data in
``frontend/numpy/unique.py``) against NumPy: the routine itself on every key kind and width,
NaNs equal and not, signed zeros, empty and one-element inputs; and jitted functions on inputs
that take the hash path, the sort path, and a sample that guesses wrong (few distinct values
sampled, many in the array), 2-D and strided arguments, and a second call with a new shape."""
from __future__ import annotations

import itertools

import numpy as np
import pytest

import tracejit as tj
from tests.differential import same
from tracejit.runtime import hashunique, lapack


def _routine(x: np.ndarray, equal_nan: bool) -> tuple:
    """The routine's values, first indices, inverse and counts for ``x`` (called as generated code calls it)."""
    x = np.ascontiguousarray(x).reshape(-1)
    n = x.size
    name = hashunique.routine_name(x.dtype.kind, x.dtype.itemsize, equal_nan, True)
    k = np.zeros(1, np.int64)
    values, counts, first, inverse = np.empty(n, x.dtype), *(np.empty(n, np.int64) for _ in range(3))
    arrays = (x, np.array([n], np.int64), k, values, counts, first, inverse, np.empty(8 * n + 8, np.int64))
    lapack.call(name, [a.ctypes.data for a in arrays])
    return values[:k[0]], first[:k[0]], inverse, counts[:k[0]]



def _cases() -> list[np.ndarray]:
    rng = np.random.default_rng(5)
    zeros_nans = np.array([0.0, -0.0, np.nan, 1.0, -np.nan, np.nan, -0.0, -np.inf, np.inf, 5e-324, -5e-324])
    return [rng.integers(-4, 4, 300).astype(np.int8), rng.integers(0, 255, 500).astype(np.uint8),
            rng.integers(-1000, 1000, 3000).astype(np.int16), rng.integers(0, 70000, 3000).astype(np.uint32),
            rng.integers(-(2**62), 2**62, 2000), rng.random(200) < 0.5, rng.random(400).astype(np.float16),
            np.round(rng.normal(size=3000) * 4).astype(np.float32), zeros_nans, zeros_nans.astype(np.float32),
            zeros_nans.astype(np.float16), np.zeros(0), np.array([7], np.uint64), rng.integers(0, 10**9, 5000)]


@pytest.mark.parametrize("equal_nan", [True, False])
def test_routine_matches_numpy_stable_unique(equal_nan):
    for x in _cases():
        want = np.unique(x, return_index=True, return_inverse=True, return_counts=True, equal_nan=equal_nan)
        same(_routine(x, equal_nan), tuple(w.reshape(-1) for w in want), bits=True)


def _flagged(index: bool, inverse: bool, counts: bool):
    def f(x):
        return np.unique(x, return_index=index, return_inverse=inverse, return_counts=counts)
    return f


@pytest.mark.parametrize("combo", [0, 1, 6, 7, 2])  # none, counts, index + inverse, all, inverse
def test_jitted_hash_and_sort_paths(combo):
    index, inverse, counts = list(itertools.product((False, True), repeat=3))[combo]
    f = _flagged(index, inverse, counts)
    rng = np.random.default_rng(combo)
    binned = np.round(rng.normal(20.0, 3.0, 3000) * 2.0) / 2.0
    binned[rng.integers(0, 3000, 20)] = np.nan
    guessed_wrong = np.arange(4096, dtype=np.float64)  # the sample (every 4th) all zeros, 3073 distinct
    guessed_wrong[::4] = 0.0
    inputs = [binned, guessed_wrong, rng.random(2000), np.array([-0.0, 0.0, -0.0, 2.0]),  # float64
              rng.integers(0, 9, (40, 30)).astype(np.int32), rng.integers(0, 9, (60, 30)).astype(np.int32).T,
              rng.integers(0, 3, 999)[::3].astype(bool), np.full((1,), 3, np.uint16)]
    jitted = tj.jit(f, fallback=False)
    for x in inputs[[0, 1, 6, 7, 2].index(combo) % 3::3]:  # new shapes and dtypes call after call
        same(jitted(x), f(x), bits=True)


def test_hash_path_results_reduced_and_indexed():
    def f(x):
        values, counts = np.unique(np.round(x * 2.0) / 2.0, return_counts=True)
        return values[np.argmax(counts)], counts.sum(), values.size, values.max()

    x = np.random.default_rng(2).normal(20.0, 3.0, 5000)
    jitted = tj.jit(f, fallback=False)
    same(jitted(x), f(x), bits=True)
    same(jitted(x[:77]), f(x[:77]), bits=True)


@pytest.mark.parametrize("inverse", [False, True])
def test_jitted_nans_unequal_both_paths(inverse):
    def f(x):
        return np.unique(x, return_index=True, return_inverse=inverse, return_counts=True, equal_nan=False)

    rng = np.random.default_rng(9)
    many = rng.random(3000)  # the sort path
    many[rng.integers(0, 3000, 50)] = np.nan
    few = np.round(rng.normal(size=3000)).astype(np.float16)  # the hash path
    few[rng.integers(0, 3000, 50)] = np.nan
    jitted = tj.jit(f, fallback=False)
    same(jitted(many), f(many), bits=True)
    same(jitted(few), f(few), bits=True)


def test_array_api_unique_functions():
    x = np.round(np.random.default_rng(4).normal(0.0, 2.0, (20, 50))) + 0.0  # (no -0.0: see the docs)
    with_nans = x.copy()
    with_nans[0, :3] = np.nan
    # (not unique_inverse with NaNs: NumPy's unstable sort orders the unequal NaNs as it happens to)
    for fn, arg in ((np.unique_counts, with_nans), (np.unique_all, with_nans), (np.unique_inverse, x)):
        got, want = tj.jit(fn, fallback=False)(arg), fn(arg)
        assert type(got) is type(want)
        same(tuple(got), tuple(want), bits=True)
