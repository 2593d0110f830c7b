"""A basic index with a traced integer is a view, as NumPy's is (frontend/numpy/dynamic.py):
``row = out[t % n]; row[...] = v`` writes ``out`` (a one-element window at a traced offset, its dim
dropped), in loops and outside them, with the run-time bounds check and NumPy's wrap of negative
indices; reads of such rows stay offset loads. Each function runs jitted and eagerly on copies of
the same arguments, and both the results and the arguments afterwards are compared."""
from __future__ import annotations

import numpy as np
import pytest

import tracejit as tj
from tests.cases import values
from tests.conftest import assert_same
from tracejit.errors import UnsupportedError


def _same_as_eager(fn, *args, jitted=None):
    """``fn`` jitted (or ``jitted``) and eager on copies of ``args``: same results, same arguments after."""
    eager_args = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
    jit_args = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
    with np.errstate(all="ignore"):
        expected = fn(*eager_args)
        actual = (jitted or tj.jit(fn))(*jit_args)
    assert_same(actual, expected, what=fn.__name__)
    assert_same(tuple(jit_args), tuple(eager_args), what=f"{fn.__name__} arguments")
    return actual


def _loop(body):
    def fn(out, x):
        return tj.fori_loop(0, x.shape[0], lambda t, out: body(t, out, x), out)
    fn.__name__ = body.__name__
    return fn


@_loop
def _ellipsis(t, out, x):
    row = out[t % out.shape[0]]
    row[...] = x[t]
    return out


@_loop
def _colon(t, out, x):
    row = out[t % out.shape[0]]
    row[:] = x[t] * 2
    return out


@_loop
def _iadd(t, out, x):
    row = out[t % out.shape[0]]
    row += x[t]
    return out


@_loop
def _element(t, out, x):
    row = out[t % out.shape[0]]
    row[1] = x[t, 0]
    return out


@_loop
def _copyto(t, out, x):
    row = out[t % out.shape[0]]
    np.copyto(row, x[t])
    return out


@_loop
def _column(t, out, x):
    col = out[:, t % out.shape[1]]
    col -= x[t, :out.shape[0]]
    return out


@_loop
def _traced_inner(t, out, x):  # a traced int through the row too: a scatter into the view
    row = out[t % out.shape[0]]
    row[(t + 1) % out.shape[1]] = x[t, 1]
    return out


@_loop
def _negative(t, out, x):  # t - 1 is -1 at t = 0: the last row, as in NumPy
    out[t % out.shape[0] - 1][::2] = x[t, ::2]
    return out


@_loop
def _read_after_write(t, out, x):
    row = out[t % out.shape[0]]
    row *= 2
    out[0] += row  # the row read again after the write into out
    return out


WRITERS = [_ellipsis, _colon, _iadd, _element, _copyto, _column, _traced_inner, _negative, _read_after_write]


@pytest.mark.parametrize("fn", WRITERS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int32, np.uint8])  # (complex carries: not in loops)
def test_writes_through_a_row_in_a_loop(fn, dtype):
    rng = np.random.default_rng(1)
    f = tj.jit(fn)
    _same_as_eager(fn, values(rng, (3, 4), dtype, "small"), values(rng, (7, 4), dtype, "small"), jitted=f)
    _same_as_eager(fn, values(rng, (5, 6), dtype, "small"), values(rng, (4, 6), dtype, "small"), jitted=f)


def test_row_of_a_3d_carry_and_a_further_view():
    def fn(out, x):
        def body(t, out):
            r = out[t % out.shape[0], (t + 1) % out.shape[1]]  # 2 traced ints: a row of the last dim
            r[1:] = x[t, 1:]
            plane = out[:, t % out.shape[1]]
            plane[0, ::2] += 1
            return out
        return tj.fori_loop(0, x.shape[0], body, out)
    f = tj.jit(fn)
    _same_as_eager(fn, np.zeros((3, 4, 5)), np.arange(40.0).reshape(8, 5), jitted=f)
    _same_as_eager(fn, np.ones((2, 3, 2), np.float32), np.arange(10.0, dtype=np.float32).reshape(5, 2), jitted=f)


def _data_index(a, idx):
    i = idx[0]
    r = a[i]
    r[...] = 7
    return a


def _data_index_3d(a, idx):
    r = a[idx[0], idx[1]]
    r[1:] = -1
    r2 = a[:, idx[1]]
    r2[0, ::2] = r2[-1, ::2]
    a[idx[2]][idx[0]][0] = 5  # negative, then a traced int into the row
    return a


def _zero_d_view(a, idx):
    r = a[..., idx[0]]  # 0-d view of a 1-d a (NumPy), rows of a 2-d one
    r[...] = 1
    return a


def _new_axis(a, idx):
    r = a[idx[0], None]
    r[0] = 4
    return a, r


def _view_of_view(a, idx):
    rr = a[idx[0]][1:]
    rr[...] = rr * 10
    return a, rr


def _stale_row(a, idx):
    r = a[idx[0]]
    a[...] = a * 2 + 1  # the row sees the write into a
    return r + 0


@pytest.mark.parametrize("fn", [_data_index, _data_index_3d, _zero_d_view, _new_axis, _view_of_view, _stale_row],
                         ids=lambda f: f.__name__)
@pytest.mark.parametrize("dtype", [np.float64, np.int16, np.bool_, np.complex64])
@pytest.mark.parametrize("idx_dtype", [np.int64, np.int8, np.uint32])
def test_writes_through_a_row_indexed_by_data(fn, dtype, idx_dtype):
    idx = np.array([1, 2, -1] if np.dtype(idx_dtype).kind == "i" else [1, 2, 0], idx_dtype)
    shapes = [(3, 4, 5), (4, 3, 2)] if fn is _data_index_3d else [(3, 4), (5, 3)]
    f = tj.jit(fn)
    for shape in shapes:  # the second call: new shapes
        a = (np.arange(np.prod(shape)) % 7).reshape(shape).astype(dtype)
        _same_as_eager(fn, a, idx, jitted=f)
    if fn is _zero_d_view:
        _same_as_eager(fn, np.zeros(4, dtype), idx, jitted=f)


def test_python_int_argument_row_is_a_view():
    def fn(a, i):
        r = a[i]
        r[...] = 3
        return a
    f = tj.jit(fn)
    for i in (1, -1, 0):
        _same_as_eager(fn, np.zeros((3, 2)), i, jitted=f)
    with pytest.raises(IndexError):
        f(np.zeros((3, 2)), 3)


@pytest.mark.parametrize("i", [3, -4, 100, -100])
def test_out_of_bounds_raises(i):
    with pytest.raises(IndexError):
        _data_index(np.zeros((3, 2)), np.array([i]))
    with pytest.raises(IndexError, match="out of bounds for axis 0 with size 3"):
        tj.jit(_data_index)(np.zeros((3, 2)), np.array([i]))


def test_out_of_bounds_in_a_loop_raises():
    def fn(out, n):
        def body(t, out):
            row = out[t + n[0]]
            row += 1
            return out
        return tj.fori_loop(0, 3, body, out)
    f = tj.jit(fn)
    _same_as_eager(fn, np.zeros((4, 2)), np.array([1]), jitted=f)
    _same_as_eager(fn, np.zeros((4, 2)), np.array([-3]), jitted=f)  # -3, -2, -1: wrapped
    for n in (2, -5):
        with pytest.raises(IndexError, match="out of bounds"):
            f(np.zeros((4, 2)), np.array([n]))


@pytest.mark.parametrize("n", [3, -3])
@pytest.mark.parametrize("dtype", [np.int32, np.int64, np.uint32])
def test_remainder_index_range(n, dtype):
    # t % n (n a Python int) lies in [0, n) or (n, 0]: no check, no wrap needed; NumPy's result either way
    if n < 0 and np.dtype(dtype).kind == "u":
        return
    def fn(a, v):
        r = a[v[1] % n]
        r[...] = 0
        return a, a[v[0] % n] * 2
    v = np.array([-7, 5] if np.dtype(dtype).kind == "i" else [7, 5], dtype)
    _same_as_eager(fn, np.arange(12).reshape(6, 2), v)


def test_zero_size_rows():
    _same_as_eager(_data_index, np.zeros((3, 0)), np.array([1]))  # an empty row: nothing written
    for a, i in ((np.zeros((3, 0)), 3), (np.zeros((0, 2)), 0)):
        with pytest.raises(IndexError):
            _data_index(a.copy(), np.array([i]))
        with pytest.raises(IndexError):
            tj.jit(_data_index)(a, np.array([i]))


def test_write_into_an_array_from_outside_the_loop_raises():
    def fn(a, x):
        def body(t, s):
            r = a[t % a.shape[0]]  # a is not carried: NumPy would write it, tracejit cannot
            r[...] = 1
            return s + x[t].sum()
        return tj.fori_loop(0, x.shape[0], body, x[0, 0] * 0), a
    with pytest.raises(UnsupportedError, match=r"writes into an array from outside it \(at .*test_rowview.py:\d+"):
        tj.jit(fn, fallback=False)(np.zeros((3, 4)), np.ones((5, 4)))

    def window(a, x):  # the same through a slice at a traced offset
        def body(t, s):
            r = a[t:t + 1]
            r[...] = 1
            return s + x[t].sum()
        return tj.fori_loop(0, 2, body, x[0, 0] * 0), a
    with pytest.raises(UnsupportedError, match="writes into an array from outside it"):
        tj.jit(window, fallback=False)(np.zeros((3, 4)), np.ones((5, 4)))


def _row_reads(a, x, idx):
    def body(t, s):
        return s + a[t % a.shape[0]] * x[t, 0] + a[:, t % a.shape[1]].sum() + a[idx[t]][::2].sum()
    return tj.fori_loop(0, x.shape[0], body, a[0] * 0)


def test_row_reads_are_offset_loads_not_gathers():
    rng = np.random.default_rng(3)
    a, x, idx = rng.random((6, 8)), rng.random((9, 3)), rng.integers(-6, 6, 9)
    text = tj.jit(_row_reads).lower(a, x, idx).as_text("graph")
    gathers = [line for line in text.splitlines() if "= gather" in line]
    assert text.count("= dynamic_slice") >= 3 and all(": f64[] " in g or ": i64[] " in g for g in gathers), text
    f = tj.jit(_row_reads)
    np.testing.assert_allclose(f(a, x, idx), _row_reads(a, x, idx), rtol=1e-12)
    a2, x2 = rng.random((4, 5)), rng.random((3, 3))
    np.testing.assert_allclose(f(a2, x2, idx[:3] % 4), _row_reads(a2, x2, idx[:3] % 4), rtol=1e-12)


def test_element_reads_stay_scalars():
    def fn(a, idx):
        e = a[idx[0], idx[1]]  # an element: NumPy's scalar copy
        z = a[idx[0]][..., idx[1]]  # a 0-d view
        return e * 2, z, a[idx[2]][idx[0]]
    a = np.arange(12.0).reshape(3, 4)
    out = _same_as_eager(fn, a, np.array([1, 2, -1]))
    assert isinstance(out[0], np.float64) and isinstance(out[1], np.ndarray) and out[1].shape == ()
