"""Shared by the GEMM tests (``test_gemm_kernels.py``, ``test_gemm_blocking.py``): tolerances,
the dtype parameters, the host as an AVX2 machine, and a product scheduled for a target other
than the one the JIT compiles for, run here and checked against NumPy."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import tracejit as tj
from tests.conftest import assert_same
from tracejit.compiler.target import Target, host_target

TOL = {np.dtype(np.float32): dict(rtol=3e-5, atol=3e-4), np.dtype(np.float64): dict(rtol=1e-12, atol=1e-11)}
DTYPES = pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])


def avx2_target(l1_bytes: int | None = None) -> Target:
    """The host as an AVX2 machine (``tj.config.isa = "avx2"``: AVX-512 off, 256-bit vectors,
    16 registers), with an L1 of ``l1_bytes`` when given."""
    with tj.config.overriding(isa="avx2"):
        target = host_target()
    return target if l1_bytes is None else dataclasses.replace(target, l1_bytes=l1_bytes)


def tanh_product_on(target: Target, m: int, k: int, n: int, dtype, seed: int):
    """``tanh(a @ b + bias)`` (random (m, k) and (k, n) operands of ``dtype``) scheduled for
    ``target``, compiled and run here; asserts NumPy's result and returns the product's Gemm
    record (its tiles and blocking, for the caller to check)."""
    from tracejit.compile import load, optimize_cached
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((m, k)).astype(dtype)
    b = rng.standard_normal((k, n)).astype(dtype)
    bias = rng.standard_normal(n).astype(dtype)

    def fn(a, b, bias):
        return np.tanh(a @ b + bias)

    comp = tj.jit(fn).lower(a, b, bias).compilation
    program = optimize_cached(comp.traced.graph, comp.fastmath, target).program
    assert_same(load(program)([a, b, bias])[0], fn(a, b, bias), **TOL[np.dtype(dtype)])
    return next(kernel.gemm for kernel in program.kernels if kernel.kind == "gemm")
