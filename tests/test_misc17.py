"""Issue 17 (misc): native ``np.vander``, nested calls of a function being compiled,
``ufunc.at``/``np.put`` into arguments."""
from __future__ import annotations

import threading

import numpy as np
import pytest

import tracejit as tj
from tracejit.errors import UnsupportedError


def _same(got: object, want: object) -> None:
    got, want = np.asarray(got), np.asarray(want)
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_array_equal(got, want)


def _vander(x, N, increasing):
    return np.vander(x, N, increasing)


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int32, np.uint8, np.bool_])
def test_vander_matches_numpy_bit_for_bit(dtype):
    f = tj.jit(_vander, fallback=False)
    rng = np.random.default_rng(1)
    for n, N, inc in [(7, 5, False), (7, 5, True), (3, 1, False), (0, 4, True), (4, 0, False), (6, 2, True)]:
        x = (rng.standard_normal(n) * 3).astype(dtype)
        _same(f(x, N, inc), _vander(x, N, inc))


def test_vander_default_n_new_shape_and_strided():
    def g(x):
        return np.vander(x) + 0
    f = tj.jit(g, fallback=False)
    for x in [np.linspace(-2, 3, 9), np.linspace(-1, 1, 4)[::-1], np.arange(10.0)[::3], np.zeros(0)]:
        _same(f(x), g(x))


def test_vander_errors():
    def g(x):
        return np.vander(x, 3)
    with pytest.raises(ValueError, match="one-dimensional"):
        tj.jit(g, fallback=False)(np.ones((2, 2)))
    with pytest.raises(UnsupportedError):
        tj.jit(g, fallback=False)(np.ones(3, complex))


def _in_thread(fn, timeout: float = 120.0):
    """``fn()`` run in a daemon thread; fails (instead of hanging the suite) if it does not finish."""
    box = {}

    def target():
        try:
            box["value"] = fn()
        except BaseException as error:  # re-raised in the test's thread
            box["error"] = error
    t = threading.Thread(target=target, daemon=True)
    t.start()
    t.join(timeout)
    assert not t.is_alive(), "the call hangs"
    if "error" in box:
        raise box["error"]
    return box["value"]


def test_host_call_calling_the_function_being_compiled_does_not_hang():
    def f(x):  # rows: another signature of the same function, compiled while this one is traced
        return np.apply_along_axis(lambda r: g(r), 1, x) * 2 if x.ndim == 2 else np.cumsum(x) + 1
    g = tj.jit(f)
    x = np.arange(12.0).reshape(3, 4)
    _same(_in_thread(lambda: g(x)), f(x))
    _same(g(x[1]), f(x[1]))


def test_host_call_calling_the_same_signature_runs_it_eagerly():
    def f(x):  # the placeholder run of the host call calls g with the signature being traced
        return np.apply_along_axis(lambda r: g(r - 1) if r.max() > 0 else r, 0, x) + 1
    g = tj.jit(f)
    for x in [np.array([3.0, 1.0, 2.5]), np.array([-1.0, 0.5, 0.0])]:
        _same(_in_thread(lambda: g(x)), f(x))
    assert g.cache_info().traces == 1


def test_threads_wait_for_one_compile():
    def h(x):
        return np.cumsum(x) * 2
    jh = tj.jit(h)
    x = np.arange(5.0)
    results = []
    threads = [threading.Thread(target=lambda: results.append(jh(x)), daemon=True) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert len(results) == 3 and all(np.array_equal(r, h(x)) for r in results)
    assert jh.cache_info().traces == 1


def _add_at(x, idx, v):
    np.add.at(x, idx, v)


def _put(x, idx, v):
    np.put(x, idx, v)


def _setitem(x, idx, v):
    x[idx] = v


@pytest.mark.parametrize("fn", [_add_at, _put, _setitem])
def test_index_writes_into_arguments(fn):
    f = tj.jit(fn)
    rng = np.random.default_rng(2)
    for n, m, idt in [(50, 12, np.int64), (9, 4, np.int32), (30, 0, np.int64)]:
        x = rng.standard_normal(n)
        idx = rng.integers(-n, n, m).astype(idt)
        v = rng.standard_normal(m)
        want, got = x.copy(), x.copy()
        assert fn(want, idx, v) is None and f(got, idx, v) is None
        _same(got, want)


@pytest.mark.parametrize("fn", [_add_at, _setitem])
def test_index_writes_out_of_range_leave_the_argument(fn):
    f = tj.jit(fn)
    x = np.arange(6.0)
    f(x, np.array([1, 2]), np.array([1.0, 1.0]))  # compiled: later calls reuse it
    for bad in [np.array([1, 6, 2]), np.array([0, -7])]:
        want, got = x.copy(), x.copy()
        with pytest.raises(IndexError):
            fn(want, bad, np.ones(bad.size))
        with pytest.raises(IndexError, match="out of bounds"):
            f(got, bad, np.ones(bad.size))
        _same(got, want)  # untouched, as NumPy leaves it
