"""Transposes moved past reductions and elementwise ops (``compiler/passes/transposes.py``):
each rule on its own (results equal bit for bit under the NumPy interpreter, the cases where
it must not fire), and what it is for: ``np.cov``/``np.corrcoef`` of either layout centre
their data where it lies, share the mean with the user's code and read the centred array
transposed in place, with results as NumPy's (float32/float64, rowvar both ways, ddof,
bias, a second array, non-contiguous and Fortran-ordered inputs, products split along K)."""
from __future__ import annotations

import zlib

import numpy as np
import pytest

import tracejit as tj
from tests.differential import check
from tests.rulecheck import ops, rewrite
from tracejit.compiler.ops import get_op

rng = np.random.default_rng(17)


@pytest.fixture(autouse=True)
def _seeded(request):
    """Each test's values from its own name: the same whichever tests run before it."""
    global rng
    rng = np.random.default_rng(zlib.crc32(request.node.name.encode()))




def reads_transposed(graph, kind):
    """The ``kind`` nodes (``reduce``, ``elementwise``) that read a transpose."""
    return [n for n in graph.topo_order() if get_op(graph.op(n)).kind == kind
            and any(graph.op(u) == "transpose" for u in graph.operands(n))]


# -- the rules on their own ----------------------------------------------------------------------

@pytest.mark.parametrize("dtype", ["float32", "float64", "int32"])
def test_reduce_of_transpose(dtype):
    x = (rng.standard_normal((3, 4, 5)) * 8).astype(dtype)
    x.reshape(-1)[::7] = 0

    def f(x):
        t = x.transpose(2, 0, 1)
        return (t.sum(axis=1), t.sum(axis=0, keepdims=True), t.max(axis=2), t.min(axis=1, keepdims=True),
                (t > 0).any(axis=0), np.transpose(x, (1, 0, 2)).prod(axis=2))

    before, after = rewrite("reduce_of_transpose", f, x)
    assert reads_transposed(before, "reduce") and not reads_transposed(after, "reduce")


def test_reduce_of_transpose_leaves_arg_and_several_axes():
    x = rng.standard_normal((3, 4, 5))

    def f(x):
        t = x.transpose(2, 0, 1)
        return t.argmax(axis=1), t.sum(axis=(0, 1))

    before, after = rewrite("reduce_of_transpose", f, x)
    assert ops(before) == ops(after)


def both_layouts(*values):
    """Each value and its transpose back (the rule fires for values read in both layouts)."""
    return tuple(w for v in values for w in (v, v.T))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_elementwise_of_transpose(dtype):
    x = rng.standard_normal((6, 4)).astype(dtype)
    m = rng.standard_normal(6).astype(dtype)
    c = rng.standard_normal((3, 4, 6)).astype(dtype)
    x[0, 0], x[1, 1], m[2] = np.nan, -0.0, np.inf

    def f(x, m, c):
        return both_layouts(x.T - m, x.T * 2 + m[None, :], np.where(x.T > 0, x.T, m), x.T / x.sum(axis=1)[None, :],
                            np.maximum(x.T, 0) + 1, x[:, None, :].transpose(2, 1, 0) - c[:1, :1, :])

    before, after = rewrite("elementwise_of_transpose", f, x, m, c)
    assert len(reads_transposed(before, "elementwise")) == 7 and not reads_transposed(after, "elementwise")


def test_elementwise_of_transpose_through_a_chain():
    """``(X.T - m[:, None]) / s[:, None]`` read as ``Xs @ Xs.T``: the first op fires (its chain
    is read back transposed), then the second (the graph after the whole pipeline)."""
    x, m, s = rng.standard_normal((3000, 24)), rng.standard_normal(24), rng.random(24) + 1

    def f(x, m, s):
        xs = (x.T - m[:, None]) / s[:, None]
        return xs @ xs.T

    before, after = rewrite("elementwise_of_transpose", f, x, m, s)
    assert reads_transposed(before, "elementwise") and ops(before) != ops(after)
    text = tj.jit(f).lower(x, m, s).as_text("optimized")
    assert "read in place" in text
    np.testing.assert_allclose(tj.jit(f)(x, m, s), f(x, m, s), rtol=1e-12, atol=1e-10)


def test_elementwise_of_transpose_leaves_one_layout_and_same_sized_operands():
    """Not for values read in the transposed layout only (a product's operand would then need a
    transposing copy; an output is stored in its own layout), nor with a same-sized operand
    laid out as the result (the transpose would only move to it), nor for a copy."""
    x = rng.standard_normal((6, 4))
    y = rng.standard_normal((4, 6))

    def f(x, y):
        return (np.exp(x.T) @ x, x.T * 2, *both_layouts(x.T + y), np.ascontiguousarray(x.T))

    before, after = rewrite("elementwise_of_transpose", f, x, y)
    assert ops(before) == ops(after)


# -- what they are for: np.cov and np.corrcoef -------------------------------------------------------

def _optimized(fn, *args):
    low = tj.jit(fn).lower(*args)
    return low.as_text("optimized")


def _gemm_lines(text):
    return [line for line in text.splitlines() if line.strip().startswith("gemm ")]


@pytest.mark.parametrize("program", ["rowvar_false", "cov_of_transpose", "corrcoef_of_transpose"])
def test_cov_centres_in_place_and_shares_the_mean(program):
    x = rng.standard_normal((4000, 16))
    fn = {"rowvar_false": lambda x: (np.cov(x, rowvar=False), x - x.mean(axis=0)),
          "cov_of_transpose": lambda x: (np.cov(x.T), x - x.mean(axis=0)),
          "corrcoef_of_transpose": lambda x: (np.corrcoef(x.T), x - x.mean(axis=0))}[program]
    text = _optimized(fn, x)
    graph = text.split("\nkernel ")[0]
    sums = [line for line in graph.splitlines() if "= sum[" in line]
    assert len(sums) == 1, sums  # one mean, shared by the covariance and the user's centring
    assert sum("= subtract " in line for line in graph.splitlines()) == 1
    (gemm,) = _gemm_lines(text)
    assert "read in place" in gemm and "symmetric" in gemm, gemm
    with np.errstate(all="ignore"):
        got, want = tj.jit(fn)(x), fn(x)
    np.testing.assert_allclose(got[0], want[0], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(got[1], want[1], rtol=0, atol=1e-13)  # (the mean: summed in another order)


def _close(got, want, dtype, n):
    """Within NumPy's own accuracy for a sum of ``n`` products: the covariance's scale times
    eps times a growth of sqrt(n)."""
    eps = np.finfo(dtype).eps
    assert got.dtype == want.dtype and got.shape == want.shape
    scale = np.abs(want).max() if want.size else 1.0
    np.testing.assert_allclose(got, want, rtol=0, atol=8 * eps * np.sqrt(n) * scale)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("layout", ["C", "F", "strided"])
def test_cov_corrcoef_layouts(dtype, layout):
    base = rng.standard_normal((2 * 3001, 9)) @ rng.standard_normal((9, 9)) + 5
    x = {"C": base[:3001].astype(dtype), "F": np.asfortranarray(base[:3001], dtype),
         "strided": base.astype(dtype)[::2]}[layout]
    y = rng.standard_normal((3001, 2)).astype(dtype)

    def f(x, y):
        return (np.cov(x, rowvar=False), np.cov(x.T), np.cov(x.T, ddof=0), np.cov(x, rowvar=False, bias=True),
                np.cov(x, rowvar=False, ddof=3), np.cov(x, y, rowvar=False), np.cov(x.T, y.T),
                np.cov(x, rowvar=False, dtype=np.float64), np.corrcoef(x, rowvar=False), np.corrcoef(x.T),
                np.corrcoef(x.T, y.T), x - x.mean(axis=0))

    with np.errstate(all="ignore"):
        got, want = tj.jit(f)(x, y), f(x, y)
    for g, w in zip(got, want):
        _close(g, w, w.dtype, x.shape[0])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_cov_split_k(dtype):
    """2**24 multiply-adds or more: the product is split along K (partial sums added in order)."""
    x = (rng.standard_normal((70000, 16)) * 3 + 1).astype(dtype)
    text = _optimized(lambda x: np.cov(x, rowvar=False), x)
    assert "K split" in _gemm_lines(text)[0]
    got, want = tj.jit(lambda x: (np.cov(x, rowvar=False), np.cov(x.T)))(x), (np.cov(x, rowvar=False), np.cov(x.T))
    for g, w in zip(got, want):
        _close(g, w, w.dtype, x.shape[0])
        assert (g == g.T).all()  # exactly symmetric, as NumPy's


def test_cov_small_differential():
    """Small shapes through the differential check (values within 8 ulps of NumPy's)."""
    m = rng.standard_normal((5, 3))
    check(lambda m: (np.cov(m, rowvar=False), np.cov(m.T), np.corrcoef(m.T), np.cov(m[::2].T, ddof=0)), m, ulps=8)
