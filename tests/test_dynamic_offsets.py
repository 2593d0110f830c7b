"""Slices at traced offsets with static sizes (frontend/numpy/dynamic.py, ops/dynamic_slice.py):
``x[i:i+3]``, ``x[:, :, i:i+k, j:j+k]``, ``x[2*i:2*i+2]``, negative steps, and writes through them,
each jitted against the same function run eagerly (``tj.fori_loop`` runs as a Python loop there)."""
from __future__ import annotations

import numpy as np
import pytest

import tracejit as tj
from tests.cases import values
from tests.conftest import assert_same, check_jit
from tracejit.errors import TracerConversionError


def _rows(x):
    return tj.fori_loop(0, x.shape[0] - 2, lambda i, c: c + x[i:i + 3].sum(axis=0), np.zeros(x.shape[1], x.dtype))


def _even(x):
    return tj.fori_loop(0, x.shape[0] // 2, lambda i, c: c + x[2 * i:2 * i + 2].max(axis=0), x[0] * 0)


def _around(x):
    return tj.fori_loop(1, x.shape[0] - 1, lambda i, c: c + x[i - 1:i + 2, -1], x[:3, 0] * 0)


def _strided(x):
    return tj.fori_loop(0, x.shape[0] - 4, lambda i, c: c + x[i:i + 6:2, ::-1], x[:3] * 0)


def _reversed(x):
    return tj.fori_loop(3, x.shape[0], lambda i, c: c + x[i:i - 3:-1, 0] * (i + 1), x[:3, 0] * 0)


def _mixed(x):  # a traced int and a traced slice, a static int after
    return tj.fori_loop(0, x.shape[0] - 1, lambda i, c: c + x[i, i % 2:i % 2 + 2], x[0, :2] * 0)


def _pair(x):  # x[i, i+1]: two traced ints (a gather of 0-d indices)
    return tj.fori_loop(0, min(x.shape) - 1, lambda i, c: c + x[i, i + 1], x[0, 0] * 0)


READS = [_rows, _even, _around, _strided, _reversed, _mixed, _pair]


@pytest.mark.parametrize("fn", READS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int32, np.uint8])
def test_reads_match_eager(fn, dtype):
    rng = np.random.default_rng(0)
    rtol = 1e-6 if np.dtype(dtype).kind == "f" else 0
    f = check_jit(fn, values(rng, (10, 4), dtype, "small"), rtol=rtol)
    y = values(rng, (13, 5), dtype, "small")  # a second call, new shapes
    assert_same(f(y), fn(y), rtol=rtol)


@pytest.mark.parametrize("shape", [(10, 4), (13, 5), (3, 7)])
def test_second_call_new_shapes(shape):
    f = tj.jit(_rows)
    f(np.ones((10, 4)))
    x = np.random.default_rng(2).random(shape)
    np.testing.assert_allclose(f(x), _rows(x), rtol=1e-12)


def test_window_of_images_and_pooling():
    x = values(np.random.default_rng(3), (2, 3, 8, 8), np.float32)
    w = values(np.random.default_rng(4), (3, 3), np.float32)

    def conv_pool(x, w):
        k = 3
        out = np.zeros((2, 3, 6, 6), x.dtype)

        def row(i, out):
            def col(j, out):
                out[:, :, i, j] = (x[:, :, i:i + k, j:j + k] * w).sum(axis=(2, 3))
                return out
            tj.fori_loop(0, 6, col, out)
            return out
        out = tj.fori_loop(0, 6, row, out)
        pooled = np.zeros((2, 3, 3, 3), x.dtype)

        def prow(i, p):
            def pcol(j, p):
                p[:, :, i, j] = out[:, :, 2 * i:2 * i + 2, 2 * j:2 * j + 2].max(axis=(2, 3))
                return p
            tj.fori_loop(0, 3, pcol, p)
            return p
        return tj.fori_loop(0, 3, prow, pooled)
    check_jit(conv_pool, x, w, rtol=1e-5)


def _add_window(a):
    def body(i, a):
        a[i:i + 2] += 1
        return a
    return tj.fori_loop(0, a.shape[0] - 1, body, a.copy())


def _set_reversed(a):
    def body(i, a):
        a[i + 2:i - 1:-1, 1] = np.arange(3) + i
        return a
    return tj.fori_loop(1, a.shape[0] - 2, body, a.copy())


def _set_row_window(a):
    def body(i, a):
        a[i, i % 3:i % 3 + 2] = a[i - 1, :2] * 2
        return a
    return tj.fori_loop(1, a.shape[0], body, a.copy())


def _set_strided(a):
    def body(i, a):
        a[:, i:i + 3:2] = a[:, i + 1:i + 4:2] - 1
        return a
    return tj.fori_loop(0, a.shape[1] - 3, body, a.copy())


@pytest.mark.parametrize("fn", [_add_window, _set_reversed, _set_row_window, _set_strided], ids=lambda f: f.__name__)
@pytest.mark.parametrize("dtype", [np.float64, np.int64, np.uint8])
def test_writes_match_eager(fn, dtype):
    a = values(np.random.default_rng(5), (7, 6) if fn is not _add_window else (9,), dtype, "small")
    f = check_jit(fn, a)
    b = values(np.random.default_rng(6), (11, 8) if fn is not _add_window else (4,), dtype, "small")
    assert_same(f(b), fn(b))


def test_write_of_a_window_into_an_argument():
    def fn(a, v):
        def body(i, a):
            a[2 * i:2 * i + 2] = v[i]
            return a
        return tj.fori_loop(0, 3, body, a)
    a, v = np.zeros(6), np.arange(3.0)
    want = fn(a.copy(), v)
    got = tj.jit(fn)(a.copy(), v)
    assert_same(got, want)


def test_outside_the_array_for_a_known_index_refuses_while_tracing():
    """A loop with static bounds takes every index: one window would be clipped, so the length is not static
    (TracerConversionError, which the loop converter answers by unrolling or generalizing the loop)."""
    x = np.arange(10.0)

    def fn(x, n):
        return tj.fori_loop(0, n.shape[0], lambda i, c: c + x[i:i + 3].sum(), 0.0)
    f = tj.jit(fn, fallback=False)
    assert f(x, np.zeros(8)) == fn(x, np.zeros(8))
    with pytest.raises(TracerConversionError, match="for some index of its loop"):
        f(x, np.zeros(9))  # eagerly x[8:11] would be 2 elements

    def guarded(x, n):  # in a branch the window may never be read out of bounds: checked at run time
        return tj.fori_loop(0, n.shape[0], lambda i, c: c + tj.cond(i < 8, lambda: x[i:i + 3].sum(),
                                                                        lambda: 0.0), 0.0)
    assert_same(tj.jit(guarded, fallback=False)(x, np.zeros(9)), guarded(x, np.zeros(9)))


def test_negative_start_raises_rather_than_wrap():
    x = np.arange(10.0)

    def fn(x, start):
        return tj.fori_loop(start, 5, lambda i, c: c + x[i - 1:i + 2].sum(), 0.0)
    f = tj.jit(fn)
    assert f(x, np.int64(1)) == fn(x, 1)
    with pytest.raises(IndexError, match="reaches outside axis 0"):
        f(x, np.int64(0))  # eagerly x[-1:2] is empty


def test_slice_of_a_traced_start_at_top_level():
    def fn(x, i):
        return x[i:i + 3] * 2, x[2 * i + 1:2 * i + 3]
    x = np.arange(12.0)
    check_jit(fn, x, np.int64(4))
    f = tj.jit(fn)
    with pytest.raises(IndexError):
        f(x, np.int64(10))
    with pytest.raises(IndexError):
        f(x, np.int64(-1))


def test_python_int_argument_stays_exact():
    """A traced Python int argument is made static instead (NumPy's clipping kept)."""
    def fn(x, i):
        return x[i:i + 3]
    x = np.arange(10.0)
    f = tj.jit(fn)
    for i in (2, 8, 9):
        assert_same(f(x, i), fn(x, i))


def test_length_not_static_is_a_range():
    """A traced slice whose length is not static is a range selection (frontend/numpy/ranges.py),
    reduced over its run-time range: the same values as eagerly."""
    x, idx = np.arange(10.0), np.array([0, 2, 5, 9])
    cases = [(lambda x: tj.fori_loop(0, 3, lambda i, c: c + x[i:].sum(), 0.0), (x,)),
             (lambda x, p: tj.fori_loop(0, 3, lambda i, c: c + x[p[i]:p[i + 1]].sum(), 0.0), (x, idx)),
             (lambda x: tj.fori_loop(1, 3, lambda i, c: c + x[i:2 * i].sum(), 0.0), (x,))]
    for fn, args in cases:
        assert_same(tj.jit(fn)(*args), fn(*args))


def _kernels(fn, *args) -> str:
    return tj.jit(fn).lower(*args).as_text("kernels")


def test_known_range_drops_bounds_checks():
    x = np.random.default_rng(7).random((10, 4))

    def proved(x):
        return tj.fori_loop(1, 9, lambda i, c: c + x[i] + x[i + 1] + x[i - 1:i + 2].sum(axis=0), np.zeros(4))
    text = _kernels(proved, x)
    assert "min[]" not in text and "max[]" not in text and "or(" not in text and "maximum(" not in text
    check_jit(proved, x, rtol=1e-12)

    def unproved(x):
        return tj.fori_loop(1, 10, lambda i, c: c + x[i + 1], np.zeros(4))
    # the check carried through the loop: the first failing step's code (frontend/controlchecks.py)
    assert "greater_equal(" in _kernels(unproved, x)
    with pytest.raises(IndexError):
        tj.jit(unproved)(x)


def test_reads_are_offset_loads_not_copies():
    x = np.random.default_rng(8).random((64, 32))

    def fn(x):
        return tj.fori_loop(0, 60, lambda i, c: c + np.exp(x[i:i + 4]), np.zeros((4, 32)))
    text = _kernels(fn, x)
    assert "dynamic" not in text and text.count("for (") < 12  # fused into the body's one map
    check_jit(fn, x, ulps=4)


def test_empty_window():
    x = np.arange(10.0)

    def fn(x):
        return tj.fori_loop(0, 5, lambda i, c: c + x[i:i].sum() + x[i:i + 3, None][:0].sum(), 0.0)
    check_jit(fn, x)


def test_lenet_by_nested_fori_loops():
    from benchmarks.loop_programs import lenet_loops as natural

    def conv(x, w, b):
        n, _, h, wd = x.shape
        f, _, k, _ = w.shape
        out = np.zeros((n, f, h - k + 1, wd - k + 1), dtype=x.dtype)
        wm = w.reshape(f, -1).T

        def row(i, out):
            def col(j, out):
                out[:, :, i, j] = x[:, :, i:i + k, j:j + k].reshape(n, -1) @ wm + b
                return out
            tj.fori_loop(0, wd - k + 1, col, out)
            return out
        return tj.fori_loop(0, h - k + 1, row, out)

    def maxpool(x):
        n, c, h, w = x.shape
        out = np.zeros((n, c, h // 2, w // 2), dtype=x.dtype)

        def row(i, out):
            def col(j, out):
                out[:, :, i, j] = x[:, :, 2 * i:2 * i + 2, 2 * j:2 * j + 2].max(axis=(2, 3))
                return out
            tj.fori_loop(0, w // 2, col, out)
            return out
        return tj.fori_loop(0, h // 2, row, out)

    def kernel(x, w1, b1, w2, b2, f1, f2, f3):
        h = maxpool(np.maximum(conv(x, w1, b1), 0))
        h = maxpool(np.maximum(conv(h, w2, b2), 0)).reshape(x.shape[0], -1)
        return np.maximum(np.maximum(h @ f1.T, 0) @ f2.T, 0) @ f3.T

    args = natural.init(np.random.default_rng(0), **natural.SIZES["test"])
    np.testing.assert_allclose(tj.jit(kernel)(*args), natural.kernel(*args), rtol=1e-4, atol=1e-5)


def _view_writes(a):
    def body(i, a):
        w = a[i:i + 3]
        w[0] = 7  # writes a, as through NumPy's view
        a[i + 1] += w[2]  # the view sees writes to a
        w[1:] *= 2
        v = a[:, None][i + 1:i + 3, 0][::-1]  # a view of a view
        v += 1
        return a
    return tj.fori_loop(0, a.shape[0] - 2, body, a.copy())


def _view_reads_after_write(a):
    def body(i, c):
        a2 = a.copy()
        y = a2[2 * i:2 * i + 2]
        a2[2 * i + 1] = -1
        return c + y.sum() + a2.sum()
    return tj.fori_loop(0, a.shape[0] // 2, body, a[0] * 0)


@pytest.mark.parametrize("fn", [_view_writes, _view_reads_after_write], ids=lambda f: f.__name__)
def test_slices_are_views(fn):
    a = values(np.random.default_rng(9), (9,), np.float64, "small")
    check_jit(fn, a, rtol=1e-12)


@pytest.mark.parametrize("dtype", [np.int32, np.int64, np.uint32])
def test_start_read_from_data(dtype):
    def fn(x, p):
        return x[p[1]:p[1] + 3], x[2 * p[0] - 1:2 * p[0] + 1] * 2

    x, p = np.arange(12.0), np.array([3, 5], dtype)
    check_jit(fn, x, p)
    with pytest.raises(IndexError):
        tj.jit(fn)(x, np.array([3, 10], dtype))


def test_complex_and_bool_windows():
    x = np.arange(10.0) + 1j * np.arange(10.0)[::-1]
    check_jit(lambda x: tj.fori_loop(0, 7, lambda i, c: c + x[i:i + 3], np.zeros(3, x.dtype)), x)
    b = np.arange(10) % 3 == 0
    check_jit(lambda b: tj.fori_loop(0, 7, lambda i, c: c | b[i:i + 3], np.zeros(3, bool)), b)


def test_traced_trip_count_keeps_the_check():
    x = np.arange(10.0)

    def fn(x, m):
        return tj.fori_loop(0, (m > 0).sum(), lambda i, c: c + x[i:i + 3], np.zeros(3))
    f = tj.jit(fn)
    m = np.ones(8)
    assert_same(f(x, m), fn(x, m))
    with pytest.raises(IndexError, match="needs its length static"):
        f(x, np.ones(9))


def test_nested_loops_writing_one_array():
    """An inner loop that writes its carried array in place returns that array itself (as eagerly), so the
    outer body can return the inner loop's result."""
    def fn(x):
        out = np.zeros((4, 4))

        def row(i, out):
            def col(j, out):
                out[i, j] = x[i:i + 2, j:j + 2].sum()
                return out
            return tj.fori_loop(0, 4, col, out)
        r = tj.fori_loop(0, 4, row, out)
        return r, out
    check_jit(fn, np.random.default_rng(10).random((5, 5)), rtol=1e-12)


def test_traced_int_beside_a_traced_slice_is_one_window():
    x = np.random.default_rng(11).random((8, 8))

    def fn(x):
        return tj.fori_loop(0, 6, lambda i, c: c + np.exp(x[i, i:i + 3]), np.zeros(3))
    text = _kernels(fn, x)
    # the window is read inside the body's one map (no copy of it); one more: the trip count, a run-time size
    assert text.count("for (") == 6
    check_jit(fn, x, ulps=4)

    def through(a):
        def body(i, a):
            w = a[i, i:i + 2]
            w[0] = 5
            w += a[i + 1, i]
            return a
        return tj.fori_loop(0, 5, body, a.copy())
    check_jit(through, x)


def test_reshaped_window_is_a_view_where_numpy_s_is():
    def fn(x):
        def body(i, c):
            y = x.copy()
            p = y[i:i + 2].reshape(-1)  # rows of a C array: NumPy's reshape is a view
            q = y[:, i:i + 2].reshape(-1)  # columns: NumPy copies
            y[i + 1] = -1
            y[:, i] = 7
            return c + p.sum() * 3 + q.sum()
        return tj.fori_loop(0, x.shape[0] - 2, body, 0.0)
    check_jit(fn, np.random.default_rng(12).random((6, 6)), rtol=1e-12)


def test_inner_loop_bounded_by_outer_index_has_a_known_range():
    x = np.random.default_rng(13).random((8, 3))

    def fn(x):
        def outer(i, c):
            return tj.fori_loop(i, i + 3, lambda j, d: d + x[j] + x[j - i + 1:j - i + 3].sum(axis=0), c)
        return tj.fori_loop(0, 5, outer, np.zeros(3))
    text = _kernels(fn, x)
    assert "min[]" not in text and "max[]" not in text
    check_jit(fn, x, rtol=1e-12)


def test_zero_size_arrays():
    def write(a):
        def body(i, a):
            a[:, i:i + 2] = 1.0
            return a
        return tj.fori_loop(0, 3, body, a)
    check_jit(write, np.zeros((0, 5)))
    check_jit(lambda x: tj.fori_loop(0, 3, lambda i, c: c + x[:, i:i + 2].sum(), 0.0), np.zeros((0, 5)))
