"""Bayesian bootstrap of category shares: rng.dirichlet weights, rng.multinomial counts, credible interval."""
import numpy as np

SIZES = {"test": {"k": 4, "draws": 20}, "test2": {"k": 3, "draws": 6}, "bench": {"k": 20, "draws": 5000}}
RTOL = 1e-12
RANDOM = True


def init(rng, k, draws):
    return rng.integers(1, 50, k), draws, np.random.default_rng(int(rng.integers(99)))


def kernel(counts, draws, rng):
    alpha = counts + 1.0
    shares = rng.dirichlet(alpha, size=draws)
    sims = rng.multinomial(int(counts.sum()), shares.mean(axis=0), size=draws)
    lo, hi = np.quantile(shares, [0.05, 0.95], axis=0)
    winner = np.bincount(shares.argmax(axis=1), minlength=counts.size) / draws
    return lo, hi, winner, sims.std(axis=0)
