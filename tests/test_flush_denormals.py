"""``tj.jit(flush_denormals=True)``: calls run with FTZ/DAZ (``compiler/codegen/denormals.py``).

Differential against NumPy with every operand and result flushed by hand; the modes must
hold in the thread pool's workers too, and be restored in both the calling thread and the
workers after the call."""
from __future__ import annotations

import platform

import numpy as np
import pytest

import tracejit as tj

pytestmark = pytest.mark.skipif(platform.machine().lower() not in ("x86_64", "amd64", "aarch64", "arm64"),
                                reason="FTZ/DAZ is switched on x86-64 and aarch64 only")


def ftz(x: np.ndarray) -> np.ndarray:
    """``x`` with its subnormals replaced by zeros of their sign (what FTZ and DAZ read and write)."""
    x = np.asarray(x)
    return np.where(np.abs(x) < np.finfo(x.dtype).tiny, x * 0, x).astype(x.dtype)


def mixed(n: int, dtype, seed: int = 0) -> np.ndarray:
    """Normal numbers and subnormals of both signs, interleaved at random."""
    rng = np.random.default_rng(seed)
    tiny = np.finfo(dtype).tiny
    normal = rng.standard_normal(n).astype(dtype)
    sub = (rng.uniform(-1, 1, n) * tiny).astype(dtype)
    return np.where(rng.random(n) < 0.5, sub, normal).astype(dtype)


@pytest.fixture
def threads(monkeypatch):
    monkeypatch.setattr(tj.config, "num_threads", 4)  # (parallel kernels: the workers' modes matter)
    monkeypatch.setattr(tj.config, "cache_enabled", False)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n", [7, 300_000])
def test_map_equals_flushed_numpy(threads, dtype, n):
    def f(a, b):
        return a * b + a

    a, b = mixed(n, dtype), np.full(n, 0.5, dtype)
    got = tj.jit(f, flush_denormals=True)(a, b)
    want = ftz(ftz(ftz(a) * ftz(b)) + ftz(a))
    np.testing.assert_array_equal(got, want)
    assert np.signbit(got).tolist() == np.signbit(want).tolist()  # (flushed to zeros of their sign)
    # the default is IEEE: subnormals kept (NumPy's result exactly)
    np.testing.assert_array_equal(tj.jit(f)(a, b), f(a, b))


def test_reduction_and_exp(threads):
    x = mixed(200_000, np.float32, seed=3)

    def f(x):
        return np.sum(x * 1e-3), np.exp(x - 100.0)  # exp(-100) ~ 3.7e-44: subnormal in float32

    total, e = tj.jit(f, flush_denormals=True)(x)
    assert np.count_nonzero(e) == np.count_nonzero(ftz(np.exp(ftz(x) - np.float32(100.0))))
    assert not np.any((e != 0) & (np.abs(e) < np.finfo(np.float32).tiny))  # no subnormal left
    np.testing.assert_allclose(total, np.sum(ftz(ftz(x) * np.float32(1e-3)), dtype=np.float64), rtol=1e-4)


def test_modes_restored_in_caller_and_workers(threads):
    """After a flushing call, NumPy in this thread and an IEEE jitted function whose parallel
    kernel runs on the workers produce subnormals again."""
    n = 400_000
    a, b = mixed(n, np.float32, seed=1), np.full(n, 0.25, np.float32)

    def f(a, b):
        return a * b

    flushed, ieee = tj.jit(f, flush_denormals=True), tj.jit(f)
    for _ in range(3):
        assert np.count_nonzero((flushed(a, b) != 0) & (np.abs(flushed(a, b)) < 1.2e-38)) == 0
        want = a * b  # NumPy, this thread
        assert np.count_nonzero((want != 0) & (np.abs(want) < 1.2e-38)) > n // 4
        np.testing.assert_array_equal(ieee(a, b), want)  # every part: the workers' modes were restored


def test_control_flow_and_threads(threads):
    """A loop's kernels (sub-programs' task wrappers) and calls from several threads."""
    from tests.threaded import run_in_threads

    def f(x):
        def body(i, x):
            return x * np.float32(0.5)
        return tj.fori_loop(0, 10, body, x)

    x = np.full(100_000, 1e-36, np.float32)
    jitted = tj.jit(f, flush_denormals=True)
    want = x.copy()
    for _ in range(10):
        want = ftz(want * np.float32(0.5))
    np.testing.assert_array_equal(jitted(x), want)
    assert not np.any(want)  # (1e-36 / 2**10 is subnormal: flushed)

    def work():
        for _ in range(20):
            np.testing.assert_array_equal(jitted(x), want)
            y = x * np.float32(2.0 ** -10)
            assert np.all(y != 0)  # this thread's NumPy: IEEE between calls
    assert run_in_threads(work, [()] * 3) == []


def test_training_step_with_flush(threads):
    """value_and_grad + Adam under flush: the same losses as the IEEE step (to rounding)."""
    from benchmarks import training as tr

    params = tr.init_params()
    m = {k: np.zeros_like(a) for k, a in params.items()}
    v = {k: np.zeros_like(a) for k, a in params.items()}
    x, y = tr.make_batches(1)[0]
    step, ieee = tj.jit(tr.tracejit_step, flush_denormals=True), tj.jit(tr.tracejit_step)
    p1, m1, v1, p2, m2, v2 = params, m, v, params, m, v
    for t in range(5):
        p1, m1, v1, l1 = step(p1, m1, v1, t, x, y)
        p2, m2, v2, l2 = ieee(p2, m2, v2, t, x, y)
        np.testing.assert_allclose(l1, l2, rtol=1e-6)


def test_pickled_by_value_keeps_the_option():
    cloudpickle = pytest.importorskip("cloudpickle")
    import pickle

    jf = tj.jit(lambda a: a * np.float32(0.5), flush_denormals=True)
    again = pickle.loads(cloudpickle.dumps(jf))
    assert again.flush_denormals is True
    a = np.full(5, 2e-38, np.float32)
    np.testing.assert_array_equal(again(a), np.zeros(5, np.float32))  # (1e-38: subnormal, flushed)
