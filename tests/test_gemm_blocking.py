"""GEMM micro-kernel details of issue 21 item 1: the K loop unrolled (remainders of every
length, a packed B of any K), results the same on 1 and 2 threads; differential against NumPy."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import tracejit as tj
from tests.conftest import assert_same
from tests.gemmcases import DTYPES, TOL, avx2_target, tanh_product_on


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


def test_k_block_from_the_l1():
    """kc: the sliver of B (kc x nr) fills 2/3 of L1 at most; 256 to 512."""
    from tracejit.compiler.schedule.matmul import k_block
    from tracejit.compiler.target import host_target
    avx512 = dataclasses.replace(host_target(), features="+avx2,+fma,+avx512f", vector_bytes=64, l1_bytes=48 << 10)
    f32, f64 = np.dtype(np.float32), np.dtype(np.float64)
    assert k_block(avx512, f32, 32) == 256 and k_block(avx512, f64, 16) == 256
    assert k_block(avx2_target(48 << 10), f32, 16) == 512 and k_block(avx2_target(48 << 10), f64, 8) == 512
    assert k_block(avx2_target(32 << 10), f32, 16) == 320
    assert k_block(avx2_target(16 << 10), f32, 16) == 256  # never below 256
    assert k_block(avx512, f32, 128) == 256  # a wide one-tile product


@DTYPES
@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("m,k,n", [(200, 1100, 300), (61, 513, 257), (130, 2048, 64)])
def test_avx2_long_k_slices(m, k, n, dtype, threads, monkeypatch):
    """The AVX2 schedule's 512-long K slices (a last partial slice, an epilogue on the last
    slice) computed by the program scheduled for that target, run here."""
    monkeypatch.setattr(tj.config, "num_threads", threads)
    gemm = tanh_product_on(avx2_target(48 << 10), m, k, n, dtype, seed=k + threads)
    assert gemm.kc == 512 and gemm.nr * np.dtype(dtype).itemsize == 64


def test_k_block_unknown_l1_keeps_the_default():
    """Cross targets (no L1 size known) keep kc = KC."""
    from tracejit.compiler.schedule.matmul import KC, k_block
    from tracejit.compiler.target import Target
    for name in ("aarch64-linux-gnu", "armv7-linux-gnueabihf"):
        target = Target.named(name)
        assert target.l1_bytes == 0 and k_block(target, np.dtype(np.float32), 8) == KC
    assert k_block(avx2_target(0), np.dtype(np.float32), 16) == KC
