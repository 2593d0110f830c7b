"""Calls of NumPy's own LAPACK (``runtime/lapack.py``) from generated code.

``lapack(operands...)`` with attrs ``call`` (a :class:`LapackCall`: the routine and what
each of its Fortran arguments points at), ``dims`` (the integers the arguments name:
orders, leading dimensions, workspace lengths), ``batch`` (how many matrices) and
``results`` (their AVals). Results are picked by ``loop_out`` nodes like a loop's. Each
result starts as a copy of an operand (``call.inits``) or uninitialized; the routine is
called once per matrix of the batch, a result marked ``batched`` advancing by one slice
(its size over ``batch``) per call, the others (pivots, workspaces) shared. Operands and
results are column-major matrices as the frontend laid them out (``frontend/numpy/
lapack_funcs.py``): a transposed copy. The op is pure (passes may merge or drop it); it
becomes a control kernel of its own (``kernelize/lapack.py``, ``codegen/lapack.py``).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from tracejit.compiler.dtypes import AVal
from tracejit.compiler.ops.control import TOKEN
from tracejit.compiler.ops.registry import OpDef, register
from tracejit.errors import UnsupportedError, at
from tracejit.runtime import lapack


@dataclass(frozen=True)
class LapackCall:
    """A LAPACK routine and its arguments, each one of: ``("dim", k)`` a pointer to the
    int64 ``dims[k]``; ``("char", c)`` a pointer to character ``c``; ``("out", i)`` result
    ``i`` (this matrix's slice of it when ``batched[i]``); ``("in", k)`` operand ``k``."""

    routine: str
    args: tuple[tuple, ...]
    batched: tuple[bool, ...]  # per result
    inits: tuple[tuple[int, int], ...] = ()  # (result, operand): the result starts as a copy of the operand
    rule: str = ""  # the derivative rule (RULES) when not the routine's own (``lstsq_rules.py``'s marker)


def run_call(*operands: np.ndarray, call: LapackCall, dims: tuple, batch: int, results: tuple,
             **_ignored: object) -> tuple:
    """The results of the calls, made through ctypes on concrete values (the interpreter's reference)."""
    outs = [np.zeros(a.shape, a.dtype) for a in results]
    ins = [np.ascontiguousarray(x) for x in operands]
    for r, k in call.inits:
        outs[r].reshape(-1).view(np.uint8)[:] = ins[k].reshape(-1).view(np.uint8)
    ints = [np.array([d], np.int64) for d in dims]
    chars = {c: np.array([ord(c)], np.uint8) for kind, c in call.args if kind == "char"}
    for i in range(batch):
        pointers = []
        for kind, v in call.args:
            if kind == "dim":
                pointers.append(ints[v].ctypes.data)
            elif kind == "char":
                pointers.append(chars[v].ctypes.data)
            elif kind == "in":
                pointers.append(ins[v].ctypes.data)
            else:
                step = outs[v].nbytes // batch if call.batched[v] else 0
                pointers.append(outs[v].ctypes.data + i * step)
        lapack.call(call.routine, pointers)
    return tuple(outs)


def _infer_token(avals, **attrs):
    return TOKEN


# -- differentiation rules ----------------------------------------------------------------------
# A ``lapack`` node has several results: its rules take and give dicts {result index: node}
# (``compiler/autodiff/reverse.py``). They work on the matrices LAPACK sees: an operand or
# result (batch, n, m) holds them column-major, so ``swap_last`` of it is the matrix itself
# (row-major). Derivatives are built from ``dgesv`` (a new ``lapack`` node, itself
# differentiable), products and triangle masks. Rules exist for the routines of ``solve``/``inv``
# (dgesv, dgetri), ``slogdet``/``det`` (dgetrf), ``cholesky`` (dpotrf) and ``eigh`` (dsyevd); the
# factors no frontend function returns (dgesv's LU) have no derivative.
GESV_ARGS = (("dim", 0), ("dim", 1), ("out", 0), ("dim", 2), ("out", 1), ("out", 2), ("dim", 2), ("out", 3))


def _solve(b, a, rhs):
    """``a^-1 rhs`` for matrices (batch, n, n) and (batch, n, k), by a dgesv node."""
    batch, n, _ = b.shape(a)
    k = b.shape(rhs)[-1]
    f64, i64 = np.dtype(np.float64), np.dtype(np.int64)
    results = (AVal((batch, n, n), f64), AVal((max(1, n),), i64), AVal((batch, k, n), f64), AVal((batch,), i64))
    call = LapackCall("dgesv", GESV_ARGS, (True, False, True, True), ((0, 0), (2, 1)))
    node = b.op("lapack", b.swap_last(a), b.swap_last(rhs), call=call, dims=(n, k, max(1, n)), batch=batch,
                results=results)
    x = b.op("loop_out", node, index=2, shape=results[2].shape, dtype=f64)
    return b.swap_last(x)


def _mask(b, like, k: int, scale_diagonal: float = 1.0):
    """``like`` (batch, n, n) times the triangle mask ``tril(ones, k)`` (diagonal scaled)."""
    n = b.shape(like)[-1]
    m = np.tril(np.ones((n, n)), k)
    if k >= 0:
        m[np.diag_indices(n)] = scale_diagonal
    return b.op("multiply", like, b.array(m))


def _upper(b, x, k: int = 0):
    """``triu(x, k)`` of matrices (batch, n, n)."""
    n = b.shape(x)[-1]
    return b.op("multiply", x, b.array(np.triu(np.ones((n, n)), k)))


def _mm(b, x, y):
    return b.op("matmul", x, y)


def _solve_right(b, x, a):
    """``x a^-1``."""
    return b.swap_last(_solve(b, b.swap_last(a), b.swap_last(x)))


NAMES = {"dsyevd": "numpy.linalg.eigvalsh", "dgeqrf": "numpy.linalg.qr", "dorgqr": "numpy.linalg.qr",
         "dgelsd": "numpy.linalg.lstsq", "dgesvd": "numpy.linalg.lstsq's singular values (second derivative)"}


def unsupported(b: Any, routine: str, what: str) -> None:
    """Raise the UnsupportedError of a rule that cannot differentiate ``routine`` (``what``: why)."""
    name = NAMES.get(routine, f"LAPACK's {routine}")
    raise UnsupportedError(f"cannot differentiate through {name} ({what}){at(b.loc)}")


def _lapack_jvp(b, tangents, operands, out, call, dims, batch, results):
    """Tangents of the results of a LAPACK call (see above)."""
    if (call.rule or call.routine) not in RULES:
        unsupported(b, call.routine, "rule not implemented yet")
    return RULES[call.rule or call.routine][0](b, tangents, operands, out, call, results)


def _lapack_vjp(b, cts, operands, out, call, dims, batch, results):
    """Cotangents of the operands of a LAPACK call (see above)."""
    if (call.rule or call.routine) not in RULES:
        unsupported(b, call.routine, "rule not implemented yet")
    return RULES[call.rule or call.routine][1](b, cts, operands, out, call, results)


def _result(b, out, results, index):
    """Result ``index`` of the call ``out`` as the matrices LAPACK wrote (row-major)."""
    a = results[index]
    return b.swap_last(b.op("loop_out", out, index=index, shape=tuple(a.shape), dtype=np.dtype(a.dtype)))


def _tangent(b, t, like):
    return None if t is None else b.swap_last(b.convert(t, b.dtype(like)))


# dgesv: A X = B; dX = A^-1 (dB - dA X); B_ct = A^-T X_ct, A_ct = -B_ct X^T
# (A 1-D right-hand side of one matrix, solve's vector case, is LAPACK's n x 1 column: (1, 1, n).)
def _as_batch(b, x):
    return x if x is None or len(b.shape(x)) == 3 else b.reshape(x, (1, 1) + tuple(b.shape(x)))


def _gesv_x(b, out, results):
    """dgesv's solutions as (batch, n, k) matrices."""
    a = results[2]
    x = b.op("loop_out", out, index=2, shape=tuple(a.shape), dtype=np.dtype(a.dtype))
    return b.swap_last(_as_batch(b, x))


def _gesv_jvp_rule(b, tangents, operands, out, call, results):
    ta, tb = (_tangent(b, _as_batch(b, t), _as_batch(b, u)) for t, u in zip(tangents, operands))
    a = b.swap_last(operands[0])
    x = _gesv_x(b, out, results)
    rhs = b.add(tb, b.neg(None if ta is None else _mm(b, ta, x)))
    return {} if rhs is None else {2: b.reshape(b.swap_last(_solve(b, a, rhs)), tuple(results[2].shape))}


def _gesv_vjp_rule(b, cts, operands, out, call, results):
    if cts.get(0) is not None:
        unsupported(b, "dgesv", "its LU factors")
    ct = cts.get(2)
    if ct is None:
        return [None, None]
    x = _gesv_x(b, out, results)
    b_ct = _solve(b, operands[0], b.swap_last(_as_batch(b, ct)))  # (A^T is the operand itself)
    a_ct = b.neg(_mm(b, b_ct, b.swap_last(x)))
    return [b.swap_last(a_ct), b.reshape(b.swap_last(b_ct), tuple(b.shape(operands[1])))]


# dgetrf: A = P L U (L unit lower, U upper, one matrix LU); with X = U A^-1 dA U^-1
# (= L^-1 P^T dA U^-1): dLU = L stril(X) + triu(X) U; A_ct = A^-T U^T Xbar U^-T,
# Xbar = stril(L^T LU_ct) + triu(LU_ct U^T)
def _lu_parts(b, out, results):
    lu = _result(b, out, results, 0)
    n = b.shape(lu)[-1]
    lower = b.op("add", _mask(b, lu, -1), b.array(np.eye(n)))
    return lower, _upper(b, lu)


def _getrf_jvp_rule(b, tangents, operands, out, call, results):
    (ta,) = (_tangent(b, t, u) for t, u in zip(tangents, operands))
    if ta is None:
        return {}
    a = b.swap_last(operands[0])
    lower, upper = _lu_parts(b, out, results)
    x = _solve_right(b, _mm(b, upper, _solve(b, a, ta)), upper)
    dlu = b.op("add", _mm(b, lower, _mask(b, x, -1)), _mm(b, _upper(b, x), upper))
    return {0: b.swap_last(dlu)}


def _getrf_vjp_rule(b, cts, operands, out, call, results):
    ct = cts.get(0)
    if ct is None:
        return [None]
    ct = b.swap_last(ct)
    lower, upper = _lu_parts(b, out, results)
    xbar = b.op("add", _mask(b, _mm(b, b.swap_last(lower), ct), -1), _upper(b, _mm(b, ct, b.swap_last(upper))))
    w = _solve_right(b, _mm(b, b.swap_last(upper), xbar), b.swap_last(upper))
    a_ct = _solve(b, operands[0], w)  # A^-T w (A^T is the operand itself)
    return [b.swap_last(a_ct)]


# dpotrf: A = L L^T (uplo 'L'; 'U' writes U = L^T) from one triangle of A, the other left as it
# was; with a symmetric perturbation S = (dA + dA^T) / 2: dL = L phi(L^-1 S L^-T) (phi: the lower
# triangle, diagonal halved); A_ct = sym(L^-T phi(L^T L_ct) L^-1) (as JAX, symmetrized)
def _potrf_parts(b, out, call, results):
    f = _result(b, out, results, 0)
    upper = call.args[0] == ("char", "U")
    factor = b.swap_last(_upper(b, f)) if upper else _mask(b, f, 0)
    return f, factor, upper


def _potrf_jvp_rule(b, tangents, operands, out, call, results):
    (ta,) = (_tangent(b, t, u) for t, u in zip(tangents, operands))
    if ta is None:
        return {}
    _, low, upper = _potrf_parts(b, out, call, results)
    s = b.mul(b.op("add", ta, b.swap_last(ta)), 0.5)
    m = _solve_right(b, _solve(b, low, s), b.swap_last(low))
    dl = _mm(b, low, _mask(b, m, 0, 0.5))
    kept = _mask(b, ta, -1) if upper else _upper(b, ta, 1)  # the triangle LAPACK leaves
    df = b.op("add", b.swap_last(dl) if upper else dl, kept)
    return {0: b.swap_last(df)}


def _potrf_vjp_rule(b, cts, operands, out, call, results):
    ct = cts.get(0)
    if ct is None:
        return [None]
    ct = b.swap_last(ct)
    _, low, upper = _potrf_parts(b, out, call, results)
    l_ct = b.swap_last(_upper(b, ct)) if upper else _mask(b, ct, 0)
    p = _mask(b, _mm(b, b.swap_last(low), l_ct), 0, 0.5)
    s_ct = _solve_right(b, _solve(b, b.swap_last(low), p), low)
    a_ct = b.mul(b.op("add", s_ct, b.swap_last(s_ct)), 0.5)
    a_ct = b.op("add", a_ct, _mask(b, ct, -1) if upper else _upper(b, ct, 1))
    return [b.swap_last(a_ct)]


# dsyevd (jobz "V"): A = V diag(w) V^T from one triangle; with M = V^T S V (S: the symmetric
# part of dA): dw = diag(M), dV = V (F o M), F_ij = 1 / (w_j - w_i) off the diagonal;
# A_ct = sym(V (diag(w_ct) + F o (V^T V_ct)) V^T). Eigenvalues alone (jobz "N": eigvalsh) take V
# from a second dsyevd node (with vectors, itself differentiable) on the same operand.
def _syevd_parts(b, out, call, results, operand):
    a = results[1]
    w = b.op("loop_out", out, index=1, shape=tuple(a.shape), dtype=np.dtype(a.dtype))
    if call.args[0] == ("char", "V"):
        vectors = _result(b, out, results, 0)
    else:  # eigvalsh: the eigenvectors by a dsyevd node of their own (LAPACK's minimal workspaces)
        batch, n = b.shape(w)
        work, iwork = (1 + 6 * n + 2 * n * n, 3 + 5 * n) if n > 1 else (1, 1)
        vector_results = (results[0], results[1], AVal((work,), np.dtype(np.float64)),
                          AVal((iwork,), np.dtype(np.int64)), results[4])
        vector_call = LapackCall("dsyevd", (("char", "V"),) + call.args[1:], call.batched, call.inits)
        node = b.op("lapack", operand, call=vector_call, dims=(n, n, work, iwork), batch=batch,
                    results=vector_results)
        vectors = _result(b, node, vector_results, 0)
    batch, n = b.shape(w)
    gaps = b.op("subtract", b.reshape(w, (batch, 1, n)), b.reshape(w, (batch, n, 1)))
    eye = b.array(np.eye(n, dtype=bool))
    f = b.op("where", eye, b.const(0.0, w), b.op("divide", b.const(1.0, w), b.op("where", eye, b.const(1.0, w), gaps)))
    return vectors, w, f


def _syevd_jvp_rule(b, tangents, operands, out, call, results):
    (ta,) = (_tangent(b, t, u) for t, u in zip(tangents, operands))
    if ta is None:
        return {}
    v, w, f = _syevd_parts(b, out, call, results, operands[0])
    s = b.mul(b.op("add", ta, b.swap_last(ta)), 0.5)
    m = _mm(b, _mm(b, b.swap_last(v), s), v)
    dw = b.op("diagonal", m, offset=0, axis1=1, axis2=2)
    dv = _mm(b, v, b.op("multiply", f, m))
    return {0: b.swap_last(dv), 1: dw}


def _syevd_vjp_rule(b, cts, operands, out, call, results):
    ct_v, ct_w = cts.get(0), cts.get(1)
    if ct_v is None and ct_w is None:
        return [None]
    v, w, f = _syevd_parts(b, out, call, results, operands[0])
    n = b.shape(w)[-1]
    inner = None
    if ct_w is not None:
        inner = b.op("multiply", b.reshape(ct_w, b.shape(w)[:1] + (1, n)), b.array(np.eye(n)))
    if ct_v is not None:
        inner = b.add(inner, b.op("multiply", f, _mm(b, b.swap_last(v), b.swap_last(ct_v))))
    a_ct = _mm(b, _mm(b, v, inner), b.swap_last(v))
    return [b.swap_last(b.mul(b.op("add", a_ct, b.swap_last(a_ct)), 0.5))]


# dgetri: X = A^-1 from A's LU factors (operands LU, pivots and A itself, which the routine does
# not read: numpy.linalg.inv keeps it there so that the derivative skips the factors):
# dX = -X dA X; A_ct = -X^T X_ct X^T
def _getri_jvp_rule(b, tangents, operands, out, call, results):
    ta = _tangent(b, tangents[2], operands[2]) if len(operands) == 3 else None
    if ta is None:
        if any(t is not None for t in tangents):
            unsupported(b, "dgetri", "an inverse from LU factors alone")
        return {}
    x = _result(b, out, results, 0)
    return {0: b.swap_last(b.neg(_mm(b, _mm(b, x, ta), x)))}


def _getri_vjp_rule(b, cts, operands, out, call, results):
    ct = cts.get(0)
    if ct is None:
        return [None] * len(operands)
    if len(operands) != 3:
        unsupported(b, "dgetri", "an inverse from LU factors alone")
    xt = b.swap_last(_result(b, out, results, 0))
    a_ct = b.neg(_mm(b, _mm(b, xt, b.swap_last(ct)), xt))
    return [None, None, b.swap_last(a_ct)]


# dgeqrf/dorgqr (numpy.linalg.qr, m >= n, Q (m, n) reduced): A = Q R. With C = Q^T dA R^-1 and
# P(C) = triu(C) + stril(C)^T (Q^T dQ = C - P(C) is skew): dR = P(C) R, dQ = dA R^-1 - Q P(C).
# Adjoints, with P*(G) = triu(G) + stril(G^T): A_ct = Q P*(R_ct R^T) R^-T from R and
# (Q_ct - Q P*(Q^T Q_ct)) R^-T from Q. dgeqrf's rule gives R's triangle (the Householder vectors
# below it and tau get zero tangents: no frontend reads them but dorgqr); dorgqr's rule reads A's
# tangent from its third operand (A itself, not read by the routine: numpy.linalg.qr puts it there).
def _qr_r(b, f, n):
    """R (batch, n, n) from dgeqrf's factored matrix ``f`` (batch, n, m) (column-major)."""
    batch, _, m = b.shape(f)
    top = f if m == n else b.op("slice", f, starts=(0, 0, 0), steps=(1, 1, 1), shape=(batch, n, n))
    return _upper(b, b.swap_last(top))


def _p(b, c, adjoint: bool = False):
    """P(C) = triu(C) + stril(C)^T, or its adjoint P*(G) = triu(G) + stril(G^T)."""
    low = _mask(b, b.swap_last(c), -1) if adjoint else b.swap_last(_mask(b, c, -1))
    return b.op("add", _upper(b, c), low)


def _qr_q(b, f, tau, a):
    """Q (batch, m, n) by a dorgqr node of dgeqrf's results (with ``a`` for its own rule)."""
    batch, n, m = b.shape(f)
    work = 64 * max(1, n)
    f64 = np.dtype(np.float64)
    results = (AVal((batch, n, m), f64), AVal((batch, n), f64), AVal((work,), f64), AVal((batch,), np.dtype(np.int64)))
    args = (("dim", 0), ("dim", 1), ("dim", 2), ("out", 0), ("dim", 3), ("out", 1), ("out", 2), ("dim", 4), ("out", 3))
    call = LapackCall("dorgqr", args, (True, True, False, True), ((0, 0), (1, 1)))
    node = b.op("lapack", f, tau, a, call=call, dims=(m, n, n, max(1, m), work), batch=batch, results=results)
    return _result(b, node, results, 0)


def _qr_check(b, routine, m, n, mc=None):
    if m < n:
        unsupported(b, routine, "a matrix with fewer rows than columns: not implemented")
    if mc is not None and mc != n:
        unsupported(b, routine, "mode='complete' of a matrix with more rows than columns: Q's extra columns "
                                 "are not unique")


def _geqrf_parts(b, operands, out, results):
    f = b.op("loop_out", out, index=0, shape=tuple(results[0].shape), dtype=np.dtype(np.float64))
    tau = b.op("loop_out", out, index=1, shape=tuple(results[1].shape), dtype=np.dtype(np.float64))
    _, n, m = b.shape(f)
    _qr_check(b, "dgeqrf", m, n)
    return _qr_q(b, f, tau, operands[0]), _qr_r(b, f, n), m, n


def _geqrf_jvp_rule(b, tangents, operands, out, call, results):
    (ta,) = (_tangent(b, t, u) for t, u in zip(tangents, operands))
    if ta is None:
        return {}
    q, r, m, n = _geqrf_parts(b, operands, out, results)
    c = _solve_right(b, _mm(b, b.swap_last(q), ta), r)
    dr = _mm(b, _p(b, c), r)
    df = dr if m == n else _mm(b, b.array(np.eye(m, n)), dr)  # (zeros below R)
    return {0: b.swap_last(df)}


def _geqrf_vjp_rule(b, cts, operands, out, call, results):
    ct = cts.get(0)
    if ct is None:
        return [None]
    q, r, m, n = _geqrf_parts(b, operands, out, results)
    g = b.swap_last(ct)
    r_ct = _upper(b, g if m == n else _mm(b, b.array(np.eye(n, m)), g))
    a_ct = _solve_right(b, _mm(b, q, _p(b, _mm(b, r_ct, b.swap_last(r)), True)), b.swap_last(r))
    return [b.swap_last(a_ct)]


def _orgqr_parts(b, operands, out, results):
    if len(operands) != 3:
        unsupported(b, "dorgqr", "Q from Householder vectors alone")
    batch, mc, m = results[0].shape
    n = b.shape(operands[2])[1]
    _qr_check(b, "dorgqr", m, n, mc)
    return _result(b, out, results, 0), _qr_r(b, operands[0], n)


def _orgqr_jvp_rule(b, tangents, operands, out, call, results):
    ta = _tangent(b, tangents[2], operands[2]) if len(tangents) == 3 else None
    if ta is None:
        if any(t is not None for t in tangents):
            _orgqr_parts(b, operands, out, results)
        return {}
    q, r = _orgqr_parts(b, operands, out, results)
    y = _solve_right(b, ta, r)
    dq = b.op("subtract", y, _mm(b, q, _p(b, _mm(b, b.swap_last(q), y))))
    return {0: b.swap_last(dq)}


def _orgqr_vjp_rule(b, cts, operands, out, call, results):
    ct = cts.get(0)
    if ct is None:
        return [None] * len(operands)
    q, r = _orgqr_parts(b, operands, out, results)
    g = b.swap_last(ct)
    inner = b.op("subtract", g, _mm(b, q, _p(b, _mm(b, b.swap_last(q), g), True)))
    return [None, None, b.swap_last(_solve_right(b, inner, b.swap_last(r)))]


RULES = {"dgesv": (_gesv_jvp_rule, _gesv_vjp_rule), "dgetrf": (_getrf_jvp_rule, _getrf_vjp_rule),
         "dgetri": (_getri_jvp_rule, _getri_vjp_rule),
         "dpotrf": (_potrf_jvp_rule, _potrf_vjp_rule), "dsyevd": (_syevd_jvp_rule, _syevd_vjp_rule),
         "dgeqrf": (_geqrf_jvp_rule, _geqrf_vjp_rule), "dorgqr": (_orgqr_jvp_rule, _orgqr_vjp_rule)}


register(OpDef(
    name="lapack", kind="control", arity=None, infer=_infer_token, reference=run_call, cost=0,
    doc="call a routine of NumPy's LAPACK once per matrix (results via loop_out)",
    jvp=_lapack_jvp, vjp=_lapack_vjp))
