"""Condition of a correlation matrix: np.corrcoef of the features, np.linalg.eigvalsh."""
import numpy as np

SIZES = {"test": {"n": 30, "p": 5}, "test2": {"n": 21, "p": 3}, "bench": {"n": 100_000, "p": 32}}
RTOL = 1e-8


def init(rng, n, p):
    return (rng.standard_normal((n, p)) + rng.standard_normal((n, 1)),)


def kernel(X):
    R = np.corrcoef(X.T)
    ev = np.linalg.eigvalsh(R)
    return ev, ev[-1] / ev[0], np.abs(R - np.eye(R.shape[0])).max()
