"""np.random is refused while tracing with tj.jit(fallback=False) (issue 14 item 1; by
default draws are host calls: tests/test_hostcall.py), wherever the generator is reached
from (a global, a static object, another thread), and never patched process-wide. See
frontend/capture.py and frontend/convert.py."""
from __future__ import annotations

import subprocess
import sys
import textwrap
import threading

import numpy as np
import pytest

import tracejit as tj
from tests.conftest import assert_same

HERE = "test_capture_random.py:"

RNG = np.random.default_rng(0)
LEGACY = np.random.rand  # a function of numpy.random imported by name


RANDOM_CALLS = {
    r"numpy\.random\.rand": lambda x: x + np.random.rand(*x.shape),
    r"numpy\.random\.default_rng": lambda x: x + np.random.default_rng().random(x.shape),
    r"numpy\.random\.Generator\.normal": lambda x: x + RNG.normal(size=x.shape),
    r"numpy\.random\.rand ": lambda x: x + LEGACY(3),
    r"numpy\.random\.PCG64": lambda x: x + np.random.Generator(np.random.PCG64(1)).random(),
    r"numpy\.random\.seed": lambda x: x + np.random.seed(0),
}


@pytest.mark.parametrize("name", list(RANDOM_CALLS))
def test_random_numbers_are_refused_while_tracing(name):
    with pytest.raises(tj.UnsupportedError, match=rf"{name.strip()}: random numbers cannot be drawn.*{HERE}\d+"):
        tj.jit(RANDOM_CALLS[name], fallback=False)(np.ones(3))
    assert isinstance(RNG, np.random.Generator)


def test_generators_reached_through_static_objects_are_checked():
    class Noisy:
        def __init__(self):
            self.rng = np.random.default_rng(0)

        def noise(self, shape):
            return self.rng.normal(size=shape)  # a method: not converted

        @tj.jit(fallback=False)
        def apply(self, x):
            return x + self.noise(x.shape)

    before = Noisy().rng.bit_generator.state
    with pytest.raises(tj.UnsupportedError, match=r"random numbers were drawn while tracing apply.*self\.rng"):
        Noisy().apply(np.ones(3))
    class Legacy:
        def noise(self, shape):
            return np.random.rand(*shape)  # a method: not converted

        @tj.jit(fallback=False)
        def apply(self, x):
            return x + self.noise(x.shape)

    np.random.seed(0)
    with pytest.raises(tj.UnsupportedError, match="global generator"):
        Legacy().apply(np.ones(3))
    assert Noisy().rng.bit_generator.state == before


def test_isinstance_on_random_classes_in_converted_code():
    f = tj.jit(lambda x: x + isinstance(RNG, np.random.Generator))
    assert_same(f(np.ones(2)), np.full(2, 2.0))


def test_np_random_in_a_fresh_process_does_not_crash():
    code = textwrap.dedent("""
        import numpy as np, tracejit as tj
        @tj.jit
        def f(x):
            return x + np.random.default_rng().random(x.shape)
        try:
            f(np.ones(4))
        except tj.UnsupportedError as e:
            print("refused:", e)
        np.random.seed(0)
        g = tj.jit(lambda x: x + np.random.rand(*x.shape), fallback=False)
        try:
            g(np.ones(4))
        except tj.UnsupportedError as e:
            print("refused:", e)
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.count("refused: numpy.random.") == 1, out.stdout  # (f: runs eagerly, frontend/eagerfallback.py)


def test_another_thread_drawing_from_the_global_generator_is_not_an_error():
    started, drawn = threading.Event(), threading.Event()

    def other_thread():
        started.wait(10)
        np.random.rand(2)  # NumPy's global generator moves while the first trace runs
        drawn.set()

    def f(x):
        started.set()
        drawn.wait(10)
        return x + 1

    t = threading.Thread(target=other_thread)
    t.start()
    out = tj.jit(f)(np.ones(2))  # traced again once: the generator did not move then
    t.join()
    assert_same(out, np.full(2, 2.0))

