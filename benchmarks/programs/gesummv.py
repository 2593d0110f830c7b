"""GESUMMV (PolyBench): y = alpha A x + beta B x, two matrix-vector products summed."""

SIZES = {"test": {"n": 24}, "bench": {"n": 4000}}


def init(rng, n):
    return 1.5, 1.2, rng.random((n, n)), rng.random((n, n)), rng.random(n)


def kernel(alpha, beta, a, b, x):
    return alpha * (a @ x) + beta * (b @ x)
