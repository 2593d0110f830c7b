"""Issue 14, frontend semantics of 0-d arrays and scalars: boolean masks of 0-d arrays, axes
of 0-d arrays, diagonals and trace of any rank, NumPy scalars and 0-d boolean indices, each as
a differential test against eager NumPy (tests/differential.py)."""
from __future__ import annotations

import numpy as np
import pytest

import tracejit as tj
from tests.differential import check

# -- item 18: boolean masks of 0-d arrays ---------------------------------------------------------

@pytest.mark.parametrize("value", [-1.0, 2.0])
def test_masks_of_0d_arrays(value):
    def f(a):
        a[a < 0] = a[a < 0] * 2
        a[a > 1] += 1
        return a, a[a > 0].sum(), a[True], a[False]
    check(f, np.array(value))


def test_0d_masks_of_arrays():
    def f(a):
        m = a.sum() > 0
        a[m] = a[m] * 2
        return a, a[m].sum(), a[np.True_]
    check(f, np.arange(6.0).reshape(2, 3))
    check(f, -np.ones(3))


# -- axes of 0-d arrays --------------------------------------------------------------------------------

@pytest.mark.parametrize("fn", [lambda a: np.swapaxes(a, 0, 0), lambda a: np.moveaxis(a, 0, 0), np.flipud,
                                lambda a: np.flip(a, 0), lambda a: np.flip(a)])
def test_axes_of_0d_arrays(fn):
    check(fn, np.array(2.0))



# -- round 2 (fuzzer seed 101): diagonals and trace of any rank ------------------------------

DIAG_INPUTS = [np.arange(12.0).reshape(3, 4), np.arange(60, dtype=np.int32).reshape(3, 4, 5),
               np.arange(120.0).reshape(4, 5, 6)[::2, ::-1, 1::2], np.arange(24, dtype=np.int8).reshape(2, 3, 4).T]


@pytest.mark.parametrize("a", DIAG_INPUTS, ids=["2d", "3d", "strided", "transposed"])
@pytest.mark.parametrize("offset", [0, 1, -2, 9])
def test_trace_and_diagonal_of_any_rank(a, offset):
    """np.trace sums each diagonal (an array of the other axes for ndim > 2), any axis pair."""
    pairs = [(0, 1), (1, 0), (-1, 0), (0, -1), (a.ndim - 2, a.ndim - 1)]
    check(lambda x: [(np.trace(x, offset, p, q), x.trace(offset, p, q), np.diagonal(x, offset, p, q) * 2)
                     for p, q in pairs], a)
    check(lambda x: (np.trace(x[:, None]), np.trace(x[None], axis1=1, axis2=-1), np.trace(x, dtype=np.float32)), a)


def test_trace_seeds():
    check(lambda a: np.logaddexp(a, np.trace(a)), np.arange(512, dtype=np.uint64).reshape(8, 8, 8))

    def shifted(a):
        for i in range(4):
            a[i] *= 7 + i
        v = np.trace(a)
        v[None] <<= i
        return v
    check(shifted, np.arange(60, dtype=np.int64).reshape(4, 3, 5))
    check(lambda a: (np.diag(a, 1), np.diag(a[::2], -1), np.diagonal(a, 0, 0, 0)), np.arange(6.0))
    z = (np.arange(24.0) + 1j * np.arange(24.0)[::-1]).reshape(2, 3, 4)
    check(lambda a: (np.trace(a), a.trace(1, 2, 0), np.diagonal(a, -1, 1, 2), a.diagonal(), np.diag(a[0], 1)), z)


# -- round 2: NumPy scalars and 0-d boolean indices ------------------------------------------

SCALAR_KEYS = [(), ..., None, True, False, np.True_, np.False_, np.array(True), np.array(False), (None, None),
               (True, True), (..., None), (None, True), (False, ...), 0, slice(None), np.array([True]), [0]]


@pytest.mark.parametrize("key", SCALAR_KEYS, ids=repr)
def test_traced_numpy_scalars_index_as_numpy_scalars(key):
    """``s[()]`` is ``s``, ``s[True]`` ``array([s])``, ``s[False]`` empty; ints and slices raise IndexError."""
    check(lambda x: (x.sum()[key], np.argmin(x)[key], x[1][key]), np.arange(3.0))


@pytest.mark.parametrize("key", [(0, slice(None), True), (True, 1), (slice(None), True, 1), (1, True, None),
                                 (True, None, True), (True, ..., 1), (np.array(True), 1, None, 2), (False, 1),
                                 (slice(None), np.False_), (True, False)], ids=repr)
def test_zero_d_boolean_indices_among_others(key):
    """0-d booleans (with the key's integers) give one new axis, in place when adjacent, else first."""
    def f(a):
        b = a[key]
        a[key] = -1.0
        a[key] += 0.5
        return b, a
    check(f, np.arange(24.0).reshape(2, 3, 4))


def test_traced_zero_d_masks_select():
    def f(a):
        m = a[0, 0, 1] > 0
        a[a[0, 0, 0] > 0, 0] = 7.0
        return a[m], a[m, 1], a[True, m].sum(), a[False, m], a[1, m], np.float64(2.0) * a[0, 0, 1][m]
    check(f, np.arange(24.0).reshape(2, 3, 4))
    check(lambda a: (a.sum()[a[0] >= 0].sum(), a.sum()[a[0] > 0]), np.arange(3.0))


def test_scalar_item_assignment_raises_typeerror_zero_d_arrays_do_not():
    def scalar(a):
        s = a.sum()
        s[()] = 1.0
        return s

    def zero_d(a):
        s = np.zeros(())
        s[()] = a[0]
        s[None] = a[1]
        s[True] = s * 2
        s[...] += 1
        return s
    check(scalar, np.arange(3.0))
    check(zero_d, np.arange(3.0))


def test_numpy_scalars_from_constants_indexed_by_traced_booleans():
    """A NumPy scalar computed from constants is indexed by NumPy itself: a Python-scalar
    argument in the index becomes static; an array-dependent boolean is refused clearly."""
    def from_python_float(x):
        for i in range(3):
            pass
        return np.min(i, axis=None)[x >= 1.0].sum()
    check(from_python_float, 3.25)
    check(from_python_float, 0.5)

    def from_array(a):
        return np.argmin(3)[a.mean() > 0]
    with pytest.raises(tj.UnsupportedError, match=r"NumPy scalar indexed by a traced boolean.*np.full"):
        tj.jit(from_array, fallback=False)(np.ones(3))
    check(lambda a: np.full((), np.argmin(3))[a.mean() > 0], np.ones(3))

