"""Regressions found by the algorithm kernels (tests/realworld/algorithms2.py, algorithms3.py): each
minimized, run under tj.jit against eager NumPy (values, dtypes, arguments after the call)."""
from __future__ import annotations

import copy

import numpy as np
import pytest

import tracejit as tj
from tests.differential import same
from tests.realworld.algorithms2 import quickselect
from tests.realworld.algorithms4 import pancake_sort


def _check(fn, *calls):
    jitted = tj.jit(fn)
    for args in calls:
        eager_args, jit_args = copy.deepcopy(args), copy.deepcopy(args)
        same(jitted(*jit_args), fn(*eager_args))
        for g, w in zip(jit_args, eager_args):
            same(g, w)
    return jitted


def test_and_in_a_test_of_an_int_and_a_bool():
    def reachable(adj, dist):
        count = 0
        for v in range(len(dist)):
            if adj[v] and dist[v] == -1:
                count += 1
            while count < 0 or adj[v] and not dist[v]:
                count += 10
                break
        return count

    _check(reachable, (np.array([0, 1, 2, 3, 0]), np.array([-1, -1, 0, -1, 2])),
           (np.array([1, 0, 5]), np.array([-1, 0, 0])))


def test_and_of_an_int_and_a_bool_as_a_value_is_refused():
    def value(a):
        x = a[0] and a[1] > 0
        return x

    with pytest.raises(tj.UnsupportedError, match="differ"):
        tj.jit(value, fallback=False)(np.array([1, 2]))


@pytest.mark.parametrize("dtype", [np.uint8, np.int64, np.float64])
def test_chained_comparison_of_traced_values(dtype):
    def letters(s):
        n = 0
        for i in range(len(s)):
            a = s[i]
            if 65 <= a <= 90 or 97 <= a < 123:
                n += 1
            elif not (48 <= a <= 57):
                n += 100
        return n, 0 < s[0] < s[-1] <= 200

    _check(letters, (np.array([65, 97, 10, 122, 123, 90, 48, 57, 58], dtype=dtype),),
           (np.array([200, 1], dtype=dtype),))


def test_unique_is_a_selection():
    def distinct(labels):
        u = np.unique(labels)
        return len(u), u, u.sum()

    _check(distinct, (np.array([3, 1, 3, 2, 1]),), (np.array([[1.0, np.nan], [np.nan, 1.0]]),),
           (np.zeros(0, np.int32),), (np.array([7]),))
    with pytest.raises(tj.UnsupportedError, match="axis"):
        tj.jit(lambda x: np.unique(x, axis=0), fallback=False)(np.array([1, 1]))


def test_traced_while_carries_an_array_a_helper_writes():
    """quickselect (tests/realworld): the while loop carries the array its helper partitions."""
    rng = np.random.default_rng(0)
    _check(quickselect, (rng.standard_normal(9), 4), (rng.standard_normal(13), 0), (rng.standard_normal(13), 12))


def _bump(a, i):
    a[i] += 1
    return a[i] * 2


def test_traced_if_and_for_carry_an_array_a_helper_writes():
    def into_argument(a, x):
        t = 0
        for i in range(len(x)):
            if x[i] > 0:
                t += _bump(a, i)
                t += a[i]
        return t

    def into_row(x):
        a = np.zeros((3, len(x)))
        for i in range(len(x)):
            if x[i] > 0:
                _bump(a[1], i)
        return a

    def in_while(x):
        a = np.zeros(len(x), dtype=np.int64)
        i = 0
        while i < len(x):
            if x[i] % 2 == 0:
                _bump(a, i)
                _bump(a, (i + 1) % len(x))
            else:
                a[i] -= 5
            i += 1
        return a

    _check(into_argument, (np.arange(5), np.array([1, -1, 2, 0, 3])), (np.arange(7), np.array([0, 1, 2, 0, 3, 5, -4])))
    _check(into_row, (np.array([2, -3, 4, 6, -1]),), (np.array([1.0, 0.0]),))
    _check(in_while, (np.array([2, 3, 4, 6, 1]),), (np.array([1, 1, 8]),))


def test_return_inside_a_loop_rolls_once():
    def first_above(x, t):
        for i in range(len(x)):
            if x[i] > t:
                return i
        return -1

    def nested(x):
        n = len(x)
        for s in range(n):
            if x[s] < 0:
                continue
            k = 0
            while k < n:
                for v in range(n):
                    if x[v] == x[k] + 10:
                        return False
                k += 1
        return True

    jitted = _check(first_above, (np.arange(10), 3), (np.arange(10), 30), (np.arange(3.0), 0.5))
    notes = jitted.lower(np.arange(10), 3).as_text("source")
    assert "unrolled" not in notes and "rolled (10 steps)" in notes
    jitted = _check(nested, (np.arange(10),), (np.array([0, 5, -1, 15, 2]),))
    assert "unrolled" not in jitted.lower(np.arange(10)).as_text("source")


def test_tuple_of_traced_numbers_written_into_a_row():
    def push(x):
        stack = np.zeros((len(x), 2), dtype=np.int64)
        rows = np.zeros((len(x), 3))
        for i in range(len(x)):
            stack[i] = i, x[i]
            rows[i] = [x[i] * 0.5, 1, i]
            if x[i] > 2:
                stack[i, :] = (x[i], 7)
        return stack, rows

    _check(push, (np.array([1, 5, 2, 9]),), (np.array([3]),))


def test_loop_with_continue_does_not_peel_its_last_step():
    def positives(grid):
        total = 0
        for r in range(grid.shape[0]):
            for c in range(grid.shape[1]):
                if grid[r, c] <= 0:
                    continue
                total += grid[r, c]
        return total

    jitted = _check(positives, (np.array([[1, -2, 3], [0, 5, -1]]),), (np.arange(-3, 9).reshape(4, 3),))
    notes = jitted.lower(np.zeros((2, 7), np.int64)).as_text("source")
    assert "the last after the loop" not in notes and "rolled (7 steps)" in notes


def test_and_of_pure_comparisons_is_a_select():
    def neighbours(g, y0, x0):
        rows, cols = g.shape
        count = 0
        for dy, dx in ((1, 0), (-1, 0), (0, 1), (0, -1)):
            ny, nx = y0 + dy, x0 + dx
            if 0 <= ny < rows and 0 <= nx < cols and g[ny, nx] == 1:
                count += 1
            if ny < 0 or nx >= cols or ny == nx:
                count += 10
            inside = ny >= 0 and nx >= 0
            count += int(inside)
        return count

    g = np.array([[1, 0, 1], [1, 1, 0]])
    jitted = _check(neighbours, *[(g, np.int64(y), np.int64(x)) for y, x in ((0, 0), (1, 2), (0, 1))])
    graph = jitted.lower(g, np.int64(0), np.int64(0)).as_text("graph")
    assert graph.count("cond") < 16  # (one per `if` and per `and` reading g: none for the comparisons)


def test_reversed_range_selection():
    def flip_rows(X, k):
        Y = X.copy()
        Y[:k] = Y[:k][::-1]
        return Y, X[1:k][::-1].sum(axis=0)

    rng = np.random.default_rng(1)
    _check(pancake_sort, (rng.standard_normal(7),), (rng.standard_normal(2),), (rng.standard_normal(1),))
    X = rng.standard_normal((5, 3))
    _check(flip_rows, *[(X, np.int64(k)) for k in (0, 1, 3, 5, 9, -2)])
