"""Particle filter step: propagate with rng.normal, reweight by a Gaussian likelihood, resample with rng.choice(p=)."""
import numpy as np

SIZES = {"test": {"n": 50}, "test2": {"n": 12}, "bench": {"n": 100_000}}
RTOL = 1e-12
RANDOM = True


def init(rng, n):
    return rng.standard_normal(n), np.full(n, 1.0 / n), 0.7, np.random.default_rng(int(rng.integers(99)))


def kernel(particles, weights, z, rng):
    particles = particles + rng.normal(0.0, 0.5, size=particles.shape)
    weights = weights * np.exp(-0.5 * ((z - particles) / 0.3) ** 2)
    weights /= weights.sum()
    n_eff = 1.0 / np.sum(weights ** 2)
    if n_eff < 0.5 * len(particles):
        idx = rng.choice(len(particles), size=len(particles), p=weights)
        particles = particles[idx]
        weights = np.full(len(particles), 1.0 / len(particles))
    return particles, weights, np.average(particles, weights=weights), n_eff
