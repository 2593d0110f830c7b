"""Central finite differences and the tolerance the autodiff tests compare derivatives with."""
from __future__ import annotations

import numpy as np


def numeric_grad(f, x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Central differences of scalar ``f`` at every element of ``x``."""
    x = np.array(x, dtype=np.float64)
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[i] += eps
        down[i] -= eps
        g[i] = (f(up) - f(down)) / (2 * eps)
    return g


def close(a, b, rtol: float = 1e-6) -> None:
    """``a`` within ``rtol`` of ``b``, relative to the larger of 1 and ``b``'s largest magnitude."""
    np.testing.assert_allclose(a, b, rtol=rtol, atol=rtol * max(1.0, float(np.max(np.abs(b))) if np.size(b) else 1.0))
