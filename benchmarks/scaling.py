"""``python -m benchmarks.scaling``: thread scaling of tracejit, 1 thread to all cores.

Thread counts are read when tracejit (and NumPy's BLAS) load, so each count runs in its
own process: ``python -m benchmarks --no-peers --threads N --json F``. The table gives,
per workload, tracejit's median at each count and the speedup over one thread, then
NumPy's (its BLAS threads too, so the matmul rows compare like with like) and the
STREAM-triad bandwidth each count reached.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile


def default_counts(cores: int) -> list[int]:
    """1, 2, 4, ... up to ``cores``, always ending with ``cores`` itself."""
    counts, n = [], 1
    while n < cores:
        counts.append(n)
        n *= 2
    return counts + [cores]


def parse_counts(text: str) -> list[int]:
    """``"1,2,8"`` -> [1, 2, 8]; every count must be at least 1."""
    counts = [int(t) for t in text.split(",") if t.strip()]
    if not counts or min(counts) < 1:
        raise argparse.ArgumentTypeError("thread counts must be positive integers, e.g. 1,2,4")
    return counts


def run_count(threads: int, passthrough: list[str]) -> dict:
    """One benchmark process at ``threads`` threads; its JSON report."""
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "run.json")
        cmd = [sys.executable, "-m", "benchmarks", "--no-peers", "--threads", str(threads),
               "--json", path, *passthrough]
        print(f"threads {threads}: {' '.join(cmd[1:])}", file=sys.stderr, flush=True)
        done = subprocess.run(cmd, stdout=subprocess.DEVNULL)
        if not os.path.exists(path):
            raise SystemExit(f"the run at {threads} threads wrote no report (exit {done.returncode})")
        with open(path) as f:
            return json.load(f)


def _median(row: dict, system: str) -> float | None:
    result = row["systems"].get(system) or {}
    return result.get("median_ms") if result.get("status") == "ok" else None


def format_scaling(reports: dict[int, dict], system: str) -> str:
    """One line per workload: ms at each thread count, then speedup of the last over 1."""
    counts = sorted(reports)
    first, last = counts[0], counts[-1]
    header = ["workload", *(f"{n} thr ms" for n in counts), f"{last}/{first} speedup"]
    lines = []
    for i, row in enumerate(reports[first]["rows"]):
        times = [_median(reports[n]["rows"][i], system) for n in counts]
        cells = [f"{row['name']} {row['size']}"] + ["-" if t is None else f"{t:.3f}" for t in times]
        cells.append(f"{times[0] / times[-1]:.2f}x" if times[0] and times[-1] else "-")
        lines.append(cells)
    widths = [max(len(r[c]) for r in [header, *lines]) for c in range(len(header))]
    return "\n".join("  ".join(cell.ljust(w) if c == 0 else cell.rjust(w) for c, (cell, w)
                               in enumerate(zip(r, widths))) for r in [header, *lines])


def main(argv: list[str] | None = None) -> int:
    """Run the workloads at each thread count and print the scaling tables."""
    ap = argparse.ArgumentParser(prog="python -m benchmarks.scaling", description=__doc__.split("\n\n")[0])
    ap.add_argument("--threads", type=parse_counts, metavar="N,N,...",
                    help="thread counts (default: 1, 2, 4, ... up to every core)")
    ap.add_argument("--only", metavar="NAME", help="run workloads whose name contains NAME")
    ap.add_argument("--quick", action="store_true", help="small sizes and few reps")
    ap.add_argument("--json", metavar="PATH", help="write every run's report, keyed by thread count")
    ap.add_argument("--load", metavar="PATH", nargs="+",
                    help="run nothing: print the tables from files that --json wrote (merged)")
    opts = ap.parse_args(argv)
    if opts.load:
        reports = {}
        for path in opts.load:
            with open(path) as f:
                reports.update({int(n): r for n, r in json.load(f).items()})
    else:
        counts = opts.threads or default_counts(os.cpu_count() or 1)
        passthrough = (["--sections", "workloads", "--no-plots"] + (["--only", opts.only] if opts.only else [])
                       + (["--quick"] if opts.quick else []))
        reports = {n: run_count(n, passthrough) for n in counts}
    counts = sorted(reports)
    machine = reports[counts[0]]["machine"]
    print(f"machine: {machine['cpu']}, {machine['cores']} cores")
    print(f"\ntracejit (TRACEJIT_NUM_THREADS = N):\n{format_scaling(reports, 'tracejit')}")
    print(f"\nNumPy (BLAS threads = N; elementwise NumPy is serial):\n{format_scaling(reports, 'numpy')}")
    triads = "  ".join(f"{n} thr {reports[n]['triad_gbps']:.1f}" for n in counts if reports[n].get("triad_gbps"))
    print(f"\nSTREAM triad GB/s: {triads}")
    if opts.json:
        with open(opts.json, "w") as f:
            json.dump({str(n): r for n, r in reports.items()}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
