"""Regressions found in session 11 by random differential testing and hand-written probes:
each case once differed from NumPy eager (a wrong value, a wrong type of result, a crash or
an unclear error)."""
from __future__ import annotations

import numpy as np
import pytest

import tracejit as tj


def _eager_and_jit(f, *args):
    return f(*args), tj.jit(f)(*args)


def test_a_python_float_carried_through_a_loop_of_a_traced_trip_count():
    """Fuzz seed 1011000000890: ``s = 0.0`` then ``s = s + x[i]`` over ``range(int((x > 0).sum()))``
    with float32 ``x``: with no step eagerly ``s`` stays a Python float, after one a float32. The
    peeled first step merged the two as float32 (0 steps: np.float32(0.0) where eager gives
    0.0; ``s * 1e-300`` after the loop would even differ in value). The type depends on the
    data: refused, naming the line (and run eagerly by the default fallback)."""
    def f(x):
        s = 0.0
        for i in range(int((x > 0).sum())):
            s = s + x[i]
        return s, s * 1e-30

    for x in (np.array([-1.0], np.float32), np.array([1.0, -2.0, 3.0], np.float32)):
        want, got = _eager_and_jit(f, x)
        assert [type(v) for v in got] == [type(v) for v in want] and got == want
    line = f.__code__.co_firstlineno + 2
    with pytest.raises(tj.UnsupportedError, match=rf"'s' is float32\[\] after one branch of the `for` loop at line "
                                                   rf"{line}.*a Python float.*either, depending on the data"):
        tj.jit(f, fallback=False)(np.array([1.0], np.float32))


@pytest.mark.parametrize("init, dtype", [(0.0, np.float32), (0, np.float64), (0, np.float32), (0, np.int32)])
def test_a_python_number_and_another_dtype_on_two_paths_is_refused(init, dtype):
    """A traced ``if`` and a ``while`` whose first step may not run: a Python number on one path,
    a NumPy value of another dtype than NumPy gives that number on the other (eagerly either)."""
    def branch(x):
        s = init
        if x.sum() > 0:
            s = x[0]
        return s

    def loop(x):
        s = init
        while s < x.sum() and s > -3:
            s = s + x[1]
        return s

    for f in (branch, loop):
        for x in (np.array([-1, 2], dtype), np.array([-1, -2], dtype)):
            want, got = _eager_and_jit(f, x)
            assert type(got) is type(want) and got == want
        with pytest.raises(tj.UnsupportedError, match="either, depending on the data"):
            tj.jit(f, fallback=False)(np.array([-1, 2], dtype))


@pytest.mark.parametrize("init, dtype", [(0.0, np.float64), (0, np.int64)])
def test_a_python_number_and_its_own_dtype_on_two_paths_still_compiles(init, dtype):
    """A Python float against float64, an int against int64: one dtype whichever path runs
    (a NumPy scalar where eager may give the Python number: the documented difference)."""
    def f(x):
        s = init
        for i in range(int((x > 0).sum())):
            s = s + x[i]
        if x[0] > 1:
            s = s * 2
        return s

    g = tj.jit(f, fallback=False)
    for x in (np.array([-1, 2], dtype), np.array([3, 2], dtype)):
        got, want = g(x), f(x)
        assert got == want and np.asarray(got).dtype == np.asarray(want).dtype


def test_a_numpy_scalar_a_loop_body_makes_a_0d_array():
    """Fuzz seed 1111001000265: ``v = np.min(a, keepdims=True)`` of a 0-d ``a`` (a NumPy scalar),
    then ``v = np.asarray(np.kron(v, v))`` three times: eagerly a 0-d array; the rolled loop
    returned a NumPy scalar (its result took the initial value's kind; only shapes and dtypes
    were compared). A body changing that kind now runs its first step before the loop, as for
    a dtype; with a traced trip count the kind depends on the data: refused, naming the line."""
    def fuzz(a1):
        v3 = np.min(a1, axis=None, keepdims=True)
        for i4 in range(3):
            v3 = np.asarray(np.kron(v3, v3))
        return v3,

    def back(x):  # a 0-d array the body makes a NumPy scalar
        v = np.asarray(x.sum())
        for i in range(3):
            v = v + x[i]
        return v

    def outer(x):
        v = x.sum()
        for i in range(x.shape[0]):
            v = np.asarray(np.multiply.outer(v, v) * 0.5)
        return v

    def traced_count(x):
        v = np.asarray(x.sum())
        for i in range(int((x > 0).sum())):
            v = v + x[i]
        return v

    for f, args in ((fuzz, (np.array(0.5),)), (back, (np.arange(4.0),)), (outer, (np.arange(4.0),)),
                    (traced_count, (np.arange(4.0),)), (traced_count, (-np.arange(4.0),))):
        want, got = _eager_and_jit(f, *args)
        assert type(got) is type(want) and np.all(np.asarray(got) == np.asarray(want)), f.__name__
        if isinstance(want, tuple):
            assert [type(v) for v in got] == [type(v) for v in want]
    with pytest.raises(tj.UnsupportedError,
                       match=r"'v' is a NumPy scalar after one branch of the `for` loop at line .* a 0-d array after"):
        tj.jit(traced_count, fallback=False)(np.arange(4.0))


def test_tracejits_own_loops_may_mix_scalars_and_0d_arrays():
    """A first version of the kind check above sat in ``tj.while_loop``: it refused tracejit's own
    loops too (a dot product of slices at data-dependent bounds sums by a loop carrying
    ``np.full((), 0)``), 27 of 1402 fuzz programs of seed 1111002. Only user variables are checked."""
    def f(x, y, q):
        n = x.shape[0]
        s1 = 0.0
        for i2 in range(n - 1):
            lo3 = int(q[i2]) % (n + 1)
            hi4 = lo3 + abs(int(q[i2 + 1])) % 3
            s1 = s1 + y[lo3:hi4] @ x[lo3:hi4]
        return s1

    x, y, q = np.arange(6.0), np.ones(6), np.array([1, 3, 2, 5, 0, 4])
    got = tj.jit(f, fallback=False)(x, y, q)
    assert got == f(x, y, q) and np.asarray(got).dtype == np.float64


def test_a_name_first_assigned_in_a_rolled_loop_then_augmented_after_it():
    """Fuzz seed 1111003000908: ``for i in range(1): v = a @ a.T`` then ``v -= 1`` after the loop.
    ``v -= 1`` reads ``v``, but the check of names read after a rolled loop (whose last step then
    runs after it) looked only at loads: UndefinedError inside tracejit, where eager runs."""
    def f(a1):
        for i0 in range(1):
            v1 = a1 @ (a1.T)
        v1 -= 1
        v2 = i0
        return v2,

    a = np.arange(6.0).reshape(2, 3)
    want, got = _eager_and_jit(f, a)
    assert got == want


def test_the_inf_norm_of_an_empty_vector_is_zero():
    """Fuzz seed 1111003001095: ``np.linalg.norm(x, np.inf)`` of an empty vector is 0.0 in
    NumPy (``max(..., initial=0)``); tracejit raised ValueError (a max of nothing). The
    -inf norm raises in both."""
    x = np.zeros(0)
    want, got = _eager_and_jit(lambda x: np.linalg.norm(x, np.inf), x)
    assert got == want == 0.0
    with pytest.raises(ValueError):
        tj.jit(lambda x: np.linalg.norm(x, -np.inf))(x)
    y = np.array([-3.0, 1.0, np.nan])
    for ordinal in (np.inf, -np.inf):
        want, got = _eager_and_jit(lambda x: np.linalg.norm(x, ordinal), y)
        assert np.isnan(got) and np.isnan(want)
