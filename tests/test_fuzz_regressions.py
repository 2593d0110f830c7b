"""Issue 14: bugs the random-program fuzzer found (tests/fuzz/), each reduced to the natural
program a user would write and compared with eager NumPy (result and arguments after the
call). The other subsystems' regressions live in test_{semantics,control,capture,kernel}_regressions.py."""
from __future__ import annotations

import numpy as np
import pytest

import tracejit as tj
from tests.differential import check


def test_array_made_by_numpy_written_after_a_loop_read_it():
    """A NumPy array the function made, read by a loop (becoming a constant), then written:
    the result is the array as written, not the constant taken before (fuzz V3)."""
    def f(a):
        v = np.arange(a.shape[0])
        total = tj.fori_loop(2, v.shape[0], lambda i, c: c + i, v)
        v[:] = -3
        return v, total
    check(f, np.ones((7, 7)))


def test_array_made_by_numpy_written_between_two_reads():
    def f(a):
        w = np.linspace(0.0, 1.0, 5)
        first = a + w
        w[1:] = 2.0
        return first, a * w
    check(f, np.arange(5.0))


def test_selection_size_is_a_python_int():
    """``x[mask].size`` is a Python int: weak in promotion, so ``size - a`` keeps ``a``'s
    dtype (fuzz V5: uint32 became int64)."""
    def f(a):
        return a[a == 4].size - a, a[a > 3].size * 2.5 + a.astype(np.float32)
    check(f, np.arange(27, dtype=np.uint32).reshape(3, 3, 3)[::-1])


def test_einsum_broadcasts_length_one_axes():
    """NumPy's einsum broadcasts an index of length 1 against the other operand's length
    (fuzz I5: tracejit raised 'size of index differs')."""
    row, tall = np.ones((1, 2)), np.arange(10.0).reshape(5, 2)[::-1]
    check(lambda a, b: np.einsum("ij,jk->ik", a.T, b), row, tall)
    check(lambda a, b: np.einsum("ij,jk->ijk", a.T, b), row, tall)
    check(lambda a, b: np.einsum("ij,ij->i", a, b), np.ones((2, 1)), np.arange(6.0).reshape(2, 3))
    check(lambda a, b: np.einsum("ij,jk->ik", a, b), np.ones((2, 3)), np.ones((4, 2)))  # ValueError both


def test_complex_exp_special_values():
    """C's cexp special values as NumPy gives them: exp(inf + 0j) is inf + 0j (was inf + nanj),
    exp(-inf + inf j) is 0j (fuzz seed 102000019: a2 -= a2 on infinities, then np.exp)."""
    inf, nan = np.inf, np.nan
    parts = [inf, -inf, nan, 0.0, -0.0, 1.0, -2.0]
    z = np.array([complex(r, i) for r in parts for i in parts])
    for dtype in (np.complex128, np.complex64):
        check(lambda a: (np.exp(a).real, np.exp(a).imag), z.astype(dtype), ulps=4)  # our sin/cos/exp

        def f(a):
            a -= a
            e = np.exp(a)
            return e.real, e.imag
        check(f, z.astype(dtype), ulps=4)


def test_ufunc_of_concrete_operands_into_a_traced_out():
    """``np.sqrt(made_here, out=argument)``: the operands are NumPy arrays the function made,
    only ``out=`` is traced (fuzz seed 102000679: an internal AssertionError)."""
    def f(a):
        v = np.arange(a.size, dtype=np.uint64).reshape(a.shape)
        np.sqrt(v, out=a)
        np.add(v[0], 1, out=a[0])
        return v
    check(f, np.ones((3, 2)))
    with pytest.raises(TypeError, match="Cannot cast ufunc 'multiply' output"):  # as NumPy
        tj.jit(lambda a: np.multiply(np.arange(3), 2.5, out=a))(np.zeros(3, np.int64))


def test_uint64_compared_with_a_negative_python_int():
    """NumPy compares a uint64 array with a negative Python int by value (every element is
    larger); the int64 comparison wrapped elements >= 2**63 (fuzz seed 417000728:
    ``a0 >>= a1 < a0`` with a1 = -2)."""
    a = np.array([0, 5, 2**63 + 5, 2**64 - 1, 2**64 - 2], np.uint64)
    for s in (-2, -2**63, 3):
        check(lambda s, a: (s < a, a > s, a == s, s != a, a <= s, s >= a, a[2] > s), s, a)
        check(lambda a: (a < -2, -2 <= a, a != -1), a)

    def f(a0, a1):
        a0 >>= a1 < a0
        return np.clip(a0, 2, 5)
    check(f, a.reshape(1, 5), -2)


def test_complex_joined_with_real_arrays():
    """np.concatenate/np.stack of a complex array with real ones: a real operand's imaginary
    part (one zero) takes its shape (fuzz seed 555001414: 'zero-dimensional arrays cannot be
    concatenated')."""
    def f(a):
        v = a[:, None]
        b = np.isfinite(v)
        return (np.concatenate([v, b], axis=1), np.concatenate([b, v]), np.stack([v, b]),
                np.concatenate([v, np.ones((1, 1), np.int8)], axis=1), np.stack([a, 2.0 * np.ones(1)]),
                np.concatenate([a, [1.5]]))
    check(f, np.array([1 + 2j, 3j], np.complex64)[::2])


def test_traced_value_written_into_an_array_computed_from_created_ones():
    """An array computed by NumPy from arrays the function made (not made by a creation call
    itself) receiving a traced value: every created array is traced and the function traced
    again (fuzz seed 104001841: 'setting an array element with a sequence')."""
    def f(a):
        n, c = tj.while_loop(lambda c: c[0] < 3, lambda c: (c[0] + 1, c[1] + 100), (0, a))
        flags = (np.arange(c.size, dtype=np.float64).reshape(c.shape) < 0.5).reshape(-1)
        flags[-1] = n
        w = np.linspace(0, 1, 4) * 2
        w[1:] += a.sum()
        return flags, w
    check(f, np.ones((1, 1), np.int64))


def test_allclose_and_array_equal_return_python_bools():
    """np.allclose/np.array_equal/np.array_equiv return Python bools: ``~np.allclose(a, b)`` is
    -2 or -1 (fuzz seed 106000921: a NumPy bool came back, ~ gave np.False_)."""
    def f(a):
        v = np.allclose(a, a)
        w = np.allclose(a, a + 1)
        return (~v, v, v + 1, w & v, v * 2.5 + a.astype(np.float32), np.array_equal(a, a),
                np.array_equal(a, a[:2]), np.array_equiv(a, a[None]),
                np.array_equal(a, np.where(a > 0, np.nan, a), equal_nan=True))
    got = check(f, np.ones(3))
    assert [type(g) for g in got[:4]] == [int, bool, int, bool]


def test_count_nonzero():
    a = np.array([[1, 0, 2.0], [0, 0, np.nan]])
    check(lambda a: (np.count_nonzero(a), np.count_nonzero(a, axis=0), np.count_nonzero(a) - a.astype(np.int8),
                     np.count_nonzero(a > 0, axis=(0, 1), keepdims=True)), a)


def test_integer_power_of_no_elements_raises_nothing():
    """NumPy raises 'Integers to negative integer powers' from its loop: with no elements, not
    at all (fuzz seed 107001101: tracejit raised for an empty base)."""
    for a in (np.zeros((0, 1), np.int64), np.ones((2, 1), np.int64)):
        check(lambda a: a ** -1, a)
        check(lambda a: np.power(a, np.array([-1, 2])), a)
        check(lambda a: np.power(a, a.sum(axis=0) - 5), a)


_STORES = {  # a[k] = v for a scalar v: NumPy converts v to a Python int (NaN, inf, out of range raise)
    "element": lambda a, v, k: a.__setitem__(k, v),
    "slice": lambda a, v, k: a.__setitem__(slice(k, k + 2), v),
    "row": lambda a, v, k: a.reshape(2, -1).__setitem__((0, k % (a.shape[0] // 2)), v),
}


@pytest.mark.parametrize("store", sorted(_STORES))
@pytest.mark.parametrize("target", ["int8", "int32", "int64"])
def test_scalar_stored_into_a_signed_integer_array_raises_as_numpy(store, target):
    """``v[i] = x[i] * 2.0`` into an int64 array, in a loop: NumPy raises OverflowError for
    an infinity, ValueError for NaN and OverflowError beyond the dtype; tracejit cast it
    silently (fuzz seed 1601000079). An array value (``v[1:] = x[1:]``) still casts silently."""
    put = _STORES[store]

    def f(y, q, k):
        a = np.zeros(6, target)
        put(a, y[k] * 2.0, k)                # a NumPy float64 scalar
        put(a, y.astype(np.float32)[k], k)   # float32
        put(a, float(y[k]) - 1.0, k)         # a Python float
        put(a, q[k], k)                      # int64 into a narrower dtype
        a[3:5] = y[3:5]                      # an array: cast silently
        return a

    jitted = tj.jit(f)
    q = np.array([7, -300, 2**40, 5, 100, 2], np.int64)
    for value in (2.9, -0.5, 200.0, -129.5, 3e9, np.nan, np.inf, -np.inf, 1e19, -9.2e18, 9.3e18):
        y = np.array([1.0, value, 3.5, 1.0, 2.0, 3.0])
        for k in (0, 1, 2):
            with np.errstate(all="ignore"):
                want = _outcome(f, y, q, k)
                got = _outcome(jitted, y, q, k)
            if isinstance(want, Exception):
                assert isinstance(got, type(want)), (value, k, want, got)
            else:
                np.testing.assert_array_equal(got, want)


def _outcome(fn, *args):
    try:
        return fn(*args)
    except (ValueError, OverflowError) as error:
        return error


def test_for_loop_after_while_loop_defines_its_variable():
    """A rolled ``for`` loop after a ``tj.while_loop`` assigns the variable read after it
    (issue 17, SciPy campaign 9001-9004: reported as an UndefinedError after the loop)."""
    def f(a2):
        v1, v2 = tj.while_loop(lambda c: c[0] < (a2 < -1).sum(), lambda c: (c[0] + 1, c[1] * 2), (0, a2 * 1.0))
        v3 = v2[:, :1]
        for i in range(4):
            v5 = np.linalg.solve(v3, v3[:, 0])
        v5 /= i
        return v5
    check(f, np.array([[1, -3, 2, -5]], np.int32))
    check(f, np.array([[0, -3, 2, -5]], np.int32))  # LinAlgError (singular) both
    check(f, np.array([[1, -3], [2, -5]], np.int32))  # LinAlgError (not square) both


def test_traced_value_written_into_numpy_result_of_constants():
    """``np.quantile(0, [.25, .5])`` has no traced argument, so NumPy computes it while
    tracing; a traced value written into it (or into an array computed from it) traces the
    function again with that call's result a traced constant (fuzz seed 9003000064 with
    ``--weight scipy=6``: ValueError 'setting an array element with a sequence')."""
    def f(a):
        v7 = np.reciprocal(np.quantile(0, [.25, .5]))
        v7[0] += a.sum()
        return v7

    def g(a):
        q = np.quantile(3, [.25, .5])
        for i in range(2):
            q[i] += a[i] + i
        return q, np.median(np.arange(4.0))

    def h(a):
        w = np.cumsum([1.0, 2.0, 3.0])
        w[1:] *= a[:2]
        return w
    with np.errstate(divide="ignore"):
        check(f, np.arange(3.0))
    check(g, np.arange(3.0))
    check(h, np.arange(3.0)[::-1])
