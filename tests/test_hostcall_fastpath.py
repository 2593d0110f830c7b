"""The cheap call paths of host calls and of refused signatures (issue 17):

* a program with host calls takes the direct call path (no signature keying in Python),
  still raising the exception a host call stored, and keeps the GIL when it moves little data;
* the callback reuses the arrays of its last call while the buffer addresses stay, and sees
  new ones when they move;
* results are checked by a reader compiled per host call (``frontend/hostresults.py``);
* a signature tracing refused (``frontend/eagerfallback.py``) is found by its fast key,
  positional or keyword, without binding the signature.

Each checked against eager NumPy: results, side effects once per call in order, exceptions.
"""
from __future__ import annotations

import ctypes
import threading
from collections import namedtuple

import numpy as np
import pytest

import tracejit as tj
import tracejit.frontend.api as api
from tests.apicalls import counting
from tests.conftest import assert_same
from tracejit.errors import UnsupportedError
from tracejit.frontend.eagerfallback import EagerFallback
from tracejit.frontend.hostresults import ResultCheck, ResultSpec
from tracejit.frontend.tree import flatten

stats = pytest.importorskip("scipy.stats")
rng = np.random.default_rng(1717)


def ttest(a, b):
    res = stats.ttest_ind(a, b, equal_var=False)
    t = (a.mean() - b.mean()) / np.sqrt(a.var(ddof=1) / a.size + b.var(ddof=1) / b.size)
    return res.statistic, res.pvalue, t, 2 * stats.norm.sf(np.abs(t))


def test_host_calls_take_the_direct_path_with_eager_results(monkeypatch):
    f = tj.jit(ttest)
    a, b = rng.standard_normal(50), rng.standard_normal(40) + 0.2
    assert_same(f(a, b), ttest(a, b), rtol=1e-12)
    keyed = counting(monkeypatch, "positional_fast_key")
    for _ in range(3):
        a += 0.01  # the same memory, new values
        assert_same(f(a, b), ttest(a, b), rtol=1e-12)
    for a2, b2 in [(rng.standard_normal(50), rng.standard_normal(40)), (a.copy(), b.copy())]:  # memory moved
        assert_same(f(a2, b2), ttest(a2, b2), rtol=1e-12)
    assert not keyed  # every call took the direct path
    assert f.cache_info().traces == 1 and f.cache_info().hits == 5


def test_one_array_result_direct_path_and_new_shapes():
    import scipy.special as sp
    f = tj.jit(lambda x: sp.ndtr(x) * 2.0)
    for n in (10, 10, 3, 10):
        x = rng.standard_normal(n)
        assert_same(f(x), sp.ndtr(x) * 2.0, rtol=1e-14)
    assert f.cache_info().traces == 2


def test_small_programs_keep_the_gil_large_ones_release_it():
    import scipy.special as sp
    f = tj.jit(lambda x: sp.ndtr(x) + 1.0)
    small, large = np.zeros(10), np.zeros(100_000)
    f(small), f(large)
    flags = {}
    for args in ((small,), (large,)):
        entry = f._cache[api.bind(f._pysig, f._static, args, {}, f._auto_static).key]
        flags[args[0].size] = entry.executable._call._flags_ & ctypes._FUNCFLAG_PYTHONAPI
    assert flags[10] and not flags[100_000]


def test_side_effects_once_per_call_in_order_and_errors_propagate():
    log = []

    def first(r):
        log.append(("first", float(r[0])))
        if r[0] < 0:
            raise KeyError("negative row")  # (not an argument error: still the user's, not internal)
        return r.sum()

    def second(r):
        log.append(("second", float(r[0])))
        return r.max()

    def g(x):
        y = np.apply_along_axis(first, 1, x)
        z = np.apply_along_axis(second, 0, x * y[:, None])
        return y * 2, z

    f = tj.jit(g)
    x = np.arange(6.0).reshape(3, 2)
    assert_same(f(x), g(x))
    for _ in range(2):
        log.clear()
        out = f(x)
        jitted_log = list(log)
        log.clear()
        assert_same(out, g(x))
        assert jitted_log == log  # the same effects, once, in program order
    log.clear()
    with pytest.raises(KeyError) as raised:
        f(-x)
    assert any("host call" in note for note in raised.value.__notes__)
    assert log == [("first", -0.0), ("first", -2.0)]  # the later host call was skipped, as eagerly
    assert_same(f(x), g(x))  # and the next call runs normally


def test_threads_calling_host_programs_at_once():
    f = tj.jit(ttest)
    inputs = [(rng.standard_normal(30 + i), rng.standard_normal(20 + i)) for i in range(4)]
    for a, b in inputs:
        f(a, b)
    failures, start = [], threading.Barrier(4)

    def work(a, b):
        start.wait()
        for _ in range(40):
            got, want = f(a, b), ttest(a, b)
            if not all(np.allclose(g, w, rtol=1e-12) for g, w in zip(got, want)):
                failures.append((got, want))

    threads = [threading.Thread(target=work, args=ab) for ab in inputs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures


Pair = namedtuple("Pair", "lo hi")


@pytest.mark.parametrize("value", [
    (np.float64(1.0), np.arange(3.0)), [np.int64(2)], {"a": np.float32(1), "b": (np.ones(2), 3.0)},
    Pair(np.float64(0.5), np.zeros((2, 2))), np.float64(2.0)])
def test_result_reader_takes_matching_results_apart(value):
    leaves, tree = flatten(value)
    specs = [ResultSpec(np.shape(v), np.asarray(v).dtype, isinstance(v, np.generic), None) for v in leaves]
    check = ResultCheck("f", None, tree, specs, specs)
    got = check(value)
    assert len(got) == len(leaves) and all(np.array_equal(g, v) for g, v in zip(got, leaves))
    shifted = flatten(value)[0]
    assert all(np.array_equal(g, v) for g, v in zip(check(value), shifted))


def test_result_reader_refuses_other_layouts_and_casts_safely():
    leaves, tree = flatten((np.float64(1.0), np.arange(3.0)))
    specs = [ResultSpec((), np.dtype(np.float64), True, None), ResultSpec((3,), np.dtype(np.float64), False, None)]
    check = ResultCheck("lib.f", "x.py:1", tree, specs, specs)
    got = check((np.int32(4), np.arange(3, dtype=np.int16)))  # safe casts
    assert got[0].dtype == np.float64 and got[0] == 4 and got[1].dtype == np.float64
    for other in [(1.0,), [np.float64(1.0), np.arange(3.0)], (np.float64(1.0), np.arange(4.0)),
                  (np.float64(1.0), np.arange(3.0) + 1j), ((1.0, 2.0), np.arange(3.0))]:
        with pytest.raises(UnsupportedError, match="lib.f"):
            check(other)


def test_result_reader_of_scipy_bunches():
    res = stats.ttest_ind(rng.standard_normal(5), rng.standard_normal(6))
    leaves, tree = flatten(res)
    specs = [ResultSpec(np.shape(v), np.asarray(v).dtype, isinstance(v, np.generic), None)
             if isinstance(v, (np.ndarray, np.generic, float, int)) else v for v in leaves]
    results = [s for s in specs if isinstance(s, ResultSpec)]
    check = ResultCheck("scipy.stats.ttest_ind", None, tree, specs, results)
    other = stats.ttest_ind(rng.standard_normal(5), rng.standard_normal(6))
    want = [v for v, s in zip(flatten(other)[0], specs) if isinstance(s, ResultSpec)]
    assert all(np.array_equal(g, w) for g, w in zip(check(other), want))
    other._dtype = np.dtype(np.float32)  # a static attribute that differs
    with pytest.raises(UnsupportedError):
        check(other)


def refused(x, scale=2.0):
    calls.append(len(x))
    return np.arange(int(x.max()) + 1) * scale  # a shape read from the data: the whole function runs eagerly


calls: list = []


def test_refused_signatures_take_the_fast_path(monkeypatch):
    f = tj.jit(refused)
    x = np.arange(5.0)
    assert isinstance(f.lower(x), EagerFallback)
    calls.clear()
    assert_same(f(x), refused(x))
    assert_same(f(x, scale=3.0), refused(x, scale=3.0))
    bound = counting(monkeypatch, "bind")
    calls.clear()
    for k in range(3):
        y = x + k
        assert_same(f(y), refused(y))
        assert_same(f(y, scale=0.5), refused(y, scale=0.5))
        assert_same(f(y, 4.0), refused(y, 4.0))
    assert calls == [5] * 18  # once per call, jitted and eager alike
    assert len(bound) == 1  # only the first positional (x, 4.0) call bound its signature
    info = f.cache_info()
    assert info.compilations == 0 and info.entries == 2 and info.hits == 9  # (scale= and a 2nd argument: one signature)


def test_refused_signature_errors_and_keyword_edge_cases():
    f = tj.jit(refused)
    x = np.arange(4.0)
    assert_same(f(x, scale=2.0), refused(x, scale=2.0))
    with pytest.raises(TypeError):  # given twice: bind raises Python's error, as eagerly
        f(x, 2.0, scale=2.0)
    with pytest.raises(TypeError):
        f(x, bogus=1)
    bad = np.array([-np.inf])
    with pytest.raises(OverflowError) as eager:
        refused(bad)
    for _ in range(2):  # the function's own error, raised from the eager run (the 2nd: the fast path)
        with pytest.raises(eager.type, match=str(eager.value)):
            f(bad)


@pytest.mark.parametrize("axis", [None, 0, 1, (0, 1)])
def test_var_and_mean_of_one_array_share_its_sum(axis):
    def moments(x):
        return x.var(axis=axis, ddof=1), x.mean(axis=axis), x.std(axis=axis), x.var(axis=axis, keepdims=True)

    x = rng.standard_normal((40, 30))
    f = tj.jit(moments)
    assert_same(f(x), moments(x), rtol=1e-13)
    text = f.lower(x).as_text("optimized")
    assert text.count("sum[axes=") == 3  # one sum of x for all four, one of squares, one kept (keepdims) for the last


@pytest.mark.parametrize("dtype", ["float64", "float32", "int64", "int8", "uint64", "uint8", "bool", "complex128"])
def test_callback_writes_0d_results_of_every_dtype_and_fills_failures(dtype):
    from tracejit.runtime import hostcalls

    dtype = np.dtype(dtype)
    value = np.array(np.iinfo(dtype).max if dtype.kind in "iu" else True if dtype.kind == "b" else 1.5 - 2j
                     if dtype.kind == "c" else -1.25, dtype)[()]
    fail = []

    def run(ins):
        if fail:
            raise KeyError("failed")
        return [value, ins[0] * 2]

    operand = np.arange(3.0)
    results = [(), dtype], [(3,), np.dtype(np.float64)], [(), np.dtype(np.uint8)]
    callback = hostcalls.make_callback(run, [((3,), np.dtype(np.float64))], [tuple(r) for r in results])
    call = ctypes.CFUNCTYPE(ctypes.c_int32, ctypes.c_void_p)(hostcalls.callback_address(callback))
    first = [np.full((), 7, dtype), np.zeros(3), np.ones((), np.uint8)]
    for outs in (first, first, [np.full((), 7, dtype), np.zeros(3), np.ones((), np.uint8)]):
        # (the second call: the same addresses, so the arrays of the first; the third: new memory)
        table = (ctypes.c_void_p * 4)(operand.ctypes.data, *[o.ctypes.data for o in outs])
        outs[0][...] = 7
        assert call(ctypes.addressof(table)) == 0
        assert outs[0] == value and outs[0].tobytes() == np.array(value, dtype).tobytes()
        assert_same(outs[1], operand * 2)
    fail.append(1)
    with pytest.raises(KeyError):  # stored by the callback, raised after the native call
        hostcalls.run_checked(lambda _: call(ctypes.addressof(table)), [])
    assert (np.isnan(outs[0]) if dtype.kind in "fc" else outs[0] == 0) and np.isnan(outs[1]).all()


def test_refused_signature_called_from_threads_at_once():
    f = tj.jit(refused)
    inputs = [np.arange(float(n)) for n in (3, 4, 5, 6)]
    failures, start = [], threading.Barrier(len(inputs))

    def work(x):
        start.wait()
        for k in range(50):
            kw = {"scale": 0.5} if k % 2 else {}
            if not np.array_equal(f(x + k % 3, **kw), refused(x + k % 3, **kw)):
                failures.append(x)

    threads = [threading.Thread(target=work, args=(x,)) for x in inputs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures and f.cache_info().compilations == 0
