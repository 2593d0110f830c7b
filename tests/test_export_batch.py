"""A run-time batch through matrix products (issue 19, "sizes at run time"): an MLP exported
for ``f32[N,64]`` takes any N -- 1, fewer rows than a register tile, N not a multiple of the
vector width, large N -- on the host, aarch64 and armv7 (qemu) and wasm32 (node), with one
library each; the products' row count is a size-table parameter (``export/gemmrows.py``).

Results are bit-identical to the host JIT's wherever the JIT runs the same kernels (the
GEMM: from 7 rows on here; fewer rows, the JIT's second product is a plain loop nest,
``schedule/matmul.py``'s ``MIN_FLOPS``) on targets with FMA; elsewhere (wasm32: no FMA)
within a few ulps of NumPy's. Wrong size relations are ``TJ_ERR_SIZE``."""
from __future__ import annotations

import numpy as np
import pytest

import tracejit as tj
from tests import crossharness
from tests import exportprograms as P
from tests.test_export_cross import ulps_of_largest
from tracejit.compiler.target import Target, host_target

SIZES = (1, 5, 7, 64, 1001, 3001)
GEMM_FROM = 7  # rows from which the host JIT runs both products as GEMMs (M * 10 * 128 >= 2**13)


def _check_sizes(exe, done, target, fun, weights, exact: bool, bound: float) -> None:
    rng = np.random.default_rng(3)
    for n in SIZES:
        x = rng.standard_normal((n, 64)).astype(np.float32)
        code, (got,), _ = crossharness.run(exe, done, target, [x, *weights], shift=n % 2)
        assert code == 0, f"{target}: N = {n}: code {code}"
        want = np.asarray(tj.jit(fun)(x, *weights))
        assert got.shape == (n, 10) and got.dtype == np.float32
        if exact and n >= GEMM_FROM:
            assert got.tobytes() == want.tobytes(), f"{target}, N = {n}: {ulps_of_largest(got, want)} ulps from the JIT"
        err = ulps_of_largest(got, fun(x, *weights))
        assert err <= bound, f"{target}, N = {n}: {err} ulps of the largest output from NumPy"
    x = np.ones((3, 64), np.float32)
    shapes = [w.shape for w in weights]
    assert crossharness.run(exe, done, target, [x, *weights], dims=[(3, 63), *shapes])[0] == 1  # x_n1 != 64
    assert crossharness.run(exe, done, target, [x, *weights], dims=[(0, 64), *shapes])[0] == 1  # N >= 1


@pytest.mark.parametrize("target", ["host", "aarch64-linux-gnu", "armv7-linux-gnueabihf", "wasm32-wasi"])
def test_mlp_any_batch_on_target(target, tmp_path, serial):
    crossharness.toolchain(target)
    done = tj.export(P.mlp, "f32[N,64]", target=target, out_dir=str(tmp_path))
    assert len(done.plan.gemm_rows) == 2  # both products take N rows
    exe = crossharness.build(done, str(tmp_path), target)
    _check_sizes(exe, done, target, P.mlp, [], Target.named(target).fma == host_target().fma, 8)


def test_mlp_weights_as_arguments(tmp_path, serial):
    """Weights passed at run time, the first large enough to be packed per task (240 KB)."""
    crossharness.toolchain("host")
    rng = np.random.default_rng(4)
    w1, b1 = (rng.standard_normal((64, 960)) / 8).astype(np.float32), rng.standard_normal(960).astype(np.float32)
    w2, b2 = (rng.standard_normal((960, 10)) / 30).astype(np.float32), rng.standard_normal(10).astype(np.float32)
    done = tj.export(P.mlp_args, "f32[N,64]", w1, b1, w2, b2, out_dir=str(tmp_path))
    exe = crossharness.build(done, str(tmp_path), "host")
    # (960-term dot products: NumPy's blocked sums are another order, 16 ulps of the largest apart)
    _check_sizes(exe, done, "host", P.mlp_args, [w1, b1, w2, b2], True, 64)


POOL_MAIN = r"""#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
#include "mlp.h"

static float *x;
static int64_t n;
struct caller { float *out; int rc; };

static void *calls(void *p) {  /* the same call, five times */
    struct caller *c = (struct caller *)p;
    for (int r = 0; r < 5; r++) c->rc |= mlp(x, n, 64, c->out);
    return NULL;
}

int main(int argc, char **argv) {
    FILE *in = fopen(argv[1], "rb"), *out = fopen(argv[2], "wb");
    if (!in || !out || fread(&n, 8, 1, in) != 1) return 4;
    x = malloc(n * 64 * 4);
    if (fread(x, 4, n * 64, in) != (size_t)(n * 64)) return 5;
    struct caller c[3];
    for (int i = 0; i < 3; i++) { c[i].out = calloc(n * 10, 4); c[i].rc = 0; }
    calls(&c[0]);              /* the pool, started by the first loop, reused */
    mlp_shutdown_threads();    /* joined; the next loop starts it again */
    pthread_t other;
    if (pthread_create(&other, NULL, calls, &c[1])) return 6;
    calls(&c[2]);              /* two callers at once: one on the pool, the other on its own thread */
    pthread_join(other, NULL);
    pid_t child = argc > 3 ? 0 : fork();  /* the child has no pool threads: it starts its own */
    if (argc > 3) {
        /* (no fork: qemu-user aborts forking a process that has threads) */
    } else if (child == 0) {
        alarm(60);             /* (a child waiting on threads it does not have dies, not hangs) */
        calls(&c[0]);
        _exit(c[0].rc ? 1 : 0);
    }
    int status = 0;
    if (argc <= 3 && (child < 0 || waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status)))
        return 7;
    mlp_shutdown_threads();
    mlp_shutdown_threads();    /* (twice: nothing to join) */
    for (int i = 0; i < 3; i++) { fwrite(&c[i].rc, 4, 1, out); fwrite(c[i].out, 4, n * 10, out); }
    fclose(out);
    return 0;
}
"""


@pytest.mark.parametrize("target", ["host", "aarch64-linux-gnu"])
def test_thread_pool(target, tmp_path, serial):
    """threads=True: the GEMMs' tasks on the runtime's persistent pool (started lazily, joined by
    mlp_shutdown_threads, restarted, a pool of its own in a forked child), repeated and concurrent
    calls: the single-threaded results."""
    import os
    import subprocess
    crossharness.toolchain(target)
    done = tj.export(P.mlp, "f32[N,64]", target=target, out_dir=str(tmp_path), threads=True, sizes={"N": 20000})
    assert done.runtime and "mlp_shutdown_threads" in done.symbols
    source = tmp_path / "pool_main.c"
    source.write_text(POOL_MAIN)
    exe = crossharness.build(done, str(tmp_path), target, source=str(source))
    rng = np.random.default_rng(8)
    for n, threads in ((1001, "3"), (7, "2")):
        x = rng.standard_normal((n, 64)).astype(np.float32)
        (tmp_path / "in.bin").write_bytes(np.int64(n).tobytes() + x.tobytes())
        nofork = [] if target == "host" else ["nofork"]
        cmd = crossharness.command(exe, target, [str(tmp_path / "in.bin"), str(tmp_path / "out.bin"), *nofork])
        ran = subprocess.run(cmd, env={**os.environ, "MLP_NUM_THREADS": threads}, capture_output=True, timeout=300)
        assert ran.returncode == 0, ran.stderr[-2000:]
        data = np.frombuffer((tmp_path / "out.bin").read_bytes(), np.uint8)
        want = np.asarray(tj.jit(P.mlp)(x)).tobytes()
        size = 4 + len(want)
        for i in range(3):
            part = data[i * size:(i + 1) * size].tobytes()
            assert part[:4] == b"\0\0\0\0" and part[4:] == want, f"{target}, N = {n}: caller {i} differs"
