"""Arithmetic-sequence constants (np.arange and affine functions of it) are computed from
the element index, not stored: bit-identical to eager, through views, reductions split
between threads and fused row loops; anything else stays a buffer."""
from __future__ import annotations

import numpy as np
import pytest

import tracejit as tj
from tests.conftest import assert_same
from tracejit.compiler.kernelize.sequences import affine_constant

RNG = np.random.default_rng(70)


def constant_bytes(fn, *args) -> int:
    return tj.jit(fn, freeze=True).lower(*args).memory()["constants"]  # captured arrays as constants too


@pytest.mark.parametrize("dtype", ["int32", "int64", "uint16", "float32", "float64"])
def test_aranges_are_affine(dtype):
    assert affine_constant(np.arange(7, 1000, 3, dtype=dtype)) == (7, 3)
    assert affine_constant(np.arange(12, dtype=dtype).reshape(3, 4)) == (0, 1)
    assert affine_constant(np.array([5, 9], dtype=dtype)) == (5, 4)


def test_non_sequences_are_not():
    assert affine_constant(RNG.standard_normal(10)) is None
    assert affine_constant(np.array([0, 1, 3])) is None
    assert affine_constant(np.arange(12).reshape(3, 4).T.copy()) is None  # affine per axis, not in C order
    assert affine_constant(np.array([1.0])) is None
    assert affine_constant(np.array([True, False])) is None
    big = np.array([0, 2**62, 2**63 - 2], dtype=np.uint64)
    assert affine_constant(big) is None  # would overflow int64
    inexact = np.linspace(0.0, 1.0, 1001)  # not start + e * step rounded once each
    assert affine_constant(inexact) is None or np.array_equal(
        inexact, inexact[0] + np.arange(1001) * (inexact[1] - inexact[0]))


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32, np.int64])
def test_arange_in_expressions_matches_eager(dtype):
    n = 100_003
    x = (RNG.standard_normal(n) * 100).astype(dtype)

    def f(x):
        i = np.arange(n, dtype=dtype)
        return x + i, x * (i * 2 + 1), x - i[::-1], (x[:-3] + np.arange(3, n, dtype=dtype))

    assert constant_bytes(f, x) == 0
    assert_same(tj.jit(f)(x), f(x))


def test_float_steps_and_offsets_match_bit_for_bit():
    x = RNG.standard_normal(5000).astype(np.float32)

    def f(x):
        return x * np.arange(-2.5, 2497.5, 0.5, dtype=np.float32), x + np.arange(0.0, 500.0, 0.1)[:5000]

    assert_same(tj.jit(f)(x), f(x))


def test_broadcast_and_reshaped_sequences():
    x = RNG.standard_normal((300, 257))

    def f(x):
        rows = np.arange(300.0)[:, None]
        grid = np.arange(300 * 257).reshape(300, 257)
        return x * rows + grid, (x + grid.T.T) / (rows + 1)

    assert constant_bytes(f, x) == 0
    assert_same(tj.jit(f)(x), f(x))


@pytest.mark.parametrize("threads", [1, 3])
def test_reductions_split_between_threads(threads, monkeypatch):
    """A full reduction splits into chunks: the sequence's index map is rewritten too."""
    monkeypatch.setattr(tj.config, "num_threads", threads)
    n = 1_000_003
    x = RNG.standard_normal(n)

    def f(x):
        i = np.arange(n, dtype=np.float64)
        return (x * i).sum(), (x - i).max(axis=0), np.arange(n).sum()

    low = tj.jit(f).lower(x)
    assert "iota(" in low.as_text("kernels") and low.memory()["constants"] == 0
    assert_same(tj.jit(f)(x), f(x), rtol=1e-9)


def test_row_fused_kernels_with_sequences():
    x = RNG.standard_normal((64, 300)).astype(np.float32)

    def f(x):
        y = x + np.arange(300, dtype=np.float32)
        e = np.exp(y - y.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    low = tj.jit(f).lower(x)
    assert len(low.kernels) == 1 and low.memory()["constants"] == 0, low.as_text("kernels")
    assert_same(tj.jit(f)(x), f(x), ulps=4)


def test_matrix_product_operand_keeps_its_buffer():
    """A product packs its constant B: the sequence stays a (pre-packed) buffer."""
    x = RNG.standard_normal((200, 96)).astype(np.float32)

    def f(x):
        return x @ (np.arange(96 * 80, dtype=np.float32).reshape(96, 80) / 1024)

    low = tj.jit(f).lower(x)
    assert low.memory()["constants"] > 0
    assert_same(tj.jit(f)(x), f(x), rtol=1e-5, atol=1e-3)


def test_non_sequence_constants_stay_buffers():
    table = RNG.standard_normal(1000)
    x = RNG.standard_normal(1000)
    assert constant_bytes(lambda x: x + table, x) == table.nbytes
    assert_same(tj.jit(lambda x: x + table)(x), x + table)
