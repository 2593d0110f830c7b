"""Arrays a jitted function reads from outside its arguments are read at call time
(issue 14 item 13) and NumPy and builtins are never patched. np.random is refused while
tracing: test_capture_random.py; concrete arrays beside traced ones: test_capture_concrete.py.
See frontend/capture.py and frontend/convert.py."""
from __future__ import annotations

import builtins
import logging
import sys
import textwrap
import threading

import numpy as np
import pytest

import tracejit as tj
from tests.conftest import assert_same

ORIGINAL = {"zeros": np.zeros, "max": builtins.max}  # in a dict: converted code sees them as they are

W_GLOBAL = np.ones(3)
W_VIEWED = np.arange(6.0).reshape(2, 3)
SCALE = 2.0
TABLE = np.array([3, 1, 2])
COUNTER = 0
ALIASED = np.arange(3.0)
BUFFER = np.zeros(4)


def test_global_array_is_read_at_every_call():
    global W_GLOBAL
    W_GLOBAL = np.ones(3)
    f = tj.jit(lambda x: x * W_GLOBAL)
    x = np.ones(3)
    assert_same(f(x), np.ones(3))
    W_GLOBAL = np.full(3, 5.0)  # rebound, same shape: passed as it is, no new trace
    assert_same(f(x), np.full(3, 5.0))
    W_GLOBAL[:] = 7  # changed in place
    assert_same(f(x), np.full(3, 7.0))
    assert f.cache_info().traces == 1
    for _ in range(3):  # the positional fast path reads it too
        W_GLOBAL[0] += 1
        assert_same(f(x), x * W_GLOBAL)


def test_rebinding_to_another_shape_or_a_number_traces_again(caplog, monkeypatch):
    global W_GLOBAL
    monkeypatch.setattr(tj.config, "log", frozenset({"retrace"}))
    W_GLOBAL = np.ones(3)
    f = tj.jit(lambda x: x * W_GLOBAL)
    with caplog.at_level(logging.INFO, logger="tracejit"):
        f(np.ones(3))
        W_GLOBAL = np.ones((2, 3))
        assert_same(f(np.ones(3)), np.ones((2, 3)))
        W_GLOBAL = np.ones(3, np.float32)
        assert_same(f(np.ones(3, np.float32)), np.ones(3, np.float32))
        W_GLOBAL = 3.0
        assert_same(f(np.ones(3)), np.full(3, 3.0))
        W_GLOBAL = 4.0  # a number read from a global: a new value traces again
        assert_same(f(np.ones(3)), np.full(3, 4.0))
        W_GLOBAL = np.arange(3.0)
        assert_same(f(np.ones(3)), np.arange(3.0))
    assert f.cache_info().traces == 6
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "global W_GLOBAL: float64[3] -> float64[2, 3]" in text, text
    assert "global W_GLOBAL: 3.0 -> 4.0" in text, text


def test_a_computation_on_a_global_is_traced_not_frozen():
    f = tj.jit(lambda x: x + W_VIEWED.T * 0.5)
    x = np.ones((3, 2))
    assert_same(f(x), x + W_VIEWED.T * 0.5)
    W_VIEWED[1, 2] = 100.0
    assert_same(f(x), x + W_VIEWED.T * 0.5)


def test_closure_arrays_and_numbers():
    w = np.ones(4)
    k = 2.0
    f = tj.jit(lambda x: x * w + k)
    x = np.arange(4.0)
    assert_same(f(x), x + 2.0)
    w[:] = 3.0
    k = 5.0
    assert_same(f(x), 3 * x + 5.0)
    w = np.ones((2, 4))
    assert_same(f(x), np.broadcast_to(x + 5.0, (2, 4)))


class Model:
    def __init__(self):
        self.W = np.ones(3)
        self.layers = [np.ones((3, 3)), np.zeros(3)]

    def __hash__(self):
        return 1

    @tj.jit
    def apply(self, x):
        return x * self.W

    @tj.jit
    def project(self, x):
        return self.W.T @ x + self.layers[1]

    @tj.jit
    def stack(self, x):
        return self.layers[0] @ x + self.layers[1]


def test_attributes_of_self_are_read_at_every_call():
    m, x = Model(), np.ones(3)
    assert_same(m.apply(x), np.ones(3))
    m.W = np.full(3, 2.0)  # rebound
    assert_same(m.apply(x), np.full(3, 2.0))
    m.W -= 1.5  # in place
    assert_same(m.apply(x), np.full(3, 0.5))
    assert_same(m.project(x), np.full(3, 1.5))
    m.W[:] = 2.0
    m.layers[1][:] = 1.0
    assert_same(m.project(x), np.full(3, 7.0))
    m.W = np.full(3, 3.0)  # the base of the held view .T is rebound: traced again
    assert_same(m.project(x), np.full(3, 10.0))
    assert_same(m.stack(x), np.full(3, 4.0))
    m.layers[0] = np.eye(3)
    m.layers[1] = np.zeros(3)
    assert_same(m.stack(x), x)
    other = Model()  # equal as a static argument: its own arrays are read
    other.W = np.full(3, 9.0)
    assert_same(other.apply(x), np.full(3, 9.0))


def test_freeze_bakes_captured_values_as_constants():
    w = np.ones(3)
    f = tj.jit(lambda x: x * w, freeze=True)
    x = np.ones(3)
    assert_same(f(x), np.ones(3))
    w[:] = 2.0
    assert_same(f(x), np.ones(3))  # stale, as documented
    assert "constant" in f.lower(x).as_text("graph")


def test_arrays_made_while_tracing_stay_constants():
    f = tj.jit(lambda x: x + np.array([1.0, 2.0, 3.0]) + np.eye(3)[0])
    x = np.ones(3)
    assert_same(f(x), x + np.array([2.0, 2.0, 3.0]))
    assert len(f.lower(x).traced.in_specs) == 1


def test_writes_into_captured_arrays_reach_them():
    BUFFER[:] = 0.0
    out = np.zeros(3)

    def f(x):
        BUFFER[1] = x.sum()
        np.add(x, 1, out=out)
        return BUFFER * 2

    g = tj.jit(f)
    assert_same(g(np.arange(3.0)), np.array([0.0, 6.0, 0.0, 0.0]))
    assert_same(out, np.arange(3.0) + 1)
    assert_same(g(np.ones(3)), np.array([0.0, 6.0, 0.0, 0.0]))
    assert BUFFER[1] == 3.0


def test_global_statements_write_the_module():
    global COUNTER
    COUNTER = 0

    def f(x):
        global COUNTER
        COUNTER += 1
        return x + COUNTER

    g = tj.jit(f, fallback=False)
    assert_same(g(np.ones(2)), np.full(2, 2.0))
    assert COUNTER == 1  # once, when traced (as for every Python side effect)
    g(np.ones(2))
    assert COUNTER == 1

    def leak(x):
        global COUNTER
        COUNTER = x * 2

    with pytest.raises(tj.UnsupportedError, match="assigns a traced array to the global.*COUNTER"):
        tj.jit(leak, fallback=False)(np.ones(2))
    assert COUNTER == 1


def test_a_captured_array_passed_as_an_argument_too():
    def f(x):
        x += 1
        return x + ALIASED

    for arg in (ALIASED, np.zeros(3)):
        ALIASED[:] = np.arange(3.0)
        eager_arg, eager_global = arg.copy(), ALIASED.copy()
        expected = eager_arg + 1 + (eager_arg + 1 if arg is ALIASED else eager_global)
        g = tj.jit(f)
        assert_same(g(arg), expected)
    ALIASED[:] = 0.0
    g = tj.jit(f)
    g(np.zeros(3))
    ALIASED[:] = 0.0
    assert_same(g(ALIASED), np.full(3, 2.0))  # now the same array: traced again as one


def test_values_of_captured_arrays_needed_while_tracing():
    TABLE[:] = [3, 1, 2]
    f = tj.jit(lambda x: np.zeros(int(TABLE[0])) + x.sum())
    assert_same(f(np.ones(2)), np.full(3, 2.0))
    TABLE[0] = 4  # the trace used its value: traced again
    assert_same(f(np.ones(2)), np.full(4, 2.0))


def test_loop_bodies_and_nested_jitted_functions_read_at_call_time():
    global W_GLOBAL
    W_GLOBAL = np.ones(3)

    @tj.jit
    def inner(y):
        return y * W_GLOBAL

    def f(x):
        return tj.fori_loop(0, 3, lambda i, c: c + W_GLOBAL * i, x) + inner(x)

    g = tj.jit(f)
    x = np.zeros(3)
    assert_same(g(x), np.full(3, 3.0))
    W_GLOBAL[:] = 2.0
    assert_same(g(x), np.full(3, 6.0))


def test_helpers_in_other_modules_are_converted(tmp_path, monkeypatch):
    (tmp_path / "capture_helper_mod.py").write_text(textwrap.dedent("""
        import numpy as np
        from numpy import zeros
        WEIGHTS = np.ones(3)

        def fill(x):
            buf = zeros(3)
            for i in range(3):
                buf[i] = x[i] * WEIGHTS[i]
            return buf

        def fact(n):
            return 1 if n <= 1 else n * fact(n - 1)
    """))
    monkeypatch.syspath_prepend(str(tmp_path))
    import capture_helper_mod as mod
    f = tj.jit(lambda x: mod.fill(x) * mod.fact(3))
    x = np.arange(3.0)
    assert_same(f(x), x * 6)
    mod.WEIGHTS[:] = 2.0
    assert_same(f(x), x * 12)


def test_no_process_wide_patching_while_tracing():
    seen = {}
    started, release = threading.Event(), threading.Event()

    def other_thread():
        started.wait(10)
        seen["zeros"] = np.zeros(2)
        seen["random"] = np.random.default_rng(1).random(2)
        seen["max"] = max(np.float64(1), np.float64(2))
        release.set()

    def f(x):
        seen["same"] = (sys.modules["numpy"].zeros is ORIGINAL["zeros"], builtins.max is ORIGINAL["max"])
        started.set()
        release.wait(10)
        inv = np.linalg.inv(np.eye(2) * 2)  # NumPy's own code on concrete arrays
        return x * inv[0, 0]

    t = threading.Thread(target=other_thread)
    t.start()
    out = tj.jit(f)(np.ones(2))
    t.join()
    assert_same(out, np.full(2, 0.5))
    assert seen["same"] == (True, True)
    assert type(seen["zeros"]) is np.ndarray and type(seen["random"]) is np.ndarray
    assert seen["max"] == 2
    assert np.zeros is ORIGINAL["zeros"] and builtins.max is ORIGINAL["max"]


def test_min_max_and_creation_still_traced_in_converted_code():
    def f(x):
        buf = np.zeros(3)
        for i in range(3):
            buf[i] = max(x[i], np.float64(0.5)) + min(x[i], np.float64(0.0))  # (one type: see minmax.py)
        return buf

    x = np.array([-1.0, 0.25, 2.0])
    assert_same(tj.jit(f)(x), f(x))
    assert_same(tj.jit(np.angle)(np.array([1.0, -1.0])), np.angle(np.array([1.0, -1.0])))


class Holder:
    def __init__(self):
        self.W = np.ones(3)

    def __hash__(self):
        return 2

    def scaled(self, x):
        return x * self.W

    @tj.jit
    def looped(self, x):
        return tj.fori_loop(0, 2, lambda i, c: c + self.W, x)


def test_self_arrays_in_loop_bodies_and_bound_methods():
    h = Holder()
    assert_same(h.looped(np.zeros(3)), np.full(3, 2.0))
    h.W[:] = 3.0
    assert_same(h.looped(np.zeros(3)), np.full(3, 6.0))
    bound = tj.jit(h.scaled)  # a local object, reached through the bound method
    assert_same(bound(np.ones(3)), np.full(3, 3.0))
    h.W[:] = 4.0
    assert_same(bound(np.ones(3)), np.full(3, 4.0))


def test_functions_passed_as_static_arguments_are_converted():
    def fill(x):
        buf = np.zeros(3)
        buf[0] = x[0]
        return buf

    apply = tj.jit(lambda x, fn: fn(x), static_argnames="fn")
    assert_same(apply(np.arange(1.0, 4.0), fn=fill), np.array([1.0, 0.0, 0.0]))


COMPLEX_W = np.array([1 + 2j, 3 - 1j])
TEXT = np.array(["a", "b", "c"])


def test_complex_and_unsupported_dtype_globals():
    f = tj.jit(lambda x: x * COMPLEX_W)
    assert_same(f(np.ones(2)), COMPLEX_W.copy())
    COMPLEX_W[0] = 5
    assert_same(f(np.ones(2)), COMPLEX_W.copy())
    g = tj.jit(lambda x: x[:len(TEXT)] * 2)  # a string array: read as it is (its length is static)
    assert_same(g(np.arange(5.0)), np.arange(3.0) * 2)


def test_disable_jit_and_lower_see_the_same_values(monkeypatch):
    w = np.arange(3.0)
    f = tj.jit(lambda x: x + w)
    assert_same(f.lower(np.ones(3)).traced.in_specs[1].aval.shape, (3,))
    monkeypatch.setattr(tj.config, "disable_jit", True)
    assert_same(f(np.ones(3)), np.arange(3.0) + 1)


SHARED = np.ones(3)


class Sharing:
    def __init__(self):
        self.W = SHARED

    def __hash__(self):
        return 3

    @tj.jit
    def both(self, x):
        return x * SHARED + self.W


def test_the_same_array_through_a_global_and_self_is_guarded_at_both_paths():
    s = Sharing()
    assert_same(s.both(np.ones(3)), np.full(3, 2.0))
    s.W = np.full(3, 5.0)  # no longer the global's array
    assert_same(s.both(np.ones(3)), np.full(3, 6.0))


class ComplexHolder:
    def __init__(self):
        self.Z = np.array([1 + 2j, 3 - 1j])

    def __hash__(self):
        return 4

    @tj.jit
    def scale(self, x):
        return x * self.Z


def test_complex_arrays_of_self_are_read_at_every_call():
    c = ComplexHolder()
    assert_same(c.scale(np.ones(2)), c.Z.copy())
    c.Z[0] = 7
    assert_same(c.scale(np.ones(2)), c.Z.copy())


INVERTED = np.array([[2.0, 0.0], [0.0, 4.0]])
LABELS = np.array([3, 1, 3, 2])


def test_functions_supported_on_constants_only_read_captured_arrays_as_constants():
    f = tj.jit(lambda x: x @ np.linalg.inv(INVERTED))  # NumPy's inv of a captured array, while tracing
    assert_same(f(np.ones(2)), np.array([0.5, 0.25]))
    INVERTED[1, 1] = 8.0  # its values were used while tracing: traced again
    assert_same(f(np.ones(2)), np.array([0.5, 0.125]))
    g = tj.jit(lambda x: x[:len(np.unique(LABELS))] * 2)
    assert_same(g(np.arange(5.0)), np.arange(3.0) * 2)
    with pytest.raises(tj.UnsupportedError, match="numpy.setdiff1d is not supported"):
        tj.jit(lambda x: np.setdiff1d(x, x), fallback=False)(np.ones(3))  # about an argument: raised as before


ESCAPED = []


def test_a_converted_function_that_outlives_its_trace_sees_plain_values():
    def f(x):
        ESCAPED.append(lambda: (np.zeros(2), W_VIEWED))
        return x + 1

    tj.jit(f)(np.ones(2))
    zeros, w = ESCAPED[-1]()
    assert type(zeros) is np.ndarray and w is W_VIEWED


def test_missing_names_are_the_users_errors():
    with pytest.raises(AttributeError, match="has no attribute 'nonexistent_fn'"):
        tj.jit(lambda x: x + np.nonexistent_fn(x))(np.ones(2))
    with pytest.raises(AttributeError, match="has no attribute 'nonexistent'"):
        tj.jit(lambda x: x + np.random.nonexistent)(np.ones(2))
    with pytest.raises(NameError, match="undefined_name"):
        tj.jit(lambda x: x + undefined_name)(np.ones(2))  # noqa: F821

