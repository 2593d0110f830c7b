"""``python -m benchmarks``: time tracejit against eager NumPy (and installed peers).

Prints one table: per workload the NumPy and tracejit medians, the speedup (NumPy time /
tracejit time, > 1 means tracejit is faster), the kernel count, the first-call compile
time, the result check, and the same for numexpr, numba and jax when they are installed.
"""
from __future__ import annotations

import argparse
import os
import sys

THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                    "NUMEXPR_NUM_THREADS")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    ap = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="small sizes and few reps (CI smoke run)")
    ap.add_argument("--only", metavar="NAME", help="run workloads whose name contains NAME")
    ap.add_argument("--reps", type=int, metavar="N", help="repetitions per system (default: adaptive)")
    ap.add_argument("--json", metavar="PATH", help="write the results as JSON")
    ap.add_argument("--plot", metavar="PATH", help="write a bar chart PNG (needs matplotlib)")
    ap.add_argument("--threads", type=int, default=1, metavar="N",
                    help="threads for BLAS, numexpr and XLA (default 1, like tracejit; "
                         "0 keeps the libraries' own defaults)")
    ap.add_argument("--no-peers", action="store_true", help="skip numexpr, numba and jax")
    ap.add_argument("--seed", type=int, default=0, help="random seed for the inputs")
    opts = ap.parse_args(argv)
    if opts.reps is not None and opts.reps < 1:
        ap.error("--reps must be at least 1")
    if opts.threads < 0:
        ap.error("--threads must be 0 or more")
    return opts


def limit_threads(threads: int) -> str:
    """Cap library thread pools through the environment; must run before NumPy is imported.
    Returns a description for the report header."""
    if threads == 0:
        return "library defaults"
    if "numpy" in sys.modules:
        print("warning: numpy already imported; BLAS thread count unchanged", file=sys.stderr)
    for name in THREAD_VARIABLES:
        os.environ[name] = str(threads)
    if threads == 1:
        flags = os.environ.get("XLA_FLAGS", "")
        os.environ["XLA_FLAGS"] = f"{flags} --xla_cpu_multi_thread_eigen=false".strip()
    return f"{threads} (BLAS, numexpr{', XLA' if threads == 1 else ''})"


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks; the exit status is 1 when a tracejit result is wrong or raised."""
    opts = parse_args(argv)
    threads = limit_threads(opts.threads)
    import numpy as np  # after limit_threads: BLAS reads its thread count on load

    from benchmarks import runner
    from benchmarks.peers import available_peers
    from benchmarks.workloads import select

    workloads = select(opts.only)
    if not workloads:
        print(f"no workload matches {opts.only!r}; see benchmarks/workloads.py", file=sys.stderr)
        return 2
    peers = [] if opts.no_peers else available_peers()
    info = runner.machine_info(peers, threads)
    rng = np.random.default_rng(opts.seed)
    rows = []
    for i, w in enumerate(workloads, 1):
        print(f"[{i}/{len(workloads)}] ", end="", file=sys.stderr)
        rows.append(runner.run_workload(w, peers, opts.quick, opts.reps, rng))

    versions = ", ".join(f"{k} {v}" for k, v in info["versions"].items())
    print(f"machine: {info['cpu']}, {info['cores']} cores, {info['system']}; threads: {threads}")
    print(f"versions: {versions}")
    print(f"{'quick' if opts.quick else 'full'} run; medians of interleaved repetitions; "
          f"speedup = numpy ms / system ms (> 1: faster than NumPy)\n")
    print(runner.format_table(rows, peers))
    notes = runner.format_notes(rows)
    if notes:
        print("\nproblems:\n" + notes)
    if opts.json:
        runner.write_json(rows, info, opts.quick, opts.json)
    if opts.plot:
        runner.write_plot(rows, peers, opts.plot)
    return 1 if any(r.systems[runner.JIT].status != "ok" for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
