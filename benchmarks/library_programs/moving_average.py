"""Moving average of width w by a cumulative sum, and the rolling z-score of the last column."""
import numpy as np

SIZES = {"test": {"n": 40, "w": 5}, "test2": {"n": 17, "w": 3}, "bench": {"n": 5_000_000, "w": 50}}
RTOL = 1e-9


def init(rng, n, w):
    return np.cumsum(rng.standard_normal(n)), w


def kernel(x, w):
    c = np.cumsum(np.insert(x, 0, 0.0))
    ma = (c[w:] - c[:-w]) / w
    c2 = np.cumsum(np.insert(x ** 2, 0, 0.0))
    var = (c2[w:] - c2[:-w]) / w - ma ** 2
    return ma, (x[w - 1:] - ma) / np.sqrt(np.maximum(var, 1e-12))
