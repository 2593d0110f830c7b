"""Regressions of in-place writes (issue 14 round 2, fuzzer seed 101: items 101002417,
101001023, 101001792 and their siblings).

Each program runs eagerly and jitted on copies of the same arguments; results and the
arguments' states after the call must match (``tests/conftest.py``'s ``assert_same``)."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import tracejit as tj
from tests.conftest import assert_same


def check_writes(fn, *args):
    """``fn`` jitted == eager, on its results and on its arguments after the call."""
    copy = lambda a: a.copy(order="K") if isinstance(a, np.ndarray) else a  # noqa: E731
    eager_args, jit_args = [copy(a) for a in args], [copy(a) for a in args]
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = fn(*eager_args)
        actual = tj.jit(fn)(*jit_args)
    assert_same(actual, expected, what=fn.__name__)
    for i, (got, want) in enumerate(zip(jit_args, eager_args)):
        assert_same(got, want, what=f"{fn.__name__} argument {i} after the call")


def check_raises(fn, *args):
    """``fn`` raises jitted the exception it raises eagerly (its builtin class)."""
    copy = lambda a: a.copy() if isinstance(a, np.ndarray) else a  # noqa: E731
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(Exception) as eager:
            fn(*map(copy, args))
        builtin = next(c for c in type(eager.value).__mro__ if c.__module__ == "builtins")  # UFuncTypeError: TypeError
        with pytest.raises(builtin):
            tj.jit(fn)(*map(copy, args))


INTS = np.arange(18, dtype=np.int64).reshape(6, 3) * 7 - 40
SQUARE = np.arange(16.0).reshape(4, 4) - 5


# -- overlapping self-assignment: NumPy reads the whole source before writing ----------------

def reverse_after_floor_divide(a):
    a //= 1
    a[::-1] = a


def shift_after_multiply(a):
    a *= 2
    a[1:] = a[:-1]


def mirror_columns_after_add(a):
    a += 1
    a[:, ::-1] = a


def transpose_into_itself(a):
    a -= 1
    a.T[...] = a


def add_reversed_out(a):
    a -= 3
    np.add(a, a[::-1], out=a)


def copyto_reversed(a):
    a //= 2
    np.copyto(a, a[::-1])


def temporary_reversed(a):
    b = a * 2
    b[::-1] = b
    return b


def temporary_transposed(a):
    b = a + 1
    np.add(b, b.T, out=b)
    return b


@pytest.mark.parametrize("fn, arg", [
    (reverse_after_floor_divide, INTS), (shift_after_multiply, INTS), (mirror_columns_after_add, INTS),
    (transpose_into_itself, SQUARE), (transpose_into_itself, np.asfortranarray(SQUARE)),
    (add_reversed_out, INTS), (copyto_reversed, INTS), (temporary_reversed, INTS), (temporary_transposed, SQUARE)])
def test_overlapping_self_assignment(fn, arg):
    check_writes(fn, arg)


# -- a value read before a write to its array keeps the old elements ---------------------------

def sinh_before_and(a0):
    v1 = np.sort(a0[..., ::2], axis=-1)[::-2]
    v2 = np.sinh(v1)
    v1[...] &= 100
    v8 = np.sum(v1, axis=0)
    return tj.fori_loop(2, (a0 < 0).sum(), lambda i, c: (c[0] - 0.1, c[1] & 0), (v2[-1], v8))[0]


def exp_before_add(a):
    b = np.sort(a, axis=None)
    c = b[::-5][:1]
    d = np.exp(c * 1e-3)
    c[...] += 5
    return d, b


def element_before_loop_write(a):
    b = a * 3
    d = b[1, 1] + 0.5
    b[1, 1] = tj.fori_loop(0, 3, lambda i, x: x + i, b[1, 1])
    return d, b


def test_read_before_write():
    check_writes(sinh_before_and, np.array([1, 5, -3]))
    check_writes(exp_before_add, INTS)
    check_writes(element_before_loop_write, INTS)


# -- assigned values are cast to the array's dtype first: unselected elements stay exact --------

WIDE = np.array([[0, 5, 2**62 + 1], [-(2**62) - 7, 0, 2**63 - 1]], np.int64)
UWIDE = np.array([0, 3, 2**64 - 1, 2**63 + 5], np.uint64)


def fill_zeros(a):
    a[a == 0] = 2.5
    return a


def fill_zeros_with(a, v):
    a[a == 0] = v
    return a


def scale_nonzero(a):
    a[a != 0] = a[a != 0] * 2.5
    return a


def copyto_where(a):
    np.copyto(a, 2.5, where=a == 0, casting="unsafe")
    return a.sum()


@pytest.mark.parametrize("arg", [WIDE, np.asfortranarray(WIDE), UWIDE, np.array([True, False, True])])
def test_masked_write_casts_value_first(arg):
    check_writes(fill_zeros, arg)
    check_writes(copyto_where, arg)
    check_writes(scale_nonzero, arg)


@pytest.mark.parametrize("arg, value", [
    (WIDE, np.float64(-3.7)), (WIDE, np.float64(np.inf)), (WIDE, np.uint64(2**64 - 1)), (UWIDE, np.int64(-1)),
    (np.array([0.0, 1.5, 0.0]), np.complex128(1 + 2j)), (WIDE, np.complex128(2.5 - 1j)),
    (np.zeros(4, np.int8), np.int64(300))])
def test_masked_write_dtype_pairs(arg, value):
    check_writes(fill_zeros_with, arg, value)


def add_to_masked(a):
    a[a == 0] += 2.5
    return a


def assign_all(a, v):
    a[a > 0] = v
    return a


def test_masked_write_errors():
    check_raises(add_to_masked, WIDE)  # same_kind: float64 into int64
    check_raises(fill_zeros_with, WIDE, np.nan)
    check_raises(assign_all, np.ones((2, 2)), np.ones((2, 2)))  # a 2-d value
    check_raises(assign_all, np.array([1.0, -2.0, 3.0]), np.array([7.0, 8, 9]))  # 3 values, 2 selected
    check_raises(assign_all, np.array([1.0, 2.0, 3.0]), np.ones(0))
    check_writes(assign_all, np.array([1.0, 2.0, 3.0]), np.array([7.0, 8, 9]))  # all selected
    check_writes(assign_all, np.array([[1, 2], [3, 4]]), np.array([2.5, -1e30, 3, 4]))
    check_writes(assign_all, np.array([1.0, -2.0, 3.0]), np.array([2.5]))


# -- np.putmask and np.place: the same masked write, NumPy's casting rules ---------------------

def putmask_zeros(a, v):
    np.putmask(a, a == 0, v)
    return a


def place_zeros(a, v):
    np.place(a, a == 0, v)
    return a


def putmask_doubled(a, m, v):
    np.putmask(a, m, v * 2)
    return a


@pytest.mark.parametrize("value", [2.5, np.float64(-2.5), [7, 8], [2.5], np.array([3, 4, 5], np.int32), True, []])
def test_putmask(value):
    check_writes(putmask_zeros, WIDE, value)
    check_writes(putmask_zeros, np.array([0.0, 1.5, np.nan, -2.0, 0.0]), value)


def test_putmask_and_place_more():
    check_writes(putmask_doubled, WIDE, np.array([True, False, True, True, False, False]), np.arange(7))
    check_writes(putmask_doubled, np.arange(5.0), np.array([0, 1, 2, 0, 3]), np.array([1.0, 2.0]))
    check_raises(putmask_zeros, WIDE, np.array([2.5]))  # an array casts 'safe'
    check_raises(putmask_doubled, np.arange(5.0), np.array([True, False]), 1.0)  # sizes differ
    check_writes(place_zeros, WIDE, 2.5)
    check_writes(place_zeros, WIDE, [2.5])
    check_writes(place_zeros, np.arange(1.0, 4.0), [])
    check_raises(place_zeros, WIDE, [])  # values for selected elements: none
    check_raises(place_zeros, WIDE, np.array([2.5]))
