"""tj.export on the host: programs exported as C libraries, called from a C main, give the
JIT's results bit for bit (the same machine code), at the sample sizes and at others."""
from __future__ import annotations

import os

import numpy as np
import pytest

import tracejit as tj
from tests import exportprograms as P
from tests.exportharness import build_main, needs_cc, run_main, same_bits
from tracejit.config import config

pytestmark = needs_cc


def _jit(fun, *arrays):
    out = tj.jit(fun)(*[a.copy() for a in arrays])
    return list(out) if isinstance(out, tuple) else [out]


def _check(exe, exported, fun, arrays, shift=0):
    code, results, _ = run_main(exe, exported, arrays, shift=shift)
    assert code == 0
    expected = _jit(fun, *arrays)
    assert len(results) == len(expected)
    for got, want in zip(results, expected):
        assert same_bits(got, np.asarray(want)), (got, want)


def test_transcendental_map_any_length(tmp_path, serial):
    exported = tj.export(P.wave, "f32[N]", "f32[N]", out_dir=str(tmp_path))
    exe = build_main(exported, str(tmp_path))
    rng = np.random.default_rng(0)
    for n in (1000, 1, 7, 37, 4099, 200_003):
        x, y = rng.standard_normal(n).astype(np.float32), rng.standard_normal(n).astype(np.float32)
        _check(exe, exported, P.wave, [x, y])
    _check(exe, exported, P.wave, [x, y], shift=1)  # arrays aligned to their element only


def test_wrong_sizes_are_error_codes(tmp_path):
    exported = tj.export(P.wave, "f32[N]", "f32[N]", out_dir=str(tmp_path))
    exe = build_main(exported, str(tmp_path))
    x = np.ones(10, np.float32)
    assert run_main(exe, exported, [x, x], dims=[(10,), (9,)])[0] == 1  # N disagrees
    empty = np.ones(0, np.float32)
    assert run_main(exe, exported, [empty, empty])[0] == 1  # N must be at least 1


def test_fixed_sizes_are_checked(tmp_path, serial):
    rng = np.random.default_rng(1)
    x, w, b = (rng.standard_normal(s).astype(np.float32) for s in ((32, 64), (64, 16), (16,)))
    exported = tj.export(P.layer, x, w, b, out_dir=str(tmp_path))
    exe = build_main(exported, str(tmp_path))
    _check(exe, exported, P.layer, [x, w, b])
    assert run_main(exe, exported, [x, w, b], dims=[(32, 64), (64, 15), (16,)])[0] == 1
    assert "int layer(const float *x, int64_t x_n0, int64_t x_n1, const float *w" in open(exported.header).read()


def test_runtime_batch_size(tmp_path, serial):
    exported = tj.export(P.softmax, "f32[N,64]", out_dir=str(tmp_path))
    exe = build_main(exported, str(tmp_path))
    rng = np.random.default_rng(2)
    for n in (1000, 1, 3, 64, 2500):
        _check(exe, exported, P.softmax, [rng.standard_normal((n, 64)).astype(np.float32)])
    assert run_main(exe, exported, [np.ones((4, 64), np.float32)], dims=[(4, 63)])[0] == 1


def test_stencil_updates_its_argument(tmp_path, serial):
    exported = tj.export(P.diffuse, "f64[N]", out_dir=str(tmp_path))
    assert "int diffuse(double *u, int64_t u_n0, double *out0)" in open(exported.header).read()
    exe = build_main(exported, str(tmp_path))
    rng = np.random.default_rng(3)
    for n in (1000, 5, 3001):
        u = rng.standard_normal(n)
        code, (total,), (updated,) = run_main(exe, exported, [u])
        assert code == 0
        mine = u.copy()
        want = tj.jit(P.diffuse)(mine)
        assert same_bits(updated, mine) and same_bits(total, np.asarray(want))
        eager = u.copy()
        P.diffuse(eager)
        np.testing.assert_allclose(updated, eager, rtol=1e-15)


def test_while_loop_solve(tmp_path, serial):
    a = np.linspace(0.5, 50.0, 300)
    exported = tj.export(P.newton_sqrt, a, out_dir=str(tmp_path))
    exe = build_main(exported, str(tmp_path))
    _check(exe, exported, P.newton_sqrt, [a])
    _check(exe, exported, P.newton_sqrt, [a * 3.0])
    np.testing.assert_allclose(run_main(exe, exported, [a])[1][0], np.sqrt(a), rtol=1e-14)


def test_reductions(tmp_path, serial):
    exported = tj.export(P.row_norms, "f64[N,300]", out_dir=str(tmp_path))
    exe = build_main(exported, str(tmp_path))
    rng = np.random.default_rng(4)
    for n in (1000, 2, 1500):
        _check(exe, exported, P.row_norms, [rng.standard_normal((n, 300))])


@pytest.mark.parametrize("dtype", ["i32", "i64", "u8"])
def test_integers(tmp_path, serial, dtype):
    exported = tj.export(P.int_mix, f"{dtype}[N]", f"{dtype}[N]", out_dir=str(tmp_path))
    exe = build_main(exported, str(tmp_path))
    rng = np.random.default_rng(5)
    np_dtype = exported.plan.specs[0].dtype
    for n in (1000, 13):
        a, b = (rng.integers(0, 100, n).astype(np_dtype) for _ in range(2))
        _check(exe, exported, P.int_mix, [a, b])


def test_odd_results(tmp_path, serial):
    x, k = np.linspace(-2, 2, 16), np.arange(7, dtype=np.int16)
    exported = tj.export(P.odd_results, x, k, out_dir=str(tmp_path))
    exe = build_main(exported, str(tmp_path))
    _check(exe, exported, P.odd_results, [x, k])
    _check(exe, exported, P.odd_results, [-x, k[::-1].copy()])


def test_sizes_making_an_extent_negative_are_refused(tmp_path):
    exported = tj.export(P.diffuse, "f64[N]", out_dir=str(tmp_path))  # u[1:-1]: N - 2 elements
    exe = build_main(exported, str(tmp_path))
    assert run_main(exe, exported, [np.ones(1)])[0] == 1
    assert run_main(exe, exported, [np.ones(2)])[0] == 0


def test_loop_over_a_runtime_size(tmp_path, serial):
    exported = tj.export(P.newton_sqrt, "f64[N]", out_dir=str(tmp_path))  # the loop body's sizes follow N
    exe = build_main(exported, str(tmp_path))
    for n in (1000, 7, 2222):
        _check(exe, exported, P.newton_sqrt, [np.linspace(1.0, 9.0, n)])


def test_runtime_checks_are_error_codes(tmp_path, serial):
    exported = tj.export(P.lookup, "f32[V,8]", "i64[B]", out_dir=str(tmp_path))
    exe = build_main(exported, str(tmp_path))
    table = np.random.default_rng(7).standard_normal((50, 8)).astype(np.float32)
    for idx in (np.array([0, 49, -50, 3]), np.arange(50)[::-1].copy()):
        _check(exe, exported, P.lookup, [table, idx])
    assert run_main(exe, exported, [table, np.array([1, 50])])[0] == 3
    assert run_main(exe, exported, [table, np.array([-51])])[0] == 3
    assert run_main(exe, exported, [table[:10], np.array([9, 3])])[0] == 0
    assert run_main(exe, exported, [table[:10], np.array([10])])[0] == 3


def test_reduction_chunks_sampled_elsewhere(tmp_path, serial):
    """Regression: sampled at N = 2000, 4001 and 6005 (1:2:3), a split sum's chunk count was
    fitted as 9*floor(300N / 2^19) and the total was wrong at N = 1000."""
    exported = tj.export(P.row_norms, "f64[N,300]", out_dir=str(tmp_path), sizes={"N": 2000})
    exe = build_main(exported, str(tmp_path))
    rng = np.random.default_rng(8)
    for n in (1000, 2000, 4444):
        _check(exe, exported, P.row_norms, [rng.standard_normal((n, 300))])


def test_threaded_reductions(tmp_path):
    saved = config.num_threads
    try:
        exported = tj.export(P.row_norms, "f64[N,300]", out_dir=str(tmp_path), sizes={"N": 2000}, threads=True)
        exe = build_main(exported, str(tmp_path))
        config.num_threads = max(2, os.cpu_count() or 2)  # as the export optimized it
        rng = np.random.default_rng(9)
        for n, threads in ((1000, "2"), (4000, "3"), (3, "2")):
            x = rng.standard_normal((n, 300))
            code, got, _ = run_main(exe, exported, [x], env={**os.environ, "TJ_NUM_THREADS": threads})
            assert code == 0
            assert all(same_bits(g, np.asarray(w)) for g, w in zip(got, tj.jit(P.row_norms)(x)))
    finally:
        config.num_threads = saved
