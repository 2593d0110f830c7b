"""Normal modes of a mass-spring chain: np.linalg.eigh of M^-1/2 K M^-1/2, frequencies sorted(), mode shapes."""
import numpy as np

SIZES = {"test": {"n": 5}, "test2": {"n": 3}, "bench": {"n": 300}}
RTOL = 1e-7


def init(rng, n):
    return rng.uniform(1, 2, n), rng.uniform(10, 20, n + 1)


def kernel(masses, springs):
    n = masses.size
    K = np.diag(springs[:-1] + springs[1:]) - np.diag(springs[1:-1], 1) - np.diag(springs[1:-1], -1)
    m_inv_sqrt = 1.0 / np.sqrt(masses)
    D = m_inv_sqrt[:, None] * K * m_inv_sqrt[None, :]
    w2, V = np.linalg.eigh(D)
    omega = np.sqrt(np.clip(w2, 0, None))
    modes = m_inv_sqrt[:, None] * V
    modes /= np.linalg.norm(modes, axis=0)
    modes *= np.sign(modes[0])
    lowest = sorted(omega)[:3]
    assert len(lowest) == min(3, n), f"expected {min(3, n)} modes, got {len(lowest)}"
    return omega, modes, lowest
