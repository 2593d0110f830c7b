"""Mandelbrot set: a complex grid from np.linspace, ``z = z**2 + c`` iterated in a Python
loop, escape times recorded with boolean masks (as in NumPy's quickstart)."""
import numpy as np

SIZES = {"test": {"h": 12, "w": 16, "maxit": 6}, "bench": {"h": 400, "w": 600, "maxit": 30}}


def init(rng, h, w, maxit):
    jitter = rng.random() * 1e-3  # other values on each seed, the same shapes
    return np.linspace(-2.5 + jitter, 1.5, w), np.linspace(-1.5, 1.5 - jitter, h), maxit


def kernel(x, y, maxit):
    c = x[None, :] + 1j * y[:, None]
    z = np.zeros_like(c)
    divtime = maxit + np.zeros(c.shape, dtype=int)
    for i in range(maxit):
        z = z**2 + c
        diverge = abs(z) > 2
        div_now = diverge & (divtime == maxit)
        divtime[div_now] = i
        z[diverge] = 2
    return divtime
