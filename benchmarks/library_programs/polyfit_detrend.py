"""Detrend by a cubic np.polyfit and np.polyval; the residual's spread."""
import numpy as np

SIZES = {"test": {"n": 40}, "test2": {"n": 15}, "bench": {"n": 1_000_000}}
RTOL = 1e-7


def init(rng, n):
    t = np.linspace(0, 1, n)
    return t, 2 * t ** 3 - t + 0.05 * rng.standard_normal(n)


def kernel(t, y):
    coef = np.polyfit(t, y, 3)
    trend = np.polyval(coef, t)
    resid = y - trend
    return coef, resid, resid.std()
