"""Random walks with +-1 steps from np.random.rand (NumPy's legacy global state, seeded by the caller)."""
import numpy as np

SIZES = {"test": {"walkers": 8, "steps": 50}, "test2": {"walkers": 5, "steps": 33},
         "bench": {"walkers": 1000, "steps": 1000}}
RTOL = 1e-12  # the draws bit-identical (the generator state after the call compared too); sums may round apart
GLOBAL_RANDOM = True


def init(rng, walkers, steps):
    return np.zeros(walkers), steps


def kernel(start, steps):
    u = np.random.rand(steps, start.shape[0])
    moves = np.where(u < 0.5, -1.0, 1.0)
    paths = start + np.cumsum(moves, axis=0)
    return paths[-1], np.abs(paths).max(axis=0), (paths > 0).mean(axis=0)
