"""Issue 17 (misc): native ``np.vander``, nested calls of a function being compiled,
``ufunc.at``/``np.put`` into arguments."""
from __future__ import annotations

import numpy as np
import pytest

import tracejit as tj
from tracejit.errors import UnsupportedError


def _same(got: object, want: object) -> None:
    got, want = np.asarray(got), np.asarray(want)
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_array_equal(got, want)


def _vander(x, N, increasing):
    return np.vander(x, N, increasing)


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int32, np.uint8, np.bool_])
def test_vander_matches_numpy_bit_for_bit(dtype):
    f = tj.jit(_vander, fallback=False)
    rng = np.random.default_rng(1)
    for n, N, inc in [(7, 5, False), (7, 5, True), (3, 1, False), (0, 4, True), (4, 0, False), (6, 2, True)]:
        x = (rng.standard_normal(n) * 3).astype(dtype)
        _same(f(x, N, inc), _vander(x, N, inc))


def test_vander_default_n_new_shape_and_strided():
    def g(x):
        return np.vander(x) + 0
    f = tj.jit(g, fallback=False)
    for x in [np.linspace(-2, 3, 9), np.linspace(-1, 1, 4)[::-1], np.arange(10.0)[::3], np.zeros(0)]:
        _same(f(x), g(x))


def test_vander_errors():
    def g(x):
        return np.vander(x, 3)
    with pytest.raises(ValueError, match="one-dimensional"):
        tj.jit(g, fallback=False)(np.ones((2, 2)))
    with pytest.raises(UnsupportedError):
        tj.jit(g, fallback=False)(np.ones(3, complex))
