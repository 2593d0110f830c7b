"""``for`` loops written the natural way, converted by ``tj.jit`` (``frontend/autograph/``)
and rolled or unrolled by ``frontend/autograph/loops.py``: results against the same
functions run eagerly, the notes ``lower()`` shows, and how often they compile."""
from __future__ import annotations

import numpy as np
import pytest

import tracejit as tj
from tracejit.frontend.autograph.loops import UNROLL_MAX


def check(fn, *args, rtol=1e-12, f=None):
    """Jitted vs eager on copies of ``args`` (values, dtypes, shapes); returns the jitted function."""
    want = fn(*[a.copy() if isinstance(a, np.ndarray) else a for a in args])
    f = f or tj.jit(fn)
    got = f(*[a.copy() if isinstance(a, np.ndarray) else a for a in args])
    want, got = (want, got) if isinstance(want, tuple) else ((want,), (got,))
    assert len(got) == len(want)
    for g, w in zip(got, want):
        g, w = np.asarray(g), np.asarray(w)
        assert g.dtype == w.dtype and g.shape == w.shape, (g.dtype, w.dtype, g.shape, w.shape)
        np.testing.assert_allclose(g, w, rtol=rtol, atol=rtol)
    return f


def notes(f, *args) -> str:
    return "\n".join(f.lower(*args).traced.notes)


def running(x):
    total = 0.0
    best = -np.inf
    for i in range(x.shape[0]):
        total = total + x[i].sum()
        best = np.maximum(best, x[i].max())
    return total, best, i


def rows_enumerated(X, Y):
    acc = np.zeros(X.shape[1], X.dtype)
    for i, (a, b) in enumerate(zip(X, Y)):
        acc = acc * 0.5 + i * a - b.sum()
    return acc


def traced_trip_count(x):
    s = np.zeros(x.shape[1])
    for k in range((x[:, 0] > 0).sum()):
        s = s + x[k]
    return s


def with_break(x, lim):
    s = 0.0
    for t in range(x.shape[0]):
        s = s + x[t]
        if s > lim:
            break
    return s, t


def appended(x):
    out = []
    h = np.zeros(x.shape[1])
    for t in range(x.shape[0]):
        h = np.tanh(h + x[t])
        out.append(h.sum())
    return np.array(out), np.stack(out), sum(out), out[-1], len(out)


def temporary_used_after(x):
    for t in range(x.shape[0]):
        y = x[t] * 2
    return y


def crc(data):
    crc = 0xFFFF
    for b in data:
        crc = crc ^ (b.astype(np.int64) << 8)
        for _ in range(8):
            if crc & 0x8000:
                crc = ((crc << 1) ^ 0x1021) & 0xFFFF
            else:
                crc = (crc << 1) & 0xFFFF
    return crc


def ema(x, a):
    out = np.empty_like(x)
    out[0] = x[0]
    for t in range(1, x.shape[0]):
        out[t] = a * x[t] + (1 - a) * out[t - 1]
    return out


def backwards(x):
    out = np.zeros_like(x)
    c = np.zeros(x.shape[1:], x.dtype)
    for t in reversed(range(x.shape[0])):
        c = c * 0.5 + x[t]
        out[t] = c
    return out


def layers(x, ws):
    h = x
    for i in range(len(ws)):
        h = np.tanh(h @ ws[i])  # a Python list indexed by the loop index: unrolled
    return h


def nested(x):
    out = np.zeros_like(x)
    for i in range(x.shape[0]):
        for j in range(x.shape[1]):
            out[i, j] = x[i, j] * (i + 1) - j
    return out


RNG = np.random.default_rng(0)


@pytest.mark.parametrize("n", [0, 1, 3, 9])
def test_running_values_and_target_after(n):
    x = RNG.standard_normal((max(n, 1), 4))
    f = check(running, x)
    assert (": rolled (" in notes(f, x)) == (x.shape[0] > UNROLL_MAX)


def test_enumerate_zip_of_arrays():
    X = RNG.standard_normal((9, 4)).astype(np.float32)
    check(rows_enumerated, X, X[:, :2], rtol=1e-5)
    check(rows_enumerated, X[:7], X, rtol=1e-5)  # zip stops at the shorter


def test_traced_trip_count_one_compilation():
    f = tj.jit(traced_trip_count)
    for k in range(4):
        x = RNG.standard_normal((10, 3))
        x[:, 0] = np.where(np.arange(10) < 3 * k, 1.0, -1.0)  # k*3 positive entries, 0 included
        check(traced_trip_count, x, f=f)
    info = f.cache_info()
    assert info.traces == 1 and info.compilations + info.reused == 1
    assert "a traced number of steps" in notes(f, x)


@pytest.mark.parametrize("lim", [-5.0, 0.5, 1e9])
def test_break_on_traced_test(lim):
    check(with_break, np.linspace(-1, 2, 12), lim)


def test_list_appended_becomes_stacked_array():
    x = RNG.standard_normal((9, 3))
    f = check(appended, x)
    assert "rolled (9 steps)" in notes(f, x)
    check(appended, x[:2])  # unrolled: a plain list


def test_temporary_read_after_loop_runs_last_step_after():
    x = RNG.standard_normal((8, 3))
    f = check(temporary_used_after, x)
    assert "the last after the loop" in notes(f, x)


def test_crc_nested_loops_with_traced_if():
    data = RNG.integers(0, 256, 12).astype(np.uint8)
    f = check(crc, data)
    assert notes(f, data).count(": rolled (") == 2


@pytest.mark.parametrize("shape", [(6, 5), (40, 3), (2, 2), (1, 7)])
def test_ema_writes_array_from_outside(shape):
    check(ema, RNG.standard_normal(shape), 0.25)


def test_ema_new_shapes_compile_once_per_shape():
    f = tj.jit(ema)
    for shape in ((30, 4), (50, 3), (30, 4)):
        check(ema, RNG.standard_normal(shape), 0.5, f=f)
    assert f.cache_info().traces == 2


def test_reversed_range_and_zero_rows():
    check(backwards, RNG.standard_normal((12, 3)))
    check(backwards, RNG.standard_normal((0, 3)))


def test_python_list_index_unrolls_with_reason():
    x = RNG.standard_normal((2, 3))
    ws = [RNG.standard_normal((3, 3)) for _ in range(6)]
    f = check(layers, x, ws)
    text = notes(f, x, ws)
    assert "unrolled (6 steps)" in text or "probes" in text


def test_nested_loops_write_outer_array():
    x = RNG.standard_normal((6, 7))
    f = check(nested, x)
    assert notes(f, x).count(": rolled (") == 2


def test_unroll_option_and_tj_unroll():
    x = RNG.standard_normal((9, 4))
    f = check(running, x, f=tj.jit(running, unroll_loops=True))
    assert "unroll_loops=True" in notes(f, x)

    def forced(x):
        s = np.zeros(x.shape[1])
        for i in tj.unroll(range(x.shape[0])):
            s = s * 0.5 + x[i]
        return s
    f = check(forced, x)
    assert "tj.unroll" in notes(f, x)


def test_source_text_shows_the_notes():
    x = RNG.standard_normal((9, 4))
    text = tj.jit(running).lower(x).as_text("source")
    assert "rolled (9 steps)" in text


def shrinking(x, n):
    for _ in range(n):
        x = (x[:-1] + x[1:]) * 0.5  # a new shape every step: unrolled after the steps run before
    return x


def retyped_then_list(x):
    s = 0  # an int that becomes an array in the first step (run before the loop)
    seen = []
    for t in range(x.shape[0]):
        s = s + x[t]
        seen.append(s.sum())
    return s, np.array(seen)


def test_carried_shape_changes_every_step_unrolls_from_where_it_was():
    x = np.linspace(0, 1, 40)
    f = check(shrinking, x, 9, f=tj.jit(shrinking, static_argnames="n"))
    assert "unrolled (9 steps)" in notes(f, x, 9)


def test_first_step_retypes_then_rolls_with_a_list():
    check(retyped_then_list, RNG.standard_normal((9, 3)))


def through_views(x):
    out = np.zeros_like(x)
    out[0] = 1.0
    prev = out[0]  # a view made before the loop, read in it after writes
    for t in range(x.shape[0]):
        out[t] += prev
        out[t, 1:] = x[t, 1:] * 2  # writes through views of the carried array
        out[t, :1] *= 3
    return out


def row_view_written(x):
    out = np.zeros_like(x)
    for t in range(x.shape[0]):
        row = out[t]  # NumPy: a view; traced t: a view at a traced offset too (frontend/numpy/dynamic.py)
        row[...] = x[t] * 2
    return out


def counted_rows(x, y):
    acc = np.zeros(x.shape[1])
    for i, row in zip(range((y > 0).sum()), x):  # a traced count zipped with an array's rows
        acc = acc + i * row
    return acc


def test_writes_through_views_of_an_array_written_in_the_body():
    check(through_views, RNG.standard_normal((9, 4)))


def test_write_through_a_row_taken_with_the_traced_index():  # x[t] is a view at a traced offset (dynamic.py)
    check(row_view_written, RNG.standard_normal((9, 4)))


def test_zip_of_traced_range_and_rows_compiles_once():
    f = tj.jit(counted_rows)
    x = RNG.standard_normal((10, 3))
    for k in (0, 4, 10, 12):
        y = np.where(np.arange(12) < k, 1.0, -1.0)
        check(counted_rows, x, y, f=f)
    assert f.cache_info().traces == 1


def test_complex_values_are_carried():
    """A complex traced value assigned in the body rolls (carried as two real parts)."""
    def fn(x, n):
        z = x * 1j
        for _ in range(n):
            z = z * z + 0.1
        return z
    x = np.linspace(0, 1, 5)
    np.testing.assert_allclose(tj.jit(fn)(x, 7), fn(x, 7))


def test_python_int_trip_count_made_static_when_the_body_cannot_roll():
    """A trip count from a Python int argument whose body cannot roll (a str assigned): the
    argument is made static and the loop unrolls, as before conversion."""
    def fn(x, n):
        tag = ""
        for _ in range(n):
            x = x * 2
            tag = tag + "a"
        return x, len(tag)
    x = np.arange(3.0)
    got, want = tj.jit(fn)(x, 3), fn(x, 3)
    np.testing.assert_array_equal(got[0], want[0])
    assert got[1] == want[1]
