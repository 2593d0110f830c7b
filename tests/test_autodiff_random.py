"""Random NumPy programs (elementwise math, broadcasting, reductions, views, matmul,
concatenation) differentiated in both modes and compared with central differences."""
from __future__ import annotations

import numpy as np
import pytest

import tracejit as tj

UNARY = [np.sin, np.cos, np.tanh, np.square, lambda a: np.exp(np.tanh(a)), lambda a: np.log(a * a + 1.0),
         lambda a: np.sqrt(a * a + 0.5), lambda a: 1 / (1 + np.exp(-a)), np.arctan, lambda a: a ** 3]
BINARY = [np.add, np.subtract, np.multiply, lambda a, b: a / (b * b + 1.0), np.hypot,
          lambda a, b: np.where(a > b, a * b, a - b), np.logaddexp, np.maximum]
SHAPED = [lambda a: a.T, lambda a: a[::-1], lambda a: a.sum(axis=0, keepdims=True), lambda a: a.mean(axis=-1),
          lambda a: a.max(axis=0), lambda a: np.concatenate([a, a * 2], axis=-1)[..., 1:],
          lambda a: a.reshape(-1)[:6].reshape(2, 3) if a.size >= 6 else a, lambda a: a @ a.T if a.ndim == 2 else a,
          lambda a: np.prod(a + 2.0, axis=0)]


def make_program(seed: int):
    rng = np.random.default_rng(seed)
    steps = [(int(rng.integers(3)), int(rng.integers(10)), int(rng.integers(10))) for _ in range(6)]

    def f(x, y):
        pool = [x, y, x * y]
        for kind, i, j in steps:
            a = pool[i % len(pool)]
            if kind == 0:
                pool.append(UNARY[j % len(UNARY)](a))
            elif kind == 1:
                b = pool[j % len(pool)]
                try:
                    np.broadcast_shapes(a.shape, b.shape)
                except ValueError:
                    b = a
                pool.append(BINARY[(i + j) % len(BINARY)](a, b) if np.ndim(a) else a * b)
            else:
                pool.append(SHAPED[j % len(SHAPED)](a) if np.ndim(a) else a)
        return np.sum(pool[-1] * 1.5) + 0.1 * np.sum(pool[-2])
    return f


@pytest.mark.parametrize("seed", range(16))
def test_random_program(seed):
    f = make_program(seed)
    rng = np.random.default_rng(1000 + seed)
    x, y = rng.uniform(-1, 1, (3, 4)), rng.uniform(-1, 1, 4)
    gx, gy = tj.grad(f, argnums=(0, 1))(x, y)
    vx, vy = rng.standard_normal((3, 4)), rng.standard_normal(4)
    eps = 1e-6
    numeric = (f(x + eps * vx, y + eps * vy) - f(x - eps * vx, y - eps * vy)) / (2 * eps)
    reverse = np.sum(gx * vx) + np.sum(gy * vy)
    _, forward = tj.jvp(f, (x, y), (vx, vy))
    scale = max(1.0, abs(numeric))
    assert abs(reverse - numeric) <= 1e-6 * scale, (reverse, numeric)
    assert abs(forward - reverse) <= 1e-9 * scale, (forward, reverse)
