"""Monte Carlo estimate of pi with points drawn inside the function from a Generator argument."""
import numpy as np

SIZES = {"test": {"n": 1000}, "test2": {"n": 257}, "bench": {"n": 2_000_000}}
RTOL = 1e-12  # the draws bit-identical (the generator state after the call compared too); sums may round apart
RANDOM = True


def init(rng, n):
    return np.random.default_rng(int(rng.integers(1 << 30))), n


def kernel(gen, n):
    xy = gen.random((n, 2))
    inside = (xy ** 2).sum(axis=1) <= 1.0
    return 4.0 * np.count_nonzero(inside) / n
