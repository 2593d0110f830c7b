"""Concrete arrays beside traced ones (issue 14 round 2, fuzzer seed 101): every NumPy handler
with concrete and traced arguments, arrays made from constants and then written with traced
values. See frontend/capture.py."""
from __future__ import annotations

import numpy as np
import pytest

import tracejit as tj
from tests.conftest import assert_same

# -- round 2 (fuzzer seed 101): handlers with concrete arguments, arrays made from constants ---

def _handler_calls():
    """Each registered NumPy handler with the first arguments NumPy accepts (3x3 and 3-vectors)."""
    from tracejit.frontend.dispatch import HANDLERS
    # (a invertible, so the linear-algebra handlers are called too; each call gets copies, so one
    # writing its argument, np.put..., leaves the next handler's inputs as they are here)
    a, b, c = np.arange(1.0, 10.0).reshape(3, 3) + 2 * np.eye(3), np.arange(2.0, 11.0).reshape(3, 3)[::-1], \
        np.arange(3.0) + 0.5
    candidates = [(a,), (a, b), (a, b, c), (a, 1), (a, c), (c, a), (c,), (c, c), (a, 0, 1), (a, (9,))]
    special = {np.einsum: [("ij,ik->jk", a, b)]}
    for func in HANDLERS:
        for args in special.get(func, candidates):
            try:
                with np.errstate(all="ignore"):
                    func(*[np.copy(v) if isinstance(v, np.ndarray) else v for v in args])
            except Exception:  # noqa: BLE001 - not a call NumPy accepts
                continue
            yield pytest.param(func, args, id=func.__name__)
            break


UNINITIALIZED = (np.empty_like, np.empty)  # results whose values NumPy leaves undefined
WITHIN_BOUND = (np.linalg.lstsq, np.linalg.inv)  # LAPACK's error bound, not NumPy's bits (docs/design.md)


@pytest.mark.parametrize("func, args", list(_handler_calls()))
def test_every_handler_with_concrete_and_traced_arguments(func, args):
    """Concrete arrays made inside the function (NumPy computes an all-concrete call) or
    beside traced ones (lifted as constants) give NumPy's result, never an internal error."""
    arrays = [i for i, v in enumerate(args) if isinstance(v, np.ndarray)]
    for traced in [set()] + [{i} for i in arrays] + [set(arrays)]:
        def f(*targs, traced=traced):
            it = iter(targs)
            return func(*[next(it) if i in traced else np.array(v) if i in arrays else v
                          for i, v in enumerate(args)])
        targs = [args[i] for i in sorted(traced)]
        with np.errstate(all="ignore"):
            want = f(*[np.copy(v) for v in targs])
            try:
                got = tj.jit(f)(*[np.copy(v) for v in targs])
            except tj.UnsupportedError:
                continue
        if func in UNINITIALIZED:  # NumPy's values are whatever the memory held: kind, dtype, shape only
            got, want = np.zeros_like(got), np.zeros_like(want)
        atol = 1e-13 if func in WITHIN_BOUND else 0.0
        assert_same(got, want, ulps=4, atol=atol, what=f"{func.__name__} traced {sorted(traced)}")


def test_einsum_of_a_concrete_and_a_loop_result():
    def f(a):
        v1 = np.arange(a.size, dtype=np.float64).reshape(a.shape)[[2]].T
        v2 = tj.while_loop(lambda c: c[0] < (v1 == 0).sum(), lambda c: (c[0] + 1, c[1] * 2.0), (0, v1 + a[0, 0]))[1]
        return np.einsum("ij,ik->jk", v2, v1), np.einsum("ij,ik->jk", v1, v2), np.isclose(v1, v1, v2[0, 0])
    with np.errstate(all="ignore"):
        assert_same(tj.jit(f)(np.ones((3, 2))), f(np.ones((3, 2))))


def _created_then_written(x):
    out = np.array([0.0, 0.0])
    out[0] = x.sum()
    grid = np.linspace(0, 1, 5)
    grid[1:] += x
    e = np.eye(4)
    np.add(e, x, out=e)
    rows = np.arange(8.0).reshape(2, 4)
    row = rows[1]
    row[:] = x
    idx = np.arange(4)
    ints = np.identity(4, dtype=np.int32)
    for i in idx:  # iterating a concrete array: still NumPy's values
        ints[i] = x[i]
    c = np.array([1 + 2j, 3j])
    c[0] = x[0]
    return out, grid, e, rows, ints, c, np.ones_like(idx) + 0


def test_arrays_created_from_constants_take_traced_writes():
    x = np.arange(1.0, 5.0)
    assert_same(tj.jit(_created_then_written)(x), _created_then_written(x))


def test_written_created_array_then_numpy_shape_error():
    """seed101001028: the write works, the later concatenate raises NumPy's ValueError."""
    def f(a0, a1, a2):
        v1 = np.arange(-1, 2, 1.0)
        v1[:-1] = np.dot(a2, a2)
        return v1, np.concatenate([a0, a1])
    args = (np.ones(3), np.ones((2, 3)), np.ones(2))
    for g in (f, tj.jit(f)):
        with pytest.raises(ValueError, match="same number of dimensions"):
            g(*args)
    for bad in (lambda x: np.concatenate([x, x[:3][None]]), lambda x: np.stack([x, x[:3]]),
                lambda x: np.vstack([x, x[:3]]), lambda x: np.concatenate([x, x], axis=1)):
        with pytest.raises(Exception) as want:
            bad(np.ones(4))
        with pytest.raises(type(want.value)):
            tj.jit(bad)(np.ones(4))

