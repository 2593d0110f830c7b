"""The sections of ``python -m benchmarks``, each run through one :class:`~benchmarks.progress.Progress`.

Every section reports each of its tasks (a workload, a corpus program, a thread count, or
the whole section when it is one measurement) as a progress line; the section modules
themselves (``dispatch.py``, ``corpus.py`` ...) measure and format, this module runs them.
"""
from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from benchmarks import firstcall, judgement, report, runner, stream
from benchmarks.firstcall import FirstCall
from benchmarks.peers import Peer
from benchmarks.progress import Progress
from benchmarks.runner import Row
from benchmarks.workloads import Workload
from tracejit.stagetimes import recorded

SIMPLE = ("dispatch", "treecalls", "shapes", "coldstart", "control", "tracesize", "training", "neighbours")


def corpus_names(only: str | None) -> list[str]:
    """The corpus programs whose name contains ``only`` (all without it)."""
    from benchmarks.programs import NAMES
    return [n for n in NAMES if not only or only in n]


def scaling_counts(text: str | None) -> list[int]:
    """Thread counts of the scaling section: ``"1,2"`` or, by default, 1, 2, 4 ... every core."""
    from benchmarks import scaling
    return scaling.parse_counts(text) if text else scaling.default_counts(os.cpu_count() or 1)


def task_count(wanted: list[str], workloads: int, programs: int, counts: int) -> int:
    """How many progress lines the run will write."""
    total = workloads + 2 if workloads else 0  # (a STREAM triad before and after)
    total += sum(s in wanted for s in SIMPLE) + programs + counts
    return total + ("import" in wanted)


@contextmanager
def compiling() -> Iterator[None]:
    """The persistent cache off inside the block: first calls compile, as on a new machine
    (``coldstart`` measures first calls that read the cache)."""
    import tracejit as tj
    with tj.config.overriding(cache_enabled=False):
        yield


def run_workloads(workloads: list[Workload], peers: list[Peer], opts: argparse.Namespace, rng: Any,
                  progress: Progress) -> tuple[list[Row], stream.Triad, list[FirstCall]]:
    """The workloads between two STREAM triads: their rows, the triad and their first calls."""
    progress.section("workloads")
    reps = 4 if opts.quick else 8

    def triad(phase: str, into: stream.Triad | None) -> stream.Triad:
        progress.begin(f"STREAM triad ({phase})")
        result = stream.measure(phase, opts.quick, reps, rng, into)
        progress.end(result.describe_phase(phase))
        return result

    found = triad("start", None)
    rows, calls = [], []
    for w in workloads:
        with compiling(), recorded() as records:
            row = runner.run_workload(w, peers, opts.quick, opts.reps, rng, progress)
        rows.append(row)
        seconds = None if row.compile_ms is None else row.compile_ms / 1e3
        calls.append(firstcall.from_records(w.name, "workload", seconds, records))
    return rows, triad("end", found), calls


def workloads_text(rows: list[Row], peers: list[str], triad: stream.Triad, verdicts: list,
                   quick: bool) -> str:
    """The workloads section's output: bandwidth, the table, every peer, throughput, problems, targets."""
    ref = triad.reference
    peaks = None
    if any(row.rate == "GFLOP/s" for row in rows):  # issue 21: the machine's peak, and the fraction reached
        from benchmarks.gemm import describe_peak, peak_gflops
        from tracejit import config
        peaks = {d: peak_gflops(config.num_threads, d) for d in ("f32", "f64")}
    parts = [f"memory: {triad.describe()}",
             "medians of repetitions in interleaved blocks, each block after untimed warm-up calls; "
             "vs numpy / vs peer: that system's time / tracejit's (> 1: tracejit faster)\n"
             "rate: GFLOP/s = 2*M*N*K per matrix product; GB/s = input + output bytes, with % of the triad "
             "bandwidth\n  (writes count once, as in STREAM, so a kernel with more reads per write than the "
             "triad can pass 100%)\n",
             *([describe_peak(peaks, config.num_threads) + "\n"] if peaks else []),
             report.format_table(rows, peers, ref, peaks)]
    if peers:
        parts.append("\nevery peer, time and speedup over NumPy:\n" + report.format_peers(rows, peers))
    rates = report.format_rates(rows, ref, peaks)
    if rates:
        parts.append("\nthroughput of every system:\n" + rates)
    notes = report.format_notes(rows)
    if notes:
        parts.append("\nproblems:\n" + notes)
    parts.append("\n" + judgement.format_verdicts(verdicts, quick))
    return "\n".join(parts)


def _simple(name: str, opts: argparse.Namespace) -> str:
    """Run section ``name`` (one measurement) and return its table."""
    quick = opts.quick
    if name == "dispatch":
        from benchmarks import dispatch
        return dispatch.format_table(dispatch.measure(quick), quick)
    if name == "treecalls":
        from benchmarks import treecalls
        return treecalls.format_table(treecalls.measure(quick))
    if name == "shapes":
        from benchmarks import shapes
        return shapes.format_table(shapes.measure(), quick)
    if name == "coldstart":
        from benchmarks import coldstart
        return coldstart.format_table(coldstart.measure(), quick)
    if name == "control":
        from benchmarks import control
        return control.format_table(control.measure(quick), quick)
    if name == "tracesize":
        from benchmarks import tracesize
        lengths = (100, 200, 400) if quick else tracesize.LENGTHS
        return tracesize.format_table(tracesize.measure(lengths), quick)
    if name == "neighbours":
        from benchmarks import neighbours
        return neighbours.format_table(neighbours.measure(quick), quick)
    from benchmarks import training
    return training.format_table(training.measure(quick, peers=not opts.no_peers), quick)


def run_simple(name: str, opts: argparse.Namespace, progress: Progress) -> str:
    """Section ``name`` as one progress task; its table."""
    progress.section(name)
    with progress.task(name) as box:
        text = _simple(name, opts)
        box["summary"] = "done, table below"
    return text


def run_corpus(names: list[str], quick: bool, progress: Progress) -> tuple[list[dict], list[FirstCall]]:
    """The corpus programs, one progress task each: their rows and first calls."""
    from benchmarks import corpus
    progress.section("corpus")
    rows, calls = [], []
    for name in names:
        with progress.task(name) as box, compiling(), recorded() as records:
            row = corpus.measure("test" if quick else "bench", only=[name])[0]
            box["summary"] = (f"numpy {row['eager_ms']:.3f} ms, tracejit {row['jit_ms']:.3f} ms, "
                              f"first call {row['compile_s']:.2f} s{'' if row['ok'] else ', WRONG RESULT'}")
        rows.append(row)
        calls.append(firstcall.from_records(name, "program", row["compile_s"], records))
    return rows, calls


def run_imports(peers: list[str], quick: bool, progress: Progress) -> tuple[float, str]:
    """``import tracejit`` (and each peer's import) in fresh processes: tracejit's median and the lines."""
    progress.section("import")
    runs = 3 if quick else 5
    times = {}
    with progress.task("fresh processes") as box:
        modules = dict.fromkeys(p.split("-")[0] for p in peers)  # (torch-eager: torch's import)
        for module in ["tracejit", *([] if quick else modules)]:
            progress.step(module)
            try:
                times[module] = firstcall.import_seconds(module, runs)
            except Exception as exc:  # noqa: BLE001 - a peer that fails to import is reported, not fatal
                print(f"\nimport {module} failed: {exc}", file=sys.stderr)
        box["summary"] = f"import tracejit {times['tracejit'][0]:.3f} s (median of {runs})"
    return times["tracejit"][0], firstcall.format_imports(times)


def run_scaling(counts: list[int], opts: argparse.Namespace, progress: Progress) -> dict[int, dict]:
    """The workloads at each thread count, each in its own process (``benchmarks/scaling.py``)."""
    from benchmarks import scaling
    progress.section("scaling")
    passthrough = ["--sections", "workloads", "--no-plots", *(["--quick"] if opts.quick else []),
                   *(["--only", opts.only] if opts.only else [])]
    reports = {}
    for n in counts:
        with progress.task(f"{n} thread{'s' * (n != 1)}") as box:
            progress.step("(the run's own progress follows)\n")
            reports[n] = scaling.run_count(n, passthrough)
            box["summary"] = f"{len(reports[n]['rows'])} workloads"
    return reports


def scaling_text(reports: dict[int, dict]) -> str:
    """The scaling section's tables: tracejit's and NumPy's milliseconds at each thread count."""
    from benchmarks import scaling
    return (f"thread scaling, tracejit (TRACEJIT_NUM_THREADS = N):\n{scaling.format_scaling(reports, 'tracejit')}"
            f"\n\nthread scaling, NumPy (BLAS threads = N):\n{scaling.format_scaling(reports, 'numpy')}")


def write_plots(opts: argparse.Namespace, info: dict, rows: list[Row], peers: list[str], corpus: list[dict],
                calls: list[FirstCall], scaling: dict[int, dict] | None) -> list[str]:
    """The PNG charts in ``opts.plots`` (none with ``--no-plots``; a note when matplotlib is missing)."""
    from benchmarks import plots
    if opts.no_plots or not (rows or corpus or calls or scaling):
        return []
    if not plots.available():
        print("charts: matplotlib is not installed (pip install matplotlib, or the bench extra); no PNGs written",
              file=sys.stderr)
        return []
    title = f"{info['cpu']}, {info['cores']} cores{', quick run' if opts.quick else ''}"
    return plots.write_all(opts.plots, title, rows, peers, corpus, calls, scaling)
