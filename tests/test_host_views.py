"""Views of an argument in place: ``np.atleast_1d/2d/3d`` of complex arrays are views (a write
through them reaches the argument, as in NumPy), and a host call whose result is a view of
its argument refuses writes into it (eagerly they would reach the argument; the host call
works on a copy) rather than dropping them. Found by the fuzzer (seed 808000102)."""
import numpy as np
import pytest

import tracejit as tj
from tracejit.errors import UnsupportedError


def _same(fn, *args):
    got = tj.jit(fn)(*[a.copy() for a in args])
    want = fn(*[a.copy() for a in args])
    for g, w in zip(got if isinstance(got, tuple) else (got,), want if isinstance(want, tuple) else (want,)):
        assert np.asarray(g).dtype == np.asarray(w).dtype and np.shape(g) == np.shape(w)
        np.testing.assert_array_equal(g, w)


@pytest.mark.parametrize("dtype", [np.complex64, np.complex128, np.float64])
def test_atleast_1d_of_complex_is_a_view(dtype):
    def g(a):
        v = np.atleast_1d(a)
        v *= 2
        return a
    _same(g, (np.arange(3) + 1j).astype(dtype) if np.dtype(dtype).kind == "c" else np.arange(3, dtype=dtype))


def test_atleast_2d_3d_of_complex_write_through():
    def h(a):
        v = np.atleast_2d(a)
        v += 1
        w = np.atleast_3d(a)
        w[0] = 7 - 1j
        return a, v, w
    _same(h, np.arange(3) + 1j)
    _same(h, (np.arange(6.0) + 2j).reshape(2, 3))


def test_atleast_of_several_mixed_arguments():
    def m(a, b, c):
        x, y, z = np.atleast_2d(a, b, c)
        x += 1
        return a, y, z
    _same(m, np.arange(3) + 1j, np.float64(3), np.ones((2, 2), np.complex64))


def test_atleast_1d_of_complex_0d_is_new_memory_where_numpy_says():
    def s(a):
        v = np.atleast_1d(a[0])  # a[0] is a NumPy scalar: atleast_1d makes a new array
        v += 1
        return a, v
    _same(s, np.arange(3) + 1j)


def test_write_into_host_view_result_is_refused_not_dropped():
    def f(a):
        v = np.unstack(a)[0]  # no native handler: a host call, whose result eagerly is a view of ``a``
        v += 1
        return a
    a = np.arange(4.0).reshape(2, 2)
    lowered = tj.jit(f).lower(a)  # refused: the whole function runs eagerly, and says why
    assert isinstance(lowered.error, UnsupportedError)
    assert "numpy.unstack (a view of its argument) is not supported" in lowered.message
    assert "np.copy" in lowered.message
    _same(f, a)  # NumPy's answer


def test_host_result_that_is_new_memory_is_writable():
    def f(a):
        v = np.unstack(a.copy())[0] * 1.0  # a new array: writes are fine
        v += 1
        return a, v
    _same(f, np.arange(4.0).reshape(2, 2))
