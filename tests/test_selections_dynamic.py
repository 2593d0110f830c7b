"""Selections of data-dependent size, against NumPy eager: Python's builtins on traced values
(frontend/pybuiltins.py: len, int, float, bool, round), reductions of boolean selections along
axes (frontend/numpy/selection_reduce.py), k-means written with them."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import tracejit as tj
from tests.conftest import assert_same
from tests.differential import check
from tracejit.frontend.pybuiltins import CONVERTED, bool_, float_, int_, len_, round_

RNG = np.random.default_rng(16)


# -- the builtins' replacements ------------------------------------------------------------------

def test_replacements_are_the_builtins_on_python_values():
    assert CONVERTED[len] is len_ and CONVERTED[int] is int_ and CONVERTED[float] is float_
    assert CONVERTED[bool] is bool_ and CONVERTED[round] is round_
    calls = [(len_, len, ("abc",)), (len_, len, (np.ones((3, 2)),)), (int_, int, ()), (int_, int, ("ff", 16)),
             (int_, int, (2.7,)), (int_, int, (np.float32(-2.5),)), (float_, float, ("1.5",)), (float_, float, ()),
             (bool_, bool, ([],)), (bool_, bool, (np.int8(3),)), (round_, round, (2.5,)), (round_, round, (2.567, 2)),
             (round_, round, (np.float64(3.5),))]
    for mine, builtin, args in calls:
        got, want = mine(*args), builtin(*args)
        assert got == want and type(got) is type(want), (builtin, args)
    for mine, builtin, args in [(len_, len, (3,)), (int_, int, ("x",)), (float_, float, ([1],)),
                                (int_, int, (np.ones(2),))]:
        with pytest.raises(type(_raised(builtin, args))):
            mine(*args)


def _raised(fn, args):
    try:
        fn(*args)
    except Exception as e:  # noqa: BLE001 - its type is what is compared
        return e
    raise AssertionError("expected an error")


def conversions(x, m):
    """Every conversion of traced 0-d values, Python numbers in eager code."""
    sel = x[m]
    n = len_(sel)
    a, b = int_(x[0]), float_(x[1])
    return (n, len_(x), a, b, bool_(x[2]), round_(x[3] + 0.0), n + 1, n * 2.5, a // 2, b + a, int_(x[4] > 0),
            float_(np.int32(7) + x[0].astype(np.int32)), len_(sel) > 0, x.astype(np.float32)[0] * n)


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int32, np.uint8, np.bool_])
def test_conversions_of_traced_values(dtype):
    x = np.array([1.7, -2.5, 0.0, 2.5, 3.0, 0.5]) * (1 if np.dtype(dtype).kind in "fb" else 3)
    if np.dtype(dtype).kind == "u":
        x = np.abs(x)
    x = x.astype(dtype)
    for m in (x > 0, np.zeros(6, bool), np.ones(6, bool)):
        got = check(conversions, x, m)
        for value in got[:12]:  # Python numbers, as eagerly
            assert type(value) in (int, float, bool), type(value)


def test_len_of_a_traced_array_is_static():
    def f(x):
        n = len_(x)
        assert type(n) is int
        return np.zeros(n) + x[: n - 1].sum()

    check(f, np.arange(5.0))
    with pytest.raises(TypeError, match="unsized"):
        tj.jit(lambda x: len_(x.sum()))(np.ones(3))


def test_count_is_a_weak_python_int():
    f = tj.jit(lambda x: (x.astype(np.int8) + len_(x[x > 0]), x.astype(np.float32) * len_(x[x > 0])))
    a, b = f(np.arange(-3.0, 4.0))
    assert a.dtype == np.int8 and b.dtype == np.float32
    assert_same(a, np.arange(-3, 4).astype(np.int8) + 3)


@pytest.mark.parametrize("value, error", [(np.nan, ValueError), (np.inf, OverflowError), (-np.inf, OverflowError),
                                          (1e19, OverflowError)])
def test_int_of_values_python_refuses_raises(value, error):
    f = tj.jit(lambda x: int_(x[0]) + 1)
    with pytest.raises(error):
        f(np.array([value, 1.0]))
    assert f(np.array([-2.9, 1.0])) == -1
    with pytest.raises(OverflowError, match="beyond int64"):
        tj.jit(lambda x: int_(x[0]))(np.array([2 ** 64 - 1], np.uint64))


def test_conversions_of_arrays_refused_as_numpy_refuses():
    for fn in (int_, float_, round_):
        with pytest.raises(TypeError, match="only 0-dimensional arrays"):
            tj.jit(lambda x, fn=fn: fn(x[:1]))(np.ones(3))
        with pytest.raises(TypeError, match="only 0-dimensional arrays"):
            tj.jit(lambda x, fn=fn: fn(x[x > 0]))(np.ones(3))
    with pytest.raises(ValueError, match="more than one element"):
        tj.jit(lambda x: bool_(x))(np.ones(3))
    with pytest.raises(ValueError, match="empty"):
        tj.jit(lambda x: bool_(x[:0]))(np.ones(3))
    assert tj.jit(lambda x: bool_(x[1:2]))(np.ones(3)) is True
    with pytest.raises(TypeError, match="__round__"):
        tj.jit(lambda x: round_(x[0]))(np.ones(3, bool))


def test_bool_of_a_selection_checks_its_size_after_the_call():
    f = tj.jit(lambda x: bool_(x[x > 1]))
    assert f(np.array([0.0, 2.0, 1.0])) is True
    with pytest.raises(ValueError, match="empty"):
        f(np.zeros(3))
    with pytest.raises(ValueError, match="more than one"):
        f(np.full(3, 2.0))


def test_conversions_inside_a_loop_body():
    def crc(data):
        def step(i, crc):
            crc = crc ^ (int_(data[i]) << 8)
            for _ in range(8):
                crc = tj.cond(crc & 0x8000, lambda c: ((c << 1) ^ 0x1021) & 0xFFFF, lambda c: (c << 1) & 0xFFFF, crc)
            return crc
        return tj.fori_loop(0, data.shape[0], step, 0xFFFF)

    for n in (16, 5, 0):
        data = RNG.integers(0, 256, n).astype(np.uint8)
        assert tj.jit(crc)(data) == crc(data)


# -- reductions of boolean selections along axes -----------------------------------------------

REDUCTIONS = ["sum", "prod", "mean", "max", "min", "any", "all", "var", "std"]


def _reduce(names, axis, keepdims):
    def fn(x, m):
        return tuple(getattr(x[m], name)(axis=axis, keepdims=keepdims) for name in names)
    return fn


def _raises(name, x, m, axis, keepdims) -> bool:
    try:
        getattr(x[m], name)(axis=axis, keepdims=keepdims)
    except ValueError:  # (max/min of an empty selection)
        return True
    return False


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int32, np.bool_])
@pytest.mark.parametrize("fill", ["some", "none", "all"])
def test_reductions_along_axes(dtype, fill):
    x = (RNG.random((6, 3, 2)) * 5).astype(dtype)
    for mdims in (1, 2):
        m = {"some": RNG.random(x.shape[:mdims]) > 0.5, "none": np.zeros(x.shape[:mdims], bool),
             "all": np.ones(x.shape[:mdims], bool)}[fill]
        ndim = 1 + x.ndim - mdims
        for axis in (0, -1, (0, 1), None) + ((1,) if ndim > 2 else ()):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                keep = axis == (0, 1)
                raising = [name for name in REDUCTIONS if _raises(name, x, m, axis, keep)]
                # every reduction that runs eagerly in one function (one compilation), each raising one alone
                check(_reduce([n for n in REDUCTIONS if n not in raising], axis, keep), x, m, ulps=64)
                for name in raising:
                    check(_reduce([name], axis, keep), x, m)


def test_selection_reductions_through_numpy_functions():
    x = RNG.standard_normal((7, 4))
    m = x[:, 0] > 0
    check(lambda x, m: (np.mean(x[m], axis=0), np.max(x[m], axis=0, keepdims=True), np.sum(x[m], 1)), x, m, ulps=8)
    check(lambda x, m: (np.min(x[m], axis=0), np.any(x[m] > 1, axis=0), np.all(x[m] > -3, axis=-1)), x, m)
    with pytest.raises(ValueError, match="zero-size"):
        tj.jit(lambda x, m: x[m].max(axis=0))(x, np.zeros(7, bool))


def kmeans(X, centers):
    """k-means with the empty-cluster test as tj.cond (what converted code makes of an ``if``)."""
    for _ in range(3):
        labels = ((X[:, None, :] - centers[None, :, :]) ** 2).sum(axis=2).argmin(axis=1)
        for j in range(centers.shape[0]):
            members = X[labels == j]

            def moved(c, j=j, members=members):
                c = c.copy()
                c[j] = members.mean(axis=0)
                return c
            centers = tj.cond(len_(members) > 0, moved, lambda c: c, centers)
    return centers, labels


def test_kmeans_with_conditional_updates():
    f = tj.jit(kmeans)
    for n, k, d in ((60, 4, 3), (37, 4, 3), (5, 4, 3)):  # (new sizes: one compilation per shape; empty clusters)
        X, C = RNG.random((n, d)), RNG.random((k, d))
        C[-1] = 10.0  # a centre far from every point: its cluster stays empty
        want = kmeans(X, C)
        got = f(X, C)
        assert_same(got[0], want[0], ulps=16)
        assert_same(got[1], want[1])


def test_sum_of_traced_arrays_and_selections():
    from tracejit.frontend.pybuiltins import sum_
    assert sum_([1, 2], 3) == 6 and sum_(()) == 0 and sum_([0.5], start=1) == 1.5
    for dtype in (np.float64, np.float32, np.int8, np.bool_):
        x = (RNG.random((5, 3)) * 60).astype(dtype)
        check(lambda x: (sum_(x), sum_(x[0]), sum_(x, 2), sum_(x[:0]), sum_(x[x[:, 0] >= x[0, 0]]), sum_(x, start=1.5)),
              x, ulps=8)


@pytest.mark.parametrize("dtype", [np.float64, np.int32, np.bool_])
def test_argmax_argmin_of_selections(dtype):
    x = (RNG.random((6, 3)) * 4).astype(dtype)
    if dtype == np.float64:
        x[2, 1] = np.nan  # the first nan is the extreme, as NumPy's
    for m in (RNG.random(6) > 0.4, np.ones(6, bool), np.zeros(6, bool)):
        check(lambda x, m: (x[m].argmax(), np.argmin(x[m], axis=0), x[m].argmax(axis=-1), x[m].argmin(keepdims=True),
                            x[x > 1].argmax()), x, m)
    x2 = (RNG.random((4, 3, 2)) * 4).astype(dtype)
    check(lambda x, m: (x[m].argmin(), x[m].argmax(axis=0, keepdims=True)), x2, RNG.random((4, 3)) > 0.3)
