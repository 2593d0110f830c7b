"""Ridge regression three ways: closed form by np.linalg.multi_dot/inv, the pseudo-inverse, and lstsq."""
import numpy as np

SIZES = {"test": {"n": 20, "d": 4}, "test2": {"n": 9, "d": 3}, "bench": {"n": 2000, "d": 100}}
RTOL = 1e-6


def init(rng, n, d):
    X = rng.standard_normal((n, d))
    return X, X @ rng.standard_normal(d) + 0.1 * rng.standard_normal(n), 0.5


def kernel(X, y, alpha):
    n, d = X.shape
    w_ridge = np.linalg.multi_dot([np.linalg.inv(X.T @ X + alpha * np.eye(d)), X.T, y])
    w_pinv = np.linalg.pinv(X) @ y
    w_ls, residuals, rank, sv = np.linalg.lstsq(X, y, rcond=None)
    cond = sv[0] / sv[-1]
    return w_ridge, w_pinv, w_ls, residuals, rank, cond
