"""Issue 14 round 2 (fuzzer campaign 101), Python numbers and builtin max/min on traced
values: each item as a differential test against eager NumPy, comparing results by
exact type too (a Python int is not a NumPy int64); the other Python-number items are in
test_semantics_dtypes.py."""
from __future__ import annotations

import numpy as np
import pytest

import tracejit as tj
from tests.differential import check
from tracejit.errors import UnsupportedError, is_user_error


def _types(x):
    if isinstance(x, (tuple, list)):
        return type(x)(_types(v) for v in x)
    if isinstance(x, dict):
        return {k: _types(v) for k, v in x.items()}
    return type(x), getattr(x, "dtype", None), getattr(x, "shape", None)


def check_typed(fn, *args):
    """``check`` (values, dtypes, arguments) plus: every leaf has eager's exact type."""
    got = check(fn, *args)
    want = fn(*args)
    assert _types(got) == _types(want), f"{_types(got)} != {_types(want)}"
    return got


F32 = np.array([3.0, -1.0, 4.0, 0.0, 5.0], np.float32)


# -- builtin max/min: the chosen item, unchanged ------------------------------------------------

def test_max_of_python_int_arguments_stays_python_int():
    """seed101001458: ``max(a4, a3)`` of Python ints, then ``>>`` an int16 array: int16."""
    def f(a, x, y):
        return max(y, x) >> a.astype(np.int16), min(x, y), max(x, 3), min([x, y, 7])
    check_typed(f, np.array([0.0, 1.0, 2.0]), 1, 5)
    check_typed(f, np.array([0.0, 1.0, 2.0]), 9, -5)


@pytest.mark.parametrize("k", [0, 2, 5])
def test_max_in_loop_body_keeps_python_int_carry(k):
    """seed101000317: a carry starting as Python int 3 through ``max(c, c) - c`` stays a
    Python int, so ``np.logaddexp(carry, float32_array)`` is float32."""
    def f(a):
        v = tj.fori_loop(0, (a > 0).sum(), lambda i, c: (np.exp2(c[0]), max(c[1], c[1]) - c[1]), (a.sum(), 3))[1]
        return np.logaddexp(v, a), v
    check_typed(f, F32[:k + 1])


def test_cond_of_python_float_stays_weak():
    """seed101001056: ``tj.cond`` branches returning ``max(c, c)`` and ``np.real(c)`` of a
    Python float operand give a Python float (``np.minimum`` with float32 stays float32)."""
    def f(a):
        v = tj.cond(a.sum() > 0.12, lambda c: max(c, c), lambda c: np.real(c), 2.5)
        return np.minimum(v, a), v, np.imag(2.5) + a
    check_typed(f, F32)
    check_typed(f, -F32)


def test_max_min_same_types_select_like_python():
    nan = np.float32(np.nan)

    def f(a):
        x, y = a[0], a[1]
        return (max(x, y), min(x, y), max(a), min(a), max(x, y, a[2]), max(a[:1], a[1:2]),
                max(a, key=lambda v: -v), min([x, y], key=abs), max(a, default=0.0), max([x]))
    check_typed(f, F32)
    check_typed(f, np.array([nan, 1.0, 2.0], np.float32))  # NaN first: never replaced
    check_typed(f, np.array([1.0, nan, -2.0], np.float32))  # NaN later: never chosen


@pytest.mark.parametrize("build", [
    lambda a: max(a.sum(axis=-1, dtype=np.int64), -0.0),  # seed101001609: int64 scalar vs Python float
    lambda a: max(a.argmax(axis=0), 2.0),  # seed101002019
    lambda a: max(np.ones_like(a.sum(), dtype=np.float64), a.sum()),  # seed101001340: 0-d array vs scalar
    lambda a: min(a[0], 1),  # float64 scalar vs Python int
    lambda a: max(a[:1], a[1:3]),  # shapes differ
], ids=["int64-pyfloat", "intp-pyfloat", "0d-scalar", "scalar-pyint", "shapes"])
def test_max_of_different_types_is_refused(build):
    """Python returns one item unchanged: with types that differ, the result's type
    would depend on the values (eagerly int64 or a Python float...): refused clearly."""
    f = tj.jit(build, fallback=False)
    with pytest.raises(UnsupportedError, match=r"builtin m(ax|in)\(\).*depend on the traced values") as info:
        f(np.array([1.0, 2.0, 3.0]))
    assert is_user_error(info.value) and "test_semantics_pynumbers.py" in str(info.value)


@pytest.mark.parametrize("values", [np.array([-1.0, 2.5, 0.25, 3.0]), np.array([-1.0, -2.0]),
                                    np.array([5.0, 1.0, 7.0, 2.0])])
def test_max_of_python_float_and_float64_is_the_float64(values):
    """A running maximum from ``0.0`` (a max drawdown, a ReLU by hand): Python returns the
    0.0 or the NumPy value, of one value and one dtype as an array either way (minmax.py)."""
    def drawdown(prices):
        peak, worst = prices[0], 0.0
        for p in prices:
            if p > peak:
                peak = p
            worst = max(worst, (peak - p) / peak)
        return worst, min(0.0, prices.sum()), max(prices[0], -1.5, prices[-1])

    def ints(a):
        return max(0, a.astype(np.int64).sum()), min(a.argmax(), 7)
    for fn in (drawdown, ints):
        got, want = tj.jit(fn)(values), fn(values)
        for g, w in zip(got, want):
            assert np.asarray(g).dtype == np.asarray(w).dtype and np.asarray(g) == np.asarray(w)


def test_max_of_different_python_types_from_loop_is_refused():
    """seed101000763: ``max(2.5, k)`` of a loop's Python int result."""
    def f(a):
        k = tj.while_loop(lambda c: c < a.sum(), lambda c: c + 1, 0)
        return max(2.5, k)
    with pytest.raises(UnsupportedError, match="a Python float and a Python int"):
        tj.jit(f, fallback=False)(F32)


def test_max_of_python_arguments_of_different_types_makes_them_static():
    f = tj.jit(lambda a, x, y: (max(x, y), a))
    for x, y in ((1, 2.5), (3, 2.5), (2.5, 2.5)):
        check_typed(lambda a, x, y: (max(x, y), a), F32, x, y)
        assert type(f(F32, x, y)[0]) is type(max(x, y))


def test_max_with_traced_keys_of_concrete_items():
    check_typed(lambda a: max([1.5, 2.5, -1.0], key=lambda v: v * a[0]), F32)
    check_typed(lambda a: max([1.5, 2.5, -1.0], key=lambda v: v * a[1]), F32)


# -- Python numbers keep their type through loops, branches and results -----------------------

def test_python_number_results_come_back_as_python_numbers():
    """seed101000763/seed101000626: a loop's Python int result is returned as a Python int."""
    def f(a, k):
        n = tj.while_loop(lambda c: c < a.sum(), lambda c: c + 1, 0)
        i = tj.fori_loop(0, 3, lambda i, c: c + i, 0)
        return n, i, k, k * 2, -k, abs(k), divmod(k, 3), pow(k, 2), 1 < k < 10, k / 2, np.real(k), np.imag(k)
    check_typed(f, F32, 5)
    check_typed(lambda a, x: (x, x + 1.5, x > 1.0, round(x * 1.5), max(x, 0.5)), F32, 2.25)


def test_python_bools_in_loops_and_branches():
    def f(a):
        b = tj.fori_loop(0, 3, lambda i, c: c & (i < 2), True)
        t = tj.cond(a.sum() > 3, lambda: True, lambda: False)
        w = tj.while_loop(lambda c: c[0] < a.sum(), lambda c: (c[0] + 1, c[0] > 2), (0, False))
        return b, t, w
    check_typed(f, F32)
    check_typed(f, -F32)


def test_fori_loop_lower_bound_python_int_argument():
    check_typed(lambda a, k: (tj.fori_loop(k, 5, lambda i, c: c + i, 0), a), F32, 2)
    check_typed(lambda a, k: (tj.fori_loop(k, 5, lambda i, c: c + a[i], a[0]), a), F32, 2)


def test_max_refusals_and_errors_name_the_line():
    a = np.array([1.0, 2.0, 3.0])
    with pytest.raises(UnsupportedError, match=r"key= giving traced values that are not numbers.*pynumbers"):
        tj.jit(lambda a: max([a[0], a[1]], key=lambda v: a * v), fallback=False)(a)
    with pytest.raises(UnsupportedError, match="beyond int64"):
        tj.jit(lambda a: tj.fori_loop(0, 2, lambda i, c: max(c, 2**70), 0), fallback=False)(a)
    with pytest.raises(ValueError, match="ambiguous"):
        tj.jit(lambda a: max(a[:2], a[1:]), fallback=False)(a)
    with pytest.raises(ValueError, match="ambiguous"):
        max(a[:2], a[1:])
