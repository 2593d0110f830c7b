"""Complex matrix products (``@``, ``np.matmul``, ``np.dot``) as real GEMMs on the parts.

The real GEMM kernel (``compiler/codegen/gemm.py``) computes every form; which one was
chosen by measurement against NumPy's ``zgemm`` (``benchmarks/complex_matmul.py``;
``docs/design.md``, "Complex functions"): :data:`METHOD` ``"auto"`` takes Gauss's three
real GEMMs (``t1 = Ar@Br``, ``t2 = Ai@Bi``, ``t3 = (Ar+Ai)@(Br+Bi)``; ``Re = t1 - t2``,
``Im = t3 - t1 - t2``: a quarter fewer multiplications) wherever ``m*n*k`` is large enough
for the real GEMM kernel (``schedule/matmul.MIN_FLOPS``; smaller real products are loop
nests, several times slower from ~20**3 on), else the *interleaved* form (``A``'s parts
interleaved as in complex memory times ``W`` with 2x2 blocks ``[[br, bi], [-bi, br]]``: a
complex GEMM's operation order, the most accurate; one product four times as large, a GEMM
from a quarter of that size, and no splitting of ``A``: the fastest at 8 to 20). Also
selectable (measured, not chosen): four real GEMMs (``"four"``) and the *block* form
(``"block"``: one real GEMM ``[[Ar, -Ai], [Ai, Ar]] @ [[Br], [Bi]] = [[Re], [Im]]``,
never ahead of both others once the call overhead was gone). Errors (normwise, ``|C - C_numpy| / (|A| @ |B|)``)
stay within 2 eps of the part dtype in every form; Gauss's imaginary part has error
relative to ``(|Ar|+|Ai|)(|Br|+|Bi|)``, at most twice the others'. A real operand times a
complex one is one GEMM against the other's parts side by side.

A product with a complex vector (``v @ B``, ``A @ v``, ``v @ w``) is no GEMM: the matrix is
read in its complex memory layout (its parts interleaved, ``(k, 2n)`` or ``(m, 2k)``: the
argument's own pair array where the parts are its two halves, :func:`_pairs`, no copy) by
two fused multiply-reductions, as ``zgemv`` streams it, where the block GEMM first copied it
into split planes (a 512x512 complex128 ``v @ B``: 5.7 ms before, 0.3 ms now; NumPy 0.1 ms).
Each element is a dot product of length ``k`` (or ``2k``) summed pairwise: within the same
normwise bound.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from tracejit.compiler.schedule.matmul import MIN_FLOPS as GEMM_MIN_FLOPS
from tracejit.errors import UnsupportedError, at, user_error
from tracejit.frontend.complex.value import ComplexTracer, implements, make, operand_kind, part_dtype, parts
from tracejit.frontend.context import user_location
from tracejit.frontend.core import Tracer
from tracejit.frontend.operands import find_trace, is_tracer

Pair = tuple  # (real part, imaginary part)

METHOD = "auto"  # "auto" | "interleaved" | "block" | "four" | "gauss": see the module's docstring


def _as_matrix(t: Any, axis: int) -> Any:
    """A 1-D part as a matrix: a row (``axis=-2`` inserted) or a column (``axis=-1``)."""
    return np.expand_dims(t, axis)


def _product(a: Pair, b: Pair, method: str) -> Pair:
    """The complex product of part pairs of at least two dimensions each."""
    (ar, ai), (br, bi) = a, b
    if method == "auto":  # Gauss where its three real products are GEMMs, else one interleaved product
        method = "gauss" if ar.shape[-2] * ar.shape[-1] * br.shape[-1] >= GEMM_MIN_FLOPS else "interleaved"
    if method == "four":
        return ar @ br - ai @ bi, ar @ bi + ai @ br
    if method == "gauss":
        t1, t2 = ar @ br, ai @ bi
        t3 = (ar + ai) @ (br + bi)
        return t1 - t2, t3 - t1 - t2
    if method == "interleaved":
        return _interleaved(a, b)
    m = ar.shape[-2]
    big_a = np.concatenate([np.concatenate([ar, -ai], axis=-1), np.concatenate([ai, ar], axis=-1)], axis=-2)
    c = big_a @ np.concatenate([br, bi], axis=-2)
    return c[..., :m, :], c[..., m:, :]


def _interleaved(a: Pair, b: Pair) -> Pair:
    """A complex GEMM as one real GEMM in complex memory layout: ``A`` as its parts interleaved
    (``(m, 2k)``: ``ar0, ai0, ar1, ai1 ...``, the complex array's own memory) times the
    ``(2k, 2n)`` matrix ``W`` with ``W[2p:2p+2, 2q:2q+2] = [[br, bi], [-bi, br]]`` of ``b[p, q]``;
    the ``(m, 2n)`` result is the product's parts interleaved. ``8mnk`` flops as a complex
    GEMM, each part one dot product of length ``2k``."""
    (ar, ai), (br, bi) = a, b
    k, n = ar.shape[-1], br.shape[-1]
    pairs_a = _pairs(ar, ai)  # (..., m, 2k): A's own memory where it is an argument
    w = np.stack([np.stack([br, bi], axis=-1), np.stack([-bi, br], axis=-1)], axis=-3)  # (..., k, 2, n, 2)
    w = w.reshape(w.shape[:-4] + (2 * k, 2 * n))
    c = pairs_a @ w
    c = c.reshape(c.shape[:-1] + (n, 2))
    return c[..., 0], c[..., 1]


def _part_of(t: Any) -> tuple | None:
    """(the pair array's node, which part) when tracer ``t`` is one whole part of a float
    pair array (``pairs[..., 0]`` or ``[..., 1]``: a complex argument's parts), else None."""
    if not is_tracer(t):
        return None
    graph = t._trace.graph
    node = t._trace.node_of(t)
    if graph.op(node) != "reshape":
        return None
    (node,) = graph.operands(node)
    if graph.op(node) != "slice":
        return None
    attrs, (source,) = graph.attrs(node), graph.operands(node)
    shape = tuple(graph.aval(source).shape)
    if not shape or shape[-1] != 2 or tuple(attrs["shape"]) != shape[:-1] + (1,) \
            or set(attrs["steps"]) != {1} or any(attrs["starts"][:-1]):
        return None
    return source, attrs["starts"][-1]


def _pairs(re: Any, im: Any) -> Any:
    """The parts interleaved along the last axis (``(..., 2k)``): a complex array's own
    memory; the argument's pair array itself where ``re`` and ``im`` are its parts."""
    a, b = _part_of(re), _part_of(im)
    if a is not None and b is not None and a[0] == b[0] and (a[1], b[1]) == (0, 1):
        pairs = Tracer(re._trace, a[0])
    else:
        pairs = np.stack([re, im], axis=-1)
    return pairs.reshape(pairs.shape[:-2] + (2 * pairs.shape[-2],))


def _vector_product(a: Pair, b: Pair, vec_a: bool, vec_b: bool) -> Pair:
    """A product with a complex vector (``v @ B``, ``A @ v``, ``v @ w``) as reductions over
    the matrix in its complex memory layout (its parts interleaved, read where they lie),
    streaming it once as ``zgemv`` does, where a GEMM would copy it into split planes first."""
    (ar, ai), (br, bi) = a, b
    if vec_a and not vec_b:  # (k,) @ (..., k, n): rows of B's interleaved (k, 2n) layout, weighted
        rows = _pairs(br, bi)
        t1 = np.sum(np.expand_dims(ar, -1) * rows, axis=-2)  # [ar.br_j, ar.bi_j] interleaved
        t2 = np.sum(np.expand_dims(ai, -1) * rows, axis=-2)  # [ai.br_j, ai.bi_j]
        return t1[..., 0::2] - t2[..., 1::2], t1[..., 1::2] + t2[..., 0::2]
    # (..., m, k) @ (k,), or (k,) @ (k,): A's interleaved rows against two weight vectors
    rows = _pairs(ar, ai)
    return np.sum(rows * _pairs(br, -bi), axis=-1), np.sum(rows * _pairs(bi, br), axis=-1)


def _real_left(a: Any, b: Pair) -> Pair:
    """A real matrix times a complex one: ``a @ [Br, Bi]``, split."""
    n = b[0].shape[-1]
    c = a @ np.concatenate(list(b), axis=-1)
    return c[..., :n], c[..., n:]


def _real_right(a: Pair, b: Any) -> Pair:
    """A complex matrix times a real one: ``[[Ar], [Ai]] @ b``, split."""
    m = a[0].shape[-2]
    c = np.concatenate(list(a), axis=-2) @ b
    return c[..., :m, :], c[..., m:, :]


def matmul(inputs: tuple, loc: str | None = None) -> ComplexTracer:
    """``a @ b`` where an operand is complex: NumPy's dtype and shape rules, the product as
    real GEMMs on the parts (:data:`METHOD`)."""
    loc = loc or user_location()
    a, b = inputs
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        raise user_error(ValueError(f"matmul: Input operand does not have enough dimensions{at(loc)}"))
    kinds = tuple(operand_kind(x, loc) for x in inputs)
    try:
        loop = np.matmul.resolve_dtypes(kinds + (None,))[-1]
    except TypeError as e:
        raise user_error(TypeError(f"{e}{at(loc)}")) from e
    part = part_dtype(loop)
    trace = find_trace([x.re_part if isinstance(x, ComplexTracer) else x for x in inputs])
    vec_a, vec_b = np.ndim(a) == 1, np.ndim(b) == 1
    if np.shape(a)[-1] != np.shape(b)[0 if vec_b else -2]:
        raise user_error(ValueError(f"matmul: Input operand 1 has a mismatch in its core dimension 0, with "
                                    f"gufunc signature (n?,k),(k,m?)->(n?,m?) (size {np.shape(b)[0 if vec_b else -2]}"
                                    f" is different from {np.shape(a)[-1]}){at(loc)}"))
    real_a, real_b = not _is_complex_operand(a), not _is_complex_operand(b)
    pa, pb = parts(trace, a, part, loc), parts(trace, b, part, loc)
    if (vec_a or vec_b) and not (real_a or real_b):
        value = make(*_vector_product(pa, pb, vec_a, vec_b))
        value._scalar = not value.shape
        return value
    if vec_a:  # (a real operand's imaginary part is a 0-d zero, unused: y @ Z of a real vector failed)
        pa = tuple(_as_matrix(t, -2) if np.ndim(t) else t for t in pa)
    if vec_b:
        pb = tuple(_as_matrix(t, -1) if np.ndim(t) else t for t in pb)
    if real_a:
        re, im = _real_left(pa[0], pb)
    elif real_b:
        re, im = _real_right(pa, pb[0])
    else:
        re, im = _product(pa, pb, METHOD)
    if vec_a:
        re, im = re[..., 0, :], im[..., 0, :]
    if vec_b:
        re, im = re[..., 0], im[..., 0]
    value = make(re, im)
    value._scalar = not value.shape
    return value


def _is_complex_operand(x: Any) -> bool:
    if isinstance(x, ComplexTracer) or type(x) is complex:
        return True
    if is_tracer(x):
        return False
    return np.asarray(x).dtype.kind == "c"


@implements(np.matmul)
def matmul_function(x1: Any, x2: Any, /, out: Any = None, **kwargs: Any) -> ComplexTracer:
    """``np.matmul`` of complex values (no ``out=``, no ufunc keywords)."""
    if out is not None or kwargs:
        raise UnsupportedError(f"numpy.matmul of complex values with out= or ufunc keywords{at(user_location())}")
    return matmul((x1, x2))


@implements(np.dot)
def dot(a: Any, b: Any, out: Any = None) -> Any:
    """``np.dot`` of complex values where it agrees with matmul (or is a product with a scalar)."""
    loc = user_location()
    if out is not None:
        raise UnsupportedError(f"numpy.dot: out= is not supported{at(loc)}")
    if np.ndim(a) == 0 or np.ndim(b) == 0:  # NumPy makes Python numbers arrays here (strong)
        a, b = (np.asarray(x) if type(x) in (bool, int, float, complex) else x for x in (a, b))
        return np.multiply(a, b)
    if np.ndim(b) <= 2 or np.ndim(a) == 1:
        return matmul((a, b), loc)
    raise UnsupportedError(f"numpy.dot of {np.ndim(a)}-d and {np.ndim(b)}-d complex arrays is not supported; "
                           f"use matmul or einsum semantics explicitly{at(loc)}")

