"""The optimizer end to end: kernel counts of the benchmark programs, sibling fusion,
and what each program keeps in memory; results always equal eager NumPy."""
from __future__ import annotations

import numpy as np
import pytest

import tracejit as tj
from benchmarks import workloads as W
from tests.conftest import assert_same

RNG = np.random.default_rng(80)
X = RNG.standard_normal((64, 300)).astype(np.float32)
V = RNG.standard_normal(5000).astype(np.float32)
ROW = RNG.standard_normal(300).astype(np.float32)

# program, arguments, kernels it compiles to (the targets)
COUNTS = [
    ("softmax", W.softmax, (X,), 1),
    ("layernorm", W.layernorm, (X, ROW, ROW), 1),
    ("center", lambda x: x - x.mean(axis=1, keepdims=True), (X,), 1),
    ("gelu", W.gelu, (V,), 1),
    ("sin_exp", W.sin_exp, (V, V, V, V), 1),
    ("mlp", W.mlp, (X[:, :64], RNG.standard_normal((64, 64)).astype(np.float32), ROW[:64],
                    RNG.standard_normal((64, 32)).astype(np.float32), ROW[:32]), 2),
]


@pytest.mark.parametrize("name,fn,args,kernels", COUNTS, ids=[c[0] for c in COUNTS])
def test_kernel_counts(name, fn, args, kernels):
    low = tj.jit(fn).lower(*args)
    assert len(low.kernels) == kernels, low.as_text("kernels")
    assert_same(tj.jit(fn)(*args), fn(*args), rtol=2e-5, atol=1e-5)


@pytest.mark.parametrize("name,fn,args", [c[:3] for c in COUNTS[:4]], ids=[c[0] for c in COUNTS[:4]])
def test_row_programs_need_no_temporaries(name, fn, args):
    """softmax, layernorm and GELU: nothing in memory beyond inputs, outputs and row scratch."""
    mem = tj.jit(fn).lower(*args).memory()
    assert mem["temporaries"] == 0, mem
    assert mem["peak"] == mem["inputs"] + mem["outputs"], mem


def test_sibling_full_reductions_read_their_input_once():
    """``x.sum()`` and ``(x*x).sum()`` of a large x: one parallel kernel computes both
    chunk partials (x streams through once), one kernel combines both."""
    def f(x):
        return x.sum(), (x * x).sum(), np.abs(x).max()

    x = np.random.default_rng(81).standard_normal(10**6 + 17).astype(np.float32)
    low = tj.jit(f).lower(x)
    kinds = [k.kind for k in low.kernels]
    assert kinds == ["fused", "reduce"], low.as_text("kernels")
    assert len(low.kernels[0].nests) == 3 and low.kernels[0].row_fused
    assert_same(tj.jit(f)(x), f(x), rtol=1e-6, atol=1e-3)  # sums of ~1e6 terms of |x| ~ 1


def test_dependent_full_reductions_are_not_siblings():
    """A reduction that reads another's result waits for its combine."""
    def f(x):
        s = x.sum()
        return s, (x * s).sum()

    x = np.random.default_rng(82).standard_normal(600_000)
    low = tj.jit(f).lower(x)
    assert len(low.kernels) == 4, low.as_text("kernels")
    assert_same(tj.jit(f)(x), f(x), rtol=1e-12)


def test_transposed_matmul_operand_is_a_flag_not_a_copy():
    """``x @ w.T``: the product reads w where it lies (K contiguous), no copy kernel."""
    x = RNG.standard_normal((256, 128)).astype(np.float32)
    w = RNG.standard_normal((64, 128)).astype(np.float32)
    f = tj.jit(lambda x, w: x @ w.T)
    low = f.lower(x, w)
    assert [k.kind for k in low.kernels] == ["gemm"], low.as_text("kernels")
    assert "in1 (transposed, K contiguous)" in low.as_text("kernels")
    assert_same(f(x, w), x @ w.T, rtol=1e-5, atol=1e-4)


def test_one_dimensional_siblings_share_blocks_of_their_inputs():
    """Two maps over the same long vector: rows of 4096 elements in one fused loop (each
    block of a and b read once, both stages vectorized), the tails in one small kernel;
    never one element per "row" (that ran scalar code at half the speed)."""
    def f(a, b):
        return a * b + 1, np.exp(-a) * b

    a, b = (RNG.standard_normal(100_000).astype(np.float32) for _ in range(2))
    low = tj.jit(f).lower(a, b)
    fused, tails = low.kernels
    assert fused.row_fused and [n.shape for n in fused.nests] == [(24, 4096)] * 2, low.as_text("kernels")
    assert all(s.vector_width > 1 and s.vector_dim == 1 for s in fused.schedules)
    assert [n.shape for n in tails.nests] == [(1696,)] * 2
    assert_same(tj.jit(f)(a, b), f(a, b), ulps=4)


@pytest.mark.parametrize("n", [2 * 4096, 3 * 4096 + 5, 50_001])
def test_blocked_siblings_with_temporaries_match_eager(n, monkeypatch):
    """An expensive value read by two outputs is materialized; the three maps share rows."""
    monkeypatch.setattr(tj.config, "num_threads", 3)

    def f(a, b):
        t = np.exp(np.sin(a) * 0.5)
        return t * b + t, t - b

    a, b = (RNG.standard_normal(n) for _ in range(2))
    low = tj.jit(f).lower(a, b)
    assert any(k.row_fused for k in low.kernels), low.as_text("kernels")
    assert_same(tj.jit(f)(a, b), f(a, b), rtol=1e-14, atol=1e-14)  # t - b cancels: absolute


def test_sibling_reading_a_shifted_element_is_not_blocked():
    """A map that reads what its sibling wrote at another element keeps its own loop."""
    def f(a):
        t = np.exp(np.sin(a))
        return t * 2, t[::-1] + t

    a = RNG.standard_normal(30_000)
    low = tj.jit(f).lower(a)
    reversed_readers = [k for k in low.kernels
                        if any(ld.access.strides[-1] < 0 for n in k.nests for ld in n.loads())]
    assert reversed_readers and not any(k.row_fused for k in reversed_readers), low.as_text("kernels")
    assert_same(tj.jit(f)(a), f(a), rtol=1e-14, atol=1e-14)


def test_copy_of_a_transposed_matmul_operand_follows_the_output_order():
    """``a.T @ b``: A is laid out K-contiguous by a copy whose stores are contiguous and
    whose transposed reads run in cache tiles (an A with short rows, at most
    ``A_IN_PLACE_STEP`` bytes, is read in place instead: tests/test_gemm_syrk.py)."""
    a = RNG.standard_normal((200, 640)).astype(np.float32)
    b = RNG.standard_normal((200, 90)).astype(np.float32)
    f = tj.jit(lambda a, b: a.T @ b)
    low = f.lower(a, b)
    copy = next(k for k in low.kernels if k.name.endswith("_copyA"))
    nest, sched = copy.nests[0], copy.schedules[0]
    assert nest.store.strides[-1] == 1 and sched.tile is not None, low.as_text("kernels")
    assert_same(f(a, b), a.T @ b, rtol=1e-5, atol=1e-4)
