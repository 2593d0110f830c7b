"""Arguments a function writes are updated in their own memory (frontend/donation.py): no copy
of the argument into a buffer of its own, none back, and the same values and arguments
afterwards as eagerly, including where donation must not happen (an array passed twice,
a strided argument, run-time checks)."""
from __future__ import annotations

import numpy as np
import pytest

import tracejit as tj
from tests.differential import check

RNG = np.random.default_rng(16)


def add_rows(A, v):
    for i in range(A.shape[0]):
        A[i] = A[i] + v * i
    return A


def iadd_rows(A, v):
    for i in range(A.shape[0]):
        A[i] += v
    return A


def scale_in_place(A, v):
    A *= 2.0
    A[1:] += v
    total = A.sum()
    A[0] = A[-1] * 3.0
    return total


def read_old_then_write(A, v):
    old = A[0].copy()
    first = A[:, 0].sum()
    A[...] = v
    return old, first, A


def no_result(A, v):
    for i in range(1, A.shape[0]):
        A[i] -= 0.5 * A[i - 1]


def _program(f, *args):
    return f.lower(*args).optimized.program


@pytest.mark.parametrize("fn", [add_rows, iadd_rows, scale_in_place, read_old_then_write, no_result])
@pytest.mark.parametrize("rows", [1, 5, 37])
def test_written_arguments_match_eager(fn, rows):
    check(fn, RNG.standard_normal((rows, 6)), RNG.standard_normal(6), ulps=64)  # (sums in another order)


@pytest.mark.parametrize("fn", [add_rows, iadd_rows, no_result])
def test_loops_over_an_argument_work_in_its_memory(fn):
    """The loop carries the argument in its own memory, and the result is that array."""
    A, v = RNG.standard_normal((9, 4)), RNG.standard_normal(4)
    f = tj.jit(fn)
    program = _program(f, A, v)
    assert [b for b in program.buffers if b.kind in ("temp", "output") and b.shape == A.shape] == []
    eager_A = A.copy()
    want = fn(eager_A, v)
    got = f(A, v)
    np.testing.assert_array_equal(A, eager_A)
    if want is not None:
        assert got is A  # eagerly too: the function returns its argument itself


def test_row_update_assigned_back_is_one_store():
    """``A[i] += v``: the row is updated in place, then assigned to ``A[i]``: one store, not two."""
    A, v = RNG.standard_normal((6, 5)), RNG.standard_normal(5)
    text = tj.jit(iadd_rows).lower(A, v).as_text("kernels")
    body = text[text.index("sub-program body"):]
    assert body.count("scatter(") == 1, body


def test_an_array_passed_twice_is_not_donated():
    def f(A, B):
        for i in range(A.shape[0]):
            A[i] = B[i] * 2 + 1
        return A.sum() + B.sum()
    A = RNG.standard_normal((5, 3))
    want_arg = A.copy()
    want = f(want_arg, want_arg)
    got = tj.jit(f)(A, A)
    np.testing.assert_allclose(got, want)
    np.testing.assert_allclose(A, want_arg)


def test_strided_and_offset_arguments():
    base = RNG.standard_normal((8, 10))
    check(add_rows, base[::2, 1::3], RNG.standard_normal(3))
    check(iadd_rows, base.T, RNG.standard_normal(8))
    check(add_rows, np.asfortranarray(base), RNG.standard_normal(10))


def test_run_time_checks_leave_the_argument_as_eager_does():
    """An index out of range raises after the program ran: the argument as eager NumPy
    leaves it at the failing line (written before it, not after: frontend/checks.py snapshot)."""
    def f(A, k):
        A += 1.0
        r = A[k]
        A *= 3.0
        return r
    A = RNG.standard_normal(4)
    want = A.copy()
    with pytest.raises(IndexError):
        f(want, np.int64(7))
    with pytest.raises(IndexError):
        tj.jit(f)(A, np.int64(7))
    np.testing.assert_array_equal(A, want)


def test_read_only_argument_still_refused():
    A = RNG.standard_normal((3, 2))
    A.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        tj.jit(add_rows)(A, np.ones(2))


def test_second_call_new_shape_and_cache_key():
    f = tj.jit(add_rows)
    for rows in (3, 11):
        A, v = RNG.standard_normal((rows, 2)), RNG.standard_normal(2)
        want = add_rows(A.copy(), v)
        assert f(A, v) is A
        np.testing.assert_allclose(A, want)


@pytest.mark.parametrize("k", [0, 2, -1, -4])
def test_row_update_at_a_traced_index(k):
    def f(A, v, k):
        A[k] += v
        A[k] *= 2
        return A
    check(f, RNG.standard_normal((4, 3)), RNG.standard_normal(3), np.int64(k))


@pytest.mark.parametrize("body", [
    lambda A, i, v: A[i] + v,
    lambda A, i, v: A[i] * A[i] - v,
    lambda A, i, v: A[i][::-1] + v,  # reversed: not element by element (a buffer of its own first)
    lambda A, i, v: A[i] + A[i].sum(),  # a reduction of the window
    lambda A, i, v: A[i] + A[i - 1],  # another window
    lambda A, i, v: np.roll(A[i], 1),
], ids=["plus", "square", "reversed", "sum", "previous", "roll"])
def test_window_stored_in_place_only_when_read_element_by_element(body):
    def f(A, v):
        for i in range(1, A.shape[0]):
            A[i] = body(A, i, v)
        return A
    check(f, RNG.standard_normal((6, 5)), RNG.standard_normal(5), ulps=4)
