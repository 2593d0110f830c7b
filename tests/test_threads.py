"""Parallel loops: correct against eager, deterministic across thread counts,
safe under concurrent callers; small kernels stay serial."""
from __future__ import annotations

import os
import subprocess
import sys
import threading

import numpy as np
import pytest

import tracejit as tj
from tests.conftest import assert_same


@pytest.fixture
def many_threads(monkeypatch):
    """Schedule as if the machine had 4 threads (kernels then take the parallel path)."""
    monkeypatch.setattr(tj.config, "num_threads", 4)


def _callers_agree(f, cases: list, expected: list, callers: int, calls: int, **tol) -> bool:
    """``callers`` Python threads each make ``calls`` calls of ``f``, cycling through
    ``cases``; True when every result matched its expected value."""
    errors = []

    def work(i):
        for k in range(calls):
            j = (i + k) % len(cases)
            if not np.allclose(f(*cases[j]), expected[j], **tol):
                errors.append((i, k))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(callers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return not errors


def test_parallel_kernels_match_eager(many_threads):
    rng = np.random.default_rng(30)
    x = rng.standard_normal((1000, 700)).astype(np.float32)
    w = rng.standard_normal((700, 300)).astype(np.float32)
    v = rng.standard_normal(3 * 10**6)

    def f(x, w, v):
        return (np.exp(x) * 2 + x, x.sum(axis=1), x.max(axis=0), (x * x).sum(axis=0), x @ w,
                v.sum(), np.abs(v).max(), (v > 0).any(), v.argmax(), v.mean())

    jf = tj.jit(f)
    low = jf.lower(x, w, v)
    assert sum(1 for k in low.kernels if k.parallel_grain) >= 6, low.as_text("kernels")
    assert_same(jf(x, w, v), f(x, w, v), rtol=2e-5, atol=1e-3)


def test_reductions_identical_across_thread_counts():
    code = ("import numpy as np, tracejit as tj\n"
            "x = np.random.default_rng(31).standard_normal(5 * 10**6).astype(np.float32)\n"
            "m = x.reshape(5000, 1000)\n"
            "f = tj.jit(lambda x, m: (x.sum(), (x * x).sum(), m.sum(axis=0), m.mean(axis=1)))\n"
            "print(b''.join(np.asarray(r).tobytes() for r in f(x, m)).hex())\n")
    outs = set()
    for threads in ("1", "2", "3"):
        env = {**os.environ, "TRACEJIT_NUM_THREADS": threads}
        res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
        assert res.returncode == 0, res.stderr
        outs.add(res.stdout)
    assert len(outs) == 1


def test_concurrent_callers_with_mixed_shapes(many_threads):
    f = tj.jit(lambda a, b: (np.tanh(a) + b).sum(axis=-1))
    shapes = [(300, 2000), (1000, 1000), (7, 150000)]
    inputs = [(np.full(s, 0.5, np.float32), np.full(s[-1:], 1.0, np.float32)) for s in shapes]
    expected = [np.tanh(a).sum(axis=-1) + b.sum() for a, b in inputs]
    assert _callers_agree(f, inputs, expected, callers=8, calls=10, rtol=1e-4)
    info = f.cache_info()  # each signature traced once; its code compiled or reused once
    assert info.traces == 3 and info.compilations + info.reused == 3


def test_concurrent_callers_of_matrix_products(many_threads):
    """Each call packs B into its own temporaries: concurrent products never mix."""
    rng = np.random.default_rng(32)
    f = tj.jit(lambda a, b: np.maximum(a @ b + 1.0, 0.0))
    pairs = [(rng.standard_normal((130, 300)).astype(np.float32), rng.standard_normal((300, 200)).astype(np.float32))
             for _ in range(4)]
    expected = [np.maximum(a @ b + 1.0, 0.0) for a, b in pairs]
    assert _callers_agree(f, pairs, expected, callers=6, calls=8, rtol=1e-4, atol=1e-3)


def test_small_kernels_stay_serial(many_threads):
    low = tj.jit(lambda a: np.exp(a) + 1).lower(np.ones(1000, np.float32))
    assert all(k.parallel_grain == 0 for k in low.kernels)


def test_single_thread_setting_compiles_no_parallel_loops(monkeypatch):
    monkeypatch.setattr(tj.config, "num_threads", 1)
    low = tj.jit(lambda a: np.exp(a) + 1).lower(np.ones(10**7, np.float32))
    assert all(k.parallel_grain == 0 for k in low.kernels)
    assert "parallel" not in low.as_text("kernels")


def test_programs_park_the_pool_on_return(many_threads):
    """A program that ran parallel kernels returns with the pool parked (idle workers sleep
    instead of spinning on the cores the caller's next NumPy/BLAS call needs), as does one
    with a LAPACK call (parked before it); the next task wakes the workers again."""
    from tracejit.runtime import threads

    rng = np.random.default_rng(33)
    v = rng.standard_normal(2 * 10**6)
    a = rng.standard_normal((40, 40)) + 40 * np.eye(40)

    def f(v):
        return np.sqrt(v * v + 1.0) * 2

    def g(v, a):
        return np.linalg.solve(a, a[0]).sum() + np.sqrt(v * v + 1.0).sum()

    jf, jg = tj.jit(f), tj.jit(g)
    assert sum(1 for k in jf.lower(v).kernels if k.parallel_grain) >= 1
    for _ in range(2):
        assert_same(jf(v), f(v))
        assert threads.pool().parked()
        assert_same(jg(v, a), g(v, a), rtol=1e-10)
        assert threads.pool().parked()
