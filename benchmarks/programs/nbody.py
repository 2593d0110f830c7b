"""N-body gravity: pairwise forces with a mask on the diagonal, positions and velocities
updated in place for a few steps."""
import numpy as np

SIZES = {"test": {"n": 16, "steps": 2}, "bench": {"n": 1000, "steps": 4}}


def init(rng, n, steps):
    return rng.random((n, 3)), rng.standard_normal((n, 3)) * 0.01, rng.random(n) + 0.5, steps


def kernel(pos, vel, mass, steps):
    for _ in range(steps):
        d = pos[None, :, :] - pos[:, None, :]
        r2 = (d * d).sum(axis=2) + 0.01
        mask = ~np.eye(pos.shape[0], dtype=bool)
        inv = np.where(mask, r2 ** -1.5, 0.0) * mass[None, :]
        vel += 0.01 * (d * inv[:, :, None]).sum(axis=1)
        pos += 0.01 * vel
    return (0.5 * mass[:, None] * vel * vel).sum()
