"""Damped particles on springs, stepped ``while energy > threshold`` (a data-dependent trip count)."""

SIZES = {"test": {"n": 10}, "bench": {"n": 100_000}}
DT, STIFFNESS, DAMPING = 0.05, 1.0, 0.98


def init(rng, n):
    pos, vel = rng.standard_normal((n, 3)), rng.standard_normal((n, 3))
    energy = 0.5 * (vel ** 2).sum() + 0.5 * STIFFNESS * (pos ** 2).sum()
    return pos, vel, 0.05 * energy


def kernel(pos, vel, threshold):
    energy = 0.5 * (vel ** 2).sum() + 0.5 * STIFFNESS * (pos ** 2).sum()
    steps = 0
    while energy > threshold:
        vel = DAMPING * (vel - DT * STIFFNESS * pos)
        pos = pos + DT * vel
        energy = 0.5 * (vel ** 2).sum() + 0.5 * STIFFNESS * (pos ** 2).sum()
        steps += 1
    return pos, vel, steps
