"""LU factorization without pivoting (PolyBench), element by element, in place."""
import numpy as np

SIZES = {"test": {"n": 6}, "bench": {"n": 12}}


def init(rng, n):
    return (rng.random((n, n)) + n * np.eye(n),)


def kernel(a):
    n = a.shape[0]
    for i in range(n):
        for j in range(i):
            for k in range(j):
                a[i, j] -= a[i, k] * a[k, j]
            a[i, j] /= a[j, j]
        for j in range(i, n):
            for k in range(i):
                a[i, j] -= a[i, k] * a[k, j]
