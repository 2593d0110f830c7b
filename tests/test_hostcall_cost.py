"""What a host call costs (``frontend/hostcall.py``, ``runtime/hostcalls.py``,
``frontend/hostplaceholders.py``): complex operands and results travel as (real,
imaginary) pairs viewed as complex (``np.fft`` writes its result in place), the arrays
over a program's buffers are reused from call to call, and shape-stable functions are
evaluated once on placeholders while tracing. Each checked against eager NumPy."""
from __future__ import annotations

import threading

import numpy as np
import pytest

import tracejit as tj
from tests.conftest import assert_same
from tracejit.compiler.dtypes import AVal
from tracejit.frontend.hostplaceholders import FILLINGS, evaluate
from tracejit.frontend.tree import flatten

rng = np.random.default_rng(1719)


def hosted(fn, *args, rtol: float = 1e-12):
    """``fn`` jitted equals eager on ``args`` (twice: the second call reuses its buffers)."""
    jitted = tj.jit(fn)
    for _ in range(2):
        assert_same(jitted(*args), fn(*args), rtol=rtol, atol=1e-12)
    return jitted


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_complex_operands_and_results_through_fft(dtype):
    x = rng.standard_normal((6, 10)).astype(dtype)
    fn = lambda x: (np.fft.rfft(x, axis=1), np.fft.ifft(np.fft.fft(x[:, ::2]) * 2).real,  # noqa: E731
                    np.fft.fft2(x + 1j * x[::-1]), np.fft.irfft(np.fft.rfft(x)[:, 1:], n=7), np.fft.fft(x[0])[3])
    jitted = hosted(fn, x, rtol=1e-12 if dtype == "float64" else 1e-5)
    assert {name for name, _, _ in jitted.lower(x).fallbacks} >= {"numpy.fft.rfft", "numpy.fft.ifft"}
    y = rng.standard_normal((3, 5)).astype(dtype)  # a second call with new shapes
    assert_same(jitted(y), fn(y), rtol=1e-12 if dtype == "float64" else 1e-5, atol=1e-12)


def test_complex_scalar_operand_and_empty_result():
    fn = lambda x, z: (np.fft.fft(x * z), np.fft.rfft(x, n=1), np.fft.fft(x * z)[0])  # noqa: E731
    hosted(fn, rng.standard_normal(5), 1.5 - 2j)


def test_buffers_reused_across_calls_see_new_values():
    f = tj.jit(lambda x: np.fft.rfft(x * 2.0).real + 1)
    x = rng.standard_normal(16)
    for _ in range(3):  # the same argument's memory, new values each call
        assert_same(f(x), np.fft.rfft(x * 2.0).real + 1, rtol=1e-12, atol=1e-12)
        x += 1.0
    for y in (rng.standard_normal(16), rng.standard_normal(16)[::1].copy()):
        assert_same(f(y), np.fft.rfft(y * 2.0).real + 1, rtol=1e-12, atol=1e-12)


def test_error_then_success_on_the_next_call():
    f = tj.jit(lambda x, n: np.fft.rfft(x, axis=n))
    x = rng.standard_normal((3, 4))
    assert_same(f(x, 1), np.fft.rfft(x, axis=1))
    with pytest.raises(Exception) as eager:
        np.fft.rfft(x, axis=5)
    with pytest.raises(eager.type):
        f(x, 5)
    assert_same(f(x, 0), np.fft.rfft(x, axis=0))


def test_host_calls_beside_another_python_thread():
    stop = threading.Event()
    counter = [0]

    def busy():
        while not stop.is_set():
            counter[0] += 1

    thread = threading.Thread(target=busy)
    thread.start()
    try:
        f = tj.jit(lambda x: np.fft.rfft(x).real.sum() + x.sum())
        x = rng.standard_normal(64)
        for _ in range(20):
            assert np.isclose(f(x), np.fft.rfft(x).real.sum() + x.sum())
    finally:
        stop.set()
        thread.join()


def test_shape_stable_functions_are_evaluated_once_on_placeholders():
    calls = []

    def spy(x):
        calls.append(x.copy())
        return np.unique(x)

    _, tree = flatten(((np.zeros(5),), {}))
    slots = [(0, AVal((5,), np.dtype(np.float64)), False, None)]
    assert len(evaluate(spy, "numpy.fft.spy", tree, [None], slots)) == 1
    assert len(evaluate(spy, "numpy.unique", tree, [None], slots)) == len(FILLINGS)
    assert len(calls) == 1 + len(FILLINGS)
    assert calls[0].min() >= 0.5 and not calls[1 + FILLINGS.index(0)].any()  # a random filling first, then zeros
