"""``python -m benchmarks``: time tracejit against eager NumPy (and installed peers).

Measures the machine's memory bandwidth with a STREAM triad, then prints one table: per
workload the NumPy and tracejit medians, the speedup (NumPy time / tracejit time, > 1
means tracejit is faster), the kernel count, the first-call compile time, the result
check, the same for numexpr, numba, jax and torch when they are installed, and
tracejit's throughput; then every system's throughput, the judgement of the issues'
criteria, and (unless ``--only``) the cost of one call (``benchmarks/dispatch.py``),
compilations over 100 vector lengths (``benchmarks/shapes.py``) and
first calls in a fresh process with and without the persistent cache
(``benchmarks/coldstart.py``), the corpus of real NumPy programs
(``benchmarks/corpus.py``), compile time against trace size (``benchmarks/tracesize.py``) and
a training step, gradient and Adam, against jax and torch (``benchmarks/training.py``).
"""
from __future__ import annotations

import argparse
import os
import sys

from benchmarks.threads import limit_threads


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    ap = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="small sizes and few reps (CI smoke run)")
    ap.add_argument("--only", metavar="NAME", help="run workloads whose name contains NAME")
    ap.add_argument("--reps", type=int, metavar="N", help="repetitions per system (default: adaptive)")
    ap.add_argument("--json", metavar="PATH", help="write the results as JSON")
    ap.add_argument("--plot", metavar="PATH", help="write a bar chart PNG (needs matplotlib)")
    ap.add_argument("--threads", type=int, metavar="N",
                    help="threads for every system: tracejit (TRACEJIT_NUM_THREADS), BLAS, numexpr, "
                         "numba, XLA (1 only) and torch (default: no limit, all cores)")
    ap.add_argument("--no-peers", action="store_true", help="skip numexpr, numba, jax and torch")
    ap.add_argument("--seed", type=int, default=0, help="random seed for the inputs")
    opts = ap.parse_args(argv)
    if opts.reps is not None and opts.reps < 1:
        ap.error("--reps must be at least 1")
    if opts.threads is not None and opts.threads < 1:
        ap.error("--threads must be at least 1")
    return opts


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks; the exit status is 1 when a tracejit result is wrong or raised."""
    opts = parse_args(argv)
    limit_threads(opts.threads)
    import numpy as np  # after limit_threads: BLAS, tracejit and peers read it on import

    from benchmarks import judgement, report, runner, stream, threads
    from benchmarks.peers import available_peers
    from benchmarks.progress import Progress
    from benchmarks.workloads import select

    workloads = select(opts.only)
    if not workloads:
        print(f"no workload matches {opts.only!r}; see benchmarks/workloads.py", file=sys.stderr)
        return 2
    peers = [] if opts.no_peers else available_peers()
    peer_names = [p.name for p in peers]
    thread_text = threads.describe(opts.threads)
    info = runner.machine_info(peers, thread_text)
    rng = np.random.default_rng(opts.seed)
    progress = Progress(len(workloads) + 2)
    triad_reps = 4 if opts.quick else 8

    def measure_triad(phase: str, into: stream.Triad | None) -> stream.Triad:
        progress.begin(f"STREAM triad ({phase})")
        result = stream.measure(phase, opts.quick, triad_reps, rng, into)
        progress.end(result.describe_phase(phase))
        return result

    load_start = os.getloadavg()[0]
    triad = measure_triad("start", None)
    rows = [runner.run_workload(w, peers, opts.quick, opts.reps, rng, progress) for w in workloads]
    triad = measure_triad("end", triad)
    ref = triad.reference
    verdicts = judgement.judge_all(rows, peer_names, ref)

    versions = ", ".join(f"{k} {v}" for k, v in info["versions"].items())
    print(f"machine: {info['cpu']}, {info['cores']} cores, {info['system']}; load average "
          f"{load_start:.2f} at the start, {os.getloadavg()[0]:.2f} at the end (this run adds up to "
          f"about 1-2: more means other processes shared the CPUs)")
    print(f"threads: {thread_text}")
    print(f"versions: {versions}")
    print(f"memory: {triad.describe()}")
    print(f"{'quick' if opts.quick else 'full'} run; medians of repetitions in interleaved blocks, each "
          f"block after untimed warm-up calls; speedup = numpy ms / system ms (> 1: faster than NumPy)")
    print("rate: GFLOP/s = 2*M*N*K per matrix product; GB/s = input + output bytes, with % of the "
          "triad reference\n  (writes count once, as in STREAM, so a kernel with more reads per "
          "write than the triad can pass 100%)\n")
    peaks = None
    if any(row.rate == "GFLOP/s" for row in rows):  # issue 21: the machine's peak, and the fraction reached
        from benchmarks.gemm import describe_peak, peak_gflops
        from tracejit import config
        peaks = {d: peak_gflops(config.num_threads, d) for d in ("f32", "f64")}
        print(describe_peak(peaks, config.num_threads) + "\n")
    print(report.format_table(rows, peer_names, ref, peaks))
    rates = report.format_rates(rows, ref, peaks)
    if rates:
        print("\nthroughput of every system:\n" + rates)
    notes = report.format_notes(rows)
    if notes:
        print("\nproblems:\n" + notes)
    print("\n" + judgement.format_verdicts(verdicts, opts.quick))
    if not opts.only:  # issue 5: the cost of a call, and first calls across processes
        from benchmarks import coldstart, dispatch, shapes
        print("\n" + dispatch.format_table(dispatch.measure(opts.quick), opts.quick))
        from benchmarks import treecalls  # calls with dicts of arrays (a model's parameters) in and out
        print("\n" + treecalls.format_table(treecalls.measure(opts.quick)))
        print("\n" + shapes.format_table(shapes.measure(), opts.quick))
        print("\n" + coldstart.format_table(coldstart.measure(), opts.quick))
        from benchmarks import control, corpus, tracesize  # issue 6: real NumPy programs, loops, large traces
        print("\n" + corpus.format_table(corpus.measure("test" if opts.quick else "bench"), opts.quick))
        print("\n" + control.format_table(control.measure(opts.quick), opts.quick))
        lengths = (100, 200, 400) if opts.quick else tracesize.LENGTHS
        print("\n" + tracesize.format_table(tracesize.measure(lengths), opts.quick))
        from benchmarks import training  # issue 18: a training step (gradient and Adam) against jax and torch
        print("\n" + training.format_table(training.measure(opts.quick, peers=not opts.no_peers), opts.quick))
    if opts.json:
        report.write_json(opts.json, machine=info, quick=opts.quick, triad=triad, triad_gbps=ref, rows=rows,
                          verdicts=verdicts)
    if opts.plot:
        title = f"{info['cpu']}, {info['cores']} cores; threads: {thread_text}"
        report.write_plot(rows, [runner.JIT, *peer_names], opts.plot, title)
    return 1 if any(r.systems[runner.JIT].status != "ok" for r in rows) or triad.problems else 0


if __name__ == "__main__":
    sys.exit(main())
