"""Kernel-level regressions of issue 14: out-of-bounds kernels (row scratch read by a
GEMM), library kernels reading gathers, folded constants and boundary copies of the
wrong shape, size-generic code reading another buffer's offset, and float sums added
in another order than NumPy's. Each case once differed from NumPy eager."""
from __future__ import annotations

import numpy as np
import pytest

import tracejit as tj
from tests.conftest import assert_same, check_jit
from tracejit.compiler.dtypes import AVal
from tracejit.compiler.graph import Graph
from tracejit.compiler.passes.fold import fold_constants

RNG = np.random.default_rng(14)


def check_kind(fn, *args, **kwargs):
    """check_jit, and the result is a NumPy scalar exactly where eager's is."""
    with np.errstate(all="ignore"):
        expected = fn(*args)
    f = check_jit(fn, *args, **kwargs)
    with np.errstate(all="ignore"):
        got = f(*args)
    assert type(got) is type(expected), f"{type(got).__name__} != {type(expected).__name__}"


# -- items 6 and 19: a temporary turned into row scratch while a GEMM reads it whole ----------
def test_row_reduction_broadcast_back_then_matmul():
    f = lambda y, w: (y + y.sum(axis=1, keepdims=True)) @ w  # noqa: E731
    check_jit(f, RNG.random((128, 10)), RNG.random((10, 64)), rtol=1e-12)
    check_jit(f, RNG.random((64, 64, 64)), RNG.random((64, 64)), rtol=1e-12)


def test_broadcast_view_times_two_then_matmul_with_reversed_slice():
    def f(x):
        v = np.broadcast_to(x, (64, 64)) * 2
        return v @ (v[:, ::-1] - 2)
    check_jit(f, np.arange(1.0, 65), rtol=1e-12)


PRODUCERS = {
    "rowsum": lambda y: y + y.sum(axis=-1, keepdims=True),
    "softmax": lambda y: np.exp(y - y.max(axis=-1, keepdims=True)) / np.exp(y - y.max(axis=-1, keepdims=True)).sum(
        axis=-1, keepdims=True),
    "layernorm": lambda y: (y - y.mean(axis=-1, keepdims=True)) / np.sqrt(y.var(axis=-1, keepdims=True) + 1e-5),
    "bcast": lambda y: np.broadcast_to(y[..., :1, :], y.shape) * 2,
    "reversed": lambda y: y[..., ::-1] - 2,
}


@pytest.mark.parametrize("side", ["left", "right", "both", "epilogue"])
@pytest.mark.parametrize("name", sorted(PRODUCERS))
def test_row_fused_producers_of_a_gemm_operand(name, side):
    p = PRODUCERS[name]
    fns = {"left": lambda a, b: p(a) @ b, "right": lambda a, b: a @ p(b),
           "both": lambda a, b: p(a) @ p(b), "epilogue": lambda a, b: p(p(a) @ b + b[0])}
    for m, k, n in ((64, 64, 64), (128, 10, 64), (65, 33, 70)):  # at and past the GEMM threshold
        check_jit(fns[side], RNG.random((m, k)), RNG.random((k, n)), rtol=1e-9, atol=1e-9)


# -- item 7: scans and sorts of a gather (or any operand that is not a plain load) ---------------
def test_sort_and_cumsum_of_a_gathered_array():
    check_jit(lambda a: np.sort(a[[2, 0, 1]]), np.array([5.0, 7.0, 9.0]))
    check_jit(lambda b: np.cumsum(b[[2, 0, 1]], axis=1), np.array([[5.0], [7.0], [9.0]]))


ALONG = {
    "cumsum0": lambda x: np.cumsum(x, axis=0), "cumsum1": lambda x: np.cumsum(x, axis=1),
    "cumprod": lambda x: np.cumprod(x, axis=0), "sort0": lambda x: np.sort(x, axis=0),
    "sort": lambda x: np.sort(x), "argsort": lambda x: np.argsort(x, axis=0, kind="stable"),
    "median": lambda x: np.median(x, axis=1), "accumulate": lambda x: np.add.accumulate(x, axis=1),
}
SOURCES = {
    "gather_rows": lambda x: x[[3, 0, 2, 1]], "gather_cols": lambda x: x[:, [4, 0, 2, 1, 3]],
    "take": lambda x: np.take(x, [1, 0, 3, 2], axis=0), "iota": lambda x: np.arange(20.0).reshape(4, 5)[::-1] + 0,
    "broadcast": lambda x: np.broadcast_to(x[1], (4, 5)), "flip": lambda x: np.flip(x),
    "roll": lambda x: np.roll(x, 2, 1),
}


@pytest.mark.parametrize("src", sorted(SOURCES))
@pytest.mark.parametrize("op", sorted(ALONG))
def test_along_axis_ops_over_every_producer(op, src):
    check_jit(lambda x: ALONG[op](SOURCES[src](x)), RNG.random((4, 5)))


# -- item 8: values folded to constants keep their shape (0-d, keepdims) and kind -------------
@pytest.mark.parametrize("fn", [
    lambda a: a.imag.sum(), lambda a: np.zeros(3).argmin(axis=-1),
    lambda a: np.all(np.ones((1, 3)) > 0, axis=(0, -1)), lambda a: np.ones((2, 3)).sum(keepdims=True),
    lambda a: np.arange(6).reshape(2, 3).max(axis=None), lambda a: np.median(np.zeros(3)),
    lambda a: np.eye(3).argmax(axis=-1, keepdims=True), lambda a: np.full((2, 2), 2.5).var(),
    lambda a: np.any(np.zeros(()) > 0), lambda a: (a * 0j).imag.mean(), lambda a: np.ones(1).prod(),
])
def test_folded_reductions_keep_their_shape(fn):
    check_kind(fn, np.ones(3))


def test_fold_keeps_a_zero_d_value_zero_d():
    g = Graph("g")
    c = g.add_constant(np.arange(3.0))
    s = g.add("sum", [c], {"axes": (0,), "keepdims": False}, aval=AVal((), np.dtype(np.float64)))
    g.add_output(0, s)
    fold_constants(g)
    (src,) = g.operands(g.outputs[0])
    assert g.op(src) == "constant" and g.data(src)["value"].shape == ()


@pytest.mark.parametrize("fn", [
    lambda a: np.median(a), lambda a: np.median(a, axis=0), lambda a: (a * 1j).mean().imag,
    lambda a: (a * 1j).sum().real, lambda a: a.sum().imag, lambda a: (a + 1j)[0].astype(np.float32),
])
def test_scalar_results_are_numpy_scalars(fn):
    check_kind(fn, np.arange(5.0))


# -- item 20: the boundary copy of a misaligned or oddly strided argument keeps its shape ------
def _misaligned(shape, dtype):
    dt = np.dtype(dtype)
    n = int(np.prod(shape))
    a = np.zeros(n * dt.itemsize + 1, np.uint8)[1:].view(dt).reshape(shape)
    a[...] = np.arange(n).reshape(shape) + 1
    return a


@pytest.mark.parametrize("shape", [(), (1,), (3,), (2, 3)])
@pytest.mark.parametrize("dtype", [np.int64, np.float64, np.complex128])
def test_misaligned_arguments_keep_their_shape(shape, dtype):
    check_kind(lambda a: a + 1, _misaligned(shape, dtype))
    check_kind(lambda a: a.sum(), _misaligned(shape, dtype))

    def bump(a):
        a += 1
        return a * 2
    a, b = _misaligned(shape, dtype), _misaligned(shape, dtype)
    assert_same(tj.jit(bump)(a), bump(b))
    assert_same(a, b)


def test_misaligned_zero_d_argument_from_the_issue():
    a = np.zeros(9, np.uint8)[1:].view(np.int64).reshape(())
    check_kind(lambda a: a + 1, a)


# -- item 21: size-generic code must read each temporary's own arena offset -----------------
def test_code_reused_for_a_new_shape_reads_the_right_temporaries():
    def f(a0, a2):
        v2 = np.median(np.reciprocal(a2))
        v4 = np.roll(a0, 5, axis=1).astype("uint8")
        v4[[0, 0, 1]] += 127
        return v4, v2
    g = tj.jit(f)
    a2 = np.array([1, 2, 4], np.uint32)
    for n in (7, 3, 2, 9):
        a0 = np.arange(3 * n).reshape(n, 3)
        assert_same(g(a0, a2), f(a0, a2))


def test_temporaries_whose_sizes_swap_order_between_calls():
    def f(a, b, k):
        c = np.roll(a, 1, axis=1).astype(np.float32)
        c[[0, 0, -1]] += 1
        d = np.roll(b, 2, axis=1) * 2
        d[[-1, 0]] -= b[0]
        return c, d, np.median(k)
    g = tj.jit(f)
    k = np.array([3.0, 1.0, 2.0])
    for n, m in ((7, 2), (2, 7), (40, 1), (1, 40), (3, 3), (9, 5)):
        a, b = RNG.random((n, 3)), RNG.random((m, 4))
        assert_same(g(a, b, k), f(a, b, k))
    assert g.cache_info().reused >= 3


# -- float sums in NumPy's order where NumPy adds in order -------------------------------------
@pytest.mark.parametrize("cols", [2, 3, 4, 5, 16])
@pytest.mark.parametrize("rows", [5, 29, 200, 1023])
def test_column_sums_are_numpy_bits(rows, cols):
    """NumPy adds the rows of ``x.sum(axis=0)`` in order (its inner loop runs along a row);
    so does the 'outer' schedule, whatever the row length (below split_rows' threshold).
    Kept extents under 4 once took the lanes of the 'inner' schedule: on AVX2 (8 lanes x 2)
    a 29-row sum ran a vector iteration and differed from NumPy by an ulp; on AVX-512 (16 x 2)
    its 29 rows all fell to the scalar tail and agreed by chance."""
    x = (RNG.standard_normal((rows, cols)) * 10).astype(np.float32)
    check_jit(lambda x: x.sum(axis=0), x)
    check_jit(lambda x: (x * 2).sum(axis=0), x)
    i = RNG.integers(-rows, rows, 29)
    check_jit(lambda x, i: x[i].sum(axis=0), x, i)


# -- the static checks run in every compile ----------------------------------------------------
def test_every_compile_checks_bounds_and_result_shapes(monkeypatch):
    import tracejit.compiler.schedule as schedule
    calls = []

    def spy(name, real):
        return lambda *a: (calls.append(name), real(*a))[1]

    monkeypatch.setattr(schedule, "KERNEL_PASSES", [(name, spy(name, fn) if name.startswith("check_") else fn)
                                                    for name, fn in schedule.KERNEL_PASSES])
    check_jit(lambda y, w: (y + y.sum(axis=1, keepdims=True)) @ w, RNG.random((128, 10)), RNG.random((10, 64)),
              rtol=1e-12)
    assert {"check_bounds", "check_outputs"} <= set(calls)


def test_result_shape_check_rejects_a_wrong_buffer():
    import dataclasses

    from tracejit.compiler.kir.verify import check_outputs
    low = tj.jit(lambda a: a.sum()).lower(np.ones(3))
    graph, program = low.optimized.graph, low.optimized.program
    check_outputs(graph, program)
    bid = program.outputs[0]
    program.buffers[bid] = dataclasses.replace(program.buffers[bid], shape=(1,))
    with pytest.raises(AssertionError, match="result 0"):
        check_outputs(graph, program)
