"""GEMM micro-kernel details of issue 21 item 1: the K loop unrolled (remainders of every
length, a packed B of any K), results the same on 1 and 2 threads; differential against NumPy."""
from __future__ import annotations

import numpy as np
import pytest

import tracejit as tj
from tests.conftest import assert_same

TOL = {np.dtype(np.float32): dict(rtol=3e-5, atol=3e-4), np.dtype(np.float64): dict(rtol=1e-12, atol=1e-11)}
DTYPES = pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])


def _gemm_line(f, *args) -> str:
    return next(line for line in f.lower(*args).as_text("kernels").splitlines() if "gemm " in line)


@DTYPES
@pytest.mark.parametrize("m,k,n", [(50, 1, 40000), (13, 3, 12000), (40, 5, 7001), (70, 259, 600), (31, 262, 520),
                                   (100, 515, 300), (7, 1027, 130)])
def test_unrolled_k_loop_remainders(m, k, n, dtype):
    """K slices whose length is no multiple of the unroll (1, 3, 5, 259 = 256 + 3, ...)
    over a packed B, with an epilogue, row and column edges."""
    rng = np.random.default_rng(m + k + n)
    a = rng.standard_normal((m, k)).astype(dtype)
    b = rng.standard_normal((k, n)).astype(dtype)
    bias = rng.standard_normal(n).astype(dtype)

    def fn(a, b, bias):
        return np.maximum(a @ b + bias, 0)

    f = tj.jit(fn)
    assert "packed per task" in _gemm_line(f, a, b, bias)
    assert_same(f(a, b, bias), fn(a, b, bias), **TOL[np.dtype(dtype)])


@DTYPES
def test_constant_b_unrolled(dtype):
    """A captured B (packed at compile time) goes through the unrolled kernel too."""
    rng = np.random.default_rng(3)
    w = rng.standard_normal((301, 700)).astype(dtype)
    x = rng.standard_normal((45, 301)).astype(dtype)
    f = tj.jit(lambda x: x @ w, freeze=True)  # the captured w is a constant
    assert "@ packed c" in _gemm_line(f, x)
    assert_same(f(x), x @ w, **TOL[np.dtype(dtype)])


@DTYPES
@pytest.mark.parametrize("m,k,n", [(1024, 1024, 1024), (256, 1024, 1024), (301, 517, 389)])
def test_same_on_one_and_two_threads(m, k, n, dtype, monkeypatch):
    """Each element of C sums over K in one order whatever the thread count: the results
    of 1 and 2 threads are equal bit for bit."""
    rng = np.random.default_rng(m + n)
    a = rng.standard_normal((m, k)).astype(dtype)
    b = rng.standard_normal((k, n)).astype(dtype)
    results = []
    for threads in (1, 2):
        monkeypatch.setattr(tj.config, "num_threads", threads)
        results.append(tj.jit(lambda a, b: a @ b)(a, b))
    assert np.array_equal(results[0], results[1])
    assert_same(results[1], a @ b, **TOL[np.dtype(dtype)])
