"""Native ``np.gradient`` (``frontend/numpy/gradient.py``) and ``np.convolve``/``np.correlate``
(``frontend/numpy/convolution.py``), ``np.einsum`` of three operands or repeated labels
(``frontend/numpy/einsum_paths.py``): jit against eager NumPy (values, dtype, shape, errors),
and compiled natively, not as host calls."""
from __future__ import annotations

import numpy as np
import pytest

import tracejit as tj
from tests.conftest import assert_same
from tests.differential import check

rng = np.random.default_rng(1717)


def native(fn, *args, ulps: float = 0, rtol: float = 0.0, atol: float = 0.0):
    """``fn`` jitted natively (no host call) equals eager NumPy, on ``args``."""
    jitted = tj.jit(fn, fallback=False)
    assert_same(jitted(*args), fn(*args), ulps=ulps, rtol=rtol, atol=atol)
    return jitted


# -- gradient -------------------------------------------------------------------------------------

@pytest.mark.parametrize("edge_order", [1, 2])
def test_gradient_1d_spacings(edge_order):
    x = rng.standard_normal(17)
    t = np.cumsum(rng.uniform(0.5, 1.5, 17))
    even = np.arange(17.0) * 0.25  # equal differences: NumPy's scalar formula, decided at run time
    g = lambda x, t, u, i: (np.gradient(x, edge_order=edge_order), np.gradient(x, 0.3, edge_order=edge_order),  # noqa: E731
                            np.gradient(x, t, edge_order=edge_order), np.gradient(x, u, edge_order=edge_order),
                            np.gradient(x, i, edge_order=edge_order), np.gradient(x, even, edge_order=edge_order))
    native(g, x, t, even, np.arange(17) * 3)


@pytest.mark.parametrize("edge_order", [1, 2])
def test_gradient_second_call_new_shapes(edge_order):
    f = lambda x, t: np.gradient(x, t, edge_order=edge_order)  # noqa: E731
    jitted = tj.jit(f, fallback=False)
    for n in (12, 3, 7):
        x, t = rng.standard_normal(n), np.cumsum(rng.uniform(0.5, 1.5, n))
        assert_same(jitted(x, t), f(x, t))
        even = np.linspace(0.0, 1.0, n)
        even = even[0] + np.arange(n) * (even[1] - even[0])
        assert_same(jitted(x, even), f(x, even))


@pytest.mark.parametrize("dtype", ["float64", "float32", "int32", "uint8"])
def test_gradient_nd_axes_dtypes(dtype):
    X = (rng.standard_normal((5, 6, 4)) * 10).astype(dtype)
    t = np.cumsum(rng.uniform(0.5, 1.5, 6))
    native(lambda X, t: (np.gradient(X), np.gradient(X, 2.0, axis=(2, 0), edge_order=2),
                         np.gradient(X, t, axis=1), np.gradient(X[:, ::2], 1.5, t[:3].astype(np.float32), axis=[0, -2]),
                         np.gradient(X, axis=-1)), X, t)


def test_gradient_small_and_empty():
    native(lambda x, z: (np.gradient(x[:2]), np.gradient(x[:3], edge_order=2), np.gradient(z, axis=0)),
           rng.standard_normal(5), np.zeros((3, 0)))


def test_gradient_errors():
    x = rng.standard_normal(6)
    check(lambda x: np.gradient(x[:2], edge_order=2), x)
    check(lambda x: np.gradient(x, edge_order=3), x)
    check(lambda x: np.gradient(x, np.arange(5.0)), x)
    check(lambda x: np.gradient(x, 1.0, 2.0), x)
    check(lambda x: np.gradient(x, axis=1), x)


# -- convolve / correlate -------------------------------------------------------------------------

@pytest.mark.parametrize("mode", ["full", "same", "valid", 1])
def test_convolve_correlate_float(mode):
    fn = lambda x, k, s: (np.convolve(x, k, mode), np.convolve(k, x, mode), np.correlate(x, k, mode),  # noqa: E731
                          np.correlate(k, x, mode), np.convolve(x, np.arange(4.0) - 1, mode), np.correlate(s, s, mode))
    # (sums of products in another order: a result that cancels to near zero is off by more ulps
    # of itself, so also within a few ulps of the terms' magnitude)
    native(fn, rng.standard_normal(23), rng.standard_normal(6), rng.standard_normal(1), ulps=8, atol=1e-14)


@pytest.mark.parametrize("mode", ["full", "same", "valid"])
def test_convolve_correlate_dtypes(mode):
    xi = rng.integers(-100, 100, 19).astype(np.int8)
    ki = rng.integers(-3, 3, 4).astype(np.int16)
    fn = lambda x, k, f: (np.convolve(x, k, mode), np.correlate(x[::-2], x[:5], mode), np.correlate(x > 0, k > 0, mode),  # noqa: E731
                          np.convolve(x[::2], f, mode), np.convolve(k, 3, mode))
    native(fn, xi, ki, rng.standard_normal(7).astype(np.float32), rtol=1e-6)


def test_convolve_second_call_and_even_lengths():
    f = lambda x, k: (np.convolve(x, k, "same"), np.correlate(x, k, "full"))  # noqa: E731
    jitted = tj.jit(f, fallback=False)
    for n1, n2 in ((10, 4), (4, 10), (5, 5), (1, 3)):
        x, k = rng.standard_normal(n1), rng.standard_normal(n2)
        assert_same(jitted(x, k), f(x, k), ulps=8)


def test_convolve_long_operands_stay_host_calls():
    f = lambda x, k: np.convolve(x, k)  # noqa: E731
    x, k = rng.standard_normal(100), rng.standard_normal(70)
    assert [name for name, _, _ in tj.jit(f).lower(x, k).fallbacks] == ["numpy.convolve"]
    assert_same(tj.jit(f)(x, k), f(x, k))
    with pytest.raises(tj.UnsupportedError, match="longer than 64"):
        tj.jit(f, fallback=False)(x, k)


def test_convolve_errors():
    x = rng.standard_normal(6)
    check(lambda x: np.convolve(x, x[:0]), x)
    check(lambda x: np.correlate(x[:0], x), x)
    check(lambda x: np.correlate(x, x, "middle"), x)
    check(lambda x: np.convolve(x, x, 5), x)
    check(lambda x: np.convolve(x.reshape(2, 3), x), x)


# -- einsum of three or more operands, repeated labels --------------------------------------------

def test_einsum_paths():
    q, w, k = rng.standard_normal((3, 4, 5)), rng.standard_normal((5, 5)), rng.standard_normal((3, 4, 5))
    fn = lambda q, w, k: (np.einsum("bid,de,bje->bij", q, w, k), np.einsum("ij,jk,ik->i", q[0], w, k[1]),  # noqa: E731
                          np.einsum("bii->b", np.einsum("bid,bjd->bij", q, k)), np.einsum("ii", w),
                          np.einsum("ii->i", w), np.einsum("iji->j", q[:, :, :3].transpose(2, 1, 0)[:3]),
                          np.einsum("ij,jk,kl,lm->im", q[0], w, w[:, :3], w[:3, :3]))
    native(fn, q, w, k, rtol=1e-12)


def test_einsum_paths_dtypes():
    a = rng.integers(0, 5, (3, 7))
    native(lambda a, b, c: (np.einsum("i,i,i", a[0], a[1], a[2]), np.einsum("ij,j,i->", a.astype(np.int32), b, c),
                            np.einsum("ij,kj,k->i", a > 2, a > 1, a[:, 0] > 3)),
           a, rng.standard_normal(7).astype(np.float32), np.arange(3.0), rtol=1e-6)
