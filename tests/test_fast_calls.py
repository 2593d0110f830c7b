"""The fast call path of programs with temporaries, run-time checks or several results
(``runtime/fastcall.py``, ``frontend/fastresults.py``): same results, errors and safety
as the general path."""
from unittest import mock

import numpy as np
import pytest

import tracejit as tj
from tests.threaded import run_in_threads
from tracejit.runtime.fastcall import CACHED_ARENA_BYTES


def _entry(f):
    (entry,) = f._cache.values()
    return entry


def test_temporaries_from_two_threads_with_different_sizes():
    @tj.jit
    def f(x):
        return x * 2 + x.sum()

    sizes = (7, 100)
    for n in sizes:
        f(np.arange(n, dtype=np.float64))
    assert all(e.executable.arena_bytes for e in f._cache.values())  # the arena path is what runs

    def work(seed):
        rng = np.random.default_rng(seed)
        for i in range(300):
            x = rng.standard_normal(sizes[(i + seed) % 2])
            np.testing.assert_allclose(f(x), x * 2 + x.sum(), rtol=1e-12, atol=1e-12)

    assert run_in_threads(work, [(0,), (1,)]) == []


def test_reentrant_call_from_a_host_call():
    depth = [2]  # no nested call while tracing (the probe run of the host call would wait for this compile)

    def side(col):
        if depth[0] >= 2:
            return col * 3
        depth[0] += 1
        try:
            return f(col + 1)
        finally:
            depth[0] -= 1

    def ref(x, level=0):
        inner = x * 3 if level >= 2 else ref(x + 1, level + 1)
        return inner * 2 + x.sum()

    @tj.jit
    def f(x):
        return np.apply_along_axis(side, 0, x) * 2 + x.sum()

    x = np.linspace(0, 1, 9)
    np.testing.assert_allclose(f(x), ref(x, 2), rtol=1e-12)  # traced and compiled
    depth[0] = 0
    for _ in range(3):  # compiled: each level's call runs while the one above holds its arena
        np.testing.assert_allclose(f(x), ref(x), rtol=1e-12)
    assert _entry(f).executable.arena_bytes


def test_failing_check_raises_the_same_error_on_the_fast_path():
    @tj.jit
    def f(x, idx):
        return x[idx] * 2 + x.sum()

    x, idx = np.arange(10.0), np.array([1, 9, -10, 3])
    np.testing.assert_array_equal(f(x, idx), x[idx] * 2 + x.sum())
    assert f._direct is not None
    for bad in (np.array([1, 10, 2, 3]), np.array([1, -11, 2, 3])):
        with pytest.raises(IndexError) as eager:
            x[bad]
        with pytest.raises(IndexError, match="out of bounds for axis 0 with size 10") as got:
            f(x, bad)
        assert str(eager.value).split(" is out of bounds")[-1][:10] in str(got.value)
    np.testing.assert_array_equal(f(x, idx), x[idx] * 2 + x.sum())  # and the next call works
    info = f.cache_info()
    assert info.traces + info.hits == 4


def test_solve_singular_raises_via_the_fast_path():
    f = tj.jit(lambda a, b: np.linalg.solve(a, b))
    a, b = np.eye(3) * 2, np.ones((3, 2))
    np.testing.assert_allclose(f(a, b), np.linalg.solve(a, b))
    assert f._direct is not None
    with pytest.raises(np.linalg.LinAlgError, match="Singular matrix"):
        f(np.zeros((3, 3)), b)
    np.testing.assert_allclose(f(a, b), np.linalg.solve(a, b))


@pytest.mark.parametrize("dtype", [np.float32, np.int64])
def test_several_results_and_a_new_shape(dtype):
    def fn(x):
        return x + 1, x * 2, x.sum()

    f = tj.jit(fn)
    for n in (5, 5, 12, 12, 0):
        x = np.arange(n, dtype=dtype)
        got, want = f(x), fn(x)
        assert type(got) is tuple and len(got) == 3
        for g, w in zip(got, want):
            assert type(g) is type(w) and g.dtype == w.dtype and np.shape(g) == np.shape(w)
            np.testing.assert_array_equal(g, w)
        assert not np.shares_memory(got[0], got[1])
    assert f.cache_info().traces == 3


def test_results_do_not_alias_between_calls():
    f = tj.jit(lambda x: (x * 2 + x.sum(), -x))
    x = np.arange(6.0)
    first = f(x)
    kept = [a.copy() for a in first]
    second = f(x + 1)
    for a, b in zip(first, kept):
        np.testing.assert_array_equal(a, b)  # the second call wrote neither the first's results
    assert not np.shares_memory(first[0], second[0])
    strided = np.arange(12.0)[::2]  # same shape, another layout: the wrapper refuses, the general path runs
    for got, want in zip(f(strided), (strided * 2 + strided.sum(), -strided)):
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("n", [130, 300])
def test_large_arena_is_allocated_per_call(n):
    """Arenas up to the pool's smallest block are kept between calls (130: 338 KB, which
    np.empty page-faulted in on every call before); larger ones come from the pool per call."""
    f = tj.jit(lambda a: np.linalg.inv(a))
    rng = np.random.default_rng(1)
    for _ in range(3):
        a = rng.standard_normal((n, n)) + n * np.eye(n)
        np.testing.assert_allclose(f(a), np.linalg.inv(a), rtol=1e-10, atol=1e-12)
    executable = _entry(f).executable
    assert f._direct is not None
    assert (executable.arena_bytes > CACHED_ARENA_BYTES) == (n == 300)
    assert executable.arena_bytes > (1 << 18)  # (above the old limit either way)


def test_parameters_left_to_their_defaults_take_the_fast_path():
    """A call that leaves parameters to their defaults is keyed without them (bind leaves them
    to the function), so it finds its entry without binding; other arities stay apart."""
    def f(x, s=2.0, w=None):
        y = x * s
        return y if w is None else y + w
    g = tj.jit(f)
    x = np.arange(5.0)
    for args in [(x,), (x, 3.0), (x,), (x, 3.0, x), (x,), (x, 4), (x, np.float32(2.5)), (x,)]:
        got, want = g(*args), f(*args)
        assert got.dtype == want.dtype and np.array_equal(got, want), args
    assert g.cache_info().traces == 5  # (x), (x, float), (x, float, array), (x, int), (x, float32)
    g._direct = None  # (past the native direct call: the fast cache itself)
    with mock.patch("tracejit.frontend.api.bind", side_effect=AssertionError("bound")):
        np.testing.assert_array_equal(g(x), x * 2.0)
        np.testing.assert_array_equal(g(x, 3.0, x), x * 4.0)
    with pytest.raises(TypeError, match="missing a required argument"):
        g()
