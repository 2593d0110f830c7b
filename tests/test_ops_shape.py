"""Views, indexing, concatenation and matmul: jit vs eager."""
from __future__ import annotations

import numpy as np
import pytest

import tracejit as tj
from tests.cases import MAIN_DTYPES, values
from tests.conftest import assert_same


@pytest.mark.parametrize("dtype", MAIN_DTYPES, ids=str)
def test_views(dtype):
    rng = np.random.default_rng(10)
    x = values(rng, (4, 6, 5), dtype)

    def f(x):
        return (x.reshape(-1), x.reshape(6, -1), np.reshape(x, (2, 2, 30)), x.T, x.transpose(1, 0, 2),
                np.transpose(x, (2, 0, 1)), np.expand_dims(x, (0, 3)), np.squeeze(x[:1, :, :1]),
                np.broadcast_to(x[:, :1, :], (3, 4, 6, 5)), x.ravel(), np.swapaxes(x, 0, 2),
                np.moveaxis(x, 0, -1), x.T.reshape(-1), x[::2].reshape(2, 30), x.flatten())

    assert_same(tj.jit(f)(x), f(x))
    # the same on a non-contiguous input
    y = values(rng, (8, 6, 10), dtype)[::2, :, ::2]
    assert_same(tj.jit(f)(y), f(y))


def test_basic_indexing():
    x = np.arange(4 * 5 * 6, dtype=np.float32).reshape(4, 5, 6)

    def f(x):
        return (x[1], x[-1, 2], x[1:3], x[::-1], x[:, ::2, 1::3], x[..., 0], x[None], x[:, None, 1],
                x[1, ..., None], x[2:0:-1, -3:], x[10:], x[:, 4:1:-2, ::-3], x[0, 0, 0], x[..., -1, None, 2],
                x[()], x[:0])

    out = tj.jit(f)(x)
    assert_same(out, f(x))
    assert isinstance(out[12], np.float32)  # a full integer index gives a NumPy scalar


def test_indexing_errors():
    x = np.zeros((3, 4))
    with pytest.raises(IndexError, match="out of bounds"):
        tj.jit(lambda v: v[3], fallback=False)(x)
    with pytest.raises(IndexError, match="too many indices"):
        tj.jit(lambda v: v[0, 0, 0], fallback=False)(x)
    with pytest.raises(IndexError, match="out of bounds"):  # integer arrays: tests/test_indexing_advanced.py
        tj.jit(lambda v: v[[0, 3]], fallback=False)(x)
    with pytest.raises(tj.UnsupportedError, match="data-dependent size"):
        tj.jit(lambda v: v[v > 0] + v, fallback=False)(x)


@pytest.mark.parametrize("dtype", MAIN_DTYPES, ids=str)
def test_concatenate_and_stack(dtype):
    rng = np.random.default_rng(11)
    a, b = values(rng, (3, 4), dtype), values(rng, (3, 2), dtype)
    c = values(rng, (5, 4), np.float64)

    def f(a, b, c):
        return (np.concatenate([a, b], axis=1), np.concatenate((a, c)), np.concatenate([a, b * 2], axis=-1),
                np.stack([a, a + 1]), np.stack([a[:, 0], b[:, 0]], axis=1), np.concatenate([a, b], axis=None),
                np.concatenate([a.T, b.T]), np.concatenate([a[:0], a]), np.stack((a, a), axis=-1))

    assert_same(tj.jit(f)(a, b, c), f(a, b, c))


@pytest.mark.parametrize("dtype", MAIN_DTYPES, ids=str)
def test_matmul(dtype):
    rng = np.random.default_rng(12)
    v = lambda *s: values(rng, s, dtype, "small")  # noqa: E731
    a, b, k = v(5, 7), v(7, 3), v(7)
    batch_a, batch_b = v(2, 1, 5, 7), v(4, 7, 3)

    def f(a, b, k, batch_a, batch_b):
        return (a @ b, a @ k, k @ b, k @ k, np.matmul(batch_a, batch_b), batch_a @ k, np.dot(a, b),
                np.dot(k, k), a.dot(k), b.T @ a.T, a[:, ::-1] @ b[::-1], np.dot(a, 2), a @ b[:, :1])

    ulps = 0 if dtype.kind != "f" else 8
    assert_same(tj.jit(f)(a, b, k, batch_a, batch_b), f(a, b, k, batch_a, batch_b), ulps=ulps,
                atol=1e-5 if ulps else 0)


def test_matmul_medium_float32():
    rng = np.random.default_rng(13)
    a = rng.standard_normal((67, 129)).astype(np.float32)
    b = rng.standard_normal((129, 45)).astype(np.float32)
    assert_same(tj.jit(lambda a, b: a @ b)(a, b), a @ b, rtol=1e-4, atol=1e-4)
    at, bt = a.T.copy(), b.T.copy()
    assert_same(tj.jit(lambda x, y: x.T @ y.T)(at, bt), a @ b, rtol=1e-4, atol=1e-4)


def test_matmul_shape_errors():
    with pytest.raises(ValueError, match="matmul"):
        tj.jit(lambda a, b: a @ b)(np.ones((2, 3)), np.ones((4, 2)))
    with pytest.raises(ValueError):
        tj.jit(lambda a: a @ 2.0)(np.ones((2, 3)))
