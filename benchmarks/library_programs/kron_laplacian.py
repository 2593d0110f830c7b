"""2-D Laplacian on a grid built with np.kron of 1-D operators, applied to a field."""
import numpy as np

SIZES = {"test": {"n": 5}, "test2": {"n": 4}, "bench": {"n": 40}}
RTOL = 1e-12


def init(rng, n):
    return (rng.standard_normal((n, n)),)


def kernel(u):
    n = u.shape[0]
    d = 2 * np.eye(n) - np.eye(n, k=1) - np.eye(n, k=-1)
    lap = np.kron(d, np.eye(n)) + np.kron(np.eye(n), d)
    return (lap @ u.ravel()).reshape(n, n), np.trace(lap)
