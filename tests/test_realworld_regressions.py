"""Regressions found by the real-world kernels (tests/realworld): each minimized, run under tj.jit
against eager NumPy."""
from __future__ import annotations

import math
from math import sqrt

import numpy as np
import pytest

import tracejit as tj
from tests.differential import same


def test_tuple_target_item_swap_in_traced_branch():
    def one_pass(a):
        x = a.copy()
        for j in range(len(x) - 1):
            if x[j] > x[j + 1]:
                x[j], x[j + 1] = x[j + 1], x[j]
        return x

    f = tj.jit(one_pass)
    for a in (np.array([3.0, 1, 2, 0, 5, 4, 7, 6, 9, 8]), np.array([5, 4, 3, 2, 1, 0, -1, -2, -3, -4, -5])):
        same(f(a), one_pass(a))


def test_list_appended_in_loop_with_traced_break_has_a_traced_length():
    def losses_until(x):
        losses = []
        prev = np.inf
        for epoch in range(50):
            loss = x.sum() / (epoch + 1)
            losses.append(loss)
            if prev - loss < 0.5:
                break
            prev = loss
        return len(losses)

    for x in (np.ones(10), np.ones(3), np.zeros(4)):
        same(tj.jit(losses_until)(x), losses_until(x))


def test_return_inside_endless_while():
    def newton_sqrt(a, tol):
        x = np.maximum(a, 1.0)
        while True:
            x_new = 0.5 * (x + a / x)
            if np.max(np.abs(x_new - x)) < tol:
                return x_new
            x = x_new

    for a in (np.array([2.0, 9.0, 30.0]), np.array([0.5, 1e4])):
        np.testing.assert_allclose(tj.jit(newton_sqrt)(a, 1e-12), newton_sqrt(a, 1e-12), rtol=1e-15)


def linear_search(a, target):
    for i in range(len(a)):
        if a[i] == target:
            return i
    return -1


def is_sorted(a):
    for i in range(len(a) - 1):
        if a[i] > a[i + 1]:
            return False
    return True


def first_match_while(a, target):
    i = 0
    while i < len(a):
        if a[i] == target:
            return a[i] * 2.0
        i += 1
    return -1.0


@pytest.mark.parametrize("fun, args", [
    (linear_search, (np.array([1, 3, 5, 3, 2, 9, 9, 9, 9, 9]), 3)),
    (linear_search, (np.array([1, 3, 5, 3, 2, 9, 9, 9, 9, 9]), 4)),
    (linear_search, (np.arange(13.0), 12.0)),
    (is_sorted, (np.arange(12),)),
    (is_sorted, (np.array([1, 2, 3, 2, 5, 6, 7, 8, 9, 10, 11]),)),
    (first_match_while, (np.arange(12.0), 5.0)),
    (first_match_while, (np.arange(12.0), 55.0)),
])
def test_return_inside_traced_loop(fun, args):
    got, want = tj.jit(fun)(*args), fun(*args)
    assert got == want and type(got) is type(want) or (float(got) == want and np.asarray(got).dtype == np.float64)


def test_polyval_diagflat_result_type():
    def f(c, x, v, s):
        return (np.polyval(c, x), np.polyval(c, s), np.polyval([1.0, 2.0], x), np.diagflat(v), np.diagflat(v, -1),
                np.zeros(2, np.result_type(c, v, s)))

    for args in [(np.array([1.0, 0.0, -2.0]), np.arange(4.0), np.arange(4).reshape(2, 2), 1.5),
                 (np.array([1, 2, 3]), np.arange(3, dtype=np.int8), np.arange(3, dtype=np.float32), 2)]:
        for got, want in zip(tj.jit(f)(*args), f(*args)):
            same(got, want)


def test_list_index_holding_a_traced_scalar():
    def swap_rows(M, v):
        M = M.copy()
        p = np.argmax(v)
        M[[0, p]] = M[[p, 0]]
        return M, M[[[p], [1]]]

    M = np.arange(12.0).reshape(4, 3)
    for v in (np.array([0, 1, 5, 2]), np.array([9, 1, 5, 2])):
        for got, want in zip(tj.jit(swap_rows)(M, v), swap_rows(M, v)):
            same(got, want)


def test_array_made_from_constants_written_in_traced_branch():
    def pivot_rows(v):
        P = np.eye(v.shape[0])
        p = np.argmax(v)
        if p != 0:
            P[[0, p]] = P[[p, 0]]
        return P

    for v in (np.array([0.0, 3.0, 1.0]), np.array([5.0, 3.0, 1.0])):
        same(tj.jit(pivot_rows)(v), pivot_rows(v))


def test_temporary_read_after_loop_over_python_int_argument():
    def last_labels(X, C, iters):
        for _ in range(iters):
            labels = ((X[:, None, :] - C[None, :, :]) ** 2).sum(axis=2).argmin(axis=1)
            C = C + 0.1
        return labels

    rng = np.random.default_rng(0)
    X, C = rng.standard_normal((20, 2)), rng.standard_normal((3, 2))
    f = tj.jit(last_labels)
    for iters in (4, 40):
        same(f(X, C, iters), last_labels(X, C, iters))


def test_temporary_read_after_loop_of_traced_count_names_the_loop():
    def f(x):
        for _ in range((x > 0).sum()):
            y = x * 2
            x = x + 1
        return y

    with pytest.raises(UnboundLocalError, match=r"'y' is assigned only inside the `for` loop at .*:\d+"):
        tj.jit(f, fallback=False)(np.arange(3.0))


def test_math_module_on_traced_numbers():
    def f(x, k):
        total = 0.0
        for i in range(x.shape[0]):
            v = x[i]
            total += math.exp(-k * v * v) + sqrt(abs(v)) + math.atan2(v, 2.0) + math.floor(v) + math.isnan(v)
        return total, math.pi * k, math.cos(x.sum())

    x = np.linspace(-2.0, 3.0, 11)
    for got, want in zip(tj.jit(f)(x, 0.5), f(x, 0.5)):
        assert type(got) is type(want) and abs(got - want) <= 1e-12 * max(1.0, abs(want))


def test_math_domain_error_raises_after_the_call():
    def f(x):
        return math.sqrt(x.sum())

    assert tj.jit(f)(np.array([4.0])) == 2.0
    with pytest.raises(ValueError, match="math domain error"):
        tj.jit(f)(np.array([-4.0]))


def test_list_appended_in_loop_over_python_int_argument():
    def euler(y0, h, n):
        y = y0
        history = [y]
        for _ in range(n):
            y = y - h * 2.0 * y
            history.append(y)
        return np.array(history)

    f = tj.jit(euler)
    for n in (10, 13):
        np.testing.assert_allclose(f(1.0, 0.05, n), euler(1.0, 0.05, n), rtol=1e-15)


def test_return_inside_loop_on_some_paths_only_is_a_clear_error():
    def first_index(a, target):
        for i in range(len(a)):
            if a[i] == target:
                return i

    with pytest.raises(tj.UnsupportedError, match="returns a value on some paths and None on others"):
        tj.jit(first_index, fallback=False)(np.arange(12), 5)
