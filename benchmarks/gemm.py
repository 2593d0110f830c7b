"""``python -m benchmarks.gemm``: matrix products against NumPy's BLAS, with the machine's peak.

Rows: square and skinny products (1024^3, 4096x512x512, 256x1024x1024, 64x784x512, the
matrix-vector 1x1024x1024; M x K x N) in float32 and float64, and the small MLP
784-512-256-10 float32 (batch 1, 16, 64, weights as arguments). Each thread count runs in
its own process (tracejit and OpenBLAS read their counts on load), NumPy and tracejit
interleaved in blocks; medians. The peak is measured once per process: a tight loop of
independent fused multiply-adds on the target's widest vectors (``peak_gflops``), on
every thread asked for; each row states the GFLOP/s reached and its fraction of the peak.

``--isa avx2`` measures an AVX2 machine on an AVX-512 one: tracejit schedules and compiles
for the host with its AVX-512 features off (``tj.config.isa = "avx2"``, as ``TRACEJIT_ISA=avx2``:
256-bit vectors, 16 registers, the code an AVX2 machine runs), NumPy's OpenBLAS runs its
Haswell kernels (``OPENBLAS_CORETYPE``), and the peak is measured on 256-bit vectors.
``--clock cpu`` reports minima: on one thread of single calls alternating between NumPy and
tracejit, by the calling thread's CPU time (other processes' preemption is not counted);
with more threads of wall times in interleaved blocks (a pool spinning after its call
would take the other system's core).
``--linger 0,300`` runs each thread count once per linger setting of tracejit's idle workers
(``TRACEJIT_LINGER_US``: how long they poll after a call before sleeping; docs/design.md).
"""
from __future__ import annotations

import argparse
import ctypes
import json
import os
import subprocess
import sys
import threading
import time

SHAPES = [(1024, 1024, 1024), (4096, 512, 512), (256, 1024, 1024), (64, 784, 512), (1, 1024, 1024)]
MLP_BATCHES = (1, 16, 64)
MLP_LAYERS = (784, 512, 256, 10)
PEAK_ACCUMULATORS = 16  # independent FMA chains: more than FMA ports x latency on any x86 core
# (12 on 16 registers: 16 chains and the loop's constant spilled, and AVX2's measured peak was 80%)
PEAK_ITERS = 1 << 18  # about 2 ms a run: short runs, many of them, the best kept (shared cores)
PEAK_RUNS = 40


def blas_core() -> str | None:
    """The core type NumPy's OpenBLAS picked (its kernels: ``Haswell``, ``SkylakeX``...), or None."""
    from benchmarks.threads import openblas_call

    name = openblas_call(("scipy_openblas_get_corename64_", "scipy_openblas_get_corename",
                          "openblas_get_corename64_", "openblas_get_corename"), ctypes.c_char_p)
    return None if name is None else name.decode()


def mlp(x, w1, b1, w2, b2, w3, b3):
    """MLP inference 784-512-256-10: two ReLU layers and a linear one."""
    import numpy as np
    h = np.maximum(x @ w1 + b1, 0)
    h = np.maximum(h @ w2 + b2, 0)
    return h @ w3 + b3


def matmul(a, b):
    """A plain matrix product."""
    return a @ b


def _fma_loop(lanes: int, dtype: str):
    """A native ``loop(iters)`` running ``PEAK_ACCUMULATORS`` chains of ``lanes``-wide FMAs."""
    from llvmlite import ir

    from tracejit.compiler.target import binding, host_target

    llvm = binding()
    t = ir.FloatType() if dtype == "f32" else ir.DoubleType()
    vt = ir.VectorType(t, lanes)
    i64 = ir.IntType(64)
    chains = min(PEAK_ACCUMULATORS, host_target().vector_registers - 4)
    mod = ir.Module("peak")
    fma = ir.Function(mod, ir.FunctionType(vt, [vt, vt, vt]), f"llvm.fma.v{lanes}{'f32' if dtype == 'f32' else 'f64'}")
    fn = ir.Function(mod, ir.FunctionType(t, [i64]), "loop")
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    entry = b.block
    head = fn.append_basic_block("head")
    done = fn.append_basic_block("done")
    b.branch(head)
    b.position_at_end(head)
    i = b.phi(i64)
    i.add_incoming(ir.Constant(i64, 0), entry)
    accs = []
    for c in range(chains):
        phi = b.phi(vt)
        phi.add_incoming(ir.Constant(vt, [ir.Constant(t, float(c))] * lanes), entry)
        accs.append(phi)
    x = ir.Constant(vt, [ir.Constant(t, 0.999999)] * lanes)
    y = ir.Constant(vt, [ir.Constant(t, 1e-7)] * lanes)
    new = [b.call(fma, [acc, x, y]) for acc in accs]
    for phi, v in zip(accs, new):
        phi.add_incoming(v, head)
    nxt = b.add(i, ir.Constant(i64, 1))
    i.add_incoming(nxt, head)
    b.cbranch(b.icmp_signed("<", nxt, fn.args[0]), head, done)
    b.position_at_end(done)
    total = new[0]
    for v in new[1:]:
        total = b.fadd(total, v)
    b.ret(b.extract_element(total, ir.Constant(ir.IntType(32), 0)))
    target = host_target()
    tm = llvm.Target.from_triple(target.triple).create_target_machine(
        cpu=target.cpu, features=target.features, opt=3, codemodel="jitdefault", jit=True)
    parsed = llvm.parse_assembly(str(mod))
    parsed.triple, parsed.data_layout = target.triple, target.data_layout
    engine = llvm.create_mcjit_compiler(parsed, tm)
    engine.finalize_object()
    proto = ctypes.CFUNCTYPE(ctypes.c_float if dtype == "f32" else ctypes.c_double, ctypes.c_int64)
    return proto(engine.get_function_address("loop")), engine, chains


def peak_gflops(threads: int, dtype: str = "f32") -> float:
    """Peak multiply-add GFLOP/s of ``threads`` cores, measured: a loop of independent FMAs
    on the target's widest vectors, the best of a few runs, on every thread at once."""
    from tracejit.compiler.target import host_target

    lanes = host_target().vector_bytes // (4 if dtype == "f32" else 8)
    loop, engine, chains = _fma_loop(lanes, dtype)
    flops = 2.0 * lanes * chains * PEAK_ITERS
    best = 0.0
    for _ in range(PEAK_RUNS):
        times: list[float] = []

        def work():
            start = time.perf_counter()
            loop(PEAK_ITERS)
            times.append(time.perf_counter() - start)
        workers = [threading.Thread(target=work) for _ in range(threads)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        best = max(best, threads * flops / max(times) / 1e9)
    del engine
    return best


def describe_peak(peaks: dict[str, float], threads: int, vector_bits: int | None = None) -> str:
    """One line: the measured peak per dtype, and what it means per core and cycle
    (``vector_bits``: the width it was measured on, default the host's)."""
    from tracejit.compiler.target import host_target

    vector_bytes = host_target().vector_bytes if vector_bits is None else vector_bits // 8
    lanes = vector_bytes // 4
    per_core = peaks["f32"] / threads / (2 * lanes)  # G vector FMAs per second
    mhz = _cpuinfo_mhz()
    clock = f", {1e3 * per_core / mhz:.1f} per cycle at the {mhz:.0f} MHz /proc/cpuinfo states" if mhz else ""
    return (f"peak: {peaks['f32']:.0f} GFLOP/s float32, {peaks['f64']:.0f} float64 on {threads} thread(s), "
            f"measured (independent {vector_bytes * 8}-bit FMAs of {lanes} float32 lanes: "
            f"{per_core:.1f} G per second per core{clock}); GFLOP/s rows give their % of it")


def _cpuinfo_mhz() -> float | None:
    """The clock /proc/cpuinfo states (nominal on most VMs: turbo runs faster), or None."""
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("cpu MHz"):
                    return float(line.split(":")[1])
    except (OSError, ValueError):
        pass
    return None


def _rows(quick: bool):
    """(name, function, arguments, flops) of every row."""
    import numpy as np
    rng = np.random.default_rng(0)
    rows = []
    for dtype, label in ((np.float32, "f32"), (np.float64, "f64")):
        for m, k, n in SHAPES:
            if quick:
                m, k, n = max(1, m // 4), max(1, k // 4), max(1, n // 4)
            a = rng.standard_normal((m, k)).astype(dtype)
            b = (rng.standard_normal((k, n)) / np.sqrt(k)).astype(dtype)
            rows.append((f"matmul {m}x{k}x{n} {label}", matmul, (a, b), 2.0 * m * n * k, label))
    for batch in MLP_BATCHES:
        dims = MLP_LAYERS
        args = [rng.standard_normal((batch, dims[0])).astype(np.float32)]
        flops = 0.0
        for fan_in, fan_out in zip(dims, dims[1:]):
            args += [(rng.standard_normal((fan_in, fan_out)) / np.sqrt(fan_in)).astype(np.float32),
                     (0.1 * rng.standard_normal(fan_out)).astype(np.float32)]
            flops += 2.0 * batch * fan_in * fan_out
        rows.append((f"mlp 784-512-256-10 batch {batch} f32", mlp, tuple(args), flops, "f32"))
    return rows


def alternating(thunks: dict, reps: int, cpu: bool) -> dict[str, list[float]]:
    """Seconds of ``reps`` calls of each thunk, one call of each in turn (after a warm-up
    round), timed by the calling thread's CPU time (``cpu``) or by wall time."""
    import gc

    clock = time.thread_time if cpu else time.perf_counter
    samples: dict[str, list[float]] = {name: [] for name in thunks}
    for fn in thunks.values():
        fn()
    gc.disable()
    try:
        for _ in range(reps):
            for name, fn in thunks.items():
                start = clock()
                fn()
                samples[name].append(clock() - start)
    finally:
        gc.enable()
    return samples


def measure(quick: bool, budget: float, clock: str = "wall") -> dict:
    """This process's rows: NumPy and tracejit times (ms; medians, and minima with
    ``clock``="cpu"), GFLOP/s, fraction of peak."""
    import numpy as np

    import tracejit as tj
    from benchmarks.threads import blas_threads
    from benchmarks.timing import interleaved, time_once

    threads = tj.config.num_threads
    peaks = {d: peak_gflops(threads, d) for d in ("f32", "f64")}
    out = {"threads": threads, "blas_threads": blas_threads(), "blas_core": blas_core(), "peak": peaks,
           "vector_bits": _vector_bits(), "load": os.getloadavg()[0], "clock": clock, "rows": [],
           "linger_us": _linger_us() if threads > 1 else None}
    for name, fn, args, flops, dtype in _rows(quick):
        jf = tj.jit(fn)
        got, want = jf(*args), fn(*args)
        tol = 2e-4 if dtype == "f32" else 1e-10
        ok = bool(np.allclose(got, want, rtol=tol, atol=tol * max(1.0, float(np.abs(want).max()))))
        once = time_once(lambda: fn(*args))[0]
        reps = max(6, min(200, int(budget / max(once, 1e-6) / 2)))
        thunks = {"numpy": lambda: fn(*args), "tracejit": lambda: jf(*args)}
        if clock == "wall" or threads > 1:  # blocks: a spinning pool would take the other's core
            samples = interleaved(thunks, reps, passes=3 if clock == "wall" else 6, settle=0.3)
        else:  # thread CPU time, one call of each in turn
            samples = alternating(thunks, reps, cpu=True)
        med = {s: sorted(v)[len(v) // 2] for s, v in samples.items()}
        low = {s: min(v) for s, v in samples.items()}
        out["rows"].append({"name": name, "numpy_ms": med["numpy"] * 1e3, "tracejit_ms": med["tracejit"] * 1e3,
                            "numpy_min_ms": low["numpy"] * 1e3, "tracejit_min_ms": low["tracejit"] * 1e3,
                            "flops": flops, "dtype": dtype, "ok": ok})
    out["load_after"] = os.getloadavg()[0]
    return out


def _linger_us() -> float:
    from tracejit.runtime import threads

    return threads.pool().linger_us


def _vector_bits() -> int:
    from tracejit.compiler.target import host_target

    return host_target().vector_bytes * 8


def format_table(results: list[dict]) -> str:
    """The rows of every thread count: ms, GFLOP/s, fraction of peak, ratio to NumPy
    (of medians; of minima too when timed by ``--clock cpu``)."""
    lines = []
    for res in results:
        p = res["peak"]
        cpu = res.get("clock") == "cpu"
        linger = f" (workers linger {res['linger_us']:g} us)" if res.get("linger_us") is not None else ""
        lines.append(f"threads: tracejit {res['threads']}{linger}, NumPy BLAS {res['blas_threads']} "
                     f"(OpenBLAS core {res.get('blas_core')}); tracejit {res.get('vector_bits')}-bit vectors; "
                     f"load average {res.get('load', 0):.2f} -> {res.get('load_after', 0):.2f}")
        lines.append(describe_peak(p, res["threads"], res.get("vector_bits")))
        what = ("thread CPU time" if res["threads"] == 1 else "wall time") + ", minima" if cpu else "wall medians"
        lines.append(f"{'row (' + what + ')':<36} {'numpy ms':>9} {'tracejit ms':>11} {'numpy GF/s':>10} "
                     f"{'tj GF/s':>8} {'tj %peak':>8} {'vs numpy':>8} {'medians':>8} check")
        for r in res["rows"]:
            peak = p[r["dtype"]]
            tn, tt = (r["numpy_min_ms"], r["tracejit_min_ms"]) if cpu else (r["numpy_ms"], r["tracejit_ms"])
            gn, gt = r["flops"] / tn / 1e6, r["flops"] / tt / 1e6
            lines.append(f"{r['name']:<36} {tn:>9.3f} {tt:>11.3f} {gn:>10.1f} {gt:>8.1f} "
                         f"{100 * gt / peak:>7.0f}% {tn / tt:>7.2f}x {r['numpy_ms'] / r['tracejit_ms']:>7.2f}x "
                         f"{'ok' if r['ok'] else 'WRONG'}")
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """Run every thread count in its own process and print the table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", default=f"1,{os.cpu_count()}", help="thread counts, e.g. 1,2")
    ap.add_argument("--quick", action="store_true", help="small sizes (a smoke run)")
    ap.add_argument("--budget", type=float, default=0.4, help="seconds of timing per row and system")
    ap.add_argument("--only", default=None, help="rows whose name contains this")
    ap.add_argument("--isa", choices=("native", "avx2"), default="native",
                    help="avx2: tracejit and OpenBLAS limited to AVX2 (on an AVX-512 host)")
    ap.add_argument("--clock", choices=("wall", "cpu"), default="wall",
                    help="cpu: minima; 1 thread: alternating calls, thread CPU time")
    ap.add_argument("--linger", default=None,
                    help="tracejit's worker linger settings in us, e.g. 0,300 (default: the pool's own)")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    opts = ap.parse_args(argv)
    if opts.child:
        global _rows
        from tracejit.config import config
        config.isa = opts.isa  # (TRACEJIT_ISA: the host target's features up to that level)
        if opts.only:
            every = _rows
            _rows = lambda quick: [r for r in every(quick) if opts.only in r[0]]  # noqa: E731
        print(json.dumps(measure(opts.quick, opts.budget, opts.clock)))
        return
    results = []
    lingers = [None] if opts.linger is None else [float(v) for v in opts.linger.split(",")]
    counts = dict.fromkeys(int(t) for t in opts.threads.split(","))
    # (one thread has no workers: its row once, whatever the linger)
    for count, linger in ((c, v) for c in counts for v in (lingers if c > 1 else lingers[:1])):
        env = dict(os.environ)
        if linger is not None:
            env["TRACEJIT_LINGER_US"] = str(linger)
        for var in ("TRACEJIT_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
            env[var] = str(count)
        if opts.isa == "avx2":  # OpenBLAS's AVX2 kernels (read when it loads)
            env["OPENBLAS_CORETYPE"] = "Haswell"
        cmd = [sys.executable, "-m", "benchmarks.gemm", "--child", "--budget", str(opts.budget),
               "--isa", opts.isa, "--clock", opts.clock]
        cmd += ["--quick"] if opts.quick else []
        cmd += ["--only", opts.only] if opts.only else []
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
        results.append(json.loads(done.stdout.strip().splitlines()[-1]))
        print(format_table(results[-1:]), flush=True)


if __name__ == "__main__":
    main()
