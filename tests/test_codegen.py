"""Generated code: vector instructions, no libm calls in plain arithmetic, the kernel
ABI, and the static bounds check of every access."""
from __future__ import annotations

import re

import numpy as np
import pytest

import tracejit as tj
from tracejit.compiler.kernel import Access, Load, Nest, Program
from tracejit.compiler.kernelize import check_bounds as _check_bounds


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
    assert re.search(r'define void @"tj\d+_<lambda>_k0"\(ptr noalias %"b\d+", ptr noalias', ir) or \
        re.search(r'define void @"tj\d+__lambda__k0"\(ptr noalias', ir)
    assert re.search(r'define void @"tj\d+__lambda__entry"\(ptr', ir)
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
