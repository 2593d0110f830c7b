"""Differentiation rules of least squares (``numpy.linalg.lstsq``), registered among the
``lapack`` op's rules (``ops/lapack.py`` ``RULES``).

Two nodes carry them: ``dgelsd`` itself (operands: ``A`` (1, n, m) and ``B`` (1, nrhs, rows)
column-major, ``rows = max(m, n)``, and ``rcond``; results 1 and 2: ``B`` overwritten and
the singular values) and the frontend's marker after its faster paths (a ``dlacpy`` of
nothing whose call has ``rule="lstsq"``: operands the solution block and the singular
values computed on stopped copies of ``A`` and ``B``, then ``A``, ``B`` and ``rcond``
themselves; results the same two values). ``X`` (the first n rows of the solution block) is
``A+ B`` for the pseudo-inverse ``A+`` of ``A`` truncated at ``rcond`` (the rank LAPACK
chose); at a constant rank (Golub and Pereyra), with ``R = B - A X``:

    dX = A+ (dB - dA X) + A+ A+^T dA^T R + (I - A+ A) dA^T A+^T X

(the second term vanishes when ``m <= n`` at full rank, the third when ``m >= n``), computed
as ``w = dA^T A+^T X``, ``dX = A+ (dB - dA X + A+^T dA^T R - A w) + w``, each ``A+ v`` or
``A+^T v`` a new ``dgelsd`` node with the same ``rcond`` (so derivatives of any order go
through). The adjoint: ``Z = A+^T X_ct``; ``B_ct = Z``,
``A_ct = -Z X^T + R (A+ Z)^T + A+^T X (X_ct - A^T Z)^T``. The rows past n (``m > n``) hold
the residual's coordinates in a basis LAPACK chose: only their sum of squares (the
``residuals`` result, ``|R|^2`` per column) is defined, so their tangent is ``T`` scaled by
``d|R|^2 / 2|T|^2`` with ``d|R|^2 = 2 R . (dB - dA X)`` (``A^T R = 0``), zero where ``R`` is.
The singular values: ``ds_i = u_i^T dA v_i`` from a ``dgesvd`` node with vectors (which has
no rule: no second derivative of them). The rank is an integer: no derivative.
"""
from __future__ import annotations

import numpy as np

from tracejit.compiler.dtypes import AVal
from tracejit.compiler.ops.lapack import RULES, LapackCall, run_call, unsupported

F64, I64 = np.dtype(np.float64), np.dtype(np.int64)
GELSD_ARGS = (("dim", 0), ("dim", 1), ("dim", 2), ("out", 0), ("dim", 3), ("out", 1), ("dim", 4), ("out", 2),
              ("in", 2), ("out", 3), ("out", 4), ("dim", 5), ("out", 5), ("out", 6))
GESVD_ARGS = (("char", "S"), ("char", "S"), ("dim", 0), ("dim", 1), ("out", 0), ("dim", 2), ("out", 1), ("out", 2),
              ("dim", 2), ("out", 3), ("dim", 3), ("out", 4), ("dim", 4), ("out", 5))


def _gelsd_results(m: int, n: int, k: int, lwork: int, liwork: int) -> tuple:
    return (AVal((1, n, m), F64), AVal((1, k, max(m, n)), F64), AVal((1, min(m, n)), F64), AVal((1,), I64),
            AVal((lwork,), F64), AVal((liwork,), I64), AVal((1,), I64))


def _query(routine: str, args: tuple, results: tuple, dims: tuple, lengths: tuple, operands: tuple) -> list[int]:
    """LAPACK's optimal workspace lengths (``lengths``: pairs (index in ``dims``, result))."""
    call = LapackCall(routine, args, (True,) * len(results))
    asked = {d for d, _ in lengths}
    outs = run_call(*operands, call=call, dims=tuple(-1 if i in asked else d for i, d in enumerate(dims)), batch=1,
                    results=results)
    return [max(1, int(outs[r].reshape(-1)[0])) for _, r in lengths]


def _out(b, node, results, index):
    a = results[index]
    return b.op("loop_out", node, index=index, shape=tuple(a.shape), dtype=np.dtype(a.dtype))


def _rows(b, x, start: int, count: int):
    """Rows ``start:start + count`` of matrices ``x`` (1, r, k)."""
    _, r, k = b.shape(x)
    return x if (start, count) == (0, r) else b.op("slice", x, starts=(0, start, 0), steps=(1, 1, 1),
                                                   shape=(1, count, k))


def _pinv(b, cols, v, rcond):
    """``M+ v`` for ``cols`` (1, c, r) the column-major ``r x c`` matrix ``M`` and ``v`` (1, r, k):
    a ``dgelsd`` node (1, c, k)."""
    _, c, r = b.shape(cols)
    k, rows = b.shape(v)[-1], max(r, c)
    if rows > r:
        v = b.op("concatenate", v, b.zeros((1, rows - r, k), F64), axis=1)
    dims = (r, c, k, max(1, r), rows, 0)
    lwork, liwork = _query("dgelsd", GELSD_ARGS, _gelsd_results(r, c, k, 1, 1), dims, ((5, 4), (5, 5)),
                           (np.zeros(1), np.zeros(1), np.zeros(())))
    results = _gelsd_results(r, c, k, lwork, liwork)
    call = LapackCall("dgelsd", GELSD_ARGS, (True, True, True, True, False, False, True), ((0, 0), (1, 1)))
    node = b.op("lapack", cols, b.swap_last(v), rcond, call=call, dims=dims[:5] + (lwork,), batch=1, results=results)
    return _rows(b, b.swap_last(_out(b, node, results, 1)), 0, c)


def _vectors(b, cols):
    """The singular vectors ``U`` (1, m, p) and ``V^T`` (1, p, n) of ``cols`` (1, n, m) by dgesvd."""
    _, n, m = b.shape(cols)
    p = min(m, n)
    dims = (m, n, max(1, m), max(1, p), 0)

    def results(lwork):
        return (AVal((1, n, m), F64), AVal((1, p), F64), AVal((1, p, m), F64), AVal((1, n, p), F64),
                AVal((lwork,), F64), AVal((1,), I64))

    (lwork,) = _query("dgesvd", GESVD_ARGS, results(1), dims, ((4, 4),), ())
    call = LapackCall("dgesvd", GESVD_ARGS, (True, True, True, True, False, True), ((0, 0),))
    node = b.op("lapack", cols, call=call, dims=dims[:4] + (lwork,), batch=1, results=results(lwork))
    return b.swap_last(_out(b, node, results(lwork), 2)), b.swap_last(_out(b, node, results(lwork), 3))


def _wanted(b, out, index: int) -> bool:
    """Whether the transform needs result ``index`` of ``out`` (a ``loop_out`` of it is active)."""
    graph = b.graph
    return any(graph.op(u) == "loop_out" and graph.attrs(u)["index"] == index and b.needs(u)
               for u in graph.nx.successors(out))


def _colsum(b, x):
    return b.op("sum", x, axes=(1,), keepdims=True)


def _scale(b, num, den):
    """``num / den`` where ``den`` is not zero, else 0."""
    zero = b.op("equal", den, b.const(0.0, den))
    return b.op("where", zero, b.const(0.0, den), b.op("divide", num, b.op("where", zero, b.const(1.0, den), den)))


class _Parts:
    """The primal values a rule needs: ``A`` (1, m, n), ``B``'s first m rows, ``X``, the
    residual ``R`` and the residual coordinates ``T`` (m > n), from a solution block (1, k, rows)."""

    def __init__(self, b, cols, rhs, block):
        self.cols = cols
        _, self.n, self.m = b.shape(cols)
        self.a = b.swap_last(cols)
        self.b = _rows(b, b.swap_last(rhs), 0, self.m)
        full = b.swap_last(block)
        self.x = _rows(b, full, 0, self.n)
        self.r = b.op("subtract", self.b, b.op("matmul", self.a, self.x))
        self.t = _rows(b, full, self.n, self.m - self.n) if self.m > self.n else None


def _jvp(b, p: _Parts, ta, tb, rcond, singular: bool):
    """Tangents of the solution block (1, k, rows) and, with ``singular``, of the singular values (1, p)."""
    da = None if ta is None else b.swap_last(b.convert(ta, F64))
    db = None if tb is None else _rows(b, b.swap_last(b.convert(tb, F64)), 0, p.m)
    g = b.add(db, b.neg(None if da is None else b.op("matmul", da, p.x)))  # dB - dA X
    w = None
    if da is not None:
        dat = b.swap_last(da)
        w = b.op("matmul", dat, _pinv(b, b.swap_last(p.cols), p.x, rcond))
        g = b.op("add", g, b.op("subtract", _pinv(b, b.swap_last(p.cols), b.op("matmul", dat, p.r), rcond),
                                b.op("matmul", p.a, w)))
    dx = b.add(_pinv(b, p.cols, g, rcond), w)
    if p.t is not None:
        num = _colsum(b, b.op("multiply", p.r, b.add(db, b.neg(None if da is None else b.op("matmul", da, p.x)))))
        dt = b.op("multiply", p.t, _scale(b, num, _colsum(b, b.op("multiply", p.t, p.t))))
        dx = b.op("concatenate", dx, dt, axis=1)
    ds = None
    if singular and da is not None:
        u, vt = _vectors(b, p.cols)
        ds = b.op("diagonal", b.op("matmul", b.op("matmul", b.swap_last(u), da), b.swap_last(vt)), offset=0, axis1=1,
                  axis2=2)
    return b.swap_last(dx), ds


def _vjp(b, p: _Parts, ct, ct_s, rcond):
    """Cotangents of the operands ``A`` (1, n, m) and ``B`` (1, k, rows) (column-major)."""
    a_ct = b_ct = None
    if ct is not None:
        full = b.swap_last(ct)
        x_ct = _rows(b, full, 0, p.n)
        z = _pinv(b, b.swap_last(p.cols), x_ct, rcond)
        y = b.op("subtract", x_ct, b.op("matmul", b.swap_last(p.a), z))
        a_ct = b.op("add", b.op("subtract", b.op("matmul", p.r, b.swap_last(_pinv(b, p.cols, z, rcond))),
                                b.op("matmul", z, b.swap_last(p.x))),
                    b.op("matmul", _pinv(b, b.swap_last(p.cols), p.x, rcond), b.swap_last(y)))
        b_ct = z
        if p.t is not None:
            scale = _scale(b, _colsum(b, b.op("multiply", _rows(b, full, p.n, p.m - p.n), p.t)),
                           _colsum(b, b.op("multiply", p.t, p.t)))
            e = b.op("multiply", p.r, scale)
            b_ct = b.op("add", b_ct, e)
            a_ct = b.op("subtract", a_ct, b.op("matmul", e, b.swap_last(p.x)))
    if ct_s is not None:
        u, vt = _vectors(b, p.cols)
        k = b.shape(u)[-1]
        scaled = b.op("multiply", u, b.reshape(b.convert(ct_s, F64), (1, 1, k)))
        a_ct = b.add(a_ct, b.op("matmul", scaled, vt))
    rows = max(p.m, p.n)
    if b_ct is not None and rows > p.m:
        b_ct = b.op("concatenate", b_ct, b.zeros((1, rows - p.m, b.shape(b_ct)[-1]), F64), axis=1)
    return (None if a_ct is None else b.swap_last(a_ct)), (None if b_ct is None else b.swap_last(b_ct))


def _gelsd_jvp_rule(b, tangents, operands, out, call, results):
    if tangents[0] is None and tangents[1] is None:
        return {}
    p = _Parts(b, operands[0], operands[1], _out(b, out, results, 1))
    dx, ds = _jvp(b, p, tangents[0], tangents[1], operands[2], _wanted(b, out, 2))
    return {1: dx} if ds is None else {1: dx, 2: ds}


def _gelsd_vjp_rule(b, cts, operands, out, call, results):
    if cts.get(0) is not None:
        unsupported(b, "dgelsd", "the overwritten matrix")
    if cts.get(1) is None and cts.get(2) is None:
        return [None, None, None]
    p = _Parts(b, operands[0], operands[1], _out(b, out, results, 1))
    return [*_vjp(b, p, cts.get(1), cts.get(2), operands[2]), None]


def _marked_jvp_rule(b, tangents, operands, out, call, results):
    if tangents[2] is None and tangents[3] is None:
        return {}
    p = _Parts(b, operands[2], operands[3], _out(b, out, results, 0))  # (not operand 0: a constant)
    dx, ds = _jvp(b, p, tangents[2], tangents[3], operands[4], _wanted(b, out, 1))
    return {0: dx} if ds is None else {0: dx, 1: b.reshape(ds, tuple(results[1].shape))}


def _marked_vjp_rule(b, cts, operands, out, call, results):
    if cts.get(0) is None and cts.get(1) is None:
        return [None] * len(operands)
    p = _Parts(b, operands[2], operands[3], _out(b, out, results, 0))  # (not operand 0: a constant)
    ct_s = None if cts.get(1) is None else b.reshape(cts[1], (1,) + tuple(results[1].shape))
    return [None, None, *_vjp(b, p, cts.get(0), ct_s, operands[4]), None]


RULES["dgelsd"] = (_gelsd_jvp_rule, _gelsd_vjp_rule)
RULES["lstsq"] = (_marked_jvp_rule, _marked_vjp_rule)
