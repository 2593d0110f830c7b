"""Outlier clipping per column at the 1st/99th percentiles, then standardization."""
import numpy as np

SIZES = {"test": {"n": 40, "p": 3}, "test2": {"n": 17, "p": 4}, "bench": {"n": 200_000, "p": 16}}
RTOL = 1e-10


def init(rng, n, p):
    return (rng.standard_t(3, (n, p)),)


def kernel(X):
    lo, hi = np.percentile(X, [1, 99], axis=0)
    Xc = np.clip(X, lo, hi)
    return (Xc - Xc.mean(axis=0)) / Xc.std(axis=0)
