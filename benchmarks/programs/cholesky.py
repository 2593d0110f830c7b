"""Cholesky factorization (PolyBench), row by row with slices, in place."""
import numpy as np

SIZES = {"test": {"n": 8}, "bench": {"n": 48}}


def init(rng, n):
    m = rng.random((n, n))
    return (m @ m.T + n * np.eye(n),)


def kernel(a):
    n = a.shape[0]
    for i in range(n):
        for j in range(i):
            a[i, j] -= np.dot(a[i, :j], a[j, :j])
            a[i, j] /= a[j, j]
        a[i, i] -= np.dot(a[i, :i], a[i, :i])
        a[i, i] = np.sqrt(a[i, i])
