"""Python float/int/bool arguments are traced as NumPy 2 weak scalars: a new value does
not retrace, results match eager NumPy (dtype and value), and an argument whose value
the function needs (if, shape, index, narrowing cast) becomes static instead."""
from __future__ import annotations

import math
import operator

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tracejit as tj
from tests.conftest import assert_same

DTYPES = [np.float32, np.float64, np.int8, np.int32, np.int64, np.uint8, np.bool_]


def _array(dtype, n=7):
    rng = np.random.default_rng(0)
    if np.dtype(dtype).kind == "b":
        return rng.random(n) > 0.5
    if np.dtype(dtype).kind in "iu":
        return rng.integers(0, 5, n).astype(dtype)
    return rng.standard_normal(n).astype(dtype)


def _both(fn, *args):
    """(jit result or exception type, eager result or exception type)."""
    out = []
    for f in (tj.jit(fn), fn):
        try:
            with np.errstate(all="ignore"):
                out.append(f(*args))
        except Exception as e:  # noqa: BLE001 - compared by type
            out.append(type(e))
    return out


def test_a_new_learning_rate_does_not_retrace():
    @tj.jit
    def step(w, g, lr):
        return w - lr * g

    w, g = _array(np.float32), _array(np.float32)
    for lr in (0.1, 0.01, 1e-3, -0.0, float("inf")):
        with np.errstate(all="ignore"):
            assert_same(step(w, g, lr), w - lr * g)
    assert step.cache_info().traces == 1 and step.cache_info().hits == 4


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("value", [2.5, 3, True, -1.0e300, 0])
@pytest.mark.parametrize("op", [operator.add, operator.mul, operator.truediv, operator.sub, operator.lt,
                                np.maximum, lambda x, s: np.where(x > 1, x, s), lambda x, s: s - x])
def test_promotion_matches_numpy(dtype, value, op):
    x = _array(dtype)
    got, want = _both(lambda x, s: op(x, s), x, value)
    if isinstance(want, type):  # eager raised (e.g. OverflowError): jit raises the same
        assert got is want
    else:
        assert_same(got, want)


def test_python_arithmetic_on_traced_scalars():
    @tj.jit
    def adam(p, m, v, g, t, lr, b1, b2):
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        mh = m / (1 - b1 ** t)
        vh = v / (1 - b2 ** t)
        return p - lr * mh / (np.sqrt(vh) + 1e-8), m, v

    rng = np.random.default_rng(1)
    p, m, v = rng.standard_normal(50).astype(np.float32), np.zeros(50, np.float32), np.zeros(50, np.float32)
    for t in range(1, 8):
        g = rng.standard_normal(50).astype(np.float32)
        want = adam.eager(p, m, v, g, t, 1e-3, 0.9, 0.999)
        got = adam(p, m, v, g, t, 1e-3, 0.9, 0.999)
        assert_same(got, want, rtol=1e-6, atol=1e-7)
        p, m, v = got
    assert adam.cache_info().traces == 1  # t, lr and the betas are traced


def test_values_the_function_needs_become_static():
    @tj.jit
    def f(x, n, flag, scale):
        y = x[:n] * np.zeros(n) + scale if flag else x[:n] - scale
        for _ in range(n):
            y = y + 1.0
        return y

    x = np.arange(10.0)
    for n, flag, scale in [(3, True, 2.0), (3, True, 5.0), (4, False, 5.0), (4, False, 7.5)]:
        assert_same(f(x, n, flag, scale), f.eager(x, n, flag, scale))
    assert f.cache_info().traces == 2  # n and flag became static; scale stays traced


@pytest.mark.parametrize("fn", [
    lambda x, s: x * math.sqrt(s), lambda x, s: x * float(s), lambda x, s: x[int(s)],
    lambda x, s: x * {1.5: 2.0}.get(s, 3.0), lambda x, s: x + np.asarray([s, s, s]),
    lambda x, s: x * round(s), lambda x, s: (x, f"{s:.2f}"), lambda x, s: x * (s if s > 1 else -s),
])
def test_python_uses_of_the_value_work(fn):
    x = np.arange(3.0)
    for s in (1.5, 2.5):
        assert_same(tj.jit(fn)(x, s), fn(x, s))


def test_python_scalars_have_no_array_methods():
    f = tj.jit(lambda s: s.sum())
    with pytest.raises(AttributeError, match="'float' object has no attribute 'sum'"):
        f(2.0)
    with pytest.raises(TypeError, match="not subscriptable"):
        tj.jit(lambda s: s[0])(2)


def test_narrowing_and_overflow_follow_numpy():
    f = tj.jit(lambda x, k: x + k)
    i8 = np.arange(5, dtype=np.int8)
    assert_same(f(i8, 3), i8 + 3)
    with pytest.raises(OverflowError):
        f(i8, 1000)
    assert_same(f(np.arange(5), 2**40), np.arange(5) + 2**40)
    assert_same(f(np.arange(5.0), 2**62 + 1), np.arange(5.0) + (2**62 + 1))  # rounded once, as NumPy
    assert_same(f(np.arange(5.0), 2**80), np.arange(5.0) + 2**80)  # beyond int64: static


def test_containers_of_python_scalars():
    f = tj.jit(lambda hp, x: x * hp["scale"] + hp["shift"][1])
    x = _array(np.float32)
    for scale in (0.5, 2.0, 3.0):
        hp = {"scale": scale, "shift": (0, 1.5)}
        assert_same(f(hp, x), x * scale + 1.5)
    assert f.cache_info().traces == 1


def test_a_returned_scalar_argument_keeps_its_value():
    f = tj.jit(lambda x, s: (x * s, s * 2, s > 1))
    x = _array(np.float32)
    got = f(x, 1.25)
    assert_same(got[0], x * 1.25)
    assert got[1] == 2.5 and bool(got[2]) is True


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(dtype=st.sampled_from(DTYPES), s=st.one_of(st.floats(allow_nan=True), st.integers(-2**70, 2**70),
                                                     st.booleans()),
       op=st.sampled_from([operator.add, operator.mul, operator.truediv, operator.ge, np.minimum,
                           operator.floordiv]))
def test_random_scalars_match_numpy(dtype, s, op):
    x = _array(dtype)
    got, want = _both(lambda x, s: op(x, s) * 1, x, s)
    if isinstance(want, type):
        assert got is want
    else:
        assert_same(got, want)


@pytest.mark.parametrize("value", [2**63, -2**63 - 1, 2**70])
@pytest.mark.parametrize("op", [operator.ge, operator.lt, operator.eq, operator.ne])
def test_comparisons_with_ints_beyond_int64(value, op):
    """NumPy compares by value: every element compares the same way (found by hypothesis)."""
    x = _array(np.int8)
    for fn in (lambda x, s: op(x, s) * 1, lambda x, s: op(s, x) * 1):
        got, want = _both(fn, x, value)
        assert_same(got, want)
