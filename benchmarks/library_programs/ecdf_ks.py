"""Two-sample Kolmogorov-Smirnov statistic by hand (np.sort + np.searchsorted side='right') vs scipy.stats.ks_2samp."""
import numpy as np
from scipy import stats

SIZES = {"test": {"n": 40, "m": 30}, "test2": {"n": 9, "m": 13}, "bench": {"n": 100_000, "m": 80_000}}
RTOL = 1e-9


def init(rng, n, m):
    return rng.standard_normal(n), rng.standard_normal(m) + 0.2


def kernel(a, b):
    a = np.sort(a)
    b = np.sort(b)
    grid = np.concatenate([a, b])
    cdf_a = np.searchsorted(a, grid, side="right") / a.size
    cdf_b = np.searchsorted(b, grid, side="right") / b.size
    d = np.max(np.abs(cdf_a - cdf_b))
    res = stats.ks_2samp(a, b)
    return d, res.statistic, res.pvalue
