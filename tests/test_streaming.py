"""Streaming (non-temporal) stores: chosen only for kernels larger than the last-level
cache and only where every vector store is provably aligned; results never change."""
from __future__ import annotations

import numpy as np
import pytest

import tracejit as tj
from tests.conftest import assert_same
from tracejit.compiler import target

RNG = np.random.default_rng(75)
N = 300_001  # > 1 MiB of float32: outputs come from the aligned pool; odd: a scalar tail


@pytest.fixture
def tiny_cache(monkeypatch):
    """Pretend the host's last-level cache holds 64 KiB, so test-sized kernels stream
    (the host target is made again with it, and again after the test)."""
    monkeypatch.setattr(target, "last_level_cache_bytes", lambda: 64 << 10)
    target.host_target.cache_clear()
    yield
    monkeypatch.undo()
    target.host_target.cache_clear()


def streamed(low) -> list[int]:
    return [s.stream for k in low.kernels for s in k.schedules]


@pytest.mark.parametrize("threads", [1, 3])
def test_large_maps_stream_and_match_eager(tiny_cache, threads, monkeypatch):
    monkeypatch.setattr(tj.config, "num_threads", threads)
    a, b, c = (RNG.standard_normal(N).astype(np.float32) for _ in range(3))

    def f(a, b, c):
        return a * b + c, np.exp(-a) * c

    low = tj.jit(f).lower(a, b, c)
    assert all(streamed(low)), low.as_text("kernels")
    assert "streaming stores" in low.as_text("kernels")
    ir_text = low.as_text("llvm-opt")
    assert "!nontemporal" in ir_text and "llvm.x86.sse.sfence" in ir_text
    assert_same(tj.jit(f)(a, b, c), f(a, b, c), ulps=4)  # exp: ours and NumPy's each within ~1 ulp


def test_rows_stream_only_when_rows_are_lane_aligned(tiny_cache):
    x = RNG.standard_normal((1024, 512)).astype(np.float32)
    odd = RNG.standard_normal((1023, 517)).astype(np.float32)

    def f(x):
        e = np.exp(x - x.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    aligned, unaligned = tj.jit(f).lower(x), tj.jit(f).lower(odd)
    assert any(streamed(aligned)), aligned.as_text("kernels")
    assert not any(streamed(unaligned)), unaligned.as_text("kernels")  # rows of 517: no proof
    assert_same(tj.jit(f)(x), f(x), rtol=1e-5, atol=1e-7)  # row sums in another order
    assert_same(tj.jit(f)(odd), f(odd), rtol=1e-5, atol=1e-7)


def test_concatenation_streams_only_aligned_parts(tiny_cache):
    a = RNG.standard_normal(N - 1).astype(np.float32)
    b = RNG.standard_normal(N).astype(np.float32)
    f = tj.jit(lambda a, b: np.concatenate([a * 2, b + 1, a - 1]))
    low = f.lower(a, b)
    marks = streamed(low)
    assert marks[0] and not all(marks), low.as_text("kernels")  # later parts start mid-vector
    assert_same(f(a, b), np.concatenate([a * 2, b + 1, a - 1]))


def test_small_kernels_do_not_stream():
    """Under the real cache size, kernels that fit in it keep ordinary stores."""
    a = RNG.standard_normal(N).astype(np.float32)
    low = tj.jit(lambda a: a * 2).lower(a)
    assert not any(streamed(low))
    assert "!nontemporal" not in low.as_text("llvm-opt")


def test_kernels_larger_than_the_cache_stream_by_default():
    n = target.host_target().llc_bytes // 8 + 4096  # two float32 arrays exceed the cache
    a = RNG.standard_normal(n).astype(np.float32)
    low = tj.jit(lambda a: a * 2 + 1).lower(a)
    assert all(streamed(low)), low.as_text("kernels")
    assert_same(tj.jit(lambda a: a * 2 + 1)(a), a * 2 + 1)


def test_reductions_and_products_never_stream(tiny_cache):
    x = RNG.standard_normal((600, 600)).astype(np.float32)
    low = tj.jit(lambda x: (x @ x, x.sum(axis=0), x.T + x)).lower(x)
    kinds = {k.kind: [s.stream for s in k.schedules] for k in low.kernels}
    assert not any(kinds.get("gemm", [])) and not any(kinds.get("reduce", [])), low.as_text("kernels")
    assert_same(tj.jit(lambda x: (x @ x, x.sum(axis=0), x.T + x))(x), (x @ x, x.sum(axis=0), x.T + x),
                rtol=1e-4, atol=1e-3)


def test_outputs_read_back_in_the_same_kernel_do_not_stream(tiny_cache):
    x = RNG.standard_normal((1024, 512)).astype(np.float32)

    def f(x):
        y = np.exp(x - x.max(axis=1, keepdims=True))
        return y, y.sum(axis=1)

    low = tj.jit(f).lower(x)
    fused = [k for k in low.kernels if k.row_fused]
    assert fused and not any(s.stream for k in fused for s in k.schedules), low.as_text("kernels")
    assert_same(tj.jit(f)(x), f(x), rtol=1e-5, atol=1e-4)
