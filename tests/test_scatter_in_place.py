"""Scatters into an argument (``np.add.at``, ``np.put``, ``a[idx] += v``, ``a[idx] = v``)
store into the argument's own memory, through the reshape view the frontend scatters into
(``kernelize/buffers.py``): no kernel touches every element, and the results and arguments
afterwards are eager NumPy's, also where the memory must not be shared (an array passed
twice, overlapping or strided arguments, a read of the old value after the write)."""
from __future__ import annotations

import numpy as np
import pytest

import tracejit as tj
from tests.differential import check

RNG = np.random.default_rng(1717)


def add_at(a, idx, v):
    np.add.at(a, idx, v)
    return a


def put(a, idx, v):
    np.put(a, idx, v)


def iadd(a, idx, v):
    a[idx] += v


def assign(a, idx, v):
    a[idx] = v
    return a.sum()


def multiply_at_twice(a, idx, v):
    np.multiply.at(a, idx, v)
    np.add.at(a, idx, v)


def _copies(f, *args) -> list[str]:
    """The buffers of ``f``'s program (other than its inputs) as large as ``args[0]``: a copy of it."""
    program = f.lower(*args).optimized.program
    return [b.name for b in program.buffers if b.kind != "input" and b.nbytes >= args[0].nbytes]


def _args(fn, shape, dtype, n):
    a = (RNG.standard_normal(shape) * 10).astype(dtype)
    flat = fn is put
    idx = RNG.integers(-a.size if flat else -shape[0], a.size if flat else shape[0], n)
    v = (RNG.standard_normal((n,) + (() if flat else shape[1:])) * 3).astype(dtype)
    return a, idx, v


@pytest.mark.parametrize("fn", [add_at, put, iadd, assign, multiply_at_twice])
@pytest.mark.parametrize("shape,dtype", [((50,), np.float64), ((20, 3), np.float32), ((13,), np.int32),
                                         ((12, 4), np.bool_)], ids=["f64", "f32-2d", "i32", "bool-2d"])
def test_scatter_into_argument_matches_eager_in_place(fn, shape, dtype):
    a, idx, v = _args(fn, shape, dtype, 7)
    check(fn, a, idx, v, ulps=64)  # (assign's sum: another order)
    assert _copies(tj.jit(fn), a, idx, v) == []


@pytest.mark.parametrize("fn", [add_at, put, iadd])
def test_empty_indices_and_second_call_with_new_shape(fn):
    f = tj.jit(fn)
    for shape, n in [((9, 2), 0), ((31,), 5), ((4, 5, 2), 3)]:
        a, idx, v = _args(fn, shape, np.float64, n)
        want_a = a.copy()
        want = fn(want_a, idx, v)
        got = f(a, idx, v)
        np.testing.assert_array_equal(a, want_a)
        if want is not None and n:
            assert got is a  # eagerly too: the argument itself


def test_returned_argument_is_the_same_object_and_reads_after_the_write():
    def f(a, idx, v):
        np.add.at(a, idx, v)
        return a, a.sum(), a * 2.0
    a = RNG.standard_normal(40)
    idx = np.array([0, 3, 3, 39, 0])
    check(f, a, idx, np.ones(5), ulps=64)
    b = a.copy()
    out = tj.jit(f)(b, idx, np.ones(5))
    assert out[0] is b


def test_old_value_read_after_the_write_keeps_a_copy():
    def f(a, idx, v):
        np.put(a, idx, v)
        return a
    def g(a, idx, v):
        b = a.copy()
        np.put(a, idx, v)
        return b + a  # the old value read after the write
    def h(a, idx, v):
        old = a[0] * 1.0  # read before the write, not needed by it
        np.add.at(a, idx[::-1], v)  # (a slice of the indices: checked after the call, no donation)
        return old, a
    a = RNG.standard_normal((5, 4))
    check(f, a, np.array([0, 19, -1]), np.arange(3.0))
    check(g, a, np.array([0, 19, -1]), np.arange(3.0))
    check(h, a, np.array([0, 4, -1]), np.ones((3, 4)))


def test_same_array_passed_twice():
    def f(a, b, idx, v):
        np.add.at(a, idx, v)
        return b.sum(), b[idx]
    a = RNG.standard_normal(30)
    want_a = a.copy()
    want = f(want_a, want_a, np.array([1, 1, 4]), np.ones(3))
    got = tj.jit(f)(a, a, np.array([1, 1, 4]), np.ones(3))
    np.testing.assert_allclose(got[0], want[0])
    np.testing.assert_array_equal(got[1], want[1])
    np.testing.assert_array_equal(a, want_a)


def test_overlapping_argument_matches_eager_or_is_refused():
    def f(a, b, idx, v):
        np.add.at(a, idx, v)
        return b * 1.0
    base = RNG.standard_normal(40)
    before, want_base = base.copy(), base.copy()
    want = f(want_base[:30], want_base[10:], np.array([12, 29]), np.ones(2))
    try:
        got = tj.jit(f)(base[:30], base[10:], np.array([12, 29]), np.ones(2))
    except tj.UnsupportedError:
        np.testing.assert_array_equal(base, before)  # refused before anything was written
        return
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(base, want_base)


@pytest.mark.parametrize("layout", ["strided", "fortran", "offset"])
def test_non_contiguous_argument(layout):
    base = RNG.standard_normal((12, 10))
    a = {"strided": base[::2, ::3], "fortran": np.asfortranarray(base), "offset": base[1:, 2:]}[layout]
    for fn in (add_at, put, iadd):
        idx = np.array([0, -1, 2, 2]) if fn is not put else np.array([0, a.size - 1, 5, 5])
        v = np.ones(4) if fn is put else np.ones((4, a.shape[1]))
        check(fn, a, idx, v)


def test_out_of_range_index_raises_leaving_the_argument_as_eager_does():
    for fn in (add_at, put, iadd, multiply_at_twice):
        a = RNG.standard_normal(10)
        expected = a.copy()
        with pytest.raises(IndexError) as eager:
            fn(expected, np.array([1, 10]), np.ones(2))
        with pytest.raises(IndexError) as jitted:
            tj.jit(fn)(a, np.array([1, 10]), np.ones(2))
        assert str(jitted.value) == str(eager.value)  # (the check failed before the call: run eagerly)
        np.testing.assert_array_equal(a, expected)  # np.put wrote the index before the bad one


def test_scatter_into_a_temporary_through_a_reshape():
    def f(a, idx, v):
        b = a * 2.0
        np.put(b, idx, v)
        np.add.at(b, idx[:2] // 3, 1.0)
        return b, b.sum()
    a = RNG.standard_normal((6, 5))
    check(f, a, np.array([3, 29, -2, 3]), np.arange(4.0))


def test_scatter_in_a_loop_over_a_carried_argument():
    def f(a, idx, v):
        for t in range(3):
            np.add.at(a, idx, v * t)
        return a
    def g(a, idx, v):
        return tj.fori_loop(0, 4, lambda t, acc: _add_at(acc, idx, v + t), a)
    a = RNG.standard_normal((7, 2))
    check(f, a, np.array([0, 6, 6, 1]), np.ones((4, 2)))
    check(g, a, np.array([0, 6, 6, -1]), np.ones((4, 2)))


def _add_at(acc, idx, v):
    np.add.at(acc, idx, v)
    return acc
