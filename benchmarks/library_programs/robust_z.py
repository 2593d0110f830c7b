"""Robust z-scores: centre by np.median, scale by the interquartile range from np.percentile; flag outliers."""
import numpy as np

SIZES = {"test": {"n": 41}, "test2": {"n": 10}, "bench": {"n": 2_000_000}}
RTOL = 1e-10


def init(rng, n):
    return (rng.standard_cauchy(n),)


def kernel(x):
    med = np.median(x)
    q1, q3 = np.percentile(x, [25, 75])
    z = (x - med) / ((q3 - q1) / 1.349)
    return z, np.abs(z) > 3.5
