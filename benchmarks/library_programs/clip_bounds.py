"""Box-constrained projected gradient steps: np.clip with per-coordinate lower and upper bound arrays."""
import numpy as np

SIZES = {"test": {"n": 12}, "test2": {"n": 5}, "bench": {"n": 2_000_000}}
RTOL = 1e-12


def init(rng, n):
    lo = -rng.random(n)
    return rng.standard_normal(n), rng.standard_normal(n), lo, lo + 2 * rng.random(n)


def kernel(x, target, lo, hi):
    for _ in range(5):
        x = np.clip(x - 0.3 * (x - target), lo, hi)
    return x, ((x == lo) | (x == hi)).sum()
