"""Symmetric products (``x.T @ x``, ``x @ x.T``: the upper triangle, mirrored) and split-K
GEMMs (a small C over a long K: partial C's per K part, summed by a later kernel),
differential against NumPy: odd shapes, both float widths, strided and sliced operands,
epilogues, batches, thread counts, and products that must not take the symmetric path."""
from __future__ import annotations

import numpy as np
import pytest

import tracejit as tj
from tracejit.compiler.schedule.matmul import SPLIT_K_SLICES, k_split


def _close(got, want, k: int, dtype) -> None:
    """Within rounding of sums of ``k`` products of standard normal values (summation
    orders differ from BLAS's)."""
    eps = np.finfo(dtype).eps
    np.testing.assert_allclose(got, want, rtol=eps * 256, atol=eps * 2 * k)
    assert got.dtype == want.dtype and got.shape == want.shape


def _text(f, *args) -> str:
    return f.lower(*args).as_text("kernels")


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("shape", [(20001, 50), (70001, 17), (5003, 61), (9000, 7), (4099, 130)])
@pytest.mark.parametrize("threads", [1, 2, 3])
def test_tall_gram_matrix(shape, dtype, threads, monkeypatch):
    """x.T @ x of a tall x: A (x.T) read in place, K split when C is small, exactly symmetric."""
    monkeypatch.setattr(tj.config, "num_threads", threads)
    x = np.random.default_rng(shape[1]).standard_normal(shape).astype(dtype)
    f = tj.jit(lambda a: a.T @ a)
    text = _text(f, x)
    assert "symmetric" in text and "copyA" not in text
    k, m = shape
    assert ("K split" in text) == (k_split(1, m, m, k, 256)[0] > 1)
    got = f(x)
    _close(got, x.T @ x, k, dtype)
    np.testing.assert_array_equal(got, got.T)


def test_split_does_not_depend_on_threads(monkeypatch):
    """K parts are fixed by size: every thread count gives the same bits."""
    x = np.random.default_rng(5).standard_normal((30000, 40))
    y = np.random.default_rng(6).standard_normal((30000, 40))
    results = []
    for threads in (1, 2, 5):
        monkeypatch.setattr(tj.config, "num_threads", threads)
        f = tj.jit(lambda a, b: (a.T @ a, a.T @ b))
        assert "K split" in _text(f, x, y)
        results.append(f(x, y))
    for other in results[1:]:
        for a, b in zip(results[0], other):
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
def test_split_k_general_products(dtype, monkeypatch):
    """Non-symmetric split-K products: A contiguous, transposed, strided; epilogues; batches."""
    monkeypatch.setattr(tj.config, "num_threads", 2)
    rng = np.random.default_rng(7)
    a = rng.standard_normal((45, 20000)).astype(dtype)
    b = rng.standard_normal((20000, 37)).astype(dtype)
    c = rng.standard_normal((20000, 64)).astype(dtype)
    bias = rng.standard_normal(37).astype(dtype)
    batched = rng.standard_normal((3, 9000, 30)).astype(dtype)
    cases = [
        (lambda a, b, c, t: a @ b, 20000),
        (lambda a, b, c, t: c.T @ b, 20000),
        (lambda a, b, c, t: np.tanh(a @ b + bias), 20000),
        (lambda a, b, c, t: c[::2, ::-1].T @ b[::2], 10000),  # A copied (M reversed), B rows strided
        (lambda a, b, c, t: a[:, 3:].T[:, :40].T @ b[3:], 19997),
        (lambda a, b, c, t: t.transpose(0, 2, 1) @ t, 9000),  # batched, symmetric
        (lambda a, b, c, t: t.transpose(0, 2, 1) @ t[::-1], 9000),  # batched, not symmetric
    ]
    for fn, k in cases:
        f = tj.jit(fn)
        assert "K split" in _text(f, a, b, c, batched)
        _close(f(a, b, c, batched), fn(a, b, c, batched), k, dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
def test_symmetric_epilogues(dtype):
    """Epilogues that read arrays run after the mirror (the product stays a triangle); the
    result is what NumPy gives, symmetric or not."""
    rng = np.random.default_rng(8)
    x = rng.standard_normal((20000, 50)).astype(dtype)
    small = rng.standard_normal((300, 90)).astype(dtype)
    bias = np.arange(90, dtype=dtype)
    lam = dtype(1e-3)
    for data in (x, small):
        p = data.shape[1]
        for fn in (lambda a: a.T @ a + lam * np.eye(a.shape[1], dtype=dtype),  # normal equations
                   lambda a: a.T @ a + bias[:a.shape[1]],  # not symmetric: bias along rows
                   lambda a: np.tanh(a.T @ a / 3.0),
                   lambda a: a.T @ a * a[:p, :p]):
            f = tj.jit(fn)
            assert "symmetric" in _text(f, data)
            _close(f(data), fn(data), data.shape[0], dtype)


def test_normal_equations_program():
    """The library corpus's normal_eq (issue 17): X.T @ X + lam * I, solve, residual."""
    def kernel(X, y, lam):
        A = X.T @ X + lam * np.eye(X.shape[1])
        beta = np.linalg.solve(A, X.T @ y)
        resid = y - X @ beta
        return beta, np.sqrt(np.mean(resid ** 2))

    rng = np.random.default_rng(9)
    X = rng.standard_normal((20000, 50))
    y = X @ rng.standard_normal(50) + 0.1 * rng.standard_normal(20000)
    got, want = tj.jit(kernel)(X, y, 1e-3), kernel(X, y, 1e-3)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-9)


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
def test_strided_and_sliced_operands(dtype):
    """x.T @ x where x is a slice, strided, Fortran-ordered, reversed; and x @ x.T."""
    rng = np.random.default_rng(10)
    base = rng.standard_normal((6001, 83)).astype(dtype)
    fortran = np.asfortranarray(base[:, :41])
    cases = [
        (lambda a: a[:, 5:60].T @ a[:, 5:60], 6001),  # M contiguous, row stride 83: in place
        (lambda a: a[1::3, ::2].T @ a[1::3, ::2], 2000),  # M strided: A copied
        (lambda a: a[::-1].T @ a[::-1], 6001),  # K reversed
        (lambda a: a[:, 7:70].T[:, 100:5000] @ a[100:5000, 7:70], 4900),
        (lambda a: a[:83].T @ a[:83], 83),  # square slice
        (lambda a: a.T[:, :3000] @ a.T[:, :3000].T, 3000),  # x @ x.T, K contiguous
    ]
    for fn, k in cases:
        f = tj.jit(fn)
        assert "symmetric" in _text(f, base)
        got = f(base)
        _close(got, fn(base), k, dtype)
        np.testing.assert_array_equal(got, got.T)
    f = tj.jit(lambda a: a.T @ a)
    _close(f(fortran), fortran.T @ fortran, 6001, dtype)


def test_not_symmetric_when_operands_differ():
    """Equal values in another array, shifted slices, or a copy written in between: a full
    product (no triangle), still equal to NumPy's."""
    rng = np.random.default_rng(11)
    x = rng.standard_normal((20000, 50))
    same_values = x.copy()

    def written_between(a):
        b = a * 1.0
        b[:, 0] = 0.0
        return a.T @ b

    cases = [(lambda a, b: a.T @ b, (x, same_values)),
             (lambda a, b: a[:-1].T @ a[1:], (x, x)),
             (lambda a, b: a[:, :49].T @ a[:, 1:], (x, x)),
             (lambda a, b: written_between(a), (x, x))]
    for fn, args in cases:
        f = tj.jit(fn)
        assert "symmetric" not in _text(f, *args)
        _close(f(*args), fn(*args), 20000, np.float64)


def test_input_written_in_place_before_product():
    """a[0] += 1 before a.T @ a: the product sees the new row (and the caller's array changes, as in NumPy)."""
    def fn(a):
        a[0] += 1.0
        return a.T @ a

    x = np.random.default_rng(12).standard_normal((20000, 30))
    mine, theirs = x.copy(), x.copy()
    got, want = tj.jit(fn)(mine), fn(theirs)
    _close(got, want, 20000, np.float64)
    np.testing.assert_array_equal(mine, theirs)


@pytest.mark.parametrize("shape", [(0, 50), (1, 50), (2000, 1), (3, 0), (2, 1)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64, np.int32])
def test_degenerate_and_integer(shape, dtype):
    """Zero-size, k=1 and one-column operands, and integers (no GEMM): NumPy's results."""
    x = (np.random.default_rng(13).standard_normal(shape) * 10).astype(dtype)
    for fn in (lambda a: a.T @ a, lambda a: a @ a.T):
        got, want = tj.jit(fn)(x), fn(x)
        assert got.dtype == want.dtype and got.shape == want.shape
        np.testing.assert_allclose(got, want, rtol=1e-5)


def test_integer_tall_gram():
    x = np.random.default_rng(14).integers(-50, 50, (20000, 40))
    np.testing.assert_array_equal(tj.jit(lambda a: a.T @ a)(x), x.T @ x)


def test_k_split_sizes():
    """Parts of SPLIT_K_SLICES * kc, by size only; small C's and short K's not split."""
    per = SPLIT_K_SLICES * 256
    assert k_split(1, 50, 50, 20000, 256) == (-(-20000 // per), per)
    assert k_split(1, 200, 200, 5000, 256) == (1, 5000)  # C too large: the task grid has work
    assert k_split(1, 32, 32, 4096, 256) == (1, 4096)  # too little work
    assert k_split(1, 64, 64, per + 1, 256) == (1, per + 1)  # one part


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("k,m,n", [(300, 97, 45), (1000, 7, 130), (257, 250, 33), (64, 64, 64), (3001, 13, 17)])
@pytest.mark.parametrize("threads", [1, 2])
def test_transposed_a_read_in_place(k, m, n, dtype, threads, monkeypatch):
    """a.T @ b with short rows of a: the micro-kernel reads A across them (no copy kernel)."""
    monkeypatch.setattr(tj.config, "num_threads", threads)
    rng = np.random.default_rng(k + m + n)
    a = rng.standard_normal((k, m + 3)).astype(dtype)
    b = rng.standard_normal((k, n)).astype(dtype)
    f = tj.jit(lambda a, b: (a[:, 3:].T @ b, a[:, :m].T @ b[::-1] * 2.0))
    text = _text(f, a, b)
    assert "copyA" not in text and "read in place" in text
    for got, want in zip(f(a, b), (a[:, 3:].T @ b, a[:, :m].T @ b[::-1] * 2.0)):
        _close(got, want, k, dtype)


def test_k_split_parts_are_bounded():
    """A very long K gets longer parts (at most SPLIT_K_MAX_PARTS), each whole kc slices."""
    from tracejit.compiler.schedule.matmul import SPLIT_K_MAX_PARTS
    for k in (10**6, 10**7 + 3):
        parts, per = k_split(1, 16, 16, k, 256)
        assert parts <= SPLIT_K_MAX_PARTS and per % 256 == 0 and (parts - 1) * per < k <= parts * per
    x = np.random.default_rng(15).standard_normal((600000, 6))
    f = tj.jit(lambda a: a.T @ a)
    assert k_split(1, 6, 6, 600000, 256)[0] == 64 and "K split in 64 parts" in _text(f, x)
    _close(f(x), x.T @ x, 600000, np.float64)
