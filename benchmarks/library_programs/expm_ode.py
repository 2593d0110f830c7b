"""Linear ODE x' = A x solved by scipy.linalg.expm at a few times, checked against scipy.linalg.lu_factor/lu_solve."""
import numpy as np
import scipy.linalg as sla

SIZES = {"test": {"n": 4}, "test2": {"n": 3}, "bench": {"n": 100}}
RTOL = 1e-7


def init(rng, n):
    A = rng.standard_normal((n, n)) / np.sqrt(n) - 1.5 * np.eye(n)
    return A, rng.standard_normal(n)


def kernel(A, x0):
    traj = [sla.expm(A * t) @ x0 for t in (0.1, 0.5, 1.0)]
    lu, piv = sla.lu_factor(A)
    steady = sla.lu_solve((lu, piv), -x0)
    energy = [float(np.dot(v, v)) for v in traj]
    return np.stack(traj), steady, max(energy), sorted(energy)
