"""Complex vector products (``frontend/complex/matmul.py``: reductions over the matrix in
its complex memory layout) and the positional fast path for complex arguments
(``frontend/signature.py``): differential against NumPy, the error within NumPy's own bound
(normwise: ``|C - C_numpy| <= c K eps (|A| @ |B|)``)."""
from __future__ import annotations

import numpy as np
import pytest

import tracejit as tj


def _c(rng, shape, dtype):
    return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(dtype)


def _within(got, want, a, b, k):
    assert type(got) is type(want) and got.dtype == want.dtype and got.shape == want.shape
    eps = np.finfo(want.real.dtype).eps
    bound = np.abs(a) @ np.abs(b)
    assert np.all(np.abs(got - want) <= 2 * k * eps * bound)


@pytest.mark.parametrize("dtype", [np.complex64, np.complex128], ids=["c64", "c128"])
def test_vector_products_within_bound(dtype):
    """v @ B, A @ v, batched, v @ w, a strided (non-contiguous) matrix; new shapes on one function."""
    rng = np.random.default_rng(7)
    f = tj.jit(lambda x, y: x @ y)
    for sa, sb in (((300,), (300, 40)), ((40, 300), (300,)), ((2, 3, 33), (33,)), ((33,), (2, 33, 3)),
                   ((33,), (33,))):
        a, b = _c(rng, sa, dtype), _c(rng, sb, dtype)
        _within(f(a, b), a @ b, a, b, sa[-1])
    m = _c(rng, (50, 60), dtype)[::2, ::3]  # (25, 20), strided
    v = _c(rng, (20,), dtype)
    _within(f(m, v), m @ v, m, v, 20)
    w = _c(rng, (50,), dtype)[::2]  # (25,), strided
    _within(f(w, m), w @ m, w, m, 25)


def test_complex_arguments_fast_path():
    """C-contiguous complex arguments take the positional fast path: the same array twice, a
    write into an argument, a 0-d array (the general path), new shapes, then the first again."""
    def f(x, y):
        x += y
        return x * 2j, np.abs(y)

    jitted = tj.jit(f)
    rng = np.random.default_rng(8)
    for shape in ((5,), (3, 4), (5,)):
        for dtype in (np.complex64, np.complex128):
            a, b = _c(rng, shape, dtype), _c(rng, shape, dtype)
            a2, b2 = a.copy(), b.copy()
            got, want = jitted(a, b), f(a2, b2)
            np.testing.assert_array_equal(a, a2)
            for g, w in zip(got, want):
                assert g.dtype == w.dtype and g.shape == w.shape
                np.testing.assert_allclose(g, w, rtol=1e-6)
    a = _c(rng, (4,), np.complex128)
    want = a + a
    assert np.allclose(tj.jit(lambda x, y: x + y)(a, a), want)
    z = np.array(1 + 2j)
    assert tj.jit(lambda x: x * 2)(z) == z * 2
