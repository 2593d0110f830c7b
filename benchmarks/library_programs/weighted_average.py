"""Weighted mean and weighted variance per row with np.average(weights=, returned=True)."""
import numpy as np

SIZES = {"test": {"n": 6, "m": 9}, "test2": {"n": 3, "m": 4}, "bench": {"n": 1000, "m": 1000}}
RTOL = 1e-12


def init(rng, n, m):
    return rng.standard_normal((n, m)), rng.random(m)


def kernel(x, w):
    mu, wsum = np.average(x, axis=1, weights=w, returned=True)
    var = np.average((x - mu[:, None]) ** 2, axis=1, weights=w)
    return mu, np.sqrt(var), wsum
