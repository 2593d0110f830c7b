"""generalized_fori_loop (frontend/probe.py): loops whose slice sizes depend on the index
(triangular solves, LU, Cholesky) compiled to one native loop per segment of one
structure, differential against the same functions run eagerly (plain Python loops)."""
from __future__ import annotations

import numpy as np
import pytest

import tracejit as tj
from tracejit.errors import UnsupportedError
from tracejit.frontend.probe import NotGeneralizable, generalized_fori_loop


def trisolve(low, b):
    x = np.zeros_like(b)

    def body(i, x):
        x[i] = (b[i] - low[i, :i] @ x[:i]) / low[i, i]
        return x

    return generalized_fori_loop(0, b.shape[0], body, x)


def lu(a):
    def body(k, a):
        a[k + 1:, k] /= a[k, k]
        a[k + 1:, k + 1:] -= np.outer(a[k + 1:, k], a[k, k + 1:])
        return a

    return generalized_fori_loop(0, a.shape[0] - 1, body, a)


def cholesky(a):
    low = np.zeros_like(a)

    def body(j, low):
        low[j, j] = np.sqrt(a[j, j] - low[j, :j] @ low[j, :j])
        low[j + 1:, j] = (a[j + 1:, j] - low[j + 1:, :j] @ low[j, :j]) / low[j, j]
        return low

    return generalized_fori_loop(0, a.shape[0], body, low)


def kernels_text(fn, *args) -> str:
    return tj.jit(fn).lower(*args).as_text("kernels")


def check(fn, *args, rtol=1e-12):
    """Jitted vs eager on copies of ``args``; the loop compiled as a ``gfor`` kernel."""
    want = fn(*[a.copy() for a in args])
    got = tj.jit(fn)(*[a.copy() for a in args])
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol)
    return got


def spd(rng, n, dtype=np.float64):
    m = rng.random((n, n))
    return (m @ m.T + n * np.eye(n)).astype(dtype)


@pytest.mark.parametrize("n", [1, 2, 3, 17, 64])
def test_trisolve(n):
    rng = np.random.default_rng(n)
    low = np.tril(rng.random((n, n))) + n * np.eye(n)
    check(trisolve, low, rng.random(n))
    if n > 2:
        assert "gfor" in kernels_text(trisolve, low, rng.random(n))


@pytest.mark.parametrize("n", [1, 2, 3, 17, 64])
def test_lu(n):
    rng = np.random.default_rng(n)
    a = rng.random((n, n)) + n * np.eye(n)
    check(lu, a)
    if n > 2:
        assert "gfor" in kernels_text(lu, a.copy())


@pytest.mark.parametrize("n", [1, 2, 3, 17, 64])
def test_cholesky(n):
    rng = np.random.default_rng(n)
    check(cholesky, spd(rng, n))


def test_float32_and_rectangular():
    rng = np.random.default_rng(7)
    check(lu, (rng.random((9, 9)) + 9 * np.eye(9)).astype(np.float32), rtol=1e-5)
    check(cholesky, spd(rng, 11, np.float32), rtol=1e-5)
    low = np.tril(rng.random((13, 13))) + 13 * np.eye(13)
    check(trisolve, low, rng.random((13, 3)))  # several right-hand sides: rows of 3

    def lu_wide(a):  # a 7 x 12 matrix: the trailing update is wider than tall
        def body(k, a):
            a[k + 1:, k] /= a[k, k]
            a[k + 1:, k + 1:] -= np.outer(a[k + 1:, k], a[k, k + 1:])
            return a

        return generalized_fori_loop(0, a.shape[0] - 1, body, a)

    check(lu_wide, rng.random((7, 12)) + np.eye(7, 12) * 7)


def test_new_sizes_second_call():
    rng = np.random.default_rng(3)
    f = tj.jit(lu)
    for n in (5, 8, 31):
        a = rng.random((n, n)) + n * np.eye(n)
        np.testing.assert_allclose(f(a.copy()), lu(a.copy()), rtol=1e-12)


def test_piecewise_sizes_make_segments():
    """``x[:min(i, 5)]``: the size grows with i, then stays: two lines, two segments."""
    def prefix_sums(x):
        out = np.zeros_like(x)

        def body(i, out):
            out[i] = x[:min(i, 5)].sum() + x[i]
            return out

        return generalized_fori_loop(0, x.shape[0], body, out)

    x = np.random.default_rng(1).random(23)
    check(prefix_sums, x)
    text = kernels_text(prefix_sums, x)
    assert "gfor [(0, 6), (6, 23)]" in text


def test_offset_and_lower_bound():
    def shifted(x):
        def body(i, x):
            x[i] = x[i - 3:i].sum() * 0.5
            return x

        return generalized_fori_loop(3, x.shape[0], body, x)

    check(shifted, np.random.default_rng(2).random(40))


def test_index_in_arithmetic_not_generalizable():
    def scaled(x):
        def body(i, x):
            x[:i] += x[i] * i  # i as a number: a constant of the body that changes every step
            return x

        return generalized_fori_loop(0, x.shape[0], body, x)

    with pytest.raises(NotGeneralizable):
        tj.jit(scaled, fallback=False)(np.ones(40))
    assert issubclass(NotGeneralizable, UnsupportedError)


def test_eager_and_empty_range():
    x = np.arange(4.0)
    assert generalized_fori_loop(0, 4, lambda i, v: v + i, 0.0) == 6.0

    def none(x):
        return generalized_fori_loop(5, 5, lambda i, v: v * 2, x)

    np.testing.assert_array_equal(tj.jit(none)(x), x)


def test_augmented_slice_assignment_writes_once():
    """``a[1:, 0] /= a[0, 0]`` writes the view, then assigns the view to itself: the second
    update writes every element back unchanged and is simplified away (one update kernel)."""
    def scale(a):
        a[1:, 0] /= a[0, 0]
        return a * 1.0

    a = np.random.default_rng(5).random((6, 6)) + 1.0
    want = scale(a.copy())
    np.testing.assert_array_equal(tj.jit(scale)(a.copy()), want)
    assert tj.jit(scale).lower(a.copy()).as_text("kernels").count("(update)") == 1


def test_several_carried_values_and_a_number():
    """Two arrays and a Python float carried; the number stays a weak Python float."""
    def body(i, state):
        x, y, total = state
        x[i] = x[:i].sum() + y[i]
        y[i:] *= 0.5
        return x, y, total + x[i]

    def run(x, y):
        x2, y2, total = generalized_fori_loop(1, x.shape[0], body, (x, y, 0.0))
        return x2 + y2 * total

    rng = np.random.default_rng(4)
    check(run, rng.random(19).astype(np.float32), rng.random(19).astype(np.float32), rtol=1e-5)


def test_reads_outer_values_and_complex():
    def run(a, v):
        acc = np.zeros(a.shape[1], dtype=np.complex128)

        def body(i, acc):
            acc[:i] += a[i, :i] * v[i]
            return acc

        return generalized_fori_loop(0, a.shape[0], body, acc)

    rng = np.random.default_rng(6)
    a = rng.random((12, 12)) + 1j * rng.random((12, 12))
    check(run, a, rng.random(12))


@pytest.mark.parametrize("n", [0, 1, 4])
def test_zero_and_tiny_trip_counts(n):
    rng = np.random.default_rng(n)
    low = np.tril(rng.random((n, n))) + (n + 1) * np.eye(n)
    check(trisolve, low, rng.random(n))
    check(lu, rng.random((n, n)) + (n + 1) * np.eye(n))


def test_work_after_the_loop():
    """Temporaries of the code after the loop get buffers of their own (ids after the loop's)."""
    def run(a, b):
        r = lu(a)
        s = np.tanh(r * 2.0).sum(axis=0) + r[0]
        return trisolve(np.tril(r) + np.eye(r.shape[0]) * 9.0, s * b) * 3.0 + s

    rng = np.random.default_rng(8)
    check(run, rng.random((15, 15)) + 15 * np.eye(15), rng.random(15))


def _random_body(rng):
    """A body whose slice bounds are affine in i with random coefficients (some clipped by
    NumPy's slicing rules: empty, one element, past the end), over two carried arrays."""
    a0, a1 = int(rng.integers(-3, 4)), int(rng.choice([-1, 0, 1, 2]))
    w0 = int(rng.integers(0, 5))
    op = int(rng.integers(0, 3))

    def body(i, state):
        x, y = state
        lo = max(a0 + a1 * i, 0)
        hi = lo + w0 + i % 1  # (i % 1: a Python int, 0)
        seg = x[lo:hi]
        if op == 0:
            y[i] = seg.sum() + y[i] * 0.5
        elif op == 1:
            x[lo:hi] = seg * 0.9 + y[i]
        else:
            y[: i + 1] += x[i] * 0.1 + seg.sum() * 0.01
        return x, y

    return body


@pytest.mark.parametrize("seed", range(8))
def test_random_affine_bodies(seed):
    rng = np.random.default_rng(100 + seed)
    body = _random_body(rng)
    n = int(rng.integers(5, 30))

    def run(x, y):
        return generalized_fori_loop(0, n, body, (x, y))

    x, y = rng.random(40), rng.random(40)
    want = run(x.copy(), y.copy())
    try:
        got = tj.jit(run)(x.copy(), y.copy())
    except NotGeneralizable:  # allowed (the caller unrolls); then nothing to compare
        return
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-12)


def test_traced_bounds_not_generalizable():
    def run(x):
        return generalized_fori_loop(0, (x > 0).sum(), lambda i, v: v, x)

    with pytest.raises(NotGeneralizable, match="Python ints"):
        tj.jit(run, fallback=False)(np.ones(3))


@pytest.mark.parametrize("case", range(10))
def test_in_place_updates_reading_their_base(case):
    """Updates whose value reads the array they write (kernelize/regions.py): in place only
    where every read is apart from the written region or the same element; the others
    (overlapping shifted, reversed, transposed, reduced reads) must still match eager."""
    def run(a):
        a = a * 1.0  # a temporary (the argument itself is never written in place)
        if case == 0:
            a[2:, 2:] -= np.outer(a[2:, 1], a[1, 2:])  # disjoint column and row, same block
        elif case == 1:
            a[1:, :] = a[:-1, :] * 2.0  # overlapping, shifted
        elif case == 2:
            a[1:4, 1:4] = a[1:4, 1:4][::-1] + 1.0  # the same region, reversed
        elif case == 3:
            a[0:3, 0:3] = a[0:3, 0:3].T * 0.5  # the same region, transposed
        elif case == 4:
            a[1:3, :] = a[1:3, :] - a[1:3, :].sum(axis=0)  # the same region, reduced
        elif case == 5:
            a[0, 1:] = a[0, 1:] + a[0, :-1]  # overlapping by all but one element
        elif case == 6:
            a[3:, 0] /= a[2, 0]  # the same column below, a disjoint element
        elif case == 7:
            a[::2, 1] = a[::2, 1] * a[1::2, 1]  # interleaved rows: same and apart (boxes overlap)
        elif case == 8:
            a[1:, 1:] = np.sqrt(a[1:, 1:]) + a[0, 0]
        else:
            a[::-1] = a  # the value is the base itself, reversed into place
        return a

    a = np.random.default_rng(case).random((6, 6)) + 0.5
    np.testing.assert_allclose(tj.jit(run)(a.copy()), run(a.copy()), rtol=1e-13)
