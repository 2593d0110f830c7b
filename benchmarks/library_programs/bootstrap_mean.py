"""Bootstrap confidence interval of a mean: resample indices with rng.integers, np.percentile of means."""
import numpy as np

SIZES = {"test": {"n": 30, "b": 50}, "test2": {"n": 12, "b": 20}, "bench": {"n": 10_000, "b": 1000}}
RTOL = 1e-12  # the draws bit-identical (the generator state after the call compared too); sums may round apart
RANDOM = True


def init(rng, n, b):
    return rng.exponential(2.0, n), np.random.default_rng(int(rng.integers(1 << 30))), b


def kernel(x, rng, b):
    idx = rng.integers(0, x.shape[0], size=(b, x.shape[0]))
    means = x[idx].mean(axis=1)
    lo, hi = np.percentile(means, [2.5, 97.5])
    return x.mean(), lo, hi
