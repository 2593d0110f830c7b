"""Gaussian-process regression: RBF kernel, Cholesky factor, two solves, predictive mean and variance."""
import numpy as np

SIZES = {"test": {"n": 20, "m": 7}, "test2": {"n": 13, "m": 5}, "bench": {"n": 500, "m": 200}}
RTOL = 1e-7


def init(rng, n, m):
    x = np.sort(rng.uniform(-3, 3, n))
    return x, np.sin(x) + 0.05 * rng.standard_normal(n), np.linspace(-3, 3, m), 0.8, 1e-2


def kernel(x, y, xs, length, noise):
    def rbf(a, b):
        return np.exp(-0.5 * ((a[:, None] - b[None, :]) / length) ** 2)

    K = rbf(x, x) + noise * np.eye(x.shape[0])
    L = np.linalg.cholesky(K)
    alpha = np.linalg.solve(L.T, np.linalg.solve(L, y))
    Ks = rbf(x, xs)
    mean = Ks.T @ alpha
    v = np.linalg.solve(L, Ks)
    var = 1.0 - (v ** 2).sum(axis=0)
    return mean, var
