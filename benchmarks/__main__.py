"""``python -m benchmarks``: time tracejit against eager NumPy (and installed peers).

Runs its sections in order, each reporting its progress on stderr (``[bar] i/n section:
task ...``, ``benchmarks/progress.py``): ``workloads`` (the machine's memory bandwidth by a
STREAM triad, then per workload NumPy's and tracejit's medians, tracejit's speedup over NumPy
and over the fastest of numexpr, numba, jax and torch when installed, and the issues'
targets), ``dispatch`` (the cost of one call), ``treecalls`` (calls with dicts of arrays),
``shapes`` (compilations over 100 vector lengths), ``coldstart`` (first calls in a fresh
process), ``corpus`` (real NumPy programs), ``control`` (data-dependent loops),
``tracesize`` (compile time against trace size), ``training`` (a training step against jax
and torch), ``neighbours`` (NumPy's small matmul right after tracejit calls), ``import``
(``import tracejit`` in fresh processes) and, when asked for,
``scaling`` (the workloads at 1, 2, 4 ... threads, each count in its own process). Then the
first call of every workload and corpus program stage by stage (``benchmarks/firstcall.py``),
PNG charts (``benchmarks/plots.py``, with matplotlib) and a summary in plain sentences.
"""
from __future__ import annotations

import argparse
import os
import sys

from benchmarks.threads import limit_threads

SECTIONS = ("workloads", "dispatch", "treecalls", "shapes", "coldstart", "corpus", "control", "tracesize",
            "training", "neighbours", "import", "scaling")
DEFAULT_PLOTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "out")


def _sections(text: str) -> list[str]:
    names = [t.strip() for t in text.split(",") if t.strip()]
    unknown = [n for n in names if n not in SECTIONS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"unknown section(s) {unknown}; choose from {', '.join(SECTIONS)}")
    return [s for s in SECTIONS if s in names]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    ap = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="small sizes and few reps (CI smoke run)")
    ap.add_argument("--only", metavar="NAME",
                    help="run the workloads and corpus programs whose name contains NAME (and, unless "
                         "--sections says otherwise, only those two sections)")
    ap.add_argument("--sections", type=_sections, metavar="A,B",
                    help=f"sections to run, of {', '.join(SECTIONS)} (default: all but scaling)")
    ap.add_argument("--scaling", metavar="N,N", help="also run the scaling section at these thread counts "
                    "(default with --sections scaling: 1, 2, 4 ... every core)")
    ap.add_argument("--reps", type=int, metavar="N", help="repetitions per system (default: adaptive)")
    ap.add_argument("--json", metavar="PATH", help="write the results as JSON")
    ap.add_argument("--plots", metavar="DIR", default=DEFAULT_PLOTS,
                    help="write PNG charts here (needs matplotlib; default: benchmarks/out)")
    ap.add_argument("--no-plots", action="store_true", help="write no charts")
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
    if opts.sections is None:
        opts.sections = ["workloads", "corpus"] if opts.only else [s for s in SECTIONS if s != "scaling"]
    if opts.scaling and "scaling" not in opts.sections:
        opts.sections.append("scaling")
    return opts


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks; the exit status is 1 when a tracejit result is wrong or raised."""
    opts = parse_args(argv)
    limit_threads(opts.threads)
    import tracejit as tj  # after limit_threads: BLAS, tracejit and peers read it on import

    slow = tj.config.slow_compile_seconds
    tj.config.slow_compile_seconds = float("inf")  # the first-call table reports every compilation
    try:
        return _run(opts)
    finally:
        tj.config.slow_compile_seconds = slow


def _run(opts: argparse.Namespace) -> int:
    import numpy as np

    from benchmarks import judgement, report, runner, sections, threads
    from benchmarks.peers import available_peers
    from benchmarks.progress import Progress
    from benchmarks.summary import summarize
    from benchmarks.workloads import select

    wanted = opts.sections
    workloads = select(opts.only) if "workloads" in wanted else []
    programs = sections.corpus_names(opts.only) if "corpus" in wanted else []
    if opts.only and not workloads and not programs:
        print(f"no workload or corpus program matches {opts.only!r}; see benchmarks/workloads.py and "
              f"benchmarks/programs", file=sys.stderr)
        return 2
    peers = [] if opts.no_peers else available_peers()
    peer_names = [p.name for p in peers]
    thread_text = threads.describe(opts.threads)
    info = runner.machine_info(peers, thread_text)
    rng = np.random.default_rng(opts.seed)
    counts = sections.scaling_counts(opts.scaling) if "scaling" in wanted else []
    progress = Progress(sections.task_count(wanted, len(workloads), len(programs), len(counts)))
    load_start = os.getloadavg()[0]
    versions = ", ".join(f"{k} {v}" for k, v in info["versions"].items())
    print(f"machine: {info['cpu']}, {info['cores']} cores, {info['system']}")
    print(f"threads: {thread_text}")
    print(f"versions: {versions}")
    print(f"sections: {', '.join(wanted)}; {'quick' if opts.quick else 'full'} run; speedup = NumPy time / "
          "system time (> 1: faster than NumPy)\n", flush=True)

    rows, verdicts, calls, triad = [], [], [], None
    if workloads:
        rows, triad, calls = sections.run_workloads(workloads, peers, opts, rng, progress)
        verdicts = judgement.judge_all(rows, peer_names, triad.reference)
        print(sections.workloads_text(rows, peer_names, triad, verdicts, opts.quick), flush=True)
    for name in ("dispatch", "treecalls", "shapes", "coldstart"):
        if name in wanted:
            print("\n" + sections.run_simple(name, opts, progress), flush=True)
    corpus: list[dict] = []
    if programs:
        corpus, program_calls = sections.run_corpus(programs, opts.quick, progress)
        calls += program_calls
        from benchmarks import corpus as corpus_module
        print("\n" + corpus_module.format_table(corpus, opts.quick), flush=True)
    for name in ("control", "tracesize", "training", "neighbours"):
        if name in wanted:
            print("\n" + sections.run_simple(name, opts, progress), flush=True)
    if calls:
        from benchmarks.firstcall import format_table
        print("\n" + format_table(calls))
    import_s = None
    if "import" in wanted:
        import_s, text = sections.run_imports(peer_names, opts.quick, progress)
        print("\n" + text, flush=True)
    scaling = sections.run_scaling(counts, opts, progress) if counts else None
    if scaling:
        print("\n" + sections.scaling_text(scaling), flush=True)

    print(f"\nload average {load_start:.2f} at the start, {os.getloadavg()[0]:.2f} at the end (this run adds "
          "about 1-2: more means other processes shared the CPUs)")
    if opts.json:
        report.write_json(opts.json, machine=info, quick=opts.quick, triad=triad,
                          triad_gbps=triad.reference if triad else None, rows=rows, verdicts=verdicts,
                          corpus=corpus, first_calls=calls, import_s=import_s, scaling=scaling)
    charts = sections.write_plots(opts, info, rows, peer_names, corpus, calls, scaling)
    print("\n" + summarize(rows, peer_names, corpus, calls, import_s, verdicts, opts.quick))
    if charts:
        print(f"  Charts: {', '.join(charts)}")
    failed = any(r.systems[runner.JIT].status != "ok" for r in rows) or any(not r["ok"] for r in corpus)
    return 1 if failed or (triad is not None and triad.problems) else 0


if __name__ == "__main__":
    sys.exit(main())
