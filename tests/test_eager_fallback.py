"""Whole-function eager fallback (frontend/eagerfallback.py): a signature tracejit refuses runs
the original function with NumPy, exactly as eager; ``fallback=False`` raises the refusal."""
from __future__ import annotations

import logging
import threading

import numpy as np
import pytest

import tracejit as tj
from tracejit.errors import InternalError, TraceError
from tracejit.frontend.eagerfallback import EagerFallback, is_refusal


def roots_doubled(p):
    r = np.roots(p)  # a host call whose result's shape depends on the values
    return r * 2


def counts(x):
    return np.arange(x.max() + 1) * 2.0  # a shape from the data


def eig_used(a):
    w, v = np.linalg.eig(a)  # complex or real: decided by the values
    return w * 2 + v.sum()


@pytest.mark.parametrize("f, arg", [(roots_doubled, np.array([1.0, -3.0, 2.0])),
                                    (counts, np.array([3, 1])),
                                    (eig_used, np.array([[1.0, 2.0], [3.0, 4.0]]))])
def test_refused_function_runs_eagerly_and_is_cached(f, arg):
    jitted = tj.jit(f)
    got, want = jitted(arg), f(arg)
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_array_equal(got, want)
    other = arg[::-1].copy()  # the same signature: no trace again, the eager function called
    np.testing.assert_array_equal(jitted(other), f(other))
    info = jitted.cache_info()
    assert (info.compilations, info.entries, info.hits) == (0, 1, 1)
    with pytest.raises((tj.UnsupportedError, tj.TracerConversionError)):
        tj.jit(f, fallback=False)(arg)


def test_lower_reports_the_refusal_and_its_line():
    lowered = tj.jit(roots_doubled).lower(np.array([1.0, -3.0, 2.0]))
    assert isinstance(lowered, EagerFallback)
    (name, loc, why), = lowered.fallbacks
    assert "roots_doubled" in name and "whole function" in name
    assert loc.endswith(f"test_eager_fallback.py:{roots_doubled.__code__.co_firstlineno + 2}")
    assert why.startswith("UnsupportedError: numpy.multiply: the result of numpy.roots")
    assert "runs eagerly" in lowered.as_text() and loc in lowered.as_text("llvm")
    jitted = tj.jit(roots_doubled)
    jitted(np.array([1.0, -3.0, 2.0]))
    assert jitted.lower(np.array([1.0, -4.0, 3.0])).fallbacks == lowered.fallbacks  # the cached decision


def test_logged_once_per_function(caplog, monkeypatch):
    monkeypatch.setattr(tj.config, "log", frozenset({"fallbacks"}))

    def once(x):
        return np.arange(x.max() + 1) + 1
    jitted = tj.jit(once)
    with caplog.at_level(logging.INFO, logger="tracejit"):
        jitted(np.array([2]))
        jitted(np.array([2.0]))  # a second refused signature: not logged again
    logged = [r.getMessage() for r in caplog.records if "whole-function fallback" in r.getMessage()]
    assert len(logged) == 1 and "once runs eagerly" in logged[0] and "TracerConversionError" in logged[0]


def test_user_errors_are_not_retried():
    calls = []

    def bad(x):
        calls.append(1)
        return x.reshape(4, 4)  # ValueError while tracing, as eager raises it

    with pytest.raises(ValueError, match="reshape"):
        tj.jit(bad)(np.ones(3))
    assert len(calls) == 1  # traced once; not run again eagerly

    def singular(a):
        calls.append(2)
        return np.linalg.inv(a) + 1
    with pytest.raises(np.linalg.LinAlgError):
        tj.jit(singular)(np.zeros((2, 2)))
    assert calls.count(2) == 1

    def asserts(x):
        assert x.shape[0] == 2, "two rows"
        return x
    with pytest.raises(AssertionError, match="two rows"):
        tj.jit(asserts)(np.ones(3))
    assert not is_refusal(InternalError("bug")) and not is_refusal(TraceError("leak"))


def test_a_refused_function_raising_raises_what_eager_raises():
    f = tj.jit(lambda p, q: np.roots(p) + q)
    with pytest.raises(ValueError, match="broadcast"):  # the eager error, the refusal not shown
        f(np.array([1.0, -3.0, 2.0]), np.ones(3))


def test_random_streams_are_exactly_eagers():
    def noisy(x, rng):
        noise = rng.normal(size=x.shape) + np.random.rand(x.shape[0])  # traced before the refusal
        r = np.roots(x)  # refused below: the whole function runs eagerly
        return r * rng.normal(size=r.shape) + np.random.rand() + noise.sum()

    p = np.array([1.0, -3.0, 2.0])
    results = []
    for run in (tj.jit(noisy), noisy):
        np.random.seed(5)
        rng = np.random.default_rng(7)
        results.append((run(p, rng), run(p, rng), rng.random(), np.random.rand()))
    for got, want in zip(*results):
        np.testing.assert_array_equal(got, want)


def test_static_arguments_pytrees_methods_and_disable_jit(monkeypatch):
    def f(tree, k):
        r = np.roots(tree["p"]) * k
        return {"r": r, "n": len(r)}

    jitted = tj.jit(f, static_argnums=1)
    tree = {"p": np.array([1.0, -3.0, 2.0])}
    got = jitted(tree, 3)
    np.testing.assert_array_equal(got["r"], f(tree, 3)["r"])
    assert got["n"] == 2 and jitted.cache_info().entries == 1
    jitted(tree, 4)  # a new static value: a new signature (refused again)
    assert jitted.cache_info().entries == 2

    class Poly:
        scale = 2.0

        @tj.jit
        def doubled(self, p):
            return np.roots(p) * self.scale
    np.testing.assert_array_equal(Poly().doubled(tree["p"]), np.roots(tree["p"]) * 2.0)

    jitted = tj.jit(roots_doubled)
    monkeypatch.setattr(tj.config, "disable_jit", True)
    np.testing.assert_array_equal(jitted(tree["p"]), roots_doubled(tree["p"]))
    assert jitted.cache_info().entries == 0


def test_nested_jitted_function_that_falls_back():
    inner = tj.jit(roots_doubled)

    @tj.jit
    def outer(p, y):
        return inner(p).sum() + y * 2  # inlined; the outer function is refused and runs eagerly

    p, y = np.array([1.0, -3.0, 2.0]), np.arange(3.0)
    np.testing.assert_array_equal(outer(p, y), roots_doubled(p).sum() + y * 2)
    assert outer.cache_info().compilations == 0 and inner.cache_info().entries == 1


def test_threads_calling_a_new_refused_signature():
    jitted = tj.jit(roots_doubled)
    p = np.array([1.0, -3.0, 2.0])
    results, barrier = [None] * 4, threading.Barrier(4)

    def call(i):
        barrier.wait()
        results[i] = jitted(p)
    threads = [threading.Thread(target=call, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for r in results:
        np.testing.assert_array_equal(r, roots_doubled(p))
    info = jitted.cache_info()
    assert (info.entries, info.compilations, info.hits) == (1, 0, 3)
