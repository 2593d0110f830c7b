"""Welch's t-test by scipy.stats.ttest_ind and by hand (scipy.stats.t.sf), plus a normal-approximation z-test."""
import numpy as np
from scipy import stats

SIZES = {"test": {"n": 20, "m": 25}, "test2": {"n": 6, "m": 4}, "bench": {"n": 100_000, "m": 90_000}}
RTOL = 1e-8


def init(rng, n, m):
    return rng.normal(0.0, 1.0, n), rng.normal(0.3, 2.0, m)


def kernel(a, b):
    res = stats.ttest_ind(a, b, equal_var=False)
    va, vb = a.var(ddof=1) / a.size, b.var(ddof=1) / b.size
    t = (a.mean() - b.mean()) / np.sqrt(va + vb)
    dof = (va + vb) ** 2 / (va ** 2 / (a.size - 1) + vb ** 2 / (b.size - 1))
    p = 2 * stats.t.sf(np.abs(t), dof)
    z_p = 2 * stats.norm.sf(abs(t))
    return res.statistic, res.pvalue, t, p, z_p
