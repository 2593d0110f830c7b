"""``np.array``/``np.asarray`` with ``order=`` and ``np.asfortranarray``/``np.ascontiguousarray``
of traced arrays: NumPy's copy-or-same decisions (writes through the result reach the
argument exactly where NumPy's result is the argument itself) and values, dtype, shape."""
from __future__ import annotations

import numpy as np
import pytest

import tracejit as tj
from tests.differential import check


def conversions(a):
    return (np.asarray(a, order="F"), np.array(a, order="F"), np.asfortranarray(a), np.ascontiguousarray(a.T),
            np.array(a.T, order="K"), np.array(a.T, order="A"), np.array(a, order="a"), np.asarray(a[::2], order="F"))


def writes_through(a):
    f = np.asarray(a, order="F")  # a copy of a C-ordered argument, the argument itself of an F-ordered one
    f[0, 0] = 100
    v = f.reshape(-1)  # a copy of an F-ordered array (a view of a C-ordered one)
    v[1] = -1
    t = np.asfortranarray(a.T)  # the transpose of a C-ordered argument is F-ordered: itself
    t[-1, 0] = 55
    c = np.ascontiguousarray(t)
    c[0, -1] = 7
    return f, v, t, a


def fortran_copy_reshaped(a):
    f = np.array(a + 1, order="F")
    r = f.reshape(-1)  # NumPy copies (F memory raveled in C order)
    r[0] = 9
    k = np.array(f, order="A", copy=True)  # an F-ordered copy: its reshape copies too
    k.reshape(-1)[1] = 8
    return f, r, k


@pytest.mark.parametrize("dtype", [np.float64, np.int32, np.bool_, np.float32])
@pytest.mark.parametrize("order", ["C", "F"])
def test_order_conversions(dtype, order):
    a = np.asarray(np.arange(12).reshape(3, 4) % 5, dtype=dtype, order=order)
    for fn in (conversions, writes_through, fortran_copy_reshaped):
        check(fn, a)
    assert not tj.jit(writes_through, fallback=False).lower(a).fallbacks  # traced, no host call


def test_order_conversions_other_shapes():
    check(conversions, np.arange(24.0).reshape(2, 3, 4))
    check(writes_through, np.arange(24.0).reshape(2, 3, 4)[:, 1:])  # strided
    check(fortran_copy_reshaped, np.zeros((0, 3)))
    check(lambda a: (np.asfortranarray(a.sum()), np.array(a, order="X")), np.arange(3.0))
