"""The public API: decorator forms, caching, eager mode, inspection, argument handling."""
from __future__ import annotations

import logging
import subprocess
import sys
import threading
import warnings

import numpy as np
import pytest

import tracejit as tj
from tests.conftest import assert_same


def test_decorator_forms_and_wrapping():
    @tj.jit
    def f(x):
        """doc"""
        return x + 1

    @tj.jit(static_argnames=("n",))
    def g(x, n):
        return x * n

    x = np.arange(3.0)
    assert_same(f(x), x + 1)
    assert_same(g(x, 3), x * 3)
    assert f.__doc__ == "doc" and f.__name__ == "f" and f.__wrapped__ is f.fun
    assert_same(f.eager(x), x + 1)
    with pytest.raises(ValueError, match="not parameters"):
        tj.jit(lambda x: x, static_argnames="y")


def test_cache_per_signature():
    f = tj.jit(lambda x, y: x * y)
    a32, a64 = np.ones(4, np.float32), np.ones(4)
    f(a32, a32)
    f(a32, a32)
    f(a64, a32)
    f(np.ones(5, np.float32), np.ones(5, np.float32))
    info = f.cache_info()
    # a new length retraces but runs the code compiled for length 4 (sizes are parameters); a
    # signature's code may also come from this process's module cache (an earlier test, in the
    # same worker, compiled the same structure): compiled or reused, three programs, once each
    assert (info.traces, info.hits, info.entries) == (3, 1, 3)
    assert info.compilations <= 2 and info.reused >= 1 and info.compilations + info.reused == 3
    f(a32[::-1], a32)  # layout is part of the signature
    assert f.cache_info().traces == 4


def test_static_arguments_and_python_scalars():
    @tj.jit(static_argnums=1)
    def f(x, axis, scale=2.0):
        return x.sum(axis=axis) * scale

    x = np.arange(12.0).reshape(3, 4)
    assert_same(f(x, 0), x.sum(axis=0) * 2.0)
    assert_same(f(x, 1, scale=3), x.sum(axis=1) * 3)
    assert f.cache_info().traces == 2
    with pytest.raises(TypeError, match="must be hashable"):
        f(x, [0])


def test_weak_python_scalars_keep_float32():
    f = tj.jit(lambda x: (x * 2.5, x + 1, x > 0.1, np.where(x > 0, x, 0.0), x / 3))
    x = np.linspace(-1, 1, 5, dtype=np.float32)
    out = f(x)
    assert_same(out, f.eager(x))
    assert all(o.dtype in (np.float32, np.bool_) for o in out)
    i = np.arange(5, dtype=np.int8)
    with pytest.raises(OverflowError):
        tj.jit(lambda v: v + 1000)(i)


def test_pytrees_in_and_out():
    @tj.jit
    def f(params, xs, *, scale):
        w, b = params["w"], params["b"]
        return {"y": [x @ w + b for x in xs], "n": len(xs), "tag": "ok"}, scale

    params = {"w": np.eye(3), "b": np.ones(3)}
    xs = (np.ones((2, 3)), np.full((4, 3), 2.0))
    out = f(params, xs, scale=0.5)
    assert_same(out, f.eager(params, xs, scale=0.5))


def test_zero_d_results_follow_numpy():
    f = tj.jit(lambda x: (x.sum(), x[0], x.reshape(1, 3)[0, 1:2], np.float64(2.0) * x.max(), x.mean(keepdims=True)))
    x = np.arange(3.0)
    out, ref = f(x), f.eager(x)
    assert_same(out, ref)
    assert [type(o) for o in out] == [type(r) for r in ref]


def test_outputs_are_fresh_arrays():
    x = np.arange(6.0)
    f = tj.jit(lambda x: (x, x.reshape(2, 3), x.T))
    out = f(x)
    for o in out:
        assert not np.shares_memory(o, x)
    r1 = tj.jit(lambda x: x * 2)(x)
    g = tj.jit(lambda x: x + 1)
    big = np.ones(1 << 19)  # large enough for pooled output memory
    a, b = g(big), g(big * 2)
    assert not np.shares_memory(a, b) and a[0] == 2 and b[0] == 3
    del a
    c = g(big * 3)
    assert b[0] == 3 and c[0] == 4 and r1[1] == 2


def test_results_survive_views_of_pooled_outputs():
    g = tj.jit(lambda x: x + 1)
    big = np.zeros(1 << 19)
    view = g(big)[::2]  # only a view of the result is kept
    for k in range(3):
        g(big + k)
    assert (view == 1).all()


def test_captured_arrays_are_constants():
    table = np.arange(5.0)

    @tj.jit
    def f(x):
        return x * table + np.zeros(5) + np.arange(5)

    x = np.ones(5)
    assert_same(f(x), x * table + np.arange(5))


def test_creation_functions():
    @tj.jit
    def f(x):
        return (np.zeros_like(x), np.ones_like(x, dtype=np.int32), np.full_like(x, 7), np.full_like(x, x[0]),
                np.zeros(3) + x[:3], np.ones((2, 3), np.float32) * x[:3], np.arange(4) * x[0], np.full((2,), 2.5),
                np.empty_like(x).shape, np.zeros_like(x, shape=(2, 2)))

    x = np.arange(1.0, 6.0)
    assert_same(f(x), f.eager(x))


def test_lower_stages_and_dot():
    f = tj.jit(lambda a, b: np.exp(a) * b + 1)
    a = np.ones((4, 8), np.float32)
    low = f.lower(a, a)
    assert f.cache_info().traces == 0  # lower does not populate the call cache
    graph = low.as_text("graph")
    assert "exp %0" in graph and "test_api.py" in graph
    assert "[k0]" in low.as_text("optimized")
    assert "kernel k0" in low.as_text("kernels")
    assert "== after fusion" in low.as_text("passes")
    assert "define void" in low.as_text("llvm")
    assert "<" in low.as_text("llvm-opt") and "x float>" in low.as_text("llvm-opt")
    assert "ret" in low.as_text("asm")
    assert low.to_dot("optimized").startswith("digraph") and "cluster_k0" in low.to_dot()
    assert "digraph" in low.to_dot("graph")
    mem = low.memory()
    assert mem["inputs"] == 2 * a.nbytes and mem["outputs"] == a.nbytes
    with pytest.raises(ValueError, match="unknown stage"):
        low.as_text("bogus")


def test_disable_jit_env_runs_eagerly():
    code = ("import numpy as np, tracejit as tj\n"
            "f = tj.jit(lambda x: x.tolist())\n"  # tolist works only eagerly
            "print(f(np.arange(3)))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**__import__("os").environ, "TRACEJIT_DISABLE_JIT": "1"})
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[0, 1, 2]"


def test_disable_jit_config(monkeypatch):
    monkeypatch.setattr(tj.config, "disable_jit", True)
    f = tj.jit(lambda x: x + 1)
    f(np.ones(2))
    assert f.cache_info().traces == 0


def test_retrace_log(caplog, monkeypatch):
    monkeypatch.setattr(tj.config, "log", frozenset({"retrace"}))
    f = tj.jit(lambda x, n: x * n, static_argnames="n")
    with caplog.at_level(logging.INFO, logger="tracejit"):
        f(np.ones(3, np.float32), n=2)
        f(np.ones(4, np.float32), n=2)
        f(np.ones(4, np.float32), n=3)
    messages = [r.getMessage() for r in caplog.records]
    assert any("x: <f4[3] -> <f4[4]" in m for m in messages), messages
    assert any("n: static 2 -> static 3" in m for m in messages), messages


def test_methods_and_nested_jit():
    class Model:
        def __init__(self):
            self.k = 3.0

        def __hash__(self):
            return 1

        @tj.jit
        def apply(self, x):
            return inner(x) * self.k

    @tj.jit
    def inner(x):
        return x + 1

    x = np.arange(3.0)
    assert_same(Model().apply(x), (x + 1) * 3.0)


def test_threads_share_one_compilation():
    f = tj.jit(lambda x: np.sqrt(x) + 1)
    xs = [np.full(1000, float(i)) for i in range(8)]
    results = [None] * 8

    def work(i):
        for _ in range(20):
            results[i] = f(xs[i])

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for i in range(8):
        assert_same(results[i], np.sqrt(xs[i]) + 1)
    assert f.cache_info().compilations == 1


def test_inplace_on_local_values_and_arguments():
    @tj.jit
    def ok(x, b):
        h = x @ x.T
        h += b
        h *= 2
        return h

    x, b = np.arange(6.0).reshape(2, 3), np.ones(2)
    assert_same(ok(x, b), ok.eager(x, b))
    y = np.ones(3)
    tj.jit(lambda x: x.__iadd__(1))(y)  # the caller's array is updated, as in eager
    assert_same(y, np.full(3, 2.0))

    def setitem(x):
        y = x + 1
        y[0] = 5
        return y
    assert_same(tj.jit(setitem)(np.ones(3)), np.array([5.0, 2.0, 2.0]))


def test_nan_static_argument_is_cached():
    f = tj.jit(lambda x, fill: np.where(x > 0, x, fill))
    x = np.array([-1.0, 2.0])
    for _ in range(3):
        out = f(x, float("nan"))
    assert np.isnan(out[0]) and out[1] == 2.0
    assert f.cache_info().traces == 1


def test_fastmath_is_opt_in():
    x = np.random.default_rng(50).random(10**6, dtype=np.float32)
    plain = tj.jit(lambda v: (v * 2.0 + 1.0).sum())
    fast = tj.jit(lambda v: (v * 2.0 + 1.0).sum(), fastmath=True)
    assert "reassoc" not in plain.lower(x).as_text("llvm")
    assert "fmul reassoc contract" in fast.lower(x).as_text("llvm")
    assert "pairwise" in plain.lower(x).as_text("kernels") and "pairwise" not in fast.lower(x).as_text("kernels")
    exact = (x.astype(np.float64) * 2 + 1).sum()
    assert abs(float(fast(x)) - exact) / exact < 1e-5
    assert abs(float(plain(x)) - exact) / exact < 1e-6
    with_nan = x.copy()
    with_nan[7] = np.nan
    assert np.isnan(fast(with_nan))  # NaN semantics are kept


def test_many_retraces_warn_once_with_the_fix():
    f = tj.jit(lambda x, scale: x * scale, static_argnames="scale")
    x = np.ones(4, np.float32)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for i in range(12):
            f(x, float(i))  # a static value: every value retraces
    retrace = [w for w in caught if "traced 9 times" in str(w.message)]
    assert len(retrace) == 1, [str(w.message) for w in caught]
    text = str(retrace[0].message)
    assert "scale: static 7.0 -> static 8.0" in text and "static_argnames" in text
    assert f.cache_info().traces == 12
