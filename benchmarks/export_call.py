"""An exported library called from C against the JIT called from Python, on the same
inputs: ``wave(x, y) = sin(x) * y + exp(-x * x)`` on float32 vectors of a run-time length,
one library for every length (the call overhead shows at 8 elements), and the export's
own time. ``python -m benchmarks.export_call`` (needs a C compiler)."""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
import timeit

import numpy as np

MAIN = r"""#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "wave.h"
int main(int argc, char **argv) {
    long n = atol(argv[1]), reps = atol(argv[2]);
    float *x = malloc(n * 4), *y = malloc(n * 4), *o = malloc(n * 4);
    for (long i = 0; i < n; i++) { x[i] = (float)(i % 17) / 7.0f - 1.0f; y[i] = (float)(i % 5); }
    double best = 1e30;
    for (int round = 0; round < 7; round++) {
        struct timespec a, b;
        clock_gettime(CLOCK_MONOTONIC, &a);
        for (long r = 0; r < reps; r++) if (wave(x, n, y, n, o)) return 1;
        clock_gettime(CLOCK_MONOTONIC, &b);
        double ns = ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / reps;
        if (ns < best) best = ns;
    }
    printf("%.1f\n", best);
    return 0;
}
"""


def wave(x, y):
    return np.sin(x) * y + np.exp(-x * x)


def main() -> None:
    """Print export time and per-call times (best of 7 rounds, C and Python)."""
    import tracejit as tj
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        print("no C compiler: nothing to measure")
        return
    folder = tempfile.mkdtemp(prefix="tj_export_bench_")
    t0 = time.perf_counter()
    tj.export(wave, "f32[N]", "f32[N]", out_dir=folder)
    print(f"export time (trace + optimize at 8 sample sizes, LLVM O3, archive): {time.perf_counter() - t0:.2f} s")
    with open(os.path.join(folder, "main.c"), "w") as fh:
        fh.write(MAIN)
    exe = os.path.join(folder, "bench")
    subprocess.run([cc, "-O2", "-I", folder, os.path.join(folder, "main.c"), os.path.join(folder, "libwave.a"),
                    "-o", exe], check=True)
    jitted = tj.jit(wave)
    print(f"{'n':>8} {'C call (us)':>12} {'JIT from Python (us)':>21}")
    for n in (8, 1000, 100_000):
        reps = max(10, 2_000_000 // (n + 100))
        c_ns = float(subprocess.run([exe, str(n), str(reps)], capture_output=True, text=True, check=True).stdout)
        i = np.arange(n)
        x, y = ((i % 17) / 7.0 - 1.0).astype(np.float32), (i % 5).astype(np.float32)
        jitted(x, y)
        py = min(timeit.repeat(lambda: jitted(x, y), number=reps, repeat=7)) / reps
        print(f"{n:>8} {c_ns / 1e3:>12.3f} {py * 1e6:>21.3f}")
    shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
