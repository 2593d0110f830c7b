"""Affine fit of 2-D point correspondences with np.linalg.lstsq, and the fit's residuals."""
import numpy as np

SIZES = {"test": {"n": 20}, "test2": {"n": 9}, "bench": {"n": 200_000}}
RTOL = 1e-8


def init(rng, n):
    src = rng.random((n, 2))
    dst = src @ np.array([[1.1, 0.2], [-0.1, 0.9]]) + np.array([0.3, -0.2]) + 0.01 * rng.standard_normal((n, 2))
    return src, dst


def kernel(src, dst):
    A = np.hstack([src, np.ones((src.shape[0], 1))])
    M, res, rank, sv = np.linalg.lstsq(A, dst, rcond=None)
    err = np.linalg.norm(A @ M - dst, axis=1)
    return M, err.mean(), rank, sv
