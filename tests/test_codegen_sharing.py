"""Kernel functions shared by kernels of one local form (codegen/module.py): matrix products
of one shape whatever their buffers, across a loop's body and branches; edge tiles and full
slivers of the GEMM (codegen/gemm.py). Differential against NumPy, plus the code size."""
import numpy as np
import pytest

import tracejit as tj


def _products(a, b, c, w, bias):
    x = np.tanh(a @ w + bias)  # epilogue
    y = np.maximum(b @ w + 1.0, 0)  # same shape, other epilogue
    z = a @ c.T  # B transposed
    u = (c @ w) * 2
    return x, y, z, u, a @ a.T  # symmetric


@pytest.mark.parametrize("m,k,n", [(7, 13, 19), (64, 128, 256), (1, 5, 3), (37, 64, 33), (13, 40, 32),
                                   (6, 7, 16), (70, 260, 48), (0, 4, 16), (5, 0, 3)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_products_of_one_shape_match_numpy(m, k, n, dtype):
    rng = np.random.default_rng(m * 1000 + k * 10 + n)
    a, b, c = (rng.standard_normal((m, k)).astype(dtype) for _ in range(3))
    w = rng.standard_normal((k, n)).astype(dtype)
    bias = rng.standard_normal(n).astype(dtype)
    f = tj.jit(_products)
    for got, want in zip(f(a, b, c, w, bias), _products(a, b, c, w, bias)):
        assert got.shape == want.shape and got.dtype == want.dtype
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)


def _rnn(x, w, u, v):
    h = np.zeros((x.shape[1], u.shape[0]), dtype=x.dtype)
    for t in range(x.shape[0]):
        z = np.tanh(x[t] @ w + h @ u)
        r = 1 / (1 + np.exp(-(x[t] @ v + h @ u)))
        h = (1 - r) * h + r * z
    return h


@pytest.mark.parametrize("steps,batch,inputs,hidden", [(5, 64, 128, 128), (3, 7, 9, 11), (4, 13, 16, 16),
                                                       (0, 4, 5, 6)])
def test_loop_body_products_share_functions(steps, batch, inputs, hidden):
    rng = np.random.default_rng(steps + batch)
    x = rng.standard_normal((steps, batch, inputs)).astype(np.float32)
    w, v = (rng.standard_normal((inputs, hidden)).astype(np.float32) / 8 for _ in range(2))
    u = rng.standard_normal((hidden, hidden)).astype(np.float32) / 8
    f = tj.jit(_rnn)
    np.testing.assert_allclose(f(x, w, u, v), _rnn(x, w, u, v), rtol=1e-4, atol=1e-5)
    # a second call with new shapes
    x2 = rng.standard_normal((steps + 1, batch, inputs)).astype(np.float32)
    np.testing.assert_allclose(f(x2, w, u, v), _rnn(x2, w, u, v), rtol=1e-4, atol=1e-5)
    if steps == 5:  # four products per step, of two shapes and epilogues at most: at most two functions
        text = f.lower(x, w, u, v).as_text("llvm")
        assert 1 <= text.count('%"edge_tile" = alloca') <= 2

def _branches(p, a, w):
    return np.where(p > 0, 0, 1) + (np.tanh(a @ w) if p > 0 else np.exp(-(a @ w)))


@pytest.mark.parametrize("p", [1.0, -1.0])
def test_branches_share_kernels(p):
    rng = np.random.default_rng(3)
    a = rng.standard_normal((9, 20)).astype(np.float64)
    w = rng.standard_normal((20, 17)).astype(np.float64)
    f = tj.jit(_branches)
    np.testing.assert_allclose(f(np.float64(p), a, w), _branches(np.float64(p), a, w), rtol=1e-6)
