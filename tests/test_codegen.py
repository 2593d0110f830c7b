"""Generated code: vector instructions, no libm calls in plain arithmetic, the kernel
ABI, and the static bounds check of every access."""
from __future__ import annotations

import re

import numpy as np
import pytest

import tracejit as tj
from tracejit.compiler.kir import Access, Load, Nest, Program
from tracejit.compiler.kir.verify import check_bounds as _check_bounds


def test_fused_float32_elementwise_kernel_is_vectorized():
    f = tj.jit(lambda a, b, c, d: a * b + c * d)
    x = np.ones(10_000, np.float32)
    opt = f.lower(x, x, x, x).as_text("llvm-opt")
    assert re.search(r"<(8|16) x float>", opt), "no float vectors in the optimized IR"
    assert re.search(r"fmul <\d+ x float>", opt) and re.search(r"fadd <\d+ x float>", opt)
    assert "call " not in opt.split("define void @")[1].split("}")[0]  # the kernel calls nothing


def test_float32_sum_vectorizes_with_pairwise_blocks():
    f = tj.jit(lambda x: (x * x).sum())
    opt = f.lower(np.ones(10**6, np.float32)).as_text("llvm-opt")
    assert re.search(r"fadd <\d+ x float>", opt)
    assert "pairwise blocks" in f.lower(np.ones(10**6, np.float32)).as_text("kernels")


def test_kernel_abi_and_driver():
    f = tj.jit(lambda a, b: np.exp(a) + b.sum())
    low = f.lower(np.ones(64, np.float32), np.ones(64, np.float32))
    ir = low.as_text("llvm")
    assert re.search(r'define void @"tj[0-9a-f]+_<lambda>_k0"\(ptr noalias %"b\d+", ptr noalias', ir) or \
        re.search(r'define void @"tj[0-9a-f]+__lambda__k0"\(ptr noalias', ir)
    assert re.search(r'define void @"tj[0-9a-f]+__lambda__entry"\(ptr', ir)
    assert "llvm.loop.vectorize.enable" in ir


def test_asm_uses_host_vector_registers():
    f = tj.jit(lambda a: a * 3.0 + 1.0)
    asm = f.lower(np.ones(4096, np.float32)).as_text("asm")
    assert "ymm" in asm or "zmm" in asm or "xmm" in asm


def test_bounds_check_rejects_out_of_range_access():
    f = tj.jit(lambda a: a + 1)
    program: Program = f.lower(np.ones(8)).optimized.program
    _check_bounds(program)  # the real program is in bounds
    kernel = program.kernels[0]
    nest = kernel.nests[0]
    bad = Access(nest.store.buffer, nest.store.dtype, nest.store.offset + 1, nest.store.strides)
    kernel.nests[0] = Nest(nest.shape, nest.n_reduced, nest.reduce, nest.value, bad)
    with pytest.raises(AssertionError, match="outside buffer"):
        _check_bounds(program)
    load = Load(Access(0, np.dtype(np.float64), 0, (2,)))
    kernel.nests[0] = Nest(nest.shape, 0, None, load, nest.store)
    with pytest.raises(AssertionError, match="outside buffer"):
        _check_bounds(program)


def test_strided_and_broadcast_loads_in_vector_loops():
    f = tj.jit(lambda a, b: a[::3] * b[:, None])
    a, b = np.arange(300.0, dtype=np.float32), np.arange(7.0, dtype=np.float32)
    np.testing.assert_array_equal(f(a, b), f.eager(a, b))


@pytest.mark.parametrize("threads", [1, 3])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32], ids=["f32", "f64", "i32"])
def test_transposed_operands_run_in_tiles(dtype, threads, monkeypatch):
    """A map reading one operand across its rows runs in tiles (one cache line wide when
    the operand's rows alias in the cache); edges, batches, reversed and parallel chunks."""
    monkeypatch.setattr(tj.config, "num_threads", threads)
    rng = np.random.default_rng(7)
    a = (rng.standard_normal((300, 257)) * 100).astype(dtype)
    b = (rng.standard_normal((257, 300)) * 100).astype(dtype)
    wide = (rng.standard_normal((300, 256)) * 100).astype(dtype)  # rows of 256 * 4 or 8 bytes: aliased
    c = (rng.standard_normal((2, 200, 300)) * 100).astype(dtype)

    def f(a, b, wide, c):
        return a.T + b, a.T[::-1] * 2 - b, wide.T + wide.T[:, ::-1], c.transpose(0, 2, 1) + 1

    jf = tj.jit(f)
    lowered = jf.lower(a, b, wide, c)
    text = lowered.as_text("kernels")
    assert text.count("tiles of 64x64") >= 2 and text.count("tiles of 64x") >= 4, text
    line = 64 // np.dtype(dtype).itemsize
    lanes = lowered.kernels[-2].schedules[0].vector_width  # wide.T + ...: the host's vector width
    assert f"tiles of 64x{max(line, lanes)}" in text, text
    for got, want in zip(jf(a, b, wide, c), f(a, b, wide, c)):
        np.testing.assert_array_equal(got, want)


def test_contiguous_maps_are_not_tiled():
    a = np.ones((300, 300), np.float32)
    assert "tiles" not in tj.jit(lambda a, b: a + b.T.T).lower(a, a).as_text("kernels")
    assert "tiles" not in tj.jit(lambda a: a.T + 1).lower(np.ones((10, 1000), np.float32)).as_text("kernels")


@pytest.mark.parametrize("rows", [0, 1, 3, 4, 5, 9, 37])
@pytest.mark.parametrize("cols", [1, 7, 16, 45])
def test_inner_reductions_sharing_an_operand_in_row_groups(rows, cols):
    """Lines that read a shared operand (A @ x, max(A * x)) are reduced ROW_GROUP at a
    time (codegen/nest.py _emit_inner_rows): every row count (group tails), column count
    (vector tails), dtype and reduction against NumPy."""
    rng = np.random.default_rng(rows * 100 + cols)
    a = rng.standard_normal((rows, cols))
    x = rng.standard_normal(cols)
    ai = rng.integers(-9, 9, (rows, cols))
    xi = rng.integers(-9, 9, cols)
    np.testing.assert_allclose(tj.jit(lambda a, x: a @ x)(a, x), a @ x, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(tj.jit(lambda a, x: np.tanh(a @ x) + 1)(a, x), np.tanh(a @ x) + 1, rtol=1e-12,
                               atol=1e-12)
    np.testing.assert_array_equal(tj.jit(lambda a, x: (a * x).sum(axis=1))(ai, xi), (ai * xi).sum(axis=1))
    if cols:
        np.testing.assert_array_equal(tj.jit(lambda a, x: (a - x).max(axis=1))(a, x), (a - x).max(axis=1))
    b3 = rng.standard_normal((2, rows, cols)).astype(np.float32)
    np.testing.assert_allclose(tj.jit(lambda b, x: b @ x)(b3, x.astype(np.float32)), b3 @ x.astype(np.float32),
                               rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(tj.jit(lambda a, x: a[::-1, ::2] @ x[::2])(a, x), a[::-1, ::2] @ x[::2],
                               rtol=1e-12, atol=1e-12)
