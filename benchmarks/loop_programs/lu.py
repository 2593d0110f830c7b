"""LU factorization without pivoting by a loop over columns, in place (slice sizes depend on k)."""
import numpy as np

SIZES = {"test": {"n": 6}, "bench": {"n": 64}, "bench_256": {"n": 256}}


def init(rng, n):
    return (rng.random((n, n)) + n * np.eye(n),)


def kernel(a):
    n = a.shape[0]
    for k in range(n - 1):
        a[k + 1:, k] /= a[k, k]
        a[k + 1:, k + 1:] -= np.outer(a[k + 1:, k], a[k, k + 1:])
    return a
