"""numpy.linalg functions run natively in NumPy's own LAPACK (``frontend/numpy/lapack_funcs.py``):
differential against NumPy eager, bit for bit where NumPy does no libm post-processing."""
from __future__ import annotations

import pickle
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import tracejit as tj
from tracejit.compiler.kernelize.lapack import routine_constant
from tracejit.runtime import lapack

ROUTINES = ("dgesv", "dgetrf", "dpotrf", "dsyevd", "dgeqrf", "dorgqr", "dgelsd")
pytestmark = pytest.mark.skipif(not lapack.available(*ROUTINES), reason="this NumPy's LAPACK is not ILP64")
LinAlgError = np.linalg.LinAlgError


def _spd(shape: tuple, dtype, seed: int = 0) -> np.ndarray:
    a = np.random.default_rng(seed).standard_normal(shape)
    n = shape[-1]
    return (a @ np.swapaxes(a, -1, -2) + n * np.eye(n)).astype(dtype)


def _general(shape: tuple, dtype, seed: int = 1) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


FUNCTIONS = {  # name -> (function, input maker, exact: bit-identical to NumPy)
    "solve": (lambda a: np.linalg.solve(a, a[..., :2] * 3.0), _general, True),
    "solve_vector": (lambda a: np.linalg.solve(a, np.arange(a.shape[-1], dtype=a.dtype)), _general, True),
    "inv": (np.linalg.inv, _general, "bound"),  # (dgetri: within LAPACK's bound, docs/design.md)
    "det": (np.linalg.det, _general, False),
    "slogdet": (lambda a: tuple(np.linalg.slogdet(a)), _general, False),
    "cholesky": (np.linalg.cholesky, _spd, True),
    "cholesky_upper": (lambda a: np.linalg.cholesky(a, upper=True), _spd, True),
    "eigh": (lambda a: tuple(np.linalg.eigh(a)), _spd, True),
    "eigh_upper": (lambda a: tuple(np.linalg.eigh(a, UPLO="U")), _spd, True),
    "eigvalsh": (np.linalg.eigvalsh, _spd, True),
    "qr": (lambda a: tuple(np.linalg.qr(a)), _general, True),
    "qr_complete": (lambda a: tuple(np.linalg.qr(a, mode="complete")), _general, True),
    "qr_r": (lambda a: np.linalg.qr(a, mode="r"), _general, True),
}


def _same(got, want, exact: bool | str) -> None:
    got, want = (got, want) if isinstance(want, tuple) else ((got,), (want,))
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert type(g) is type(w) and np.asarray(g).dtype == np.asarray(w).dtype and np.shape(g) == np.shape(w)
        if exact == "bound":  # n * eps * cond(a) * max|w|, cond(a) < 1e3 for these inputs; float32 rounds once
            eps = np.finfo(np.asarray(w).dtype).eps
            np.testing.assert_allclose(g, w, rtol=0, atol=(1e3 * 16 * np.finfo(np.float64).eps + 2 * eps) *
                                       np.max(np.abs(w), initial=0))
        elif exact:
            np.testing.assert_array_equal(g, w)
        else:  # (NumPy's log and exp are libm's)
            np.testing.assert_allclose(g, w, rtol=1e-13 if np.asarray(w).dtype == np.float64 else 1e-6)


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_matches_numpy(name, dtype):
    fn, make, exact = FUNCTIONS[name]
    jf = tj.jit(fn, fallback=False)
    shapes = [(5, 5), (1, 1), (3, 4, 4)] if dtype == np.float64 else [(3, 4, 4)]  # (float32: computed in float64)
    if name.startswith("qr"):
        shapes += [(6, 3), (2, 3, 5)]
    for shape in shapes:  # one compiled function, called with new shapes
        a = make(shape, dtype)
        _same(jf(a), fn(a), exact)
    a = make((2, 8, 8), dtype)[:, ::2, ::2]  # a non-contiguous view (a principal submatrix: still SPD)
    _same(jf(a), fn(a), exact)
    assert jf.lower(a).fallbacks == []


def test_integer_input_computes_in_float64():
    a = np.array([[4, 1], [2, 3]])
    for fn in (np.linalg.det, lambda x: np.linalg.solve(x, np.array([1, 2]))):
        _same(tj.jit(fn, fallback=False)(a), fn(a), True)
    _same(tj.jit(np.linalg.inv, fallback=False)(a), np.linalg.inv(a), "bound")


def test_singular_and_not_positive_definite_raise_as_numpy():
    singular = np.ones((2, 3, 3))
    with pytest.raises(LinAlgError, match="Singular matrix"):
        tj.jit(np.linalg.inv)(singular)
    solve = tj.jit(lambda a, b: np.linalg.solve(a, b))
    with pytest.raises(LinAlgError, match="Singular matrix"):
        solve(singular[0], np.ones(3))
    np.testing.assert_array_equal(solve(np.eye(3) * 2, np.ones(3)), np.full(3, 0.5))  # the next call works
    with pytest.raises(LinAlgError, match="Matrix is not positive definite"):
        tj.jit(np.linalg.cholesky)(-np.eye(3))
    det = tj.jit(lambda a: (np.linalg.det(a), tuple(np.linalg.slogdet(a))))
    _same(det(singular), (np.linalg.det(singular), tuple(np.linalg.slogdet(singular))), True)


def test_shape_errors_are_numpy_errors():
    with pytest.raises(LinAlgError, match="Last 2 dimensions of the array must be square"):
        tj.jit(np.linalg.inv)(np.ones((2, 3)))
    with pytest.raises(LinAlgError, match="1-dimensional array given"):
        tj.jit(np.linalg.det)(np.ones(3))
    with pytest.raises(ValueError, match="mismatch"):
        tj.jit(np.linalg.solve)(np.eye(3), np.ones(4))
    with pytest.raises(ValueError, match="UPLO"):
        tj.jit(lambda a: np.linalg.eigvalsh(a, UPLO="X"))(np.eye(3))


def test_empty_and_other_cases_run_in_numpy():
    f = tj.jit(lambda a: (np.linalg.det(a), np.linalg.eigvalsh(a), np.linalg.qr(a, mode="raw")))
    for a in (np.zeros((0, 0)), np.eye(2)):
        got, want = f(a), (np.linalg.det(a), np.linalg.eigvalsh(a), np.linalg.qr(a, mode="raw"))
        np.testing.assert_array_equal(got[0], want[0])
        np.testing.assert_array_equal(got[1], want[1])
    assert [name for name, _, _ in f.lower(np.eye(2)).fallbacks] == ["numpy.linalg.qr"]


def test_fused_with_other_work_and_solve_broadcasts():
    def f(a, b):
        x = np.linalg.solve(a, b)  # (2, 3, 3) against (3, 2): b broadcast over the batch
        return (x * 2.0).sum(axis=-1), np.linalg.inv(a[0] + 1.0) @ b
    a, b = _general((2, 3, 3), np.float64), _general((3, 2), np.float64)
    got, want = tj.jit(f, fallback=False)(a, b), f(a, b)
    _same(got[0], want[0], True)
    _same(got[1], want[1], "bound")  # (dgetri's inverse; a 3x3 GEMM of its own)


def test_routine_address_is_resolved_again_when_unpickled():
    value = pickle.loads(pickle.dumps(routine_constant("dgesv")))
    assert value.routine == "dgesv" and int(value[0]) == lapack.address("dgesv")


def test_lstsq_residuals_follow_the_rank():
    def f(a, b):
        x, residuals, rank, s = np.linalg.lstsq(a, b, rcond=None)
        return x, residuals, rank, s
    jf = tj.jit(f, fallback=False)
    rng = np.random.default_rng(3)
    for a, b in [(rng.standard_normal((8, 3)), rng.standard_normal((8, 2))),  # full rank: residuals
                 (np.ones((8, 3)), rng.standard_normal((8, 2))),  # rank 1: none
                 (rng.standard_normal((3, 7)), rng.standard_normal(3)),  # underdetermined: none
                 (rng.standard_normal((6, 2)).astype(np.float32), rng.standard_normal(6).astype(np.float32))]:
        _same(jf(a, b), f(a, b), True)  # (elongated: dgelsd, bit for bit; the fast path: test_linalg_lstsq.py)
    a, b = rng.standard_normal((8, 3)), rng.standard_normal(8)
    g = lambda a, b: np.linalg.lstsq(a, b, rcond=0.5)[0]  # noqa: E731
    _same(tj.jit(g, fallback=False)(a, b), g(a, b), True)


def test_inside_a_loop_body():
    def f(a, x):  # the body a program of its own, LAPACK calls inside
        return tj.fori_loop(0, 3, lambda i, x: np.linalg.solve(a, x) + np.linalg.det(a), x)

    def eager(a, x):
        for _ in range(3):
            x = np.linalg.solve(a, x) + np.linalg.det(a)
        return x
    jf = tj.jit(f, fallback=False)
    for n in (4, 6):
        a, x = _spd((n, n), np.float64), np.arange(float(n))
        _same(jf(a, x), eager(a, x), False)
    assert "lapack dgesv" in jf.lower(a, x).as_text("kernels")


def test_concurrent_calls_have_their_own_workspaces():
    mats = [_general((2, 8, 8), np.float64, seed) for seed in range(16)]
    f = tj.jit(lambda a: (np.linalg.inv(a), np.linalg.eigvalsh(a + np.swapaxes(a, -1, -2)), np.linalg.qr(a)[0]))
    f(mats[0])
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(f, mats))
    for a, got in zip(mats, results):
        _same(got[0], np.linalg.inv(a), "bound")
        _same(got[1:], (np.linalg.eigvalsh(a + np.swapaxes(a, -1, -2)), np.linalg.qr(a)[0]), True)


def test_solve_vector_right_hand_side_layouts():
    """A 1-D ``b`` of one matrix is dgesv's operand as it is (no transposed copy): strided,
    integer, float32 and broadcast against a stack, the caller's array left unchanged."""
    f = tj.jit(lambda a, b: np.linalg.solve(a, b), fallback=False)
    rng = np.random.default_rng(7)
    a, wide = rng.standard_normal((7, 7)), rng.standard_normal(16)
    for x, y in ((a, wide[::2][:7]), (a[:, ::-1], wide[:7]), (a, np.arange(7)), (a.astype(np.float32),
                 wide[:7].astype(np.float32)), (rng.standard_normal((3, 7, 7)), wide[:7]), (a[:1, :1], wide[:1])):
        kept = y.copy()
        _same(f(x, y), np.linalg.solve(x, y), True)
        np.testing.assert_array_equal(y, kept)
    with pytest.raises(ValueError, match="mismatch"):
        f(a, wide[:6])
    with pytest.raises(LinAlgError, match="Singular matrix"):
        f(np.ones((4, 4)), wide[:4])


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_stacks_of_64x64_match_numpy(name, dtype, monkeypatch):
    """Stacks of 8 and 16 64x64 matrices (arenas of 256 KiB - 1 MiB, kept between calls;
    scheduled for 4 threads, so the loops around the calls take their parallel decision),
    one matrix, and non-contiguous stacks: NumPy's results, as for the small ones."""
    monkeypatch.setattr(tj.config, "num_threads", 4)
    fn, make, exact = FUNCTIONS[name]
    jf = tj.jit(fn, fallback=False)
    for shape in [(8, 64, 64), (16, 64, 64), (64, 64)]:
        a = make(shape, dtype)
        for _ in range(2):  # (the second call reuses the first's arena)
            _same(jf(a), fn(a), exact)
    big = make((8, 128, 128), dtype)
    for a in (big[:, ::2, ::2], np.swapaxes(big[:, :64, :64], -1, -2), big[1::2, 64:, 64:]):
        _same(jf(a), fn(a), exact)
    assert jf.lower(a).fallbacks == []


def _grains(jf, *args) -> list[int]:
    return [k.parallel_grain for k in jf.lower(*args).kernels if k.control is None]


def test_loops_around_lapack_calls_run_on_the_pool_only_when_large(monkeypatch):
    """A LAPACK call parks the thread pool: the copies before and after it (cholesky's
    triangle, qr's R) stay serial at 8x64x64 (a futex wake-up cost 25-50 us for a 9 us
    loop), run in parallel when large; the same loop in a program without a call keeps
    the ordinary threshold."""
    monkeypatch.setattr(tj.config, "num_threads", 4)
    chol, qr = tj.jit(np.linalg.cholesky), tj.jit(lambda a: tuple(np.linalg.qr(a)))
    small, large = _spd((8, 64, 64), np.float64), _spd((8, 256, 256), np.float64)
    assert _grains(chol, small) and not any(_grains(chol, small)) and not any(_grains(qr, small))
    copy_in, _, triangle_out = _grains(chol, large)  # (the middle one: any(info != 0), 8 elements)
    assert copy_in and triangle_out and any(_grains(qr, large))
    _same(chol(large), np.linalg.cholesky(large), True)
    triangle = tj.jit(lambda a: np.tril(np.swapaxes(a, 1, 2)))
    assert any(_grains(triangle, small))
