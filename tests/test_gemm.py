"""The packed, register-blocked GEMM path: shapes with remainders, batches, transposed
and strided operands, broadcast batches, weights packed at compile time, threads."""
from __future__ import annotations

import numpy as np
import pytest

import tracejit as tj
from tests.conftest import assert_same

TOL = {np.dtype(np.float32): dict(rtol=3e-5, atol=3e-4), np.dtype(np.float64): dict(rtol=1e-12, atol=1e-11)}


def _kinds(f, *args):
    return [k.kind for k in f.lower(*args).kernels]


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("m,k,n", [(64, 64, 64), (67, 129, 45), (300, 257, 33), (13, 1000, 17),
                                   (97, 300, 161), (6, 1025, 16)])
def test_gemm_shapes(m, k, n, dtype):
    rng = np.random.default_rng(m * k + n)
    a = rng.standard_normal((m, k)).astype(dtype)
    b = rng.standard_normal((k, n)).astype(dtype)
    f = tj.jit(lambda a, b: a @ b)
    assert "gemm" in _kinds(f, a, b)
    assert_same(f(a, b), a @ b, **TOL[np.dtype(dtype)])


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
def test_gemm_batched_transposed_strided_and_constant(dtype):
    rng = np.random.default_rng(40)
    a = rng.standard_normal((3, 70, 130)).astype(dtype)
    b = rng.standard_normal((3, 130, 50)).astype(dtype)
    shared = rng.standard_normal((130, 50)).astype(dtype)
    w = rng.standard_normal((130, 200)).astype(dtype)

    def f(a, b, shared):
        return (a @ b, a @ shared, a.transpose(0, 2, 1)[:, ::2, :] @ a[:, :, ::-2], b[0].T @ a[1].T,
                a[0] @ w, np.matmul(a[:1], b))

    jf = tj.jit(f, freeze=True)  # the captured w is a constant: packed at compile time
    assert _kinds(jf, a, b, shared).count("gemm") == 6
    assert "packed at compile time" in jf.lower(a, b, shared).as_text("kernels")
    assert "packed at compile time" not in tj.jit(f).lower(a, b, shared).as_text("kernels")  # read per call
    assert_same(jf(a, b, shared), f(a, b, shared), **TOL[np.dtype(dtype)])


def test_gemm_parallel_tasks_match(monkeypatch):
    monkeypatch.setattr(tj.config, "num_threads", 4)
    rng = np.random.default_rng(41)
    a, b = rng.standard_normal((256, 300)).astype(np.float32), rng.standard_normal((300, 250)).astype(np.float32)
    f = tj.jit(lambda a, b: a @ b)
    kernels = f.lower(a, b).kernels
    gemm = next(k for k in kernels if k.kind == "gemm")
    assert gemm.parallel_grain == 1 and gemm.parallel_extent % 4 == 0
    assert_same(f(a, b), a @ b, rtol=3e-5, atol=3e-4)


@pytest.mark.parametrize("threads", [1, 3, 4, 16])
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
def test_gemm_task_grids_and_packing_blocks(threads, dtype, monkeypatch):
    """Row and column tasks, several packed-B column blocks and K slices per task, edge
    slivers inside and at the end of a task, and every way of reading B."""
    monkeypatch.setattr(tj.config, "num_threads", threads)
    rng = np.random.default_rng(threads)
    a = rng.standard_normal((37, 530)).astype(dtype)  # 5 tiles of 8 rows (AVX-512), 7 of 6
    b = rng.standard_normal((530, 301)).astype(dtype)
    bt = np.ascontiguousarray(b.T)
    w = rng.standard_normal((530, 301)).astype(dtype)

    def f(a, b, bt):
        return a @ b, a @ bt.T, a @ b[:, ::-1], a @ w, a.T.T @ b[:, 3:298:2]

    jf = tj.jit(f)
    gemms = [k.gemm for k in jf.lower(a, b, bt).kernels if k.kind == "gemm"]
    assert len(gemms) == 5
    assert all(g.tasks > 1 for g in gemms) if threads > 1 else all(g.tasks == 1 for g in gemms)
    if threads > 1:
        assert any(g.col_tasks > 1 for g in gemms)
    assert_same(jf(a, b, bt), f(a, b, bt), **TOL[np.dtype(dtype)])


def test_task_grid_balances_tiles():
    from tracejit.compiler.schedule.matmul import task_grid

    assert task_grid(1, 256, 1024, 16, 2) == (1, 2)  # 43 row tiles split badly; 64 slivers evenly
    assert task_grid(1, 1024, 1024, 16, 1) == (1, 1)
    assert task_grid(4, 1024, 1024, 16, 2) == (1, 1)  # batches alone fill the threads
    assert task_grid(3, 300, 300, 16, 2) in ((1, 2), (2, 1))
    assert task_grid(1, 4096, 512, 32, 16) == (8, 2)  # tiles even either way: least data moved
    assert task_grid(1, 1024, 1024, 32, 16) == (4, 4)
    assert task_grid(1, 7, 20, 16, 8) == (2, 2)  # only 2 row tiles and 2 slivers


def test_small_or_integer_products_keep_the_loop_nest():
    f = tj.jit(lambda a, b: a @ b)
    assert "gemm" not in _kinds(f, np.ones((4, 4), np.float32), np.ones((4, 4), np.float32))
    i = np.arange(200 * 300).reshape(200, 300) % 7
    assert "gemm" not in _kinds(f, i, i.T.copy())
    assert_same(f(i, i.T.copy()), i @ i.T)


@pytest.mark.parametrize("big", [False, True], ids=["loop-nest", "gemm"])
def test_matmul_epilogues_fuse_into_the_store(big):
    rng = np.random.default_rng(42)
    m, k, n = (200, 300, 120) if big else (9, 13, 5)
    a, w = rng.standard_normal((m, k)).astype(np.float32), rng.standard_normal((k, n)).astype(np.float32)
    r, b = rng.standard_normal((m, n)).astype(np.float32), rng.standard_normal(n).astype(np.float32)

    def f(a, w, r, b):
        return np.tanh(a @ w + b) * 0.5 + r, np.maximum((a @ w[:, ::-1]) * 2.0 - b, 0.0)

    jf = tj.jit(f)
    kernels = jf.lower(a, w, r, b).kernels
    with_epilogue = [k for k in kernels if (k.gemm and k.gemm.epilogue) or any(n.epilogue for n in k.nests)]
    assert sum(1 if k.gemm else sum(1 for n in k.nests if n.epilogue) for k in with_epilogue) == 2
    text = jf.lower(a, w, r, b).as_text("kernels")
    assert "tanh(add(acc" in text and "maximum(subtract(multiply(acc" in text
    assert_same(jf(a, w, r, b), f(a, w, r, b), rtol=1e-4, atol=2e-4)


def test_epilogue_not_fused_when_the_product_is_reused():
    rng = np.random.default_rng(43)
    a, w = rng.standard_normal((64, 64)), rng.standard_normal((64, 64))
    f = tj.jit(lambda a, w: ((a @ w) + 1, (a @ w).sum()))
    assert "acc" not in f.lower(a, w).as_text("kernels")  # CSE shares one product
    assert_same(f(a, w), f.eager(a, w), rtol=1e-12, atol=1e-10)


def test_mlp_is_two_product_kernels_with_constant_weights():
    rng = np.random.default_rng(44)
    w1, w2 = rng.standard_normal((256, 256)).astype(np.float32), rng.standard_normal((256, 64)).astype(np.float32)
    b1, b2 = np.zeros(256, np.float32), np.ones(64, np.float32)

    @tj.jit
    def mlp(x):
        return np.maximum(x @ w1 + b1, 0.0) @ w2 + b2

    x = rng.standard_normal((128, 256)).astype(np.float32)
    kernels = mlp.lower(x).kernels
    assert [k.kind for k in kernels] == ["gemm", "gemm"]
    assert_same(mlp(x), mlp.eager(x), rtol=1e-4, atol=1e-3)


def test_packed_b_temporary_is_per_chunk_not_per_task(monkeypatch):
    """A thousand batched products: packed-B blocks for the parallel chunks only."""
    monkeypatch.setattr(tj.config, "num_threads", 2)
    rng = np.random.default_rng(45)
    a = rng.standard_normal((1000, 20, 40)).astype(np.float32)
    b = rng.standard_normal((1000, 40, 100)).astype(np.float32)
    f = tj.jit(lambda a, b: a @ b)
    lowered = f.lower(a, b)
    gemm = next(k.gemm for k in lowered.kernels if k.kind == "gemm")
    assert gemm.tasks == 1000 and gemm.chunks <= 8
    # one block of K x (N rounded up to whole slivers: 112 with AVX2's 16-wide, 128 with AVX-512's 32-wide)
    assert lowered.memory()["temporaries"] <= 8 * 40 * gemm.slivers * gemm.nr * 4
    assert_same(f(a, b), a @ b, **TOL[np.dtype(np.float32)])


@pytest.mark.parametrize("shape", [(300, 97), (64, 200), (1000, 33), (7, 130)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_symmetric_product_matches_numpy(shape, dtype):
    """x.T @ x (and x @ x.T) computes the upper triangle and mirrors it (Gemm.symmetric)."""
    x = np.random.default_rng(1).standard_normal(shape).astype(dtype)
    tol = 1e-4 if dtype == np.float32 else 1e-11
    for fn in (lambda a: a.T @ a / 3.0, lambda a: a @ a.T + 1.0, lambda a: np.tanh(a.T @ a)):
        got, want = tj.jit(fn)(x), fn(x)
        np.testing.assert_allclose(got, want, rtol=tol, atol=tol * shape[0])
        np.testing.assert_array_equal(got, got.T)  # mirrored exactly


def test_symmetric_detection_is_exact():
    x = np.random.default_rng(2).standard_normal((200, 90))
    sym = tj.jit(lambda a: a.T @ a).lower(x).as_text("kernels")
    assert "symmetric" in sym and "mirror" in sym
    bias = np.arange(90.0)
    # an epilogue reading an array may break the symmetry: it runs after the mirror
    late = tj.jit(lambda a: a.T @ a + bias)
    text = late.lower(x).as_text("kernels")
    assert "symmetric" in text and "product before its epilogue" in text and "epilogue:" not in text
    np.testing.assert_allclose(late(x), x.T @ x + bias, rtol=1e-11, atol=1e-9)
    for fn in (lambda a: a.T @ (a * 2), lambda a: a[:, :80].T @ a[:, 10:]):
        text = tj.jit(fn).lower(x).as_text("kernels")
        assert "symmetric" not in text
        np.testing.assert_allclose(tj.jit(fn)(x), fn(x), rtol=1e-11, atol=1e-9)
    batched = np.random.default_rng(3).standard_normal((3, 120, 40))
    f = lambda a: a.transpose(0, 2, 1) @ a  # noqa: E731
    np.testing.assert_allclose(tj.jit(f)(batched), f(batched), rtol=1e-11, atol=1e-9)
