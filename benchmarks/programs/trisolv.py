"""Triangular solve (PolyBench trisolv): forward substitution with index-dependent slices."""
import numpy as np

SIZES = {"test": {"n": 8}, "bench": {"n": 120}}


def init(rng, n):
    return np.tril(rng.random((n, n))) + n * np.eye(n), rng.random(n), np.zeros(n)


def kernel(lower, b, x):
    for i in range(x.shape[0]):
        x[i] = (b[i] - lower[i, :i] @ x[:i]) / lower[i, i]
    return x.sum()
