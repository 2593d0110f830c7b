"""``np.convolve``/``np.correlate`` with the edges apart (``frontend/numpy/convolution.py``): every
mode, dtype and length pair around the tap count (operands swapped: kernel longer than signal),
the padding's products left out as NumPy's edge dots leave them (an infinite tap over the padding
gives no NaN), NaNs beside the edges, strided and reversed operands, traced taps, no padded copy of
the long operand, against eager NumPy."""
from __future__ import annotations

import re

import numpy as np
import pytest

import tracejit as tj
from tests.conftest import assert_same

rng = np.random.default_rng(1771)
MODES = ["full", "same", "valid"]
pytestmark = pytest.mark.filterwarnings("ignore:tracejit.*was traced")  # (a trace per length pair)


def _all(x, k):
    return [(np.convolve(x, k, m), np.convolve(k, x, m), np.correlate(x, k, m), np.correlate(k, x, m))
            for m in MODES]


@pytest.mark.parametrize("n", [1, 2, 3, 8, 9])
def test_convolve_lengths_modes(n):
    f = tj.jit(_all, fallback=False)
    for n1 in sorted({n, n + 1, 2 * n + 1, 50}):
        x, k = rng.standard_normal(n1), rng.standard_normal(n)
        assert_same(f(x, k), _all(x, k), ulps=8, atol=1e-14, what=f"{n1} {n}")


@pytest.mark.parametrize("dtype", ["int8", "int16", "int64", "uint8", "bool", "float32"])
def test_convolve_dtypes_edges(dtype):
    f = tj.jit(_all, fallback=False)
    for n1, n in ((20, 5), (6, 6), (7, 4)):
        x = rng.integers(-120, 120, n1).astype(dtype)  # int8 products and sums wrap, as NumPy's
        k = rng.integers(-9, 9, n).astype(dtype)
        assert_same(f(x, k), _all(x, k), rtol=1e-6 if dtype == "float32" else 0.0, what=f"{n1} {n}")


def test_convolve_infinite_taps_over_padding():
    """A padded zero times an infinite or NaN tap: NumPy's edge dots leave it out (no NaN)."""
    f = tj.jit(_all, fallback=False)
    x = np.arange(1.0, 12.0)
    for k in ([1.0, np.inf, 2.0], [np.inf, 1.0, 1.0, 2.0], [1.0, 2.0, -np.inf], [np.nan, 1.0, 0.5, 0.25]):
        k = np.array(k)
        assert_same(f(x, k), _all(x, k), ulps=8, what=str(k))


def test_convolve_nans_near_edges_strided_reversed_traced_taps():
    x = rng.standard_normal(40)
    x[[0, 2, 38]] = np.nan, np.inf, -np.inf

    def g(x, t):
        return (np.convolve(x[::2], t, "same"), np.correlate(x[::-1], t[::-1], "full"),
                np.convolve(x[3:30:3], t[:4], "full"), np.correlate(x[1:], t * 2.0, "valid"))

    t = rng.standard_normal(7)
    assert_same(tj.jit(g, fallback=False)(x, t), g(x, t), ulps=8, atol=1e-14)


def test_convolve_large_same_no_padded_copy():
    """'same'/'full' of a long signal: one fused kernel writes the output, no temporary as long
    as the signal (only the padded ends, 2 * (taps - 1) elements at most)."""
    x, k = rng.standard_normal(100_000), np.hanning(11)

    def g(x):
        return np.convolve(x, k, "same"), np.convolve(x, k[:6], "full")

    low = tj.jit(g, fallback=False).lower(x)
    temps = [int(m) for m in re.findall(r"temp f64\[(\d+)\]", low.as_text("kernels"))]
    assert temps and max(temps) <= 20, temps
    assert_same(tj.jit(g)(x), g(x), ulps=8, atol=1e-14)


def test_convolve_complex_runs_as_host_call():
    x, k = rng.standard_normal(9) + 1j, rng.standard_normal(3) - 2j
    f = lambda x, k: np.convolve(x, k, "same")  # noqa: E731
    assert_same(tj.jit(f)(x, k), f(x, k))


def test_convolve_concrete_signal_traced_taps():
    """A constant long operand (its padded ends concrete too) with traced taps, and a scalar."""
    c = np.arange(12.0)

    def f(t):
        return [(np.convolve(c, t, m), np.correlate(t, c, m), np.convolve(t, 2.5, m), np.correlate(c[:3], c, m))
                for m in MODES]

    t = np.array([1.0, -2.0, np.inf])
    assert_same(tj.jit(f, fallback=False)(t), f(t), ulps=4)
