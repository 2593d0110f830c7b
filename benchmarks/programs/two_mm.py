"""2MM (PolyBench): D = alpha A B C + beta D, two chained matrix products, D in place."""
import numpy as np

SIZES = {"test": {"n": 16}, "bench": {"n": 800}}


def init(rng, n):
    f = np.float32
    return (1.5, 1.2, rng.random((n, n)).astype(f), rng.random((n, n)).astype(f), rng.random((n, n)).astype(f),
            rng.random((n, n)).astype(f))


def kernel(alpha, beta, a, b, c, d):
    tmp = alpha * (a @ b)
    d *= beta
    d += tmp @ c
