"""GEMM register tiles chosen from the target (issue 21): products of few rows (exact
tiles, wider ones for one tile, B streamed unpacked), vector-matrix products as GEMMs,
and the AVX2 tiles compiled and run on this machine; differential against NumPy."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import tracejit as tj
from tests.conftest import assert_same
from tests.gemmcases import DTYPES, TOL, avx2_target, tanh_product_on
from tracejit.compiler.schedule.matmul import register_tile
from tracejit.compiler.target import host_target


def _gemm_text(f, *args) -> str:
    return "\n".join(line for line in f.lower(*args).as_text("kernels").splitlines()
                     if "gemm " in line or "gemv " in line)  # (a few rows: the gemv kernel, tests/test_gemv.py)


def test_register_tiles_follow_the_target():
    avx512 = dataclasses.replace(host_target(), features="+avx2,+fma,+avx512f", vector_bytes=64)
    avx2 = dataclasses.replace(host_target(), features="+avx2,+fma,-avx512f", vector_bytes=32)
    assert (avx512.vector_registers, avx2.vector_registers) == (32, 16)
    f32, f64 = np.dtype(np.float32), np.dtype(np.float64)
    assert register_tile(avx512, f32, 1024, 1024) == (8, 32)  # many rows: MR_LARGE on 32 registers
    assert register_tile(avx2, f32, 1024, 1024) == (6, 16)
    assert register_tile(avx512, f64, 1024, 1024) == (8, 16)
    assert register_tile(avx2, f64, 1024, 1024) == (6, 8)
    # one tile: exactly its rows, as wide as the registers hold and N divides
    assert register_tile(avx512, f32, 1, 1024) == (1, 128)
    assert register_tile(avx2, f32, 1, 1024) == (1, 32)  # 8 wide would need 17 registers
    assert register_tile(avx512, f32, 4, 1024) == (4, 64)
    assert register_tile(avx512, f32, 1, 1000) == (1, 32)  # 1000 is no multiple of 128 or 64
    # a few tiles (of MR rows): equal ones (8 rows: 2 x 4, not 6 + 2 of 6); many: MR_LARGE
    # on 32 registers, MR on 16
    assert register_tile(avx512, f32, 8, 512)[0] == 4
    assert register_tile(avx512, f32, 13, 512)[0] == 5
    assert register_tile(avx512, f32, 18, 512)[0] == 6
    assert register_tile(avx512, f32, 19, 512)[0] == 8
    assert register_tile(avx512, f32, 100, 512)[0] == 8
    assert register_tile(avx2, f32, 100, 512)[0] == 6


@DTYPES
@pytest.mark.parametrize("m,k,n", [(1, 1024, 1024), (1, 300, 77), (2, 513, 515), (3, 784, 512), (4, 1000, 1000),
                                   (5, 200, 130), (7, 257, 600), (13, 129, 1024), (1, 1, 10000), (6, 900, 2048)])
def test_few_rows(m, k, n, dtype):
    rng = np.random.default_rng(m * 7 + k + n)
    a = rng.standard_normal((m, k)).astype(dtype)
    b = rng.standard_normal((k, n)).astype(dtype)
    f = tj.jit(lambda a, b: a @ b)
    assert "gemm" in _gemm_text(f, a, b) or "gemv" in _gemm_text(f, a, b)
    assert_same(f(a, b), a @ b, **TOL[np.dtype(dtype)])


@DTYPES
def test_vector_matrix_products(dtype):
    rng = np.random.default_rng(5)
    v = rng.standard_normal(700).astype(dtype)
    w = rng.standard_normal((700, 520)).astype(dtype)
    bias = rng.standard_normal(520).astype(dtype)
    f = tj.jit(lambda v, w, bias: np.maximum(v @ w + bias, 0))
    text = _gemm_text(f, v, w, bias)
    assert "streamed row by row" in text
    assert_same(f(v, w, bias), np.maximum(v @ w + bias, 0), **TOL[np.dtype(dtype)])
    g = tj.jit(lambda w, x: w @ x)  # matrix-vector (K contiguous): stays a loop of dot products
    x = rng.standard_normal(520).astype(dtype)
    assert _gemm_text(g, w, x) == ""
    assert_same(g(w, x), w @ x, **TOL[np.dtype(dtype)])
    # B with strided rows or columns (transposed, every other column): packed, not streamed
    def h(u, v, w):
        return u @ w.T[:, :600], v[None, :] @ w[:, ::2], v[::2] @ w[::2]

    u = v[:520].copy()
    assert_same(tj.jit(h)(u, v, w), h(u, v, w), **TOL[np.dtype(dtype)])


def test_weights_changed_in_place_between_calls():
    """B is read where it lies on every call: mutating it in place changes the result."""
    rng = np.random.default_rng(6)
    x = rng.standard_normal((4, 784)).astype(np.float32)
    w = rng.standard_normal((784, 512)).astype(np.float32)
    f = tj.jit(lambda x, w: x @ w)
    assert_same(f(x, w), x @ w, **TOL[np.dtype(np.float32)])
    w[100:300] *= -2.0
    w[:, 7] = 1.5
    assert_same(f(x, w), x @ w, **TOL[np.dtype(np.float32)])


def test_few_rows_split_over_threads(monkeypatch):
    monkeypatch.setattr(tj.config, "num_threads", 2)
    rng = np.random.default_rng(7)
    x = rng.standard_normal((5, 2048)).astype(np.float32)
    w = rng.standard_normal((2048, 1024)).astype(np.float32)
    f = tj.jit(lambda x, w: x @ w)
    assert "tasks 1x1x2" in _gemm_text(f, x, w)
    assert_same(f(x, w), x @ w, **TOL[np.dtype(np.float32)])


def test_zero_and_tiny_sizes():
    f = tj.jit(lambda a, b: a @ b)
    for m, k, n in [(0, 50, 600), (1, 0, 600), (1, 50, 0), (1, 1, 1)]:
        a, b = np.ones((m, k), np.float32), np.ones((k, n), np.float32)
        assert_same(f(a, b), a @ b)


@DTYPES
@pytest.mark.parametrize("m,k,n", [(1, 777, 1030), (4, 300, 513), (67, 129, 45), (200, 300, 260)])
def test_avx2_tiles_run_here(m, k, n, dtype):
    """Programs scheduled for an AVX2 target (256-bit tiles, 16 registers) compute the same
    products when run on this machine."""
    gemm = tanh_product_on(avx2_target(), m, k, n, dtype, seed=m + k + n)
    lanes = 32 // np.dtype(dtype).itemsize
    assert gemm.nr % lanes == 0 and gemm.mr * gemm.nr // lanes + gemm.nr // lanes + 1 <= 16


@DTYPES
@pytest.mark.parametrize("threads", [1, 2])
def test_packed_panels_of_columns(dtype, threads, monkeypatch):
    """With a small L2 a task packs its columns of B in panels of ``nc`` (edge panels,
    edge slivers, several K slices, an epilogue, a transposed B packed lane by lane)."""
    from tracejit.compile import load, optimize_cached
    monkeypatch.setattr(tj.config, "num_threads", threads)
    target = dataclasses.replace(host_target(), name="host with a 64 KiB L2", l2_bytes=64 << 10)
    rng = np.random.default_rng(threads)
    a = rng.standard_normal((70, 600)).astype(dtype)
    b = rng.standard_normal((600, 530)).astype(dtype)
    bias = rng.standard_normal(530).astype(dtype)

    def fn(a, b, bias):
        return np.maximum(a @ b + bias, 0), a[:, :530] @ b[:530].T

    comp = tj.jit(fn).lower(a, b, bias).compilation
    program = optimize_cached(comp.traced.graph, comp.fastmath, target).program
    gemms = [k.gemm for k in program.kernels if k.kind == "gemm"]
    assert len(gemms) == 2 and all(0 < g.nc < g.cols_per_task and g.nc % g.nr == 0 for g in gemms)
    for got, want in zip(load(program)([a, b, bias]), fn(a, b, bias)):
        assert_same(got, want, **TOL[np.dtype(dtype)])


def test_avx2_machine_code_has_no_avx512():
    """The GEMM scheduled for the AVX2 target and compiled by its target machine uses
    256-bit FMAs only (no zmm register): the code an AVX2 machine would run."""
    from tracejit.compile import llvm_ir
    from tracejit.compiler.target import binding, object_machine, optimize_module
    target = avx2_target()
    a, b = np.ones((100, 300), np.float32), np.ones((300, 200), np.float32)
    generic = tj.jit(lambda a, b: a @ b).lower(a, b).compilation.generic_for(target)
    mod = binding().parse_assembly(llvm_ir(generic, "tjx_avx2_gemm"))
    mod.triple, mod.data_layout = target.triple, target.data_layout
    machine = object_machine(target)
    optimize_module(mod, machine)
    asm = machine.emit_assembly(mod)
    assert "vfmadd" in asm and "%ymm" in asm and "%zmm" not in asm
