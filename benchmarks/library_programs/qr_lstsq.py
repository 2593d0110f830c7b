"""Polynomial least squares by QR: np.vander, np.linalg.qr, solve R beta = Q^T y."""
import numpy as np

SIZES = {"test": {"n": 30, "deg": 3}, "test2": {"n": 14, "deg": 2}, "bench": {"n": 100_000, "deg": 8}}
RTOL = 1e-8


def init(rng, n, deg):
    x = np.linspace(-1, 1, n)
    return x, np.cos(2 * x) + 0.01 * rng.standard_normal(n), deg


def kernel(x, y, deg):
    A = np.vander(x, deg + 1)
    Q, R = np.linalg.qr(A)
    beta = np.linalg.solve(R, Q.T @ y)
    return beta, y - A @ beta
