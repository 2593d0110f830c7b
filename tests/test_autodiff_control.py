"""Derivatives through loops and branches (``compiler/autodiff/control.py``): tj.fori_loop,
tj.while_loop (a trip count known only at run time), tj.cond and the loops and branches
converted from Python, in both modes, against central finite differences of the function
run eagerly by NumPy (float64, relative 1e-6)."""
from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

import tracejit as tj
from tests.gradcheck import close, numeric_grad
from tracejit.compiler.autodiff import control as adcontrol
from tracejit.errors import UnsupportedError

RNG = np.random.default_rng(1807)


def check_both_modes(f, x, eager=None):
    """grad and jvp of ``f`` at ``x`` against finite differences of ``eager`` (default ``f``)."""
    eager = eager or f
    expect = numeric_grad(eager, x)
    close(tj.grad(f)(x), expect)
    t = RNG.uniform(-1, 1, x.shape)
    value, tangent = tj.jvp(f, (x,), (t,))
    close(value, eager(x), 1e-12)
    close(tangent, float(np.sum(expect * t)))
    close(tj.jit(tj.grad(f))(x), expect)


def all_ops(graph, acc=None) -> Counter:
    """Ops of ``graph`` and of every sub-graph it holds."""
    acc = Counter() if acc is None else acc
    for n in graph.nx.nodes:
        acc[graph.op(n)] += 1
        for v in graph.attrs(n).values():
            if hasattr(v, "graph") and hasattr(v, "key"):
                all_ops(v.graph, acc)
    return acc


def fori_sin(x):
    return np.sum(tj.fori_loop(0, 6, lambda i, c: np.sin(c) * 1.5 + x * i, x) ** 2)


def fori_captured(x):
    w = x[:2] * 0.5
    def body(i, c):
        a, b = c
        return np.tanh(a * w[0] + b * w[1]), a * b + 0.1
    a, b = tj.fori_loop(0, 5, body, (x[2:5], x[5:8]))
    return np.sum(a * b) + np.sum(a)


def nested(x):
    def outer(i, c):
        return tj.fori_loop(0, 3, lambda j, d: np.cos(d) * x + d * 0.5, c) * 0.9
    return np.sum(tj.fori_loop(0, 3, outer, x))


def cond_in_loop(x):
    def body(i, c):
        return tj.cond(np.sum(c) > 0.0, lambda v: np.sin(v) * 2.0 - 0.3, lambda v: v * v + 0.2, c)
    return np.sum(tj.fori_loop(0, 7, body, x) * x)


def newton_sqrt(x):
    def body(s):
        k, y = s
        return k + 1, y - (y * y - x) / (2 * y)
    _, y = tj.while_loop(lambda s: np.max(np.abs(s[1] * s[1] - x)) > 1e-13, body, (0, x + 1.0))
    return np.sum(y * np.arange(1.0, x.size + 1))


def while_captured(x):
    # trip count depends on the data: halve until small, the scale captured
    def body(s):
        v, k = s
        return v * 0.5 + np.sin(x) * 0.001, k + 1
    v, k = tj.while_loop(lambda s: np.sum(np.abs(s[0])) > 0.05, body, (x * 3.0, 0))
    return np.sum(v ** 2) + np.sum(x) * 0.1


def cond_operands(x):
    return np.sum(tj.cond(x[0] > 0, lambda a, b: np.sin(a) * b, lambda a, b: a ** 3 - b, x, x[::-1] * 2.0))


def cond_python_number(x):
    s = np.sum(x)
    return tj.cond(s > 0, lambda v: v * v, lambda v: 0.0 * v + 1.0, s) * 2.0


CASES = {"fori_sin": fori_sin, "fori_captured": fori_captured, "nested": nested, "cond_in_loop": cond_in_loop,
         "while_captured": while_captured, "cond_operands": cond_operands, "cond_python_number": cond_python_number}


@pytest.mark.parametrize("name", sorted(CASES))
def test_control_flow_against_finite_differences(name):
    x = RNG.uniform(-1, 1, 8)
    check_both_modes(CASES[name], x)


@pytest.mark.parametrize("first", [0.7, -0.7])
def test_cond_both_branches(first):
    x = RNG.uniform(-1, 1, 8)
    x[0] = first
    check_both_modes(cond_operands, x)


def test_long_while_loop_recomputes_segments():
    """More steps than checkpoints: each backward step recomputes part of a segment."""
    def f(x):
        def body(s):
            v, k = s
            return np.sin(v) * 0.9 + x * 0.05, k + 1
        return np.sum(tj.while_loop(lambda s: s[1] < 200, body, (x, 0))[0] ** 2)
    x = RNG.uniform(-1, 1, 4)
    check_both_modes(f, x)


def test_newton_while_loop():
    x = RNG.uniform(1.0, 4.0, 5)
    g = tj.grad(newton_sqrt)(x)
    close(g, np.arange(1.0, 6.0) * 0.5 / np.sqrt(x))
    close(g, numeric_grad(newton_sqrt, x))
    check_both_modes(newton_sqrt, x)


def test_fori_with_static_trip_count_saves_steps():
    """A fori_loop with bounds known when traced keeps each step's values in a buffer
    (dynamic_update forward, dynamic_slice backward): no inner recomputing loop."""
    x = RNG.uniform(-1, 1, 4)
    ops = all_ops(tj.grad(fori_sin).lower(x).traced.graph)
    assert ops["dynamic_update"] == ops["dynamic_slice"] == 2  # one per carried value (index, array)
    assert ops["while"] == 3  # the primal loop, the saving loop, the backward loop


@pytest.mark.parametrize("slots", [64, 3, 1])
def test_traced_trip_count(slots, monkeypatch):
    """Bounds known only at run time: the backward loop recomputes each step from the
    checkpoint before it (every ceil(n / slots)-th step kept)."""
    monkeypatch.setattr(adcontrol, "CHECKPOINTS", slots)
    def f(x, n):
        return np.sum(tj.fori_loop(0, n, lambda i, c: np.sin(c) * x, x))
    x = RNG.uniform(-1, 1, 5)
    g = tj.jit(tj.grad(f))
    for n in (0, 1, 4, 9, 10):
        close(g(x, np.int64(n)), numeric_grad(lambda v: f(v, n), x))
        close(tj.jvp(lambda v: f(v, np.int64(n)), (x,), (np.ones(5),))[1], numeric_grad(lambda v: f(v, n), x).sum())


def test_zero_trips():
    def f(x):
        return np.sum(tj.fori_loop(3, 3, lambda i, c: c * 5.0, x * 2.0)) + np.sum(
            tj.while_loop(lambda c: np.sum(c) > 1e9, lambda c: c * 3.0, x * x))
    x = RNG.uniform(-1, 1, 4)
    close(tj.grad(f)(x), 2.0 + 2.0 * x)


def test_grad_of_jit_and_jit_of_grad():
    x = RNG.uniform(-1, 1, 8)
    expect = numeric_grad(fori_captured, x)
    close(tj.grad(tj.jit(fori_captured))(x), expect)
    close(tj.jit(tj.grad(tj.jit(fori_captured)))(x), expect)
    _, g = tj.value_and_grad(nested)(x)
    close(g, numeric_grad(nested, x))


def test_second_derivative_through_while_loop():
    """Forward over reverse through a while_loop (the backward loop differentiated again)."""
    def f(x):
        def body(s):
            v, k = s
            return np.sin(v) * x + 0.1, k + 1
        return np.sum(tj.while_loop(lambda s: s[1] < 3, body, (x, 0))[0])
    x = RNG.uniform(-1, 1, 3)
    h = tj.hessian(f)(x)
    expect = np.stack([numeric_grad(lambda v, i=i: tj.grad(f)(v)[i], x, 1e-5) for i in range(3)])
    np.testing.assert_allclose(h, expect, rtol=1e-5, atol=1e-6)


def python_for(x, w):
    y = x
    for i in range(12):
        y = np.sin(y) * w + 0.01 * i
    return np.sum(y * y)


def python_while(x):
    y = x
    while np.sum(y * y) > 0.01:
        y = y * 0.7 + np.sin(y) * 0.01
    return np.sum(y) + np.sum(np.tanh(x))


def python_if(x):
    s = np.sum(x)
    if s > 0:
        y = np.exp(x) * s
    else:
        y = np.sin(x) - s
    return np.sum(y * y)


def test_converted_python_loops_and_branches():
    x = RNG.uniform(-1, 1, 6)
    w = 0.8
    jitted = tj.jit(lambda v: python_for(v, w))
    check_both_modes(jitted, x, lambda v: python_for(v, w))
    assert all_ops(tj.jit(tj.grad(jitted)).lower(x).traced.graph)["while"] >= 3  # rolled, not unrolled
    check_both_modes(tj.jit(python_while), x, python_while)
    for shift in (2.0, -2.0):
        check_both_modes(tj.jit(python_if), x + shift, python_if)


def test_python_fallback_is_not_differentiable():
    """A NumPy function tracejit runs in Python (a host call under jit) is refused while
    differentiating, naming the function and the user's line."""
    def f(x):
        return np.sum(np.linalg.svd(x.reshape(2, 3), compute_uv=False))
    x = RNG.uniform(-1, 1, 6)
    assert "host" in all_ops(tj.jit(f).lower(x).traced.graph)  # (it is a host call when not differentiated)
    for g in (tj.grad(f), tj.jit(tj.grad(f)), tj.grad(tj.jit(f))):
        with pytest.raises(UnsupportedError, match=r"numpy.linalg.svd.*test_autodiff_control.py:\d+"):
            g(x)


def test_unused_carried_value():
    """Regression: sub-graphs whose arguments are not all used (an input node missing) were
    mis-numbered (a body carrying a run-time check's code: test_autodiff_linalg's solve in a loop)."""
    def f(x):
        def body(s):
            v, k = s
            return np.sin(x) * (k + 1.0), k + 1
        return np.sum(tj.while_loop(lambda s: s[1] < 4, body, (x, 0))[0] ** 2)
    check_both_modes(f, RNG.uniform(-1, 1, 5))


def test_float32_jacobians_integer_operands_and_eager():
    x = np.linspace(0.1, 0.9, 3)
    f32 = lambda v: np.sum(tj.fori_loop(0, 5, lambda i, c: np.sin(c) * np.float32(1.1), v.astype(np.float32)))  # noqa: E731
    g = tj.grad(f32)(x)
    close(g, numeric_grad(lambda v: float(np.sum(tj.fori_loop(0, 5, lambda i, c: np.sin(c) * 1.1, v))), x), 1e-5)

    def stepped(v):
        return tj.fori_loop(0, 3, lambda i, c: np.sin(c) * v, v)
    expect = np.stack([numeric_grad(lambda v, k=k: stepped(v)[k], x) for k in range(3)])
    close(tj.jacfwd(stepped)(x), expect)
    close(tj.jacrev(stepped)(x), expect)

    def int_operand(v):  # an integer carried through the branch with the float
        a, n = tj.cond(v[0] > 0, lambda a, n: (a * 2.0, n + 1), lambda a, n: (a * 3.0, n - 1), v, 5)
        return np.sum(a) * n
    check_both_modes(int_operand, x)
    check_both_modes(int_operand, -x)

    def captured_only(v):  # the carried value depends on v only through what the body captures
        return np.sum(tj.fori_loop(0, 4, lambda i, c: c * 0.5 + v, np.zeros(3)))
    check_both_modes(captured_only, x)

    def grows(v):
        return np.sum(tj.while_loop(lambda c: np.sum(c) < 10.0, lambda c: c * 1.5 + 0.1, v))
    expect = numeric_grad(grows, x)
    tj.config.disable_jit = True
    try:
        close(tj.grad(grows)(x), expect)  # the derivative's loops run by the interpreter
    finally:
        tj.config.disable_jit = False
    close(tj.grad(grows)(x), expect)
