"""Multivariate normal log-likelihood with np.linalg.slogdet and np.linalg.solve (and det for comparison)."""
import numpy as np

SIZES = {"test": {"n": 25, "d": 3}, "test2": {"n": 12, "d": 4}, "bench": {"n": 100_000, "d": 16}}
RTOL = 1e-9


def init(rng, n, d):
    A = rng.standard_normal((d, d))
    return rng.standard_normal((n, d)), np.zeros(d), A @ A.T + d * np.eye(d)


def kernel(X, mu, cov):
    sign, logdet = np.linalg.slogdet(cov)
    diff = X - mu
    maha = (diff * np.linalg.solve(cov, diff.T).T).sum(axis=1)
    ll = -0.5 * (maha + logdet + X.shape[1] * np.log(2 * np.pi))
    return ll.sum(), sign, np.linalg.det(cov)
