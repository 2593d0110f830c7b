"""Regressions of structured control flow (issue 14, items 2-5, 9, 14 and their siblings).

Programs that crashed the process (segfault, heap corruption) or hung run in a
subprocess, so a regression fails one test instead of killing pytest; the rest compare
with the same function run eagerly (``tests/conftest.py``'s ``check_jit``)."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import tracejit as tj
from tests.conftest import assert_same, check_jit
from tracejit.errors import UnsupportedError

PRELUDE = """
import numpy as np, tracejit as tj
def same(got, want):
    got = got if isinstance(got, tuple) else (got,)
    want = want if isinstance(want, tuple) else (want,)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        g, w = np.asarray(g), np.asarray(w)
        assert g.dtype == w.dtype and g.shape == w.shape, (g.dtype, w.dtype, g.shape, w.shape)
        np.testing.assert_allclose(g, w, rtol=1e-12)
"""


def run_isolated(body: str, timeout: int = 240) -> None:
    """Run ``body`` (after PRELUDE) in a fresh interpreter: it must exit 0 in time."""
    env = dict(os.environ, TRACEJIT_CACHE="0")
    code = PRELUDE + textwrap.dedent(body) + "\nprint('done')\n"
    try:
        res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                             timeout=timeout, cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    except subprocess.TimeoutExpired:
        pytest.fail(f"hung (over {timeout} s)")
    assert res.returncode == 0 and res.stdout.strip().endswith("done"), \
        f"exit {res.returncode}\n{res.stdout[-2000:]}\n{res.stderr[-3000:]}"


# -- carried values and operands with a buffer another kernel shrank or laid out oddly (items 2-4)
def test_item2_carry_from_fortran_or_transposed_argument():
    run_isolated("""
    def f(a):
        c = tj.fori_loop(0, 2, lambda i, c: c + 1, a + 1)
        return c, a * 2
    for a in (np.ones((4, 3)).T, np.asfortranarray(np.arange(12.0).reshape(4, 3)), np.arange(12.0).reshape(4, 3)[::-1]):
        same(tj.jit(f)(a), f(a))
    """)


def test_item3_carry_from_partial_reduction_with_epilogue():
    run_isolated("""
    a = np.arange(6.0).reshape(3, 2)
    for g in [lambda a: tj.fori_loop(0, 2, lambda i, c: c + 1, a.sum(axis=1) * 2.0),
              lambda a: tj.fori_loop(0, 2, lambda i, c: c + 1, a.sum(axis=0).copy()),
              lambda a: tj.fori_loop(0, 2, lambda i, c: c + 1, a.max(axis=1) + 1),
              lambda a: tj.while_loop(lambda s: s[0] < 3, lambda s: (s[0] + 1, s[1] * 2), (0, a.sum(axis=1) * 2.0))[1],
              lambda a: tj.cond(a.sum() > 0, lambda x: x + 1, lambda x: x - 1, a.max(axis=1) + 1)]:
        same(tj.jit(g)(a), g(a))
    """)


def test_item4_cond_operand_negative_stride_or_fortran():
    run_isolated("""
    g = lambda a: tj.cond(a.sum() > 0, lambda x: x + 1, lambda x: x - 1, a)
    for a in (np.arange(6.0).reshape(3, 2)[::-1], np.asfortranarray(np.arange(6.0).reshape(3, 2)),
              np.arange(12.0).reshape(3, 4)[:, ::2], -np.arange(6.0).reshape(2, 3).T):
        same(tj.jit(g)(a), g(a))
    """)


def test_row_scratch_temp_read_by_a_later_matmul():
    """A temp of a row-fused kernel read by a gemm stays whole (items 6 and 19's kernels)."""
    y, w = np.random.default_rng(0).standard_normal((128, 10)), np.random.default_rng(1).standard_normal((10, 64))
    check_jit(lambda y, w: (y + y.sum(axis=1, keepdims=True)) @ w, y, w, rtol=1e-12)


# -- code reused for a new shape (items 5, 14; item 21 without loops) ---------------------------
def test_item5_while_program_reused_for_new_shape():
    run_isolated("""
    def f(a):
        return tj.while_loop(lambda s: (s[0] < 4) & (s[1].sum() < 1e9),
                             lambda s: (s[0] + 1, s[1] + a), (0, a * 1.0))[1]
    g = tj.jit(f)
    for n in (5, 18, 100, 1000, 7):
        same(g(np.arange(1.0, n)), f(np.arange(1.0, n)))
    """)


def test_item14_data_dependent_trip_count_reused_for_new_length():
    run_isolated("""
    def f(a):
        return tj.fori_loop(0, (a > 0).sum(), lambda i, st: (st[0] / 2 + 1, st[1] + st[0].sum()), (a, 0.0))[1]
    g = tj.jit(f)
    for n in (7, 17, 3, 64):
        same(g(np.arange(n) - 2.0), f(np.arange(n) - 2.0))
    """, timeout=120)


def test_item21_arena_slots_follow_buffers_not_placement():
    def f(a0, a2):
        v2 = np.median(np.reciprocal(a2))
        v4 = np.roll(a0, 5, axis=1).astype("uint8")
        v4[[0, 0, 1]] += 127
        return v4, v2
    g = tj.jit(f)
    a2 = np.array([1, 2, 4], np.uint32)
    for n in (7, 3, 40):
        a0 = np.arange(n * 3).reshape(n, 3)
        assert_same(g(a0, a2), f(a0, a2), rtol=1e-12)


def test_nested_loops_reused_for_new_shapes():
    def f(a):
        def outer(i, c):
            return tj.fori_loop(0, (a > 1).sum(), lambda j, d: d * 0.5 + a.sum(axis=0), c) + i
        return tj.fori_loop(0, 3, outer, a[0] * 1.0)
    g = tj.jit(f)
    for shape in ((4, 3), (9, 5), (2, 40)):
        a = np.arange(np.prod(shape), dtype=float).reshape(shape) % 5
        assert_same(g(a), f(a), rtol=1e-12)


# -- Python numbers carried through loops and branches (item 9) ----------------------------------
def test_item9_python_int_counter_stays_weak():
    def f(a):
        k = tj.while_loop(lambda k: k < 3, lambda k: k + 1, 0)
        return a + k
    check_jit(f, np.ones(3, np.float32))


@pytest.mark.parametrize("body", [
    lambda i, c: c + i * 2,
    lambda i, c: c + (i + 1) / 2,
    lambda i, c: c - abs(i - 2) // 2,
])
def test_arithmetic_on_the_loop_index_is_a_python_number(body):
    check_jit(lambda a: tj.fori_loop(0, 4, body, a), np.arange(3, dtype=np.float32))


def test_python_int_carry_retyped_by_the_body():
    """Eagerly its type depends on whether the body ran: known only for concrete bounds."""
    check_jit(lambda a: a + tj.fori_loop(0, 3, lambda i, c: c + 0.5, 0), np.ones(3, np.float32))
    check_jit(lambda a: a + tj.fori_loop(0, 3, lambda i, c: c + a.sum(), 0), np.ones(3, np.float32))
    check_jit(lambda a: tj.fori_loop(0, 0, lambda i, c: c + 0.5, 0) + a, np.ones(3, np.int32))
    for f in (lambda a: a + tj.while_loop(lambda k: k < 3, lambda k: k + 0.5, 0),
              lambda a: tj.fori_loop(0, (a > 0).sum(), lambda i, c: c + a.sum(), 0)):
        with pytest.raises(TypeError, match="differ.*test_control_regressions"):
            tj.jit(f, fallback=False)(np.ones(3, np.float32))


def test_fori_first_step_retyping_or_broadcasting_the_carry():
    a = np.arange(3, dtype=np.int32)
    check_jit(lambda a: tj.fori_loop(0, 3, lambda i, c: c + 0.5, a), a)
    check_jit(lambda a: tj.fori_loop(0, 3, lambda i, c: c + a[:, None], a), a)


def test_cond_python_numbers():
    a = np.ones(3, np.float32)
    check_jit(lambda a: a + tj.cond(a.sum() > 0, lambda: 1, lambda: 2), a)
    check_jit(lambda a: tj.cond(a.sum() < 0, lambda: np.int64(1), lambda: 2), a)
    check_jit(lambda a: a + tj.cond(a.sum() < 0, lambda: a.sum(), lambda: 2.5), a.astype(np.float64))


@pytest.mark.parametrize("true, false", [(lambda: np.int8(1), lambda: 2.5), (lambda: 1, lambda: 2.5),
                                         (lambda: np.float32(1), lambda: 2.5), (lambda: np.int8(1), lambda: 2)])
def test_cond_result_type_depending_on_the_branch_is_a_clear_error(true, false):
    with pytest.raises(TypeError, match="differ.*test_control_regressions"):
        tj.jit(lambda a: tj.cond(a.sum() > 0, true, false), fallback=False)(np.ones(3))


def test_fori_first_step_making_a_carry_complex():
    a = np.arange(3.0) + 1j
    check_jit(lambda a: tj.fori_loop(0, 3, lambda i, c: c + a.sum(), 0.5), a)
    check_jit(lambda a: tj.fori_loop(0, 2, lambda i, c: c * a, np.ones(3)), a)


# -- run-time checks inside loops and branches; errors of code that never runs ---------------------
def _raises_like_eager(fn, *args):
    with pytest.raises(Exception) as eager:
        fn(*args)
    with pytest.raises(type(eager.value)):
        tj.jit(fn)(*args)


def test_gather_out_of_range_inside_a_loop_body_raises():
    f = lambda a, idx, n: tj.fori_loop(0, n, lambda i, c: c + a[idx], np.zeros(2))
    a = np.arange(5.0)
    _raises_like_eager(f, a, np.array([1, 9]), np.int64(2))
    check_jit(f, a, np.array([1, 9]), np.int64(0))  # the body never runs
    check_jit(f, a, np.array([1, -5]), np.int64(3))


def test_gather_out_of_range_inside_a_branch_and_a_loop_condition_raises():
    a = np.arange(5.0)
    g = lambda a, idx: tj.cond(a.sum() > 0, lambda: a[idx], lambda: a[:2])
    _raises_like_eager(g, a, np.array([1, 7]))
    check_jit(g, -a, np.array([1, 7]))  # the other branch is taken
    h = lambda a, idx: tj.while_loop(lambda s: s[0] + a[idx].sum() < 20, lambda s: (s[0] + 1, s[1] * 2), (0.0, a))
    check_jit(h, a, np.array([1, 2]))
    _raises_like_eager(h, a, np.array([1, 9]))


def test_nested_cond_check_in_a_loop():
    f = lambda a, idx: tj.fori_loop(0, 3, lambda i, c: tj.cond(i == 2, lambda x: x + a[idx], lambda x: x + 1, c),
                                    np.zeros(2))
    a = np.arange(5.0)
    check_jit(f, a, np.array([0, 4]))
    _raises_like_eager(f, a, np.array([0, 5]))


def test_untaken_branch_and_zero_trip_body_that_fail_to_trace():
    e = np.zeros((0, 3))
    f = lambda a: tj.cond(a.sum() > 1, lambda x: x[0] + 1, lambda x: x.sum(axis=0), a)
    check_jit(f, e)
    g = lambda a, n: tj.fori_loop(0, n, lambda i, c: c + a[0], np.zeros(3))
    check_jit(g, e, np.int64(0))
    _raises_like_eager(g, e, np.int64(1))


# -- writes into carried values and branch operands reach the caller's arrays ---------------------
def _bump(i, c):
    c += 1
    return c


def _mark(i, c):
    c[i] = -1.0
    return c


def _set_first(x):
    x[0] = 9.0
    return x.sum()


def check_with_args(fn, *args):
    """Jitted vs eager, results and the arguments after the call."""
    eager_args = [a.copy() for a in args]
    jit_args = [a.copy() for a in args]
    want = fn(*eager_args)
    got = tj.jit(fn)(*jit_args)
    assert_same(got, want)
    assert_same(tuple(jit_args), tuple(eager_args))


@pytest.mark.parametrize("fn", [
    lambda a, n: tj.fori_loop(0, 3, _bump, a),
    lambda a, n: (tj.fori_loop(0, 3, _bump, a[::-1] * 1), a),
    lambda a, n: tj.fori_loop(0, 3, _mark, a[::-1]),
    lambda a, n: tj.fori_loop(0, n, _mark, a[1:]),
    lambda a, n: tj.while_loop(lambda s: s[0] < n, lambda s: (s[0] + 1, _mark(s[0], s[1])), (0, a[:3])),
    lambda a, n: tj.cond(a.sum() > 0, _set_first, lambda x: x.sum(), a[::2]),
    lambda a, n: tj.cond(a.sum() < 0, _set_first, lambda x: x.sum(), a[::2]),
])
@pytest.mark.parametrize("n", [0, 2])
def test_writes_into_carried_values_and_operands_reach_the_caller(fn, n):
    check_with_args(fn, np.arange(4.0), np.int64(n))


@pytest.mark.parametrize("fn", [
    lambda a: tj.cond(a.sum() > 0, lambda x, y: _set_first(x) + y.sum(), lambda x, y: x.sum(), a, a),
    lambda a: tj.fori_loop(0, 2, lambda i, c: _bump(i, c) + a, a),
    lambda a: tj.fori_loop(0, 2, lambda i, c: (_bump(i, c[0]), c[1]), (a, a)),
])
def test_writes_eager_aliasing_cannot_mirror_are_refused(fn):
    with pytest.raises(UnsupportedError, match="test_control_regressions"):
        tj.jit(fn, fallback=False)(np.arange(4.0))
