"""European call price by Monte Carlo (geometric Brownian motion), normals from rng.standard_normal."""
import numpy as np

SIZES = {"test": {"paths": 500}, "test2": {"paths": 129}, "bench": {"paths": 1_000_000}}
RTOL = 1e-12  # the draws bit-identical (the generator state after the call compared too); sums may round apart
RANDOM = True


def init(rng, paths):
    return np.random.default_rng(int(rng.integers(1 << 30))), 100.0, 105.0, 0.03, 0.2, 1.0, paths


def kernel(rng, s0, strike, r, sigma, t, paths):
    z = rng.standard_normal(paths)
    st = s0 * np.exp((r - 0.5 * sigma ** 2) * t + sigma * np.sqrt(t) * z)
    payoff = np.maximum(st - strike, 0.0)
    disc = np.exp(-r * t) * payoff
    return disc.mean(), disc.std(ddof=1) / np.sqrt(paths)
