"""Permutation test of a difference in means: rng.permutation in a Python loop, p-value with a +1 correction."""
import numpy as np

SIZES = {"test": {"n": 20, "m": 15, "reps": 30}, "test2": {"n": 5, "m": 8, "reps": 10},
         "bench": {"n": 500, "m": 400, "reps": 2000}}
RTOL = 1e-12
RANDOM = True


def init(rng, n, m, reps):
    return rng.standard_normal(n), rng.standard_normal(m) + 0.3, reps, np.random.default_rng(int(rng.integers(99)))


def kernel(a, b, reps, rng):
    observed = a.mean() - b.mean()
    pooled = np.concatenate([a, b])
    count = 0
    for _ in range(reps):
        perm = rng.permutation(pooled)
        diff = perm[:a.size].mean() - perm[a.size:].mean()
        if abs(diff) >= abs(observed):
            count += 1
    return observed, (count + 1) / (reps + 1)
