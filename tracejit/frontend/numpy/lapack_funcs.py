"""``numpy.linalg`` functions that NumPy runs in LAPACK, run natively in the same LAPACK.

``solve``, ``inv``, ``det``, ``slogdet``, ``cholesky``, ``eigh``, ``eigvalsh``, ``qr`` and
``lstsq`` call the routines NumPy's own ``_umath_linalg`` calls (``runtime/lapack.py``) through
``lapack`` nodes (``compiler/ops/lapack.py``), on the same input: NumPy computes every real
input in float64 (float32 results are rounded at the end) and hands LAPACK a column-major
copy, the transposed copy here; so results are NumPy's, bit for bit, save where NumPy
post-processes with libm (``det``/``slogdet``'s logarithms and exponential: within an ulp).
A nonzero ``info`` raises the LinAlgError NumPy raises, after the call (``frontend/checks.py``).
Complex, float16 and empty inputs, ``qr(mode='raw')`` and a NumPy without these routines
(an LP64 build) are left to the host fallback (``frontend/hostcall.py``).
"""
from __future__ import annotations

import math

import numpy as np

from tracejit.compiler.autodiff.reverse import STOP
from tracejit.compiler.dtypes import AVal
from tracejit.compiler.ops.lapack import LapackCall, run_call
from tracejit.errors import UnsupportedError, at, user_error
from tracejit.frontend import checks
from tracejit.frontend.context import differentiated, user_location
from tracejit.frontend.core import Trace, Tracer
from tracejit.frontend.dispatch import implements
from tracejit.frontend.numpy.shape import astype, broadcast_to, reshape, scalar_result, swapaxes
from tracejit.frontend.operands import Operand, as_array, as_operand, find_trace, lift
from tracejit.runtime import lapack

F64, I64 = np.dtype(np.float64), np.dtype(np.int64)
LinAlgError = np.linalg.LinAlgError
_linalg = getattr(np.linalg, "_linalg")  # (NumPy's result named tuples live there)


def _real(trace: Trace, x: Operand, name: str) -> tuple[Tracer, np.dtype]:
    """``x`` in float64 (what NumPy computes in) and the dtype NumPy returns."""
    x = as_operand(trace, as_array(trace, x))
    x = lift(trace, x)
    if x.dtype.kind in "biu":
        return astype(x, F64), F64
    if x.dtype in (np.float32, np.float64):
        return astype(x, F64, copy=False), x.dtype
    raise UnsupportedError(f"numpy.linalg.{name} of {x.dtype} runs in NumPy")


def _check_square(x: Tracer, loc: str | None) -> None:
    if x.ndim < 2:
        raise user_error(LinAlgError(f"{x.ndim}-dimensional array given. Array must be at least "
                                     f"two-dimensional{at(loc)}"))
    if x.shape[-1] != x.shape[-2]:
        raise user_error(LinAlgError(f"Last 2 dimensions of the array must be square{at(loc)}"))


def _nonempty(name: str, *sizes: int) -> None:
    if 0 in sizes:
        raise UnsupportedError(f"numpy.linalg.{name} of an empty array runs in NumPy")


def _ready(name: str, *routines: str) -> None:
    if not lapack.available(*routines):
        raise UnsupportedError(f"numpy.linalg.{name}: this NumPy's LAPACK is not available to native code")


def _square(a: Operand, name: str, *routines: str) -> tuple[Trace, Tracer, np.dtype, str | None]:
    """What every square-matrix function starts with: the routines ready, ``a`` in float64
    (:func:`_real`, with the dtype NumPy returns) and checked square; and the user's line."""
    loc = user_location()
    _ready(name, *routines)
    trace = find_trace([a])
    a, ta = _real(trace, a, name)
    _check_square(a, loc)
    return trace, a, ta, loc


def _columns(x: Tracer, batch: int) -> Tracer:
    """The matrices of ``x`` (..., m, n) as (batch, n, m): each one column-major."""
    return swapaxes(reshape(x, (batch,) + x.shape[-2:]), 1, 2)


def record_call(trace: Trace, routine: str, operands: list, args: tuple, results: list[tuple], inits: tuple,
                dims: tuple, batch: int, rule: str = "") -> list[Tracer]:
    """Record a ``lapack`` node; ``results`` are (shape, dtype, batched) triples; ``rule``: see LapackCall."""
    loc = user_location()
    call = LapackCall(routine, args, tuple(r[2] for r in results), inits, rule)
    avals = tuple(AVal(tuple(s), np.dtype(d)) for s, d, _ in results)
    nodes = [trace.node_of(x, loc) for x in operands]
    node = trace.graph.add("lapack", nodes, attrs={"call": call, "dims": tuple(int(d) for d in dims),
                                                   "batch": batch, "results": avals}, loc=loc)
    return [Tracer(trace, trace.graph.add("loop_out", [node], attrs={"index": i, "shape": a.shape, "dtype": a.dtype},
                                          loc=loc)) for i, a in enumerate(avals)]


def _workspace(routine: str, args: tuple, results: list[tuple], dims: tuple, queries: tuple,
               operands: tuple = ()) -> list[int]:
    """The optimal workspace lengths LAPACK reports for one matrix: ``queries`` are pairs
    (index of a length in ``dims``, index of its array among ``results``); the query runs
    now, on zeros (and ``operands``, for arguments ``("in", k)``), with those lengths -1
    (as NumPy queries before its calls)."""
    call = LapackCall(routine, args, tuple(r[2] for r in results))
    avals = tuple(AVal((1,) + tuple(s[1:]) if b else tuple(s), np.dtype(d)) for s, d, b in results)
    lengths = {k for k, _ in queries}
    outs = run_call(*operands, call=call, dims=tuple(-1 if k in lengths else d for k, d in enumerate(dims)), batch=1,
                    results=avals)
    return [int(outs[r].reshape(-1)[0]) for _, r in queries]


def raise_if_info(info: Tracer, error: str, loc: str | None) -> None:
    """Raise NumPy's ``LinAlgError(error)`` after the call where any ``info`` is nonzero."""
    if info.size:
        checks.record(np.any(info != 0), LinAlgError, f"{error}{at(loc)}")


def _solve(trace: Trace, a: Tracer, b: Tracer, batch_shape: tuple, loc: str | None) -> Tracer:
    """The solutions (batch..., n, nrhs) of ``a @ x = b`` by dgesv, as NumPy's ``solve``; a
    1-D ``b`` is one right-hand side for one matrix."""
    n, batch = a.shape[-1], math.prod(batch_shape)
    a = _columns(broadcast_to(a, batch_shape + (n, n)), batch)
    if b.ndim == 1 and batch == 1:
        # (its own column-major layout: the operand as it is, copied by the call's kernel; a
        # transposed copy of it would be fused into the outer loop of a's, which then loses
        # its tiles: 0.2 -> 0.8 ms at 512)
        nrhs = 1
    else:
        b = reshape(b, b.shape + (1,)) if b.ndim == 1 else b
        nrhs = b.shape[-1]
        b = _columns(broadcast_to(b, batch_shape + (n, nrhs)), batch)
    args = (("dim", 0), ("dim", 1), ("out", 0), ("dim", 2), ("out", 1), ("out", 2), ("dim", 2), ("out", 3))
    results = [((batch, n, n), F64, True), ((max(1, n),), I64, False), (b.shape, F64, True), ((batch,), I64, True)]
    _, _, x, info = record_call(trace, "dgesv", [a, b], args, results, ((0, 0), (2, 1)), (n, nrhs, max(1, n)), batch)
    raise_if_info(info, "Singular matrix", loc)
    return reshape(swapaxes(reshape(x, (batch, nrhs, n)), 1, 2), batch_shape + (n, nrhs))


@implements(np.linalg.solve)
def solve(a: Operand, b: Operand) -> Tracer:
    """``numpy.linalg.solve`` by LAPACK's dgesv."""
    loc = user_location()
    _ready("solve", "dgesv")
    trace = find_trace([a, b])
    (a, ta), (b, tb) = _real(trace, a, "solve"), _real(trace, b, "solve")
    _check_square(a, loc)
    n = a.shape[-1]
    vector = b.ndim == 1
    if vector:
        batch_shape = a.shape[:-2]
    else:
        try:
            batch_shape = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
        except ValueError as e:
            raise user_error(ValueError(f"solve: batch shapes {a.shape[:-2]} and {b.shape[:-2]} do not "
                                        f"broadcast{at(loc)}")) from e
    if b.shape[-1 if vector else -2] != n:
        raise user_error(ValueError(f"solve: Input operand 1 has a mismatch in its core dimension 0 (size "
                                    f"{b.shape[-1 if vector else -2]} is different from {n}){at(loc)}"))
    x = _solve(trace, a, b, batch_shape, loc)
    if vector:
        x = reshape(x, batch_shape + (n,))
    return astype(x, np.result_type(ta, tb, np.float32), copy=False)


@implements(np.linalg.inv)
def inv(a: Operand) -> Tracer:
    """``numpy.linalg.inv``: NumPy's LU (dgetrf of the same column-major copy, so the same
    singular matrices raise), then the inverse from it (dgetri: 2n^3 flops where NumPy's
    dgesv against the identity takes 8n^3/3; 1.5x faster at 64 and 512, within LAPACK's
    error bound of NumPy's result)."""
    trace, a, ta, loc = _square(a, "inv", "dgesv", "dgetrf", "dgetri")
    n, batch_shape = a.shape[-1], a.shape[:-2]
    batch = math.prod(batch_shape)
    if n == 0 or batch == 0:
        index = lift(trace, np.arange(n))  # (the identity from the element index: no n x n constant)
        eye = astype(np.equal(reshape(index, (n, 1)), index), F64)
        return astype(_solve(trace, a, eye, batch_shape, loc), ta, copy=False)
    args = (("dim", 0), ("dim", 0), ("out", 0), ("dim", 0), ("out", 1), ("out", 2))
    results = [((batch, n, n), F64, True), ((batch, n), I64, True), ((batch,), I64, True)]
    columns = _columns(a, batch)
    lu, pivots, info = record_call(trace, "dgetrf", [columns], args, results, ((0, 0),), (n,), batch)
    raise_if_info(info, "Singular matrix", loc)
    args = (("dim", 0), ("out", 0), ("dim", 0), ("out", 1), ("out", 2), ("dim", 1), ("out", 3))

    def inverse(lwork: int) -> list[tuple]:
        return [((batch, n, n), F64, True), ((batch, n), I64, True), ((lwork,), F64, False), ((batch,), I64, True)]

    lwork = max(1, n, *_workspace("dgetri", args, inverse(1), (n, 0), ((1, 2),)))
    # (``columns``, not read by dgetri, is there for the derivative: ops/lapack.py)
    x, _, _, _ = record_call(trace, "dgetri", [lu, pivots, columns], args, inverse(lwork), ((0, 0), (1, 1)),
                             (n, lwork), batch)
    return astype(reshape(swapaxes(x, 1, 2), a.shape), ta, copy=False)


def _slogdet(a: Operand, name: str) -> tuple[Tracer, Tracer, np.dtype]:
    """Sign and log-determinant (float64) as NumPy's ``slogdet``: dgetrf, the pivots' and the
    diagonal's signs, the logarithms of the diagonal's magnitudes summed in order; and the
    dtype NumPy returns (``det`` and ``slogdet`` both start here)."""
    trace, a, ta, _ = _square(a, name, "dgetrf")
    n, batch_shape = a.shape[-1], a.shape[:-2]
    batch = math.prod(batch_shape)
    _nonempty(name, n, batch)
    args = (("dim", 0), ("dim", 0), ("out", 0), ("dim", 1), ("out", 1), ("out", 2))
    results = [((batch, n, n), F64, True), ((batch, n), I64, True), ((batch,), I64, True)]
    lu, pivots, info = record_call(trace, "dgetrf", [_columns(a, batch)], args, results, ((0, 0),), (n, n), batch)
    diagonal = np.diagonal(lu, axis1=1, axis2=2)
    flips = (np.sum(pivots != np.arange(1, n + 1), axis=-1) + np.sum(diagonal < 0, axis=-1)) % 2
    ok = info == 0
    sign = np.where(ok, np.where(flips == 1, -1.0, 1.0), 0.0)
    logdet = np.where(ok, np.cumsum(np.log(np.abs(diagonal)), axis=-1)[:, -1], -np.inf)
    return reshape(sign, batch_shape), reshape(logdet, batch_shape), ta


@implements(np.linalg.slogdet)
def slogdet(a: Operand) -> tuple:
    """``numpy.linalg.slogdet`` by LAPACK's dgetrf."""
    sign, logdet, ta = _slogdet(a, "slogdet")
    return _linalg.SlogdetResult(scalar_result(astype(sign, ta, copy=False)),
                                 scalar_result(astype(logdet, ta, copy=False)))


@implements(np.linalg.det)
def det(a: Operand) -> Tracer:
    """``numpy.linalg.det``: ``sign * exp(logdet)`` of :func:`slogdet`, as NumPy computes it."""
    sign, logdet, ta = _slogdet(a, "det")
    return scalar_result(astype(sign * np.exp(logdet), ta, copy=False))


@implements(np.linalg.cholesky)
def cholesky(a: Operand, /, *, upper: bool = False) -> Tracer:
    """``numpy.linalg.cholesky`` by LAPACK's dpotrf."""
    trace, a, ta, loc = _square(a, "cholesky", "dpotrf")
    n, batch_shape = a.shape[-1], a.shape[:-2]
    batch = math.prod(batch_shape)
    args = (("char", "U" if upper else "L"), ("dim", 0), ("out", 0), ("dim", 1), ("out", 1))
    results = [((batch, n, n), F64, True), ((batch,), I64, True)]
    f, info = record_call(trace, "dpotrf", [_columns(a, batch)], args, results, ((0, 0),), (n, max(1, n)), batch)
    raise_if_info(info, "Matrix is not positive definite", loc)
    m = reshape(swapaxes(f, 1, 2), a.shape)
    return astype(np.triu(m) if upper else np.tril(m), ta, copy=False)


def _symmetric(a: Operand, uplo: str, vectors: bool, name: str) -> tuple:
    """Eigenvalues (and eigenvectors) by dsyevd, as NumPy's ``eigh``/``eigvalsh``."""
    trace, a, ta, loc = _square(a, name, "dsyevd")
    uplo = str(uplo).upper()
    if uplo not in ("L", "U"):
        raise user_error(ValueError(f"UPLO argument must be 'L' or 'U'{at(loc)}"))
    n, batch_shape = a.shape[-1], a.shape[:-2]
    batch = math.prod(batch_shape)
    _nonempty(name, n, batch)
    args = (("char", "V" if vectors else "N"), ("char", uplo), ("dim", 0), ("out", 0), ("dim", 1), ("out", 1),
            ("out", 2), ("dim", 2), ("out", 3), ("dim", 3), ("out", 4))

    def results(lwork: int, liwork: int) -> list[tuple]:
        return [((batch, n, n), F64, True), ((batch, n), F64, True), ((lwork,), F64, False), ((liwork,), I64, False),
                ((batch,), I64, True)]

    lwork, liwork = _workspace("dsyevd", args, results(1, 1), (n, n, 0, 0), ((2, 2), (3, 3)))
    f, w, _, _, info = record_call(trace, "dsyevd", [_columns(a, batch)], args, results(lwork, liwork), ((0, 0),),
                             (n, n, lwork, liwork), batch)
    raise_if_info(info, "Eigenvalues did not converge", loc)
    w = astype(reshape(w, batch_shape + (n,)), ta, copy=False)
    return w, astype(reshape(swapaxes(f, 1, 2), a.shape), ta, copy=False)


@implements(np.linalg.eigh)
def eigh(a: Operand, UPLO: str = "L") -> tuple:  # noqa: N803 (NumPy's name)
    """``numpy.linalg.eigh`` by LAPACK's dsyevd."""
    return _linalg.EighResult(*_symmetric(a, UPLO, True, "eigh"))


@implements(np.linalg.eigvalsh)
def eigvalsh(a: Operand, UPLO: str = "L") -> Tracer:  # noqa: N803 (NumPy's name)
    """``numpy.linalg.eigvalsh`` by LAPACK's dsyevd (eigenvalues only)."""
    return _symmetric(a, UPLO, False, "eigvalsh")[0]


@implements(np.linalg.qr)
def qr(a: Operand, mode: str = "reduced") -> object:
    """``numpy.linalg.qr`` (modes reduced, complete, r) by LAPACK's dgeqrf and dorgqr (also given A: its rule)."""
    loc = user_location()
    if mode not in ("reduced", "complete", "r"):
        raise UnsupportedError(f"numpy.linalg.qr(mode={mode!r}) runs in NumPy")
    _ready("qr", "dgeqrf", "dorgqr")
    trace = find_trace([a])
    a, ta = _real(trace, a, "qr")
    if a.ndim < 2:
        raise user_error(LinAlgError(f"{a.ndim}-dimensional array given. Array must be at least "
                                     f"two-dimensional{at(loc)}"))
    (m, n), batch_shape = a.shape[-2:], a.shape[:-2]
    mn, batch, lda = min(m, n), math.prod(batch_shape), max(1, m)
    _nonempty("qr", m, n, batch)
    args = (("dim", 0), ("dim", 1), ("out", 0), ("dim", 2), ("out", 1), ("out", 2), ("dim", 3), ("out", 3))

    def factors(lwork: int) -> list[tuple]:
        return [((batch, n, m), F64, True), ((batch, mn), F64, True), ((lwork,), F64, False), ((batch,), I64, True)]

    lwork = max(1, n, *_workspace("dgeqrf", args, factors(1), (m, n, lda, 0), ((3, 2),)))
    columns = _columns(a, batch)
    f, tau, _, _ = record_call(trace, "dgeqrf", [columns], args, factors(lwork), ((0, 0),),
                               (m, n, lda, lwork), batch)
    mc = m if mode == "complete" and m > n else mn
    r = astype(np.triu(reshape(swapaxes(f, 1, 2)[:, :mc, :], batch_shape + (mc, n))), ta, copy=False)
    if mode == "r":
        return r
    start = f[:, :mc, :] if mc <= n else np.concatenate([f, lift(trace, np.zeros((batch, mc - n, m)))], axis=1)
    args = (("dim", 0), ("dim", 1), ("dim", 2), ("out", 0), ("dim", 3), ("out", 1), ("out", 2), ("dim", 4),
            ("out", 3))

    def vectors(lwork: int) -> list[tuple]:
        return [((batch, mc, m), F64, True), ((batch, mn), F64, True), ((lwork,), F64, False), ((batch,), I64, True)]

    lwork = max(1, n, *_workspace("dorgqr", args, vectors(1), (m, mc, mn, lda, 0), ((4, 2),)))
    q, _, _, _ = record_call(trace, "dorgqr", [start, tau, columns], args, vectors(lwork), ((0, 0), (1, 1)),
                             (m, mc, mn, lda, lwork), batch)
    q = astype(reshape(swapaxes(q, 1, 2), batch_shape + (m, mc)), ta, copy=False)
    return _linalg.QRResult(q, r)


# lstsq of matrices up to this order, at most this aspect ratio, takes the fast path (see :func:`lstsq`)
_FAST_LSTSQ_ORDER, _FAST_LSTSQ_ASPECT = 384, 2
_LAPACK_EPS = np.finfo(np.float64).eps / 2  # (LAPACK's dlamch('Epsilon'): the unit roundoff)


def _gelsd(a: Tracer, b: Tracer, rcond: Tracer, m: int, n: int) -> tuple:
    """NumPy's own least-squares call: dgelsd of ``a`` (1, n, m) and ``b`` (1, nrhs, max(m, n)),
    both column-major; returns the right-hand sides overwritten, the singular values, the
    rank and ``info``."""
    trace = find_trace([a, b, rcond])
    nrhs, rows = b.shape[1], max(m, n)
    args = (("dim", 0), ("dim", 1), ("dim", 2), ("out", 0), ("dim", 3), ("out", 1), ("dim", 4), ("out", 2), ("in", 2),
            ("out", 3), ("out", 4), ("dim", 5), ("out", 5), ("out", 6))

    def results(lwork: int, liwork: int) -> list[tuple]:
        return [((1, n, m), F64, True), ((1, nrhs, rows), F64, True), ((1, min(m, n)), F64, True),
                ((1,), I64, True), ((lwork,), F64, False), ((liwork,), I64, False), ((1,), I64, True)]

    dims = (m, n, nrhs, max(1, m), rows, 0)
    lwork, liwork = _workspace("dgelsd", args, results(1, 1), dims, ((5, 4), (5, 5)),
                               (np.zeros(1), np.zeros(1), np.zeros(())))
    _, bf, s, rank, _, _, info = record_call(trace, "dgelsd", [a, b, rcond], args,
                                             results(max(1, lwork), max(1, liwork)), ((0, 0), (1, 1)),
                                             dims[:5] + (max(1, lwork),), 1)
    return bf, reshape(s, (min(m, n),)), reshape(rank, ()), reshape(info, ())


def _singular_values(trace: Trace, a: Tracer, m: int, n: int) -> tuple[Tracer, Tracer]:
    """The singular values (descending) of ``a`` (1, n, m) column-major by dgesvd without
    vectors, and its ``info``."""
    args = (("char", "N"), ("char", "N"), ("dim", 0), ("dim", 1), ("out", 0), ("dim", 2), ("out", 1), ("out", 1),
            ("dim", 3), ("out", 1), ("dim", 3), ("out", 2), ("dim", 4), ("out", 3))

    def results(lwork: int) -> list[tuple]:
        return [((1, n, m), F64, True), ((1, min(m, n)), F64, True), ((lwork,), F64, False), ((1,), I64, True)]

    dims = (m, n, max(1, m), 1, 0)
    lwork = max(1, *_workspace("dgesvd", args, results(1), dims, ((4, 2),)))
    _, s, _, info = record_call(trace, "dgesvd", [a], args, results(lwork), ((0, 0),), dims[:4] + (lwork,), 1)
    return reshape(s, (min(m, n),)), reshape(info, ())


def _factor(routine: str, a: Tracer, m: int, n: int) -> tuple[Tracer, Tracer]:
    """dgeqrf (QR) or dgelqf (LQ) of ``a`` (1, n, m) column-major: the factored matrix and ``tau``."""
    trace = find_trace([a])
    args = (("dim", 0), ("dim", 1), ("out", 0), ("dim", 2), ("out", 1), ("out", 2), ("dim", 3), ("out", 3))

    def results(lwork: int) -> list[tuple]:
        return [((1, n, m), F64, True), ((1, min(m, n)), F64, True), ((lwork,), F64, False), ((1,), I64, True)]

    dims = (m, n, max(1, m), 0)
    lwork = max(1, *_workspace(routine, args, results(1), dims, ((3, 2),)))
    f, tau, _, _ = record_call(trace, routine, [a], args, results(lwork), ((0, 0),), dims[:3] + (lwork,), 1)
    return f, tau  # (info: nonzero only for an illegal argument)


def _reflect(routine: str, f: Tracer, tau: Tracer, b: Tracer, m: int, n: int) -> Tracer:
    """``b`` (1, nrhs, rows) column-major times the transposed orthogonal factor that
    ``routine`` (dormqr or dormlq) applies from the factorization ``f``, ``tau`` of :func:`_factor`."""
    trace = find_trace([f, tau, b])
    nrhs, rows = b.shape[1], b.shape[2]
    args = (("char", "L"), ("char", "T"), ("dim", 0), ("dim", 1), ("dim", 2), ("in", 0), ("dim", 3), ("in", 1),
            ("out", 0), ("dim", 4), ("out", 1), ("dim", 5), ("out", 2))

    def results(lwork: int) -> list[tuple]:
        return [((1, nrhs, rows), F64, True), ((lwork,), F64, False), ((1,), I64, True)]

    order = m if routine == "dormqr" else n  # (the order of the orthogonal factor)
    dims = (order, nrhs, min(m, n), max(1, m), rows, 0)
    lwork = max(1, *_workspace(routine, args, results(1), dims, ((5, 1),), (np.zeros((n, m)), np.zeros(min(m, n)))))
    out, _, _ = record_call(trace, routine, [f, tau, b], args, results(lwork), ((0, 2),), dims[:5] + (lwork,), 1)
    return out


def _triangular(f: Tracer, b: Tracer, upper: bool, order: int, m: int) -> Tracer:
    """The first ``order`` rows of ``b`` (1, nrhs, rows) column-major solved against the
    triangle of ``f`` (1, n, m) by dtrsm (dtrtrs would take OpenBLAS's threaded trtrs,
    which waits milliseconds for a core on a busy machine)."""
    trace = find_trace([f, b])
    nrhs, rows = b.shape[1], b.shape[2]
    args = (("char", "L"), ("char", "U" if upper else "L"), ("char", "N"), ("char", "N"), ("dim", 0), ("dim", 1),
            ("in", 2), ("in", 0), ("dim", 2), ("out", 0), ("dim", 3))
    one = lift(trace, np.ones(()))
    (out,) = record_call(trace, "dtrsm", [f, b, one], args, [((1, nrhs, rows), F64, True)], ((0, 1),),
                         (order, nrhs, max(1, m), rows), 1)
    return out


def _qr_solve(a: Tracer, b: Tracer, m: int, n: int) -> tuple[Tracer, Tracer]:
    """What dgels gives for ``a`` (1, n, m) and ``b`` (1, nrhs, max(m, n)), column-major: the
    least-squares solution by QR (m >= n; then the residual components in the rows past
    n) or the minimum-norm one by LQ (m < n; ``b``'s rows past m are zeros), made of
    dgeqrf/dgelqf, dormqr/dormlq and dtrsm; and whether the triangle's diagonal has no zero
    (dgels's test of full rank)."""
    if m >= n:
        f, tau = _factor("dgeqrf", a, m, n)
        x = _triangular(f, _reflect("dormqr", f, tau, b, m, n), True, n, m)
    else:
        f, tau = _factor("dgelqf", a, m, n)
        x = _reflect("dormlq", f, tau, _triangular(f, b, False, m, m), m, n)
    return x, np.all(np.diagonal(f[0, :, :min(m, n)]) != 0)


def _least_squares(trace: Trace, a: Tracer, b: Tracer, rcond: Tracer, m: int, n: int) -> tuple:
    """(right-hand sides overwritten, singular values, rank, info) as dgelsd gives them.

    Small, squarish systems take a faster path of the same result within LAPACK's accuracy:
    the singular values alone (dgesvd), the rank by dgelsd's own rule (those above
    ``rcond * s[0]``, ``rcond`` outside (0, 1) meaning the unit roundoff), and, at full
    rank, the solution by QR (:func:`_qr_solve`, dgels's method: the unique least-squares /
    minimum-norm solution, as dgelsd's); a rank-deficient (or NaN, or unconverged) system, or
    a triangle with a zero on its diagonal, runs dgelsd itself."""
    fast_routines = ("dgesvd", "dgeqrf", "dormqr", "dgelqf", "dormlq", "dtrsm")
    if max(m, n) > _FAST_LSTSQ_ORDER or max(m, n) > _FAST_LSTSQ_ASPECT * min(m, n) or not lapack.available(
            *fast_routines):
        return _gelsd(a, b, rcond, m, n)
    s, svd_info = _singular_values(trace, a, m, n)
    tolerance = np.where((rcond <= 0) | (rcond >= 1), _LAPACK_EPS, rcond) * s[0]
    full = np.logical_and(s[-1] > tolerance, svd_info == 0)
    full_rank = lift(trace, np.array(min(m, n), np.int64))

    # (control imports numpy's handlers through controlwrites: imported once both have loaded, as numpy/unique.py)
    from tracejit.frontend.control import cond

    def fast(a, b, rcond, s, full_rank):
        bf, nonsingular = _qr_solve(a, b, m, n)
        return cond(nonsingular, lambda: (bf, s, full_rank, full_rank * 0), lambda: _gelsd(a, b, rcond, m, n))

    return cond(full, fast, lambda a, b, rcond, s, full_rank: _gelsd(a, b, rcond, m, n),
                        a, b, rcond, s, full_rank)


def _stopped(trace: Trace, x: Tracer) -> Tracer:
    """``x`` as a constant for derivatives (``tj.stop_gradient``), while a transform records: lstsq's marker."""
    nid = trace.graph.add("copy", [trace.node_of(x)], loc=trace.graph.loc(trace.node_of(x)))
    trace.graph.data(nid)[STOP] = True
    return Tracer(trace, nid)


@implements(np.linalg.lstsq)
def lstsq(a: Operand, b: Operand, rcond: object = None) -> tuple:
    """``numpy.linalg.lstsq``: dgelsd's results (:func:`_least_squares`); the residuals (empty
    unless the rank is full and the system overdetermined) are a selection of data-dependent
    length, as NumPy's."""
    loc = user_location()
    _ready("lstsq", "dgelsd")
    trace = find_trace([a, b, rcond])
    (a, ta), (b, tb) = _real(trace, a, "lstsq"), _real(trace, b, "lstsq")
    vector = b.ndim == 1
    if vector:
        b = reshape(b, (b.shape[0], 1))
    for x in (a, b):
        if x.ndim != 2:
            raise user_error(LinAlgError(f"{x.ndim}-dimensional array given. Array must be two-dimensional{at(loc)}"))
    (m, n), nrhs = a.shape, b.shape[1]
    if b.shape[0] != m:
        raise user_error(LinAlgError(f"Incompatible dimensions{at(loc)}"))
    _nonempty("lstsq", m, n, nrhs)
    result = np.result_type(ta, tb, np.float32)
    rows = max(m, n)
    if rcond is None:
        rcond = np.finfo(np.float64).eps * rows
    rcond = astype(lift(trace, as_operand(trace, as_array(trace, rcond))), F64)
    if rows > m:
        b = np.concatenate([b, lift(trace, np.zeros((rows - m, nrhs)))], axis=0)
    a, b, marked = _columns(a, 1), _columns(b, 1), bool(differentiated(trace)) and lapack.available("dlacpy")
    bf, s, rank, info = _least_squares(trace, *(_stopped(trace, x) if marked else x for x in (a, b)), rcond, m, n)
    if marked:  # (the derivative: compiler/ops/lstsq_rules.py; "A" for dlacpy's uplo)
        bf, s = record_call(trace, "dlacpy", [bf, s, a, b, rcond], (("char", "A"),) + (("dim", 0),) * 2 + (
            ("in", 0), ("dim", 1), ("out", 0), ("dim", 1)), [(bf.shape, F64, True), (s.shape, F64, True)],
            ((0, 0), (1, 1)), (0, 1), 1, rule="lstsq")
    raise_if_info(reshape(info, (1,)), "SVD did not converge in Linear Least Squares", loc)
    x = swapaxes(bf[0, :, :n], 0, 1)
    x = astype(reshape(x, (n,)) if vector else x, result, copy=False)
    real = np.dtype(result)
    if m > n:  # the squared norms of the rows past n, summed in order (as NumPy's abs2)
        tail = bf[0, :, n:]
        residuals = astype(np.cumsum(tail * tail, axis=-1)[:, -1], real, copy=False)
        residuals = residuals[broadcast_to(rank == n, (nrhs,))]
    else:
        residuals = np.array([], real)
    # (NumPy returns the rank as its gufunc's C int: an int32 scalar)
    return x, residuals, scalar_result(astype(rank, np.int32)), astype(s, real, copy=False)
