"""More programs through tj.export, each called from C at its sample sizes and others and
compared with the JIT bit for bit: scans of control flow, transposes, gemm, layer norm,
concatenation, casts, a map larger than the last-level cache (streaming stores)."""
from __future__ import annotations

import numpy as np
import pytest

import tracejit as tj
from tests.exportharness import build_main, needs_cc, run_main, same_bits
from tracejit.compiler.target import last_level_cache_bytes
from tracejit.config import config

pytestmark = needs_cc
rng = np.random.default_rng(0)


def f32(*shape):
    return rng.standard_normal(shape).astype(np.float32)


def f64(*shape):
    return rng.standard_normal(shape)


def layernorm(x, g):
    return (x - x.mean(axis=1, keepdims=True)) / np.sqrt(x.var(axis=1, keepdims=True) + 1e-5) * g


def forloop(x):
    return sum(x[i] * i for i in range(4))


SMALL_LLC = 8 << 20  # the cache size the compiler is told in the default run (the real one: --runslow)
BIG = int(1.5 * SMALL_LLC) // 4  # float32 elements: the input alone 1.5 times that cache

PROGRAMS = {
    "argmax": (lambda x: x.argmax(axis=1), ["f32[N,40]"], [[f32(1000, 40)], [f32(3, 40)]]),
    "transpose": (lambda a, b: a.T + b, ["f32[300,200]", "f32[200,300]"], [[f32(300, 200), f32(200, 300)]]),
    "clip": (lambda x: np.where(x > 0, np.clip(x, 0, 0.5), x * x), ["f64[N,7]"], [[f64(1000, 7)], [f64(2, 7)]]),
    "gemm": (lambda a, b: np.tanh(a @ b), ["f32[128,96]", "f32[96,64]"], [[f32(128, 96), f32(96, 64)]]),
    "layernorm": (layernorm, ["f32[N,64]", "f32[64]"], [[f32(1000, 64), f32(64)], [f32(9, 64), f32(64)]]),
    "concat": (lambda a, b: np.concatenate([a, b * 2], axis=0), ["f64[N,4]", "f64[M,4]"],
               [[f64(1000, 4), f64(1000, 4)], [f64(3, 4), f64(8, 4)]]),
    "astype": (lambda x: (x * 100).astype(np.int32) % 7, ["f64[N]"], [[f64(1000)], [f64(33)]]),
    "power": (lambda x: np.log1p(np.abs(x)) ** 1.5 + np.arctan2(x, 1.0), ["f32[N]"], [[f32(1000)], [f32(77)]]),
    "fori": (lambda x: tj.fori_loop(0, 10, lambda i, a: a * 0.9 + i, x), ["f64[N]"], [[f64(1000)], [f64(4)]]),
    "cond": (lambda x: tj.cond(x.sum() > 0, lambda v: v * 2, lambda v: -v, x), ["f64[50]"],
             [[f64(50)], [-np.abs(f64(50))]]),
    "forloop": (forloop, ["f64[4,N]"], [[f64(4, 1000)], [f64(4, 3)]]),
    "bigmap": (lambda x: np.exp(np.sin(x)) * 2.0, [f"f32[{BIG}]"], [[f32(BIG)]]),
}


@pytest.fixture
def small_cache(monkeypatch):
    """The streaming pass sees an 8 MiB last-level cache (this VM reports 480 MiB: a map larger
    than that took two minutes here); JIT and export compile in this process, so both see it."""
    from tracejit.compiler import target
    monkeypatch.setattr(target, "last_level_cache_bytes", lambda: SMALL_LLC)
    target.host_target.cache_clear()
    yield
    monkeypatch.undo()
    target.host_target.cache_clear()


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_program(tmp_path, name, small_cache):
    _run(tmp_path, name, *PROGRAMS[name])


@pytest.mark.slow
def test_map_larger_than_the_real_cache(tmp_path):
    big = int(1.1 * last_level_cache_bytes()) // 8 + 1  # input and output together: 1.1 times the cache
    _run(tmp_path, "bigmap", PROGRAMS["bigmap"][0], [f"f32[{big}]"], [[f32(big)]])


def _run(tmp_path, name, fun, examples, cases):
    saved = config.num_threads
    config.num_threads = 1
    try:
        exported = tj.export(fun, *examples, out_dir=str(tmp_path), name=name)
        exe = build_main(exported, str(tmp_path))
        for arrays in cases:
            want = tj.jit(fun)(*[a.copy() for a in arrays])
            want = list(want) if isinstance(want, tuple) else [want]
            for shift in (0, 1):  # arrays aligned to their element only: the same results
                code, got, _ = run_main(exe, exported, arrays, shift=shift)
                assert code == 0 and len(got) == len(want)
                assert all(same_bits(g, np.asarray(w)) for g, w in zip(got, want))
    finally:
        config.num_threads = saved


def test_bigmap_streams(small_cache):
    """The large map is the case the issue asks for: stored with streaming stores."""
    from tracejit.export.plan import build_plan
    from tracejit.export.spec import parse_spec
    plan = build_plan(PROGRAMS["bigmap"][0], [parse_spec(f"f32[{BIG}]")], ["x"], "bigmap")
    assert any(s.stream for k in plan.program.kernels for s in k.schedules)
