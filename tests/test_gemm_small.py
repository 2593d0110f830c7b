"""Small products on the GEMM kernel: B read where it lies (no packed-B temporary) and
one thread below ``SERIAL_FLOPS``; edge slivers, batches and strided B against NumPy."""
from __future__ import annotations

import numpy as np
import pytest

import tracejit as tj
from tests.conftest import assert_same
from tracejit.compiler.schedule import matmul

TOL = {np.dtype(np.float32): dict(rtol=3e-5, atol=3e-4), np.dtype(np.float64): dict(rtol=1e-12, atol=1e-11)}


def _gemm(f, *args):
    return next(k.gemm for k in f.lower(*args).kernels if k.kind == "gemm")


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("m,k,n", [(48, 48, 48), (50, 41, 45), (96, 96, 96)])
def test_small_b_is_read_in_place_on_one_thread(m, k, n, dtype, monkeypatch):
    monkeypatch.setattr(tj.config, "num_threads", 2)
    rng = np.random.default_rng(m + n)
    a, b = rng.standard_normal((m, k)).astype(dtype), rng.standard_normal((k, n)).astype(dtype)
    f = tj.jit(lambda a, b: a @ b)
    gemm = _gemm(f, a, b)
    assert gemm.b_block is None and gemm.packed_b is None and gemm.tasks == 1
    assert f.lower(a, b).memory()["temporaries"] == 0
    assert_same(f(a, b), a @ b, **TOL[np.dtype(dtype)])
    a2, b2 = a[: m - 7, : k - 3], b[: k - 3, : n - 5]  # a second call with new shapes
    assert_same(f(a2, b2), a2 @ b2, **TOL[np.dtype(dtype)])


def test_in_place_batched_broadcast_and_epilogue(monkeypatch):
    monkeypatch.setattr(tj.config, "num_threads", 2)
    rng = np.random.default_rng(3)
    a = rng.standard_normal((5, 40, 64)).astype(np.float32)
    b = rng.standard_normal((5, 64, 40)).astype(np.float32)
    shared = rng.standard_normal((64, 33)).astype(np.float32)

    def f(a, b, shared):
        return np.tanh(a @ b) + 1.0, a @ shared, a @ a.transpose(0, 2, 1)[:, :, ::-1]

    jf = tj.jit(f)
    gemms = [k.gemm for k in jf.lower(a, b, shared).kernels if k.kind == "gemm"]
    assert sorted(g.b_block is None for g in gemms) == [False, True, True]  # B with strided rows is packed
    assert_same(jf(a, b, shared), f(a, b, shared), **TOL[np.dtype(np.float32)])


def test_large_b_is_packed_and_split(monkeypatch):
    monkeypatch.setattr(tj.config, "num_threads", 2)
    a = np.ones((200, 200))
    gemm = _gemm(tj.jit(lambda a, b: a @ b), a, a + 1)
    assert gemm.b_block is not None and gemm.tasks > 1
    assert 200 * 200 * 8 > matmul.IN_PLACE_B_BYTES and 200 ** 3 > matmul.SERIAL_FLOPS


@pytest.mark.parametrize("dtype", [np.complex64, np.complex128])
def test_complex_product_at_64_within_normwise_bound(dtype):
    """"auto" takes Gauss's three real GEMMs here: error within K * eps of ``|A| @ |B|``."""
    rng = np.random.default_rng(7)
    a = (rng.standard_normal((64, 64)) + 1j * rng.standard_normal((64, 64))).astype(dtype)
    b = (rng.standard_normal((64, 50)) + 1j * rng.standard_normal((64, 50))).astype(dtype)
    got = tj.jit(lambda a, b: a @ b)(a, b)
    assert got.dtype == dtype and got.shape == (64, 50)
    eps = np.finfo(a.real.dtype).eps
    assert np.max(np.abs(got - a @ b) / (np.abs(a) @ np.abs(b))) <= 64 * eps
