"""Vector-matrix and matrix-vector products (``v @ W``, ``W @ v``, a few rows) against
NumPy: the ``gemv`` kernel (``schedule/gemv.py``, ``codegen/gemv.py``) on 1 and 2
threads, odd sizes, strided and transposed operands, batches, epilogues, new shapes."""
from __future__ import annotations

import numpy as np
import pytest

import tracejit as tj
from tests.conftest import assert_same
from tracejit.compiler.schedule import gemv as gemv_plan
from tracejit.compiler.schedule import matmul

TOL = {np.dtype(np.float32): dict(rtol=2e-5, atol=2e-4), np.dtype(np.float64): dict(rtol=1e-12, atol=1e-11)}
DTYPES = pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
THREADS = pytest.mark.parametrize("threads", [1, 2])


def _gemms(f, *args):
    return [k.gemm for k in f.lower(*args).kernels if k.gemm is not None]


def _data(shape, dtype, seed):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def _matmul(a, b):
    return a @ b


@DTYPES
@THREADS
@pytest.mark.parametrize("k,n", [(1024, 1024), (300, 77), (513, 515), (64, 17), (64, 170), (1000, 33), (37, 2000)])
def test_vector_matrix(k, n, dtype, threads, monkeypatch):
    monkeypatch.setattr(tj.config, "num_threads", threads)
    v, w = _data((k,), dtype, k), _data((k, n), dtype, n)
    f = tj.jit(_matmul)
    assert [g.gemv for g in _gemms(f, v, w)] == ([True] if k * n >= matmul.MIN_FLOPS else [])
    assert_same(f(v, w), v @ w, **TOL[np.dtype(dtype)])


@DTYPES
@pytest.mark.parametrize("m", [1, 2, 3, 4])
def test_few_rows_split_between_threads(m, dtype, monkeypatch):
    """A B past PARALLEL_BYTES splits K in parts by its size (partial C's, then a sum),
    claimed by the threads; results equal the one-thread results bit for bit."""
    k, n = 1100, 300 + 8 * m + 3  # N not a multiple of a vector or a cache line
    assert k * n * np.dtype(dtype).itemsize >= gemv_plan.PARALLEL_BYTES
    a, w = _data((m, k), dtype, m), _data((k, n), dtype, 7)
    results = []
    for threads in (1, 2):
        monkeypatch.setattr(tj.config, "num_threads", threads)
        f = tj.jit(_matmul)
        (kernel,) = [k for k in f.lower(a, w).kernels if k.gemm is not None]
        g = kernel.gemm
        assert g.gemv and g.m == m and g.k_tasks == gemv_plan.k_parts(n, k, np.dtype(dtype).itemsize)[0] > 1
        assert (kernel.parallel_grain > 0) == (threads > 1)
        results.append(f(a, w))
        assert_same(results[-1], a @ w, **TOL[np.dtype(dtype)])
    assert_same(results[0], results[1])


@THREADS
def test_batched_vector_matrix_results_independent_of_threads(threads, monkeypatch):
    """Leading dims: (B, 1, K) @ (K, N) and (B, 1, K) @ (B, K, N), odd batch counts."""
    monkeypatch.setattr(tj.config, "num_threads", threads)
    v = _data((3, 1, 700), np.float32, 1)
    w_shared, w_batched = _data((700, 500), np.float32, 2), _data((3, 700, 500), np.float32, 3)
    f = tj.jit(lambda v, ws, wb: (v @ ws, v @ wb))
    assert [g.gemv for g in _gemms(f, v, w_shared, w_batched)] == [True, True]
    out = f(v, w_shared, w_batched)
    assert_same(out, (v @ w_shared, v @ w_batched), **TOL[np.dtype(np.float32)])
    monkeypatch.setattr(tj.config, "num_threads", 3 - threads)
    assert_same(tj.jit(lambda v, ws, wb: (v @ ws, v @ wb))(v, w_shared, w_batched), out)


@DTYPES
@THREADS
@pytest.mark.parametrize("k,n", [(300, 200), (1024, 1000)])
def test_epilogue_bias_relu(k, n, dtype, threads, monkeypatch):
    """An elementwise chain after the product of a few rows is applied in the kernel (a
    split K: in the kernel summing the parts); after ``v @ W`` of a 1-D ``v`` it is a map
    kernel of its own (fusion keeps 1-D products plain)."""
    monkeypatch.setattr(tj.config, "num_threads", threads)
    w, bias = _data((k, n), dtype, 2), _data((n,), dtype, 3)

    def layer(v, w, bias):
        return np.maximum(v @ w + bias, 0)

    f = tj.jit(layer)
    split = gemv_plan.k_parts(n, k, np.dtype(dtype).itemsize)[0] > 1
    for rows in (1, 3):
        a = _data((rows, k), dtype, rows)
        kernels = f.lower(a, w, bias).kernels
        assert [kn.gemm.gemv and (kn.gemm.epilogue is None) == split for kn in kernels if kn.gemm] == [True]
        if split:
            assert kernels[1].name.endswith("_sum") and kernels[1].nests[0].epilogue is not None
        assert_same(f(a, w, bias), layer(a, w, bias), **TOL[np.dtype(dtype)])
    v = _data((k,), dtype, 4)
    assert [g.gemv for g in _gemms(f, v, w, bias)] == [True]
    assert_same(f(v, w, bias), layer(v, w, bias), **TOL[np.dtype(dtype)])


@DTYPES
def test_strided_and_transposed_operands(dtype, monkeypatch):
    monkeypatch.setattr(tj.config, "num_threads", 2)
    big_v, w = _data((2100,), dtype, 1), _data((1050, 1100), dtype, 2)
    v = big_v[::2]  # a strided vector (1050 values)
    f = tj.jit(_matmul)
    assert [g.gemv for g in _gemms(f, v, w)] == [True]
    assert_same(f(v, w), v @ w, **TOL[np.dtype(dtype)])
    w_cols = w[:, 5:1037]  # rows contiguous, strided between rows
    assert_same(f(v, w_cols), v @ w_cols, **TOL[np.dtype(dtype)])
    rows = _data((1100, 3), dtype, 3).T  # A transposed: its K axis strided
    assert_same(f(rows, w.T), rows @ w.T, **TOL[np.dtype(dtype)])  # B transposed: packed GEMM
    vt = _data((1100,), dtype, 4)
    assert_same(f(vt, w.T), vt @ w.T, **TOL[np.dtype(dtype)])  # (K contiguous: the loop of dot products)
    wv = _data((1050,), dtype, 5)
    assert_same(f(w.T, wv), w.T @ wv, **TOL[np.dtype(dtype)])  # W.T @ v: rows of W.T strided


@DTYPES
@THREADS
@pytest.mark.parametrize("m,k", [(1024, 1024), (333, 1000), (2000, 37), (5, 3000)])
def test_matrix_vector(m, k, dtype, threads, monkeypatch):
    monkeypatch.setattr(tj.config, "num_threads", threads)
    w, v = _data((m, k), dtype, m), _data((k,), dtype, k)
    assert_same(tj.jit(_matmul)(w, v), w @ v, **TOL[np.dtype(dtype)])


def test_matrix_vector_results_independent_of_threads(monkeypatch):
    w, v = _data((1500, 900), np.float32, 1), _data((900,), np.float32, 2)
    out = []
    for threads in (1, 2):
        monkeypatch.setattr(tj.config, "num_threads", threads)
        out.append(tj.jit(_matmul)(w, v))
    assert_same(out[0], out[1])
    assert_same(out[0], w @ v, **TOL[np.dtype(np.float32)])


@pytest.mark.parametrize("k,n", [(1, 5000), (2, 4096), (5000, 1), (0, 300), (300, 0), (9, 3)])
def test_edge_sizes(k, n, monkeypatch):
    """K = 1 or 2 (no full group of rows), N = 1 (a dot product), zero sizes, tiny products."""
    monkeypatch.setattr(tj.config, "num_threads", 2)
    v, w = _data((k,), np.float64, 1), _data((k, n), np.float64, 2)
    f = tj.jit(_matmul)
    assert_same(f(v, w), v @ w, **TOL[np.dtype(np.float64)])
    assert_same(f(w.T, v), w.T @ v, **TOL[np.dtype(np.float64)])


def test_mixed_dtypes():
    """int and float32 operands promote as NumPy does before the product."""
    rng = np.random.default_rng(0)
    v_int, w32 = rng.integers(-5, 5, 800), rng.standard_normal((800, 600)).astype(np.float32)
    v32, w64 = rng.standard_normal(800).astype(np.float32), rng.standard_normal((800, 600))
    f = tj.jit(_matmul)
    assert_same(f(v_int, w32), v_int @ w32, **TOL[np.dtype(np.float64)])
    assert_same(f(v32, w64), v32 @ w64, **TOL[np.dtype(np.float64)])
    w_int = rng.integers(-3, 3, (800, 600))
    assert_same(f(v32, w_int), v32 @ w_int, **TOL[np.dtype(np.float64)])


def test_second_calls_with_new_shapes_and_values(monkeypatch):
    """New shapes retrace; weights changed in place between calls are read again."""
    monkeypatch.setattr(tj.config, "num_threads", 2)
    f = tj.jit(_matmul)
    for k, n in [(1024, 1024), (1000, 999), (1024, 1024), (64, 4097)]:
        v, w = _data((k,), np.float32, k + n), _data((k, n), np.float32, n)
        assert_same(f(v, w), v @ w, **TOL[np.dtype(np.float32)])
    w[3, :] += 1.0
    assert_same(f(v, w), v @ w, **TOL[np.dtype(np.float32)])


def test_captured_weights(monkeypatch):
    """A constant B (captured weights, frozen) is streamed where it lies too."""
    monkeypatch.setattr(tj.config, "num_threads", 2)
    w = _data((900, 700), np.float32, 1)

    def layer(v):
        return np.tanh(v @ w)

    v = _data((900,), np.float32, 2)
    assert_same(tj.jit(layer)(v), layer(v), **TOL[np.dtype(np.float32)])


def test_gemv_text_and_many_rows_stay_gemm(monkeypatch):
    monkeypatch.setattr(tj.config, "num_threads", 2)
    f = tj.jit(_matmul)
    v, w = _data((1024,), np.float32, 1), _data((1024, 1024), np.float32, 2)
    text = f.lower(v, w).as_text("kernels")
    assert "gemv" in text and "streamed row by row" in text
    parts, rows = gemv_plan.k_parts(1024, 1024, 4)
    assert f"K split in {parts} parts of {rows}" in text and "k0_sum" in text
    rows = _data((gemv_plan.GEMV_ROWS + 1, 1024), np.float32, 3)
    assert [g.gemv for g in _gemms(f, rows, w)] == [False]
    small = _data((300, 300), np.float32, 4)  # B under PARALLEL_BYTES: one task, on one thread
    (kernel,) = f.lower(small[0], small).kernels
    assert kernel.gemm.gemv and kernel.gemm.tasks == 1 and kernel.parallel_grain == 0


def test_k_parts_fixed_by_size():
    assert gemv_plan.k_parts(1000, 200, 4) == (1, 200)  # under 1 MiB: one part
    parts, rows = gemv_plan.k_parts(1024, 1024, 4)
    assert parts * rows >= 1024 > (parts - 1) * rows and rows % gemv_plan.PART_ROWS == 0
    assert 2 <= parts <= gemv_plan.MAX_PARTS
    assert gemv_plan.k_parts(100000, 100, 4)[0] <= 100 // gemv_plan.PART_ROWS + 1  # never an empty part
    for n, k in [(1024, 1024), (300, 1100), (4096, 37), (37, 4096), (70000, 9)]:
        parts, rows = gemv_plan.k_parts(n, k, 8)
        assert (parts - 1) * rows < k <= parts * rows


@pytest.mark.parametrize("target", ["host", "aarch64-linux-gnu"])
def test_exported_vector_matrix_products(target, tmp_path):
    """The gemv kernel in an exported library (a split K's partials in its arena, the
    ``_sum`` kernel with a bias and relu; an unsplit product of 3 rows with its epilogue):
    bit-identical to the host JIT on a target with FMA."""
    from tests import crossharness
    from tracejit.compiler.target import Target, host_target
    crossharness.toolchain(target)
    rng = np.random.default_rng(8)

    def layers(v, w, bias, x, u):
        return np.maximum(v @ w + bias, 0), np.tanh(x @ u) * 2.0

    arrays = [rng.standard_normal(s).astype(np.float32) for s in [(1, 700), (700, 600), (600,), (3, 200), (200, 99)]]
    assert gemv_plan.k_parts(600, 700, 4)[0] > 1 and gemv_plan.k_parts(99, 200, 4)[0] == 1
    code, got, want = crossharness.export_and_run(layers, arrays, arrays, target, str(tmp_path), "gemv")
    assert code == 0
    exact = Target.named(target).fma == host_target().fma
    for g, w in zip(got, want):
        assert g.shape == w.shape and g.dtype == w.dtype
        if exact:
            assert g.tobytes() == w.tobytes()
        assert_same(g, w, **TOL[np.dtype(np.float32)])
    assert_same(want, list(layers(*arrays)), **TOL[np.dtype(np.float32)])


@THREADS
def test_reversed_operands_and_fastmath(threads, monkeypatch):
    """Negative strides (``W[::-1]``: rows walked backwards, prefetches too; ``v[::-1]``) and
    ``fastmath=True`` (the ``_sum`` kernel may reassociate its adds)."""
    monkeypatch.setattr(tj.config, "num_threads", threads)
    v, w = _data((1200,), np.float32, 1), _data((1200, 900), np.float32, 2)
    f = tj.jit(lambda v, w: (v[::-1] @ w[::-1], v @ w[:, ::-1][:, ::-1]))
    assert_same(f(v, w), (v[::-1] @ w[::-1], v @ w), **TOL[np.dtype(np.float32)])
    g = tj.jit(lambda v, w: np.tanh(v[None] @ w), fastmath=True)
    assert_same(g(v, w), np.tanh(v[None] @ w), **TOL[np.dtype(np.float32)])
