"""diag, diagonal, trace, diff, meshgrid, isclose/allclose and pad (frontend/numpy/numerics.py),
against eager NumPy: shapes, dtypes, offsets, odd and zero sizes, non-contiguous inputs."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tracejit as tj
from tests.conftest import assert_same
from tracejit.errors import UnsupportedError

RNG = np.random.default_rng(5)
SQ = RNG.standard_normal((5, 5))
WIDE = RNG.standard_normal((3, 7)).astype(np.float32)
TALL = RNG.standard_normal((8, 2))
V = RNG.standard_normal(6)
B = RNG.random(9) > 0.5
I = RNG.integers(-5, 5, 10)

CASES = [
    ("diag of matrix", lambda a: np.diag(a), SQ), ("diag k", lambda a: np.diag(a, 2), WIDE),
    ("diag -k", lambda a: np.diag(a, -1), TALL), ("diag far", lambda a: np.diag(a, 9), WIDE),
    ("diag of vector", lambda v: np.diag(v), V), ("diag of vector k", lambda v: np.diag(v, -2) + 1, V),
    ("diagonal", lambda a: np.diagonal(a, 1) * 2, WIDE), ("diagonal swapped", lambda a: a.diagonal(0, 1, 0), TALL),
    ("diagonal of transposed view", lambda a: np.diagonal(a.T[::-1]), WIDE), ("trace", lambda a: np.trace(a), SQ),
    ("trace offset", lambda a: np.trace(a, -1), TALL), ("diff", lambda v: np.diff(v), V),
    ("diff n=2", lambda v: np.diff(v, 2), V), ("diff axis", lambda a: np.diff(a, axis=0), WIDE),
    ("diff bool", lambda b: np.diff(b), B), ("diff int", lambda i: np.diff(i, 3), I),
    ("diff prepend", lambda v: np.diff(v, prepend=0.0, append=v[:1]), V),
    ("meshgrid xy", lambda v: np.meshgrid(v, v[:3]), V),
    ("meshgrid ij", lambda v: np.meshgrid(v[:2], v, indexing="ij"), V),
    ("meshgrid 3", lambda v: np.meshgrid(v[:2], v[:3], v[:4]), V), ("isclose", lambda v: np.isclose(v, v + 1e-9), V),
    ("isclose rtol", lambda v: np.isclose(v, v * 1.01, rtol=0.02), V),
    ("allclose", lambda v: np.allclose(v, v[::-1]), V), ("pad constant", lambda a: np.pad(a, 2), WIDE),
    ("pad widths", lambda a: np.pad(a, ((1, 0), (2, 3)), constant_values=7), SQ),
    ("pad edge", lambda a: np.pad(a, (1, 2), mode="edge"), WIDE), ("pad wrap", lambda v: np.pad(v, 3, mode="wrap"), V),
    ("pad reflect", lambda v: np.pad(v, (2, 4), mode="reflect"), V),
    ("pad symmetric", lambda a: np.pad(a, 2, mode="symmetric"), TALL),
]


@pytest.mark.parametrize("name,fn,x", CASES, ids=[c[0] for c in CASES])
def test_matches_eager(name, fn, x):
    got, want = tj.jit(fn)(x), fn(x)
    if isinstance(want, (tuple, list)):
        for g, w in zip(got, want):
            assert_same(g, w)
    else:
        assert_same(got, want)


def test_isclose_special_values():
    a = np.array([np.inf, -np.inf, np.nan, 1.0, np.nan, 0.0])
    b = np.array([np.inf, np.inf, np.nan, np.inf, 1.0, -0.0])
    for kw in ({}, {"equal_nan": True}):
        assert_same(tj.jit(lambda x, y: np.isclose(x, y, **kw))(a, b), np.isclose(a, b, **kw))


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 6), st.integers(0, 6), st.integers(-7, 7))
def test_hypothesis_diagonal_and_diff(n, m, k):
    a = np.arange(n * m, dtype=np.float64).reshape(n, m)
    assert_same(tj.jit(lambda a: np.diagonal(a, k) + 0)(a), np.diagonal(a, k) + 0)
    if m:
        assert_same(tj.jit(lambda a: np.diff(a, axis=1))(a), np.diff(a, axis=1))


def test_unsupported_pad_mode_says_so():
    with pytest.raises(UnsupportedError, match="mode='linear_ramp'.*test_numerics.py"):
        tj.jit(lambda v: np.pad(v, 1, mode="linear_ramp"), fallback=False)(V)


@pytest.mark.parametrize("shape,axis", [((7,), None), ((8,), 0), ((5, 6), 1), ((5, 6), 0), ((3, 4, 5), -1),
                                        ((4, 1), None), ((2, 3), 1)])
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int32, np.bool_])
def test_median_matches_numpy(shape, axis, dtype):
    x = (np.random.default_rng(9).standard_normal(shape) * 10).astype(dtype)
    for keepdims in (False, True):
        f = lambda v: np.median(v, axis=axis, keepdims=keepdims)  # noqa: E731
        assert_same(tj.jit(f)(x), f(x))


def test_median_nan_lines():
    x = np.array([[1.0, np.nan, 3.0], [4.0, 2.0, 0.5]])
    assert_same(tj.jit(lambda v: np.median(v, axis=1))(x), np.median(x, axis=1))
