"""The positional fast path of calls with nested (dict) arguments: nothing re-installed per call,
and switching between nested and all-array calls keeps each one's results right."""
from __future__ import annotations

import numpy as np

import tracejit as tj
from tracejit.frontend.api import JitFunction


def test_dict_calls_do_not_reinstall(monkeypatch):
    installs = []
    original = JitFunction._install
    monkeypatch.setattr(JitFunction, "_install", lambda self, entry, args: (installs.append(entry),
                                                                            original(self, entry, args))[1])

    def f(p, x):
        return {k: a * x for k, a in p.items()}, x.sum()

    jf = tj.jit(f)
    p = {"a": np.arange(4.0), "b": np.ones(3)}
    x = np.asarray(2.0)
    jf(p, x)
    before = len(installs)
    for _ in range(5):
        got, s = jf(p, x)
        np.testing.assert_array_equal(got["a"], p["a"] * 2)
        assert s == 2.0
    assert len(installs) == before  # (each call installed the absent direct call again)


def test_switching_between_array_and_nested_calls():
    def g(a, b):
        return a + b

    jg = tj.jit(g)
    a, b = np.arange(3.0), np.ones(3)
    nested = {"u": np.arange(3.0)}
    for _ in range(3):
        np.testing.assert_array_equal(jg(a, b), a + b)  # the direct call of the all-array signature

    def h(p, q):
        return {k: p[k] * q[k] for k in p} if isinstance(p, dict) else p * q

    jh = tj.jit(h)
    for _ in range(3):
        np.testing.assert_array_equal(jh(nested, {"u": b})["u"], nested["u"] * b)
        np.testing.assert_array_equal(jh(a, b), a * b)  # arrays: the direct call installed
        np.testing.assert_array_equal(jh(nested, {"u": b})["u"], nested["u"] * b)  # and dropped again
