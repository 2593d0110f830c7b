"""Azimuthal average of an image about its centre: np.meshgrid, np.hypot, np.bincount by radius."""
import numpy as np

SIZES = {"test": {"n": 9}, "test2": {"n": 6}, "bench": {"n": 1024}}
RTOL = 1e-10


def init(rng, n):
    return (rng.random((n, n)),)


def kernel(img):
    ny, nx = img.shape
    x, y = np.meshgrid(np.arange(nx), np.arange(ny))
    r = np.hypot(x - (nx - 1) / 2, y - (ny - 1) / 2).astype(np.int64)
    total = np.bincount(r.ravel(), weights=img.ravel())
    count = np.bincount(r.ravel())
    return total / count
