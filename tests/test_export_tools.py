"""tj.export's refusals, command line, archive writer, undefined symbols and threads."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

import tracejit as tj
from tests import exportprograms as P
from tests.exportharness import build_main, needs_cc, run_main, same_bits
from tracejit.config import config
from tracejit.export.archive import write_archive
from tracejit.export.spec import parse_spec

# what an exported object may call: libc (memory, threads, environment) and compiler-runtime helpers
LIBC = {"aligned_alloc", "free", "malloc", "memcpy", "memmove", "memset", "pthread_create", "pthread_join",
        "pthread_mutex_lock", "pthread_mutex_unlock", "pthread_cond_wait", "pthread_cond_signal",
        "pthread_cond_broadcast", "pthread_cond_init", "pthread_mutex_init", "pthread_atfork", "__register_atfork",
        "sched_yield", "sysconf", "getenv", "atoi", "strtol"}


def _undefined(path: str) -> set[str]:
    out = subprocess.run(["nm", "-u", path], check=True, capture_output=True, text=True).stdout
    return {line.split()[-1].split("@")[0] for line in out.splitlines() if line.strip() and not line.endswith(":")}


def test_parse_spec():
    spec = parse_spec("f32[N, 64]")
    assert spec.dtype == np.float32 and spec.dims == ("N", 64) and spec.text() == "f32[N,64]"
    assert parse_spec("f64[]").dims == ()
    with pytest.raises(ValueError, match="dtype"):
        parse_spec("q7[3]")
    with pytest.raises(ValueError, match="dtype\\[dims\\]"):
        parse_spec("f32(3)")


def test_host_calls_are_refused(tmp_path):
    def f(x):
        return np.fft.fft(x).real * 2.0
    with pytest.raises(tj.UnsupportedError, match="fft"):
        tj.export(f, np.ones(8), out_dir=str(tmp_path))


def test_command_line_cross_target(tmp_path):
    """--target: an aarch64 ELF object (e_machine 183, 64-bit) and its header naming the target."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    done = subprocess.run([sys.executable, "-m", "tracejit.export", "tests.exportprograms:wave", "--target",
                           "aarch64-linux-gnu", "--example", "f32[N]", "--example", "f32[N]", "--out-dir",
                           str(tmp_path)], cwd=root, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    data = (tmp_path / "wave.o").read_bytes()
    assert data[:4] == b"\x7fELF" and data[4] == 2 and int.from_bytes(data[18:20], "little") == 183
    assert "aarch64-linux-gnu = aarch64-unknown-linux-gnu" in (tmp_path / "wave.h").read_text()
    bad = subprocess.run([sys.executable, "-m", "tracejit.export", "tests.exportprograms:wave", "--target",
                          "sparc-sun", "--example", "f32[N]", "--example", "f32[N]", "--out-dir", str(tmp_path)],
                         cwd=root, capture_output=True, text=True, timeout=300)
    assert bad.returncode == 2 and "unknown target 'sparc-sun'" in bad.stderr


def test_dims_the_code_needs_fixed_are_named(tmp_path):
    with pytest.raises(tj.UnsupportedError, match="N = 1001 as for N = 1000: the code needs that dim fixed"):
        tj.export(P.gram, "f32[N,64]", out_dir=str(tmp_path))  # K = N: a GEMM's blocking follows it


@pytest.mark.skipif(shutil.which("nm") is None, reason="no nm (binutils) to list undefined symbols")
def test_objects_need_only_libc(tmp_path):
    for fun, examples in ((P.wave, ["f32[N]", "f32[N]"]), (P.row_norms, ["f64[N,300]"]),
                          (P.diffuse, ["f64[N]"]), (P.newton_sqrt, ["f64[300]"])):
        exported = tj.export(fun, *examples, out_dir=str(tmp_path / fun.__name__))
        extra = _undefined(exported.object) - LIBC
        assert not extra, (fun.__name__, extra)
    exported = tj.export(P.wave, "f32[N]", "f32[N]", out_dir=str(tmp_path / "threads"), threads=True)
    assert not _undefined(exported.library) - LIBC - {"wave_parallel_for"}


@needs_cc
def test_python_archive_links(tmp_path, monkeypatch):
    exported = tj.export(P.softmax, "f32[N,64]", out_dir=str(tmp_path))
    obj = open(exported.object, "rb").read()
    write_archive(exported.library, [("a_rather_long_member_name.o", obj, ["softmax", "softmax_shapes"])],
                  use_ar=False)
    exe = build_main(exported, str(tmp_path))
    x = np.random.default_rng(0).standard_normal((5, 64)).astype(np.float32)
    code, (got,), _ = run_main(exe, exported, [x])
    saved = config.num_threads
    config.num_threads = 1
    try:
        assert code == 0 and same_bits(got, tj.jit(P.softmax)(x))
    finally:
        config.num_threads = saved


@needs_cc
def test_threads(tmp_path):
    saved = config.num_threads
    try:
        exported = tj.export(P.wave, "f32[N]", "f32[N]", out_dir=str(tmp_path), threads=True, sizes={"N": 300_000})
        assert exported.runtime and os.path.exists(exported.runtime)
        header = open(exported.header).read()
        assert "Threads: parallel loops run on a pool of POSIX threads" in header
        assert "void wave_shutdown_threads(void);" in header
        assert any(exported.plan.grains.values())  # the map runs in parallel chunks
        exe = build_main(exported, str(tmp_path))
        rng = np.random.default_rng(6)
        config.num_threads = 1
        for n, threads in ((300_000, "3"), (1_000_003, "2"), (5, "4")):
            x, y = rng.standard_normal(n).astype(np.float32), rng.standard_normal(n).astype(np.float32)
            code, (got,), _ = run_main(exe, exported, [x, y], env={**os.environ, "WAVE_NUM_THREADS": threads})
            assert code == 0 and same_bits(got, tj.jit(P.wave)(x, y))
    finally:
        config.num_threads = saved


@needs_cc
def test_command_line(tmp_path):
    out = tmp_path / "cli"
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    done = subprocess.run([sys.executable, "-m", "tracejit.export", "tests.exportprograms:softmax", "--example",
                           "f32[B,64]", "--size", "B=500", "--out-dir", str(out), "--name", "smax"],
                          cwd=root, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    header = open(out / "smax.h").read()
    assert "int smax(const float *x, int64_t x_n0, int64_t x_n1, float *out0);" in header
    assert "out0: float[B, 64]" in header and "B = 500" in header
    assert (out / "libsmax.a").exists() and (out / "smax.o").exists()
    bad = subprocess.run([sys.executable, "-m", "tracejit.export", "tests.exportprograms:gram", "--example",
                          "f32[N,64]", "--out-dir", str(out)],
                         cwd=root, capture_output=True, text=True, timeout=300)
    assert bad.returncode == 2 and "needs that dim fixed" in bad.stderr


def test_quotient_fit_is_the_chunk_count():
    from fractions import Fraction

    from tracejit.export.poly import Poly, fit, fit_quotient, sample_points
    points, checks = sample_points((2000,))
    every = points + checks
    chunks = [300 * n // 65536 for (n,) in every]
    assert fit(points, chunks[:len(points)], list(zip(checks, chunks[len(points):]))) is None
    found = fit_quotient(every, [9 * c for c in chunks], [Poly((((1,), Fraction(300)),))])
    assert found is not None and found.aux[0][1] == 65536 and found.text(["N"]) == "9*floor((300*N) / 65536)"
