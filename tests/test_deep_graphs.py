"""Graphs from long unrolled loops and whole-array writes: a masked write of a whole
array is its value (``whole_update``), fused expressions stay bounded in depth (no
RecursionError, no recomputed cones), repeated ``acc += a @ b`` keeps one epilogue per
product, and ``fma`` rounds once, like C's fma."""
from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

import tracejit as tj
from tests.conftest import assert_same, check_jit
from tests.test_simplify import apply_rule
from tracejit.compiler.ops.fused import fma_reference
from tracejit.compiler.passes.fusion import DEPTH_LIMIT


def test_masked_write_of_a_whole_array_is_its_value():
    def f(x):
        y = x * 2
        y[x > 0] = 0.5
        return y
    x = np.linspace(-1, 1, 9)
    before, after = apply_rule("whole_update", f, x)
    assert "update" in before and "update" not in after


def test_whole_update_of_an_argument_is_kept():
    def f(a, b):
        a += b  # the argument's new value is stored once (written back anyway; n-body reads it broadcast)
        return a * 2
    x = np.linspace(-1, 1, 9)
    before, after = apply_rule("whole_update", f, x, x)
    assert before.count("update") == after.count("update") == 1


def test_whole_update_keeps_outputs_of_their_own():
    def f(a, b):
        a[...] = b  # the written argument's new value is an input: keeps its update
    check_jit(f, np.zeros(4), np.arange(4.0))


@pytest.mark.parametrize("steps", [DEPTH_LIMIT * 3, 300])
def test_long_unrolled_chains_compile(steps):
    def f(x):
        for _ in range(steps):
            x = np.where(x > 1, x * 0.5, x + 0.1)
        return x
    check_jit(f, np.random.default_rng(0).random(50) * 2)


def test_deep_loop_state_is_stored_not_recomputed():
    def f(z, c):
        for _ in range(40):
            m = np.abs(z) <= 2
            z = np.where(m, z * z + c, z)
        return z
    x = np.linspace(-1.5, 0.5, 64)
    f_jit = check_jit(f, np.zeros(64), x)
    low = f_jit.lower(np.zeros(64), x)
    text = low.as_text("kernels") if hasattr(low, "as_text") else ""
    assert len(text) < 100_000  # each iteration's state is loaded, not rebuilt from the start


def test_repeated_accumulated_products():
    rng = np.random.default_rng(1)
    a = rng.standard_normal((3, 5, 4)).astype(np.float32)
    w = rng.standard_normal((3, 4, 6)).astype(np.float32)

    def f(a, w):
        acc = np.zeros((5, 6), np.float32)
        for i in range(3):
            acc += a[i] @ w[i]
        return np.maximum(acc, 0.0)
    check_jit(f, a, w, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fma_rounds_once(dtype):
    rng = np.random.default_rng(2)
    a, b, c = (rng.standard_normal(2000).astype(dtype) for _ in range(3))
    a[:3], b[:3], c[:3] = [1 + 2.0 ** -13, np.inf, np.nan], [1 - 2.0 ** -13, 1, 2], [-1, 1, 1]
    want = fma_reference(a, b, c)
    assert want.dtype == dtype
    if dtype == np.float32:  # float32 products are exact in long double; one more rounding
        exact = (a.astype(np.longdouble) * b + c).astype(dtype)
    else:  # Fraction arithmetic is exact; float() rounds once
        exact = np.array([float(Fraction(float(x)) * Fraction(float(y)) + Fraction(float(z)))
                          if np.isfinite(x) else np.nan for x, y, z in zip(a, b, c)])
    assert np.array_equal(want[3:], exact[3:])
    assert (want[3:] != (a * b + c)[3:]).any()  # the test can tell one rounding from two
    assert want[0] == -(2.0 ** -26) and np.isinf(want[1]) and np.isnan(want[2])

    def f(a, b, c):
        t = a._trace
        return t.apply("fma", [a, b, c])
    got = tj.jit(f)(a, b, c)
    assert_same(got, want)
