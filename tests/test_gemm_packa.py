"""GEMMs that pack A per mc x kc block into mr-row, K-major panels (issue 21: products with
M, N and K at least ``PACK_A_MIN``). The threshold is lowered here so that small odd shapes
take the path: rows past M inside a panel, K slices shorter than kc, edge slivers, batches,
transposed and strided A, epilogues, weights packed at compile time, thread chunks, and a
run-time row count (an export)."""
from __future__ import annotations

import numpy as np
import pytest

import tracejit as tj
from tests.conftest import assert_same
from tracejit.compiler.schedule import matmul

TOL = {np.dtype(np.float32): dict(rtol=3e-5, atol=3e-4), np.dtype(np.float64): dict(rtol=1e-12, atol=1e-11)}


def _packs_a(f, *args) -> list[bool]:
    return [k.gemm.pack_a for k in f.lower(*args).kernels if k.kind == "gemm"]


@pytest.fixture
def low_threshold(monkeypatch):
    monkeypatch.setattr(matmul, "PACK_A_MIN", 40)


def test_threshold_at_default():
    """M, N and K all at least PACK_A_MIN pack A; one of them below it does not."""
    f = tj.jit(lambda a, b: a @ b)
    t = matmul.PACK_A_MIN
    big = np.ones((t, t), np.float32)
    assert _packs_a(f, big, big) == [True]
    assert "A packed per block" in f.lower(big, big).as_text("kernels")
    for m, k, n in [(t - 1, t, t), (t, t - 1, t), (t, t, t - 1)]:
        assert _packs_a(f, np.ones((m, k), np.float32), np.ones((k, n), np.float32)) == [False]


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("m,k,n", [(512, 512, 512), (515, 523, 517)])
def test_default_threshold_sizes(m, k, n, dtype):
    rng = np.random.default_rng(m + k + n)
    a, b = rng.standard_normal((m, k)).astype(dtype), rng.standard_normal((k, n)).astype(dtype)
    f = tj.jit(lambda a, b: a @ b)
    assert _packs_a(f, a, b) == [True]
    assert_same(f(a, b), a @ b, **TOL[np.dtype(dtype)])


@pytest.mark.parametrize("threads", [1, 3, 4])
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("m,k,n", [(61, 530, 301), (131, 529, 65), (97, 300, 161), (263, 600, 130)])
def test_odd_shapes_and_threads(m, k, n, dtype, threads, low_threshold, monkeypatch):
    monkeypatch.setattr(tj.config, "num_threads", threads)
    rng = np.random.default_rng(m * k + n + threads)
    a, b = rng.standard_normal((m, k)).astype(dtype), rng.standard_normal((k, n)).astype(dtype)
    f = tj.jit(lambda a, b: a @ b)
    assert _packs_a(f, a, b) == [True]
    assert_same(f(a, b), a @ b, **TOL[np.dtype(dtype)])


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
def test_batched_transposed_strided_constant(dtype, low_threshold):
    rng = np.random.default_rng(7)
    a = rng.standard_normal((3, 70, 130)).astype(dtype)
    b = rng.standard_normal((3, 130, 50)).astype(dtype)
    shared = rng.standard_normal((130, 50)).astype(dtype)
    w = rng.standard_normal((130, 200)).astype(dtype)
    big = rng.standard_normal((150, 260)).astype(dtype)

    def f(a, b, shared, big):
        return (a @ b, a @ shared, a.transpose(0, 2, 1)[:, ::2, :] @ a[:, :, ::-2], b[0].T @ a[1].T,
                a[0] @ w, big.T @ big[:, ::2], big[::2, ::2] @ big[:130, 3:200])

    for jf in (tj.jit(f, freeze=True), tj.jit(f)):  # w packed at compile time, or read per call
        assert any(_packs_a(jf, a, b, shared, big))
        assert_same(jf(a, b, shared, big), f(a, b, shared, big), **TOL[np.dtype(dtype)])


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
def test_epilogues(dtype, low_threshold, monkeypatch):
    monkeypatch.setattr(tj.config, "num_threads", 2)
    rng = np.random.default_rng(8)
    x = rng.standard_normal((77, 300)).astype(dtype)
    w = rng.standard_normal((300, 90)).astype(dtype)
    bias = rng.standard_normal(90).astype(dtype)
    res = rng.standard_normal((77, 90)).astype(dtype)

    def f(x, w, bias, res):
        return np.maximum(x @ w + bias, 0), np.tanh(x @ w) * 0.5 + res, x @ x.T

    jf = tj.jit(f)
    assert any(_packs_a(jf, x, w, bias, res))
    assert_same(jf(x, w, bias, res), f(x, w, bias, res), **TOL[np.dtype(dtype)])


def test_export_run_time_rows(tmp_path, serial, low_threshold):
    """An export whose products take N rows at run time: packing A reads rows up to N only."""
    from tests import crossharness
    from tests import exportprograms as P
    crossharness.toolchain("host")
    rng = np.random.default_rng(4)
    w1, b1 = (rng.standard_normal((64, 960)) / 8).astype(np.float32), rng.standard_normal(960).astype(np.float32)
    w2, b2 = (rng.standard_normal((960, 10)) / 30).astype(np.float32), rng.standard_normal(10).astype(np.float32)
    done = tj.export(P.mlp_args, "f32[N,64]", w1, b1, w2, b2, out_dir=str(tmp_path))
    assert any(k.gemm is not None and k.gemm.pack_a for k in done.plan.program.kernels)
    exe = crossharness.build(done, str(tmp_path), "host")
    for n in (1, 5, 7, 64, 1001):  # bit-identical to the JIT's (the same kernels, A packed too)
        x = rng.standard_normal((n, 64)).astype(np.float32)
        code, (got,), _ = crossharness.run(exe, done, "host", [x, w1, b1, w2, b2], shift=n % 2)
        assert code == 0
        want = np.asarray(tj.jit(P.mlp_args)(x, w1, b1, w2, b2))
        assert got.shape == (n, 10)
        if n >= 7:
            assert got.tobytes() == want.tobytes(), n
        assert_same(got, P.mlp_args(x, w1, b1, w2, b2), rtol=1e-4, atol=1e-4)
