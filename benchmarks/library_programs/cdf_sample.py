"""Inverse-CDF sampling from a discrete distribution: cumsum, np.searchsorted of rng.random draws."""
import numpy as np

SIZES = {"test": {"k": 10, "n": 200}, "test2": {"k": 6, "n": 55}, "bench": {"k": 1000, "n": 1_000_000}}
RTOL = 1e-12  # the draws bit-identical (the generator state after the call compared too); sums may round apart
RANDOM = True


def init(rng, k, n):
    return rng.random(k) + 0.1, np.random.default_rng(int(rng.integers(1 << 30))), n


def kernel(weights, gen, n):
    cdf = np.cumsum(weights)
    cdf /= cdf[-1]
    u = gen.random(n)
    idx = np.searchsorted(cdf, u, side="right")
    return idx, np.bincount(idx, minlength=weights.shape[0]) / n
