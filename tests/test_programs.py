"""Real NumPy programs, jit vs eager, and how many kernels they fuse into."""
from __future__ import annotations

import numpy as np
import pytest

import tracejit as tj
from benchmarks.workloads import gelu, layernorm, mlp, mul_add, sin_exp, softmax
from tests.conftest import assert_same


@pytest.fixture
def rng():
    return np.random.default_rng(20)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_gelu(rng, dtype):
    x = rng.standard_normal((33, 257)).astype(dtype)
    f = tj.jit(gelu)
    # a few ulp per transcendental; cancellation makes that absolute (terms are O(1))
    assert_same(f(x), gelu(x), ulps=8, atol=1e-6 if dtype == np.float32 else 1e-14)
    assert len(f.lower(x).kernels) == 1


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax(rng, dtype):
    x = (rng.standard_normal((64, 1000)) * 5).astype(dtype)
    x[3, 7] = -np.inf
    f = tj.jit(softmax)
    out = f(x)
    assert_same(out, softmax(x), ulps=8, atol=1e-9)
    np.testing.assert_allclose(out.sum(axis=1), 1, rtol=1e-5)


def test_layernorm(rng):
    x = rng.standard_normal((128, 384)).astype(np.float32) * 3 + 1
    g, b = rng.standard_normal(384).astype(np.float32), rng.standard_normal(384).astype(np.float32)
    assert_same(tj.jit(layernorm)(x, g, b), layernorm(x, g, b), rtol=1e-5, atol=1e-5)
    xt = rng.standard_normal((384, 128)).astype(np.float32).T  # non-contiguous rows
    assert_same(tj.jit(layernorm)(xt, g, b), layernorm(xt, g, b), rtol=1e-5, atol=1e-5)


def test_mlp_forward(rng):
    x = rng.standard_normal((32, 64)).astype(np.float32)
    w1, b1 = rng.standard_normal((64, 96)).astype(np.float32) / 8, rng.standard_normal(96).astype(np.float32)
    w2, b2 = rng.standard_normal((96, 10)).astype(np.float32) / 8, rng.standard_normal(10).astype(np.float32)
    assert_same(tj.jit(mlp)(x, w1, b1, w2, b2), mlp(x, w1, b1, w2, b2), rtol=1e-5, atol=1e-5)


def test_mlp_with_captured_weights(rng):
    w = rng.standard_normal((16, 8)).astype(np.float32)
    bias = np.zeros(8, np.float32)

    @tj.jit
    def layer(x):
        return np.maximum(x @ w + bias, 0)

    x = rng.standard_normal((5, 16)).astype(np.float32)
    assert_same(layer(x), np.maximum(x @ w + bias, 0), rtol=1e-5, atol=1e-6)
    # read at every call (a hidden input), or frozen into a constant on request
    assert "name='closure variable w'] : f32[16,8]" in layer.lower(x).as_text("graph")
    frozen = tj.jit(layer.fun, freeze=True)
    assert_same(frozen(x), np.maximum(x @ w + bias, 0), rtol=1e-5, atol=1e-6)
    assert "constant <f32[16,8]>" in frozen.lower(x).as_text("graph")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sin_exp(rng, dtype):
    args = [rng.standard_normal(10_001).astype(dtype) for _ in range(4)]
    f = tj.jit(sin_exp)
    assert_same(f(*args), sin_exp(*args), ulps=8, atol=1e-6 if dtype == np.float32 else 1e-14)
    assert len(f.lower(*args).kernels) == 1


def test_mul_add_is_one_vectorized_kernel(rng):
    args = [rng.standard_normal(10_000).astype(np.float32) for _ in range(4)]
    f = tj.jit(mul_add)
    assert_same(f(*args), mul_add(*args))
    low = f.lower(*args)
    assert len(low.kernels) == 1
    text = low.as_text("optimized")
    assert "kernel k0 (map) nodes" in text and "kernel k1" not in text
    assert "add(multiply(in0[i0], in1[i0]), multiply(in2[i0], in3[i0]))" in text


def test_program_with_many_features(rng):
    def program(x, w, n: int):
        y = x.reshape(n, -1).T @ w[:n]
        z = np.concatenate([y, y[::-1] * 2], axis=0)
        s = np.stack([z.max(axis=0), z.min(axis=0)])
        return {"s": s, "norm": np.sqrt((z * z).sum()), "idx": z.argmax(axis=1), "pos": (z > 0).mean()}

    x = rng.standard_normal(24).astype(np.float64)
    w = rng.standard_normal((10, 3))
    f = tj.jit(program, static_argnames="n")
    assert_same(f(x, w, n=4), program(x, w, 4), rtol=1e-12, atol=1e-12)
    assert_same(f(x, w, n=6), program(x, w, 6), rtol=1e-12, atol=1e-12)
    assert f.cache_info().traces == 2
