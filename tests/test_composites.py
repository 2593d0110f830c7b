"""NumPy functions composed from tracejit's ops (frontend/numpy/composites.py), against eager."""
from __future__ import annotations

import numpy as np
import pytest

import tracejit as tj
from tests.conftest import assert_same

RNG = np.random.default_rng(11)
X2 = RNG.standard_normal((5, 7))
X3 = RNG.standard_normal((3, 4, 6)).astype(np.float32)
V = RNG.standard_normal(9)

CASES = [
    ("flip", lambda x: np.flip(x) * 1, X3), ("flip axis", lambda x: np.flip(x, axis=(0, 2)) + 1, X3),
    ("fliplr/flipud", lambda x: np.fliplr(x) - np.flipud(x), X2),
    ("roll", lambda x: np.roll(x, 2), X2), ("roll axis", lambda x: np.roll(x, -3, axis=1), X2),
    ("roll axes", lambda x: np.roll(x, (1, 2), axis=(0, 2)), X3), ("roll zero", lambda x: np.roll(x, 7, axis=1), X2),
    ("triu", lambda x: np.triu(x), X2), ("tril k", lambda x: np.tril(x, k=-1), X2),
    ("triu batch", lambda x: np.triu(x, 2), X3),
    ("hstack 1d", lambda x: np.hstack([x, x * 2]), V), ("hstack 2d", lambda x: np.hstack((x, x[:, :2])), X2),
    ("vstack", lambda x: np.vstack([x, x * 2, x]), V), ("vstack 2d", lambda x: np.vstack((x, x[:1])), X2),
    ("repeat", lambda x: np.repeat(x, 3), X2), ("repeat axis", lambda x: np.repeat(x, 2, axis=1), X3),
    ("tile", lambda x: np.tile(x, 3), V), ("tile 2d", lambda x: np.tile(x, (2, 1, 3)), X2),
    ("outer", lambda x: np.outer(x, x[:4]), V), ("add.outer", lambda x: np.add.outer(x, x[:3]), V),
    ("multiply.outer 2d", lambda x: np.multiply.outer(x, x[0]), X2),
    ("norm", lambda x: np.linalg.norm(x), V), ("norm fro", lambda x: np.linalg.norm(x, "fro"), X2),
    ("norm axis", lambda x: np.linalg.norm(x, axis=1), X2),
    ("norm 1", lambda x: np.linalg.norm(x, 1), V), ("norm inf", lambda x: np.linalg.norm(x, np.inf), V),
    ("norm keepdims", lambda x: np.linalg.norm(x, axis=0, keepdims=True), X2),
]


@pytest.mark.parametrize("name,fn,x", CASES, ids=[c[0] for c in CASES])
def test_composite_matches_eager(name, fn, x):
    assert_same(tj.jit(fn)(x), fn(x), rtol=1e-6 if x.dtype == np.float32 else 1e-12, atol=1e-12)


def test_unsupported_forms_say_so():
    with pytest.raises(tj.UnsupportedError, match="repeat"):
        tj.jit(lambda x: np.repeat(x, [1, 2, 3]), fallback=False)(np.ones(3))
    with pytest.raises(tj.UnsupportedError, match="norm"):
        tj.jit(lambda x: np.linalg.norm(x, 3), fallback=False)(np.ones((2, 2)))


A34 = RNG.standard_normal((3, 4))
B45 = RNG.standard_normal((4, 5))
T234 = RNG.standard_normal((2, 3, 4))
T245 = RNG.standard_normal((2, 4, 5))


@pytest.mark.parametrize("spec,args", [
    ("ij,jk->ik", (A34, B45)), ("ij,jk", (A34, B45)), ("ij,kj->ik", (A34, A34)), ("ij,ij->ij", (A34, A34)),
    ("ij,ij->", (A34, A34)), ("i,i->", (V, V)), ("i,j->ij", (V, V[:4])), ("bij,bjk->bik", (T234, T245)),
    ("bij,bjk->bki", (T234, T245)), ("ij->ji", (A34,)), ("ij->j", (A34,)), ("ijk->", (T234,)),
    ("bij,jk->bik", (T234, B45)), ("ij,jk->i", (A34, B45)), ("ik,jk->ijk", (A34, A34)),
])
def test_einsum_matches_eager(spec, args):
    fn = lambda *xs: np.einsum(spec, *xs)  # noqa: E731
    assert_same(tj.jit(fn)(*args), fn(*args), rtol=1e-12, atol=1e-12)


def test_einsum_forms_left_out_say_so():
    with pytest.raises(tj.UnsupportedError, match="einsum"):
        tj.jit(lambda x: np.einsum("...ii->...i", x), fallback=False)(np.eye(3))


@pytest.mark.parametrize("fn", [
    lambda x: max(x[0], x[1]) * 2, lambda x: min(x[2], np.float64(0.5), x[3]) + x,
    lambda x: max(x) - min(x), lambda x: max(x[0], np.float64(1)) + max(np.float64(2.0), x[1]),
    lambda x: x * max(abs(x[0]), abs(x[-1])),
])
def test_python_min_max_of_traced_scalars(fn):
    for x in (np.array([0.3, -1.0, 2.5, 0.7]), np.array([np.nan, 1.0, np.nan, -2.0]),
              np.array([1.0, 1.0, -0.0, 0.0])):
        with np.errstate(all="ignore"):
            assert_same(tj.jit(fn)(x), fn(x))


def test_python_min_max_of_a_python_float_and_float64_scalars():
    """A Python float beside float64 scalars: the same value and array dtype whichever Python
    returns; the result is the float64 (frontend/minmax.py)."""
    fn = lambda x: min(x[2], 0.5, x[3]) + x  # noqa: E731
    for x in (np.array([0.3, -1.0, 2.5, 0.7]), np.array([0.3, -1.0, 0.25, 0.7])):
        assert_same(tj.jit(fn)(x), fn(x))


@pytest.mark.parametrize("fn", [lambda x: max(x[0], 1) + max(2.0, x[1]), lambda x: max(x[0], 1)])
def test_python_min_max_of_mixed_types_refused(fn):
    """Python returns the chosen item unchanged: a float64 scalar or a Python int,
    depending on the values (an int64 or a float64 array): refused."""
    with pytest.raises(tj.UnsupportedError, match="depend on the traced values"):
        tj.jit(fn, fallback=False)(np.array([0.3, -1.0, 2.5, 0.7]))


def test_python_max_of_rows_is_an_error_as_in_numpy():
    with pytest.raises((ValueError, TypeError)):
        tj.jit(lambda x: max(x))(np.ones((2, 3)))
    assert max([1, 3, 2]) == 3 and min("bca") == "a"  # Python's own outside traces
