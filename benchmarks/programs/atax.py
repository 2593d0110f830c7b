"""ATAX (PolyBench): y = A^T (A x), two matrix-vector products."""

SIZES = {"test": {"m": 20, "n": 24}, "bench": {"m": 4000, "n": 5000}}


def init(rng, m, n):
    return rng.random((m, n)), rng.random(n)


def kernel(a, x):
    return a.T @ (a @ x)
