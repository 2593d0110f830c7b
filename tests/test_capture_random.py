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



BOX = [np.random.default_rng(0)]  # a generator reached through a container: not converted, drawn while tracing
CAPTURED = np.random.default_rng(0)


def _boxed_draw(x):
    return x + BOX[0].standard_normal(x.shape)


def test_refused_draws_leave_the_stream_as_the_caller_left_it():
    """A draw tracejit cannot make a host call (a generator inside a global list) is refused after
    two traces; both traces' draws are undone, so the function run eagerly (the default fallback)
    gives eager's numbers and leaves eager's state, and ``fallback=False`` leaves the stream alone
    (issue 17 fuzz campaign: the eager fallback drew after the traces' draws)."""
    BOX[0] = np.random.default_rng(5)
    want = [_boxed_draw(np.zeros(3)) for _ in range(2)]
    after = BOX[0].bit_generator.state
    BOX[0] = np.random.default_rng(5)
    jf = tj.jit(_boxed_draw)
    got = [jf(np.zeros(3)) for _ in range(2)]
    assert_same(got, want)
    assert BOX[0].bit_generator.state == after
    before = BOX[0].bit_generator.state
    with pytest.raises(tj.UnsupportedError, match=r"drawn while tracing .*BOX\[0\]"):
        tj.jit(_boxed_draw, fallback=False)(np.zeros(3))
    assert BOX[0].bit_generator.state == before


def _captured_library_draw(x):
    stats = pytest.importorskip("scipy.stats")
    y = x + stats.norm.rvs(size=x.shape, random_state=CAPTURED)
    return y * CAPTURED.random()


def test_captured_generator_given_to_a_library_function():
    """``random_state=G`` with ``G`` a global generator: a host call drawing from ``G`` at run time,
    every call (was: the stand-in reached SciPy, a ValueError 'cannot be used to seed')."""
    global CAPTURED
    pytest.importorskip("scipy.stats")
    CAPTURED = np.random.default_rng(7)
    want = [_captured_library_draw(np.arange(3.0)) for _ in range(3)]
    after = CAPTURED.bit_generator.state
    CAPTURED = np.random.default_rng(7)
    jf = tj.jit(_captured_library_draw)
    got = [jf(np.arange(3.0)) for _ in range(3)]
    assert_same(got, want)
    assert CAPTURED.bit_generator.state == after
    assert jf.cache_info().traces == 1
    with pytest.raises(tj.UnsupportedError, match="generator"):
        tj.jit(_captured_library_draw, fallback=False)(np.arange(3.0))


class _Holder:
    def __init__(self, gen):
        self.gen = gen

    def draw(self, n):
        return self.gen.random(n)  # a method: not converted, drawn while tracing


HOLD = _Holder(CAPTURED)


def _draw_then_sized(x, gens):
    v = HOLD.draw(x.shape[0]) + gens[1].permutation(x)
    return v, np.ones(int((x > 0).sum()) + 1)  # sized by the data: refused, the function runs eagerly


def _unbound_on_captured(x):
    return np.random.Generator.random(CAPTURED, x.shape[0]) - x


def test_refused_after_a_draw_runs_eagerly_on_the_callers_streams():
    """A trace that draws (through an object) and is then refused for another reason (an array
    sized by the data) runs the function eagerly on the streams as the caller left them; an
    unbound method given a captured generator draws from it at run time (random fuzz programs
    18000004 and 18000005: wrong values, AttributeError '__exit__')."""
    for fn, make in ((_draw_then_sized, lambda: (np.arange(-1.0, 3.0), [np.random.default_rng(2),
                                                                         np.random.default_rng(3)])),
                     (_unbound_on_captured, lambda: (np.arange(3.0),))):
        for gen in (HOLD.gen, CAPTURED):
            gen.bit_generator.state = np.random.default_rng(1).bit_generator.state
        eager_args = make()
        want, after = fn(*eager_args), (HOLD.gen.bit_generator.state, CAPTURED.bit_generator.state)
        for gen in (HOLD.gen, CAPTURED):
            gen.bit_generator.state = np.random.default_rng(1).bit_generator.state
        jit_args = make()
        got = tj.jit(fn)(*jit_args)
        assert_same(got, want)
        assert (HOLD.gen.bit_generator.state, CAPTURED.bit_generator.state) == after
        if len(jit_args) > 1:
            assert [g.bit_generator.state for g in jit_args[1]] == [g.bit_generator.state for g in eager_args[1]]
