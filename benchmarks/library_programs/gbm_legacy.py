"""Geometric Brownian motion paths with the legacy global state (np.random.normal), np.cumprod and drawdowns."""
import numpy as np

SIZES = {"test": {"paths": 4, "steps": 10}, "test2": {"paths": 3, "steps": 5}, "bench": {"paths": 1000, "steps": 252}}
RTOL = 1e-12
GLOBAL_RANDOM = True


def init(rng, paths, steps):
    return 100.0, 0.05, 0.2, paths, steps


def kernel(s0, mu, sigma, paths, steps):
    dt = 1.0 / steps
    z = np.random.normal(0.0, 1.0, size=(paths, steps))
    growth = np.exp((mu - 0.5 * sigma ** 2) * dt + sigma * np.sqrt(dt) * z)
    prices = s0 * np.cumprod(growth, axis=1)
    peak = np.maximum.accumulate(prices, axis=1)
    max_dd = ((peak - prices) / peak).max(axis=1)
    returns = np.diff(np.log(prices), axis=1)
    sharpe = returns.mean(axis=1) / returns.std(axis=1, ddof=1) * np.sqrt(steps)
    return prices[:, -1], max_dd, sharpe
