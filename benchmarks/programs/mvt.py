"""MVT (PolyBench): x1 += A y1 and x2 += A^T y2, updating two vectors in place."""

SIZES = {"test": {"n": 24}, "bench": {"n": 5000}}


def init(rng, n):
    return rng.random(n), rng.random(n), rng.random(n), rng.random(n), rng.random((n, n))


def kernel(x1, x2, y1, y2, a):
    x1 += a @ y1
    x2 += a.T @ y2
