"""Gaussian smoothing with np.convolve (mode='same'), then a matched-filter peak by np.correlate."""
import numpy as np

SIZES = {"test": {"n": 80}, "test2": {"n": 33}, "bench": {"n": 200_000}}
RTOL = 1e-9


def init(rng, n):
    x = rng.standard_normal(n)
    x[n // 2: n // 2 + 5] += 4.0
    return x, np.ones(5)


def kernel(x, template):
    k = np.exp(-0.5 * (np.arange(-4, 5) / 1.5) ** 2)
    smooth = np.convolve(x, k / k.sum(), mode="same")
    score = np.correlate(smooth, template, mode="valid")
    return smooth, score, np.argmax(score)
