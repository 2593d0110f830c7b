"""``np.unique`` of long lines (the radix-sorted path, ``compiler/codegen/radix.py``) against
NumPy: every combination of the four return flags, int/uint/bool/float dtypes, NaNs with
``equal_nan`` True and False, narrow and wide value ranges, all-equal, sorted and reversed
input, a zero-size input and a second call with a new shape (one jit per flag combination)."""
from __future__ import annotations

import itertools

import numpy as np
import pytest

import tracejit as tj
from tests.differential import same

N = 1500  # over the radix thresholds (RADIX_MIN, RADIX_MIN_WIDE)


def _inputs() -> list[np.ndarray]:
    rng = np.random.default_rng(17)
    binned = np.round(rng.normal(20.0, 3.0, N) * 2.0) / 2.0
    with_nans = binned.copy()
    with_nans[rng.integers(0, N, 40)] = np.nan
    return [binned, with_nans, rng.integers(-3, 4, N).astype(np.int8), rng.integers(0, 2**40, N),
            rng.integers(0, 50, (30, 50)).astype(np.uint16), rng.random(N) < 0.3,
            rng.normal(size=N).astype(np.float32), np.full(N, 2.5), np.arange(N, dtype=np.int32),
            np.arange(N, 0, -1).astype(np.float64), np.zeros(0, np.int64)]



@pytest.mark.parametrize("combo", range(8))
def test_unique_long_lines_every_flag_combination(combo):
    index, inverse, counts = list(itertools.product((False, True), repeat=3))[combo]

    def f(x):
        return np.unique(x, return_index=index, return_inverse=inverse, return_counts=counts)

    jitted = tj.jit(f, fallback=False)
    for x in _inputs()[combo % 4::4]:  # each input with two flag combinations (a new shape each call)
        same(jitted(x), f(x))


@pytest.mark.parametrize("counts", [False, True])
def test_unique_long_lines_nans_unequal(counts):
    def f(x):
        return np.unique(x, return_counts=counts, equal_nan=False)

    x = np.round(np.random.default_rng(3).normal(0.0, 2.0, N))
    x[::7] = np.nan
    jitted = tj.jit(f, fallback=False)
    same(jitted(x), f(x))
    same(jitted(x[:1100].astype(np.float32)), f(x[:1100].astype(np.float32)))


def test_unique_counts_mode_program():
    def f(readings):
        binned = np.round(readings * 2.0) / 2.0
        values, counts = np.unique(binned, return_counts=True)
        return values, counts, values[np.argmax(counts)]

    x = np.random.default_rng(5).normal(20.0, 3.0, 4000)
    same(tj.jit(f, fallback=False)(x), f(x))


def test_selection_indexed_by_its_own_argmax():
    def f(x):
        m = x > 0
        a, b = x[m], (x * x - 3.0 * x)[m]
        return a[np.argmin(b)], b[a.argmax()], a[np.argmax(x[x > 1])], a[-1 - np.argmax(b)]

    jitted = tj.jit(f, fallback=False)
    for x in (np.random.default_rng(9).normal(0.5, 2.0, 300), np.array([-1.0, 2.0, 5.0, 0.5, 1.5])):
        same(jitted(x), f(x))


def test_unique_values_native_as_numpy_up_to_order():
    """``np.unique_values`` is native (no host call): NumPy's distinct values, NaNs unequal, with
    its dtype and shape; NumPy 2.3+ orders them by its hash table ('may vary'), ours ascending."""
    jitted = tj.jit(np.unique_values, fallback=False)
    for x in _inputs() + [np.array([5, 3, 1000, 3, -4], np.int16), np.float32(2.5), np.array([[np.nan, -0.0, 0.0]])]:
        want = np.unique_values(x)
        got = jitted(x)
        same(got, np.sort(want))
        same(got, np.unique(x, equal_nan=False))  # (NaNs kept apart, first occurrences' bits)
    lowered = tj.jit(lambda x: np.unique_values(x).sum(), fallback=False).lower(_inputs()[0])
    assert "host" not in lowered.as_text("graph")
