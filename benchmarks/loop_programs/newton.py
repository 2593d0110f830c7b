"""Cube roots by Newton's method, iterated ``while err > tol`` (the test starts as a Python float)."""
import numpy as np

SIZES = {"test": {"n": 10}, "bench": {"n": 1_000_000}}


def init(rng, n):
    return rng.uniform(1.0, 1000.0, n), 1e-10


def kernel(c, tol):
    x = c.copy()
    err = np.inf
    while err > tol:
        x_new = x - (x ** 3 - c) / (3 * x ** 2)
        err = np.abs(x_new - x).max()
        x = x_new
    return x
