"""tj.while_loop, tj.fori_loop and tj.cond: differential tests against the same
functions run eagerly (plain Python loops and branches), and their errors."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tracejit as tj
from tests.differential import same
from tracejit.errors import TraceError, UnsupportedError


def check(fn, *args, rtol=0.0):
    """Jitted vs eager on copies of ``args``: results equal (within ``rtol`` where the
    body uses transcendental functions), dtypes and shapes equal."""
    copies = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
    want = fn(*args)
    got = tj.jit(fn)(*copies)
    same(got, want, rtol)
    return got



# -- fori_loop -------------------------------------------------------------------------------
def _geometric(x, n):
    return tj.fori_loop(0, n, lambda i, s: s * 0.5 + x[0], x)


@pytest.mark.parametrize("n", [0, 1, 3, 17])
def test_fori_traced_trip_count_matches_eager(n):
    x = np.linspace(-1, 2, 7)
    check(_geometric, x, np.int64(n))


def test_fori_one_compilation_for_every_trip_count():
    x = np.linspace(-1, 2, 7)
    f = tj.jit(_geometric)
    for n in (0, 5, 2, 40):
        same(f(x, np.int64(n)), _geometric(x, n))
    assert f.cache_info().traces == 1


def test_fori_static_bounds_and_loop_index_in_body():
    def f(x):
        return tj.fori_loop(2, 9, lambda i, s: s + i * x, np.zeros_like(x))
    check(f, np.arange(6, dtype=np.float32))


def test_fori_int_carry_and_traced_lower():
    def f(lo, hi, x):
        return tj.fori_loop(lo, hi, lambda i, c: (c[0] + i, c[1] * 1.5), (np.int64(0), x))
    check(f, np.int64(3), np.int64(11), np.ones((2, 3)))
    check(f, np.int64(11), np.int64(3), np.ones((2, 3)))  # no iteration


def test_fori_body_traced_once():
    calls = []

    def body(i, s):
        calls.append(1)
        return s + 1.0

    f = tj.jit(lambda x, n: tj.fori_loop(0, n, body, x))
    out = f(np.zeros(3), np.int64(1000))
    np.testing.assert_array_equal(out, np.full(3, 1000.0))
    assert len(calls) == 1


# -- while_loop ------------------------------------------------------------------------------
def _halve_until(x, limit):
    def cond(s):
        v, count = s
        return np.abs(v).max() > limit

    def body(s):
        v, count = s
        return v / 2, count + 1

    return tj.while_loop(cond, body, (x, 0))


@pytest.mark.parametrize("scale", [0.5, 3.0, 1e6])
def test_while_data_dependent_trip_count(scale):
    x = np.linspace(-1, 1, 33) * scale
    check(_halve_until, x, 1.0)


def test_while_different_data_after_compilation():
    f = tj.jit(_halve_until)
    for scale in (7.0, 0.1, 1e9, 3.0):
        x = np.linspace(-1, 1, 9) * scale
        same(f(x, 1.0), _halve_until(x, 1.0))
    info = f.cache_info()
    assert info.traces == 1 and info.compilations + info.reused == 1


def test_while_dict_state_and_scalar_condition_as_number():
    def f(x):
        def cond(s):
            return s["n"] < 5  # a bool
        def body(s):
            return {"n": s["n"] + 1, "acc": s["acc"] + s["n"] * x}
        return tj.while_loop(cond, body, {"n": 0, "acc": np.zeros_like(x)})
    check(f, np.arange(4.0))

    def g(x):  # a number as the condition: its truth is != 0
        return tj.while_loop(lambda s: s[0], lambda s: (s[0] - 1, s[1] * 2), (np.int64(3), x))
    check(g, np.arange(4.0))


def test_while_newton_sqrt_large_arrays():
    """A body of several fused kernels on an array large enough to run in parallel."""
    def newton(a):
        def cond(s):
            y, err = s
            return err > 1e-12

        def body(s):
            y, _ = s
            new = 0.5 * (y + a / y)
            return new, np.abs(new - y).max()

        return tj.while_loop(cond, body, (a + 1.0, np.float64(np.inf)))[0]
    a = np.random.default_rng(0).random(300_000) * 100 + 1
    got = check(newton, a)
    np.testing.assert_allclose(got, np.sqrt(a), rtol=1e-12)


def test_nested_loops_and_cond_inside_loop():
    def f(x, n):
        def outer(i, s):
            inner = tj.fori_loop(0, i, lambda j, t: t + j, s)
            return tj.cond(i % 2 == 0, lambda v: v * 2, lambda v: v - 1, inner)
        return tj.fori_loop(0, n, outer, x)
    check(f, np.arange(5.0), np.int64(6))


def test_loop_over_strided_and_transposed_values():
    def f(x, y):
        return tj.fori_loop(0, 3, lambda i, s: s + y.T[0], x[::2])
    check(f, np.arange(10.0), np.arange(15.0).reshape(5, 3)[:, ::2])
    a = np.arange(20.0).reshape(4, 5)
    check(lambda a: tj.fori_loop(0, 2, lambda i, s: s @ a[:, :4].T, a[:, :4].T), a)


def test_zero_size_and_0d_carries():
    def f(x, n):
        return tj.fori_loop(0, n, lambda i, s: (s[0] + 1, s[1] * 2), (x, np.float32(1)))
    check(f, np.zeros((0, 3)), np.int64(4))


def test_same_value_for_two_carries_and_unchanged_carry():
    def f(x, n):
        def body(i, s):
            a, b, c = s
            new = a + b
            return new, new, c
        return tj.fori_loop(0, n, body, (x, x * 2, x + 5))
    check(f, np.arange(6.0), np.int64(3))


def test_unused_results_and_inplace_update_in_body():
    def f(x, n):
        def body(i, s):
            y, z = s
            y = y.copy()
            y[0] += 1.0
            y[1:] *= 0.5
            return y, z + 1
        return tj.fori_loop(0, n, body, (x, x))[0]
    check(f, np.arange(6.0), np.int64(3))


@settings(max_examples=15, deadline=None)
@given(st.lists(st.floats(-5, 5), min_size=1, max_size=20), st.integers(0, 12))
def test_hypothesis_fori(values, n):
    x = np.array(values)
    check(lambda x, n: tj.fori_loop(0, n, lambda i, s: np.tanh(s) * 2 - s.mean() + i, x), x, np.int64(n),
          rtol=1e-12)


# -- cond --------------------------------------------------------------------------------------
def _branchy(x, y):
    return tj.cond(x.sum() > y.sum(), lambda a, b: (a * 2, b.max()), lambda a, b: (a - b, a.min()), x, y)


@pytest.mark.parametrize("shift", [-10.0, 10.0])
def test_cond_both_branches(shift):
    x = np.arange(6.0)
    check(_branchy, x + shift, x[::-1].copy())


def test_cond_captures_and_concrete_pred():
    def f(x, k):
        big = x * 10
        return tj.cond(k > 0, lambda: big + x, lambda: x - 1)
    check(f, np.arange(4.0), np.int64(1))
    check(f, np.arange(4.0), np.int64(-1))
    check(lambda x: tj.cond(True, lambda v: v + 1, lambda v: v, x), np.arange(3.0))


def test_cond_python_number_of_another_dtype_is_refused():
    """Eagerly the result would be a float32 or a Python float depending on the data."""
    f = lambda x: tj.cond(x[0] > 0, lambda v: v.sum(), lambda v: 0.0, x)
    with pytest.raises(TypeError, match="differ"):
        tj.jit(f, fallback=False)(np.arange(1.0, 4.0, dtype=np.float32))
    check(f, np.arange(1.0, 4.0))


def test_eager_and_disable_jit_run_python():
    f = tj.jit(_halve_until)
    x = np.linspace(-3, 3, 5)
    same(f.eager(x, 1.0), _halve_until(x, 1.0))
    with tj.config.override(disable_jit=True) if hasattr(tj.config, "override") else _nothing():
        same(f(x, 1.0), _halve_until(x, 1.0))


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *a):
        return False


# -- errors ----------------------------------------------------------------------------------
def test_body_result_shape_mismatch_names_the_line():
    f = tj.jit(lambda x: tj.fori_loop(0, 10, lambda i, s: s[:-1], x), fallback=False)
    with pytest.raises(TypeError, match="shapes and dtypes.*test_control.py"):
        f(np.arange(40.0))


def test_body_result_dtype_mismatch():
    f = tj.jit(lambda x: tj.while_loop(lambda s: s.sum() < 100, lambda s: s * np.float64(2), x), fallback=False)
    with pytest.raises(TypeError, match="differ"):
        f(np.arange(1.0, 5.0, dtype=np.float32))
    g = tj.jit(lambda x, n: tj.fori_loop(0, n.sum(), lambda i, s: s * np.float64(2), x), fallback=False)
    with pytest.raises(TypeError, match="differ"):
        g(np.arange(4.0, dtype=np.float32), np.ones(3, np.int64))


def test_fori_with_concrete_bounds_runs_a_retyping_first_step_as_eagerly():
    x = np.arange(4.0, dtype=np.float32)
    check(lambda x: tj.fori_loop(0, 3, lambda i, s: s * np.float64(2), x), x)


def test_body_writing_a_captured_array_is_refused():
    def f(x):
        def body(i, s):
            x[0] = s.sum()
            return s + 1
        return tj.fori_loop(0, 3, body, x * 1)
    with pytest.raises(UnsupportedError, match="carry the array"):
        tj.jit(f, fallback=False)(np.arange(4.0))


def test_pred_must_be_0d_and_condition_one_value():
    with pytest.raises(TypeError, match="0-d"):
        tj.jit(lambda x: tj.cond(x > 0, lambda: x, lambda: x))(np.arange(3.0))
    with pytest.raises(TypeError, match="0-d"):
        tj.jit(lambda x: tj.while_loop(lambda s: s > 0, lambda s: s - 1, x))(np.arange(3.0))


def test_leaked_body_value_is_an_error():
    leaked = []

    def f(x):
        def body(i, s):
            leaked.append(s)
            return s + 1
        out = tj.fori_loop(0, 2, body, x)
        return out + leaked[0]
    with pytest.raises(TraceError):
        tj.jit(f)(np.arange(3.0))


def test_python_if_on_traced_value_points_to_structured_control_flow():
    def f(x):
        if x.sum() > 0:
            return x
        return -x
    with pytest.raises(tj.TracerConversionError, match="tj.cond"):
        tj.jit(f, autograph=False, fallback=False)(np.arange(3.0))  # (converted by default: tests/test_autograph.py)
    np.testing.assert_array_equal(tj.jit(f, fallback=False)(-np.arange(3.0)), f(-np.arange(3.0)))


def test_body_with_temporaries_gemm_and_captured_mutated_array():
    """A body whose program has an arena (a matrix product, a softmax) and reads an
    outer array written before the loop (the capture sees the written version)."""
    def f(w, x, n):
        w = w.copy()
        w[0, :] = 0.0  # written before the loop: the body must read this version

        def body(i, h):
            z = np.tanh(h @ w)
            e = np.exp(z - z.max(axis=1, keepdims=True))
            return e / e.sum(axis=1, keepdims=True) + h * 0.5
        out = tj.fori_loop(0, n, body, x)
        return out, w.sum()
    rng = np.random.default_rng(4)
    check(f, rng.standard_normal((48, 48)), rng.standard_normal((64, 48)), np.int64(3), rtol=1e-12)


def test_loop_results_feed_later_code_and_mutation_after_the_loop():
    def f(x, n):
        y = tj.fori_loop(0, n, lambda i, s: s + 1.0, x * 2)
        x[1:] = y[:-1]  # an argument written after the loop
        return y.sum()
    check(f, np.arange(5.0), np.int64(4))


def test_while_inside_cond_inside_jitted_helper():
    @tj.jit
    def inner(v):
        return tj.cond(v.sum() > 0,
                       lambda a: tj.while_loop(lambda s: s.max() < 100, lambda s: s * 3, a),
                       lambda a: -a, v)

    def f(x):
        return inner(x) + 1
    check(f, np.array([1.0, 2.0, 0.5]))
    check(f, np.array([-1.0, -2.0, 0.5]))


def test_python_loop_around_structured_loops_and_static_bounds():
    def f(x):
        for k in range(3):
            x = tj.fori_loop(k, 4, lambda i, s: s * 0.5 + i, x)
        return x
    check(f, np.linspace(0, 1, 11).astype(np.float32))


def test_every_stage_prints_with_nested_graphs():
    f = tj.jit(lambda x, n: tj.fori_loop(0, n, lambda i, s: tj.cond(i % 2 == 0, lambda v: v * 2,
                                                                     lambda v: v + 1, s), x))
    low = f.lower(np.arange(3.0), np.int64(4))
    graph = low.as_text("graph")
    assert "body of %" in graph and "true of %" in graph and "multiply" in graph
    kernels = low.as_text("kernels")
    assert "while" in kernels and "sub-program body" in kernels and "cond " in kernels
    for stage in ("optimized", "passes", "llvm"):
        assert low.as_text(stage)
