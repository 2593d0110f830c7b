"""The workloads as a Numba user writes them: ``@njit(parallel=True, fastmath=False)``,
explicit ``prange`` loops over elements or rows, and ``@`` (BLAS) for matrix products.

Imported only by the numba peer, when numba is installed. Float32 constants are NumPy
float32 globals, since Numba types a Python float as float64 and would promote the math.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numba import njit, prange

from benchmarks.workloads import SQRT_2_OVER_PI

parallel = njit(parallel=True, fastmath=False, cache=False)
_HALF, _ONE, _K, _C3 = (np.float32(v) for v in (0.5, 1.0, SQRT_2_OVER_PI, 0.044715))


@parallel
def mul_add(a, b, c, d):
    out = np.empty_like(a)
    for i in prange(a.size):
        out[i] = a[i] * b[i] + c[i] * d[i]
    return out


@parallel
def sin_exp(a, b, c, d):
    out = np.empty_like(a)
    for i in prange(a.size):
        out[i] = a[i] * b[i] + np.sin(c[i]) * np.exp(-d[i])
    return out


@parallel
def gelu(x):
    out = np.empty_like(x)
    for i in prange(x.size):
        v = x[i]
        out[i] = _HALF * v * (_ONE + np.tanh(_K * (v + _C3 * v * v * v)))
    return out


@parallel
def softmax(x):
    rows, cols = x.shape
    out = np.empty_like(x)
    for r in prange(rows):
        m = x[r, 0]
        for j in range(1, cols):
            m = max(m, x[r, j])
        total = 0.0
        for j in range(cols):
            e = np.exp(x[r, j] - m)
            out[r, j] = e
            total += e
        for j in range(cols):
            out[r, j] /= total
    return out


@parallel
def layernorm(x, g, b):
    rows, cols = x.shape
    out = np.empty_like(x)
    for r in prange(rows):
        mean = 0.0
        for j in range(cols):
            mean += x[r, j]
        mean /= cols
        var = 0.0
        for j in range(cols):
            t = x[r, j] - mean
            var += t * t
        inv = 1.0 / np.sqrt(var / cols + 1e-5)
        for j in range(cols):
            out[r, j] = (x[r, j] - mean) * inv * g[j] + b[j]
    return out


@parallel
def sum_squares(x):
    total = 0.0
    for i in prange(x.size):
        total += x[i] * x[i]
    return total


@parallel
def matmul(a, b):
    return a @ b


@parallel
def mlp(x, w1, b1, w2, b2):
    h = x @ w1
    for i in prange(h.shape[0]):
        for j in range(h.shape[1]):
            v = h[i, j] + b1[j]
            h[i, j] = max(0, v)
    return h @ w2 + b2


@parallel
def transpose_add(a, b):
    out = np.empty((a.shape[1], a.shape[0]), a.dtype)
    for i in prange(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = a[j, i] + b[i, j]
    return out


KERNELS: dict[str, Callable] = {f.py_func.__name__: f for f in (
    mul_add, sin_exp, gelu, softmax, layernorm, sum_squares, matmul, mlp, transpose_add)}
