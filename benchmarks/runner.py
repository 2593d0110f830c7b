"""Running one workload on every system, and reporting: table, notes, JSON, plot.

For each workload: compile once, check every system's result against NumPy, time all
systems interleaved, and keep medians and speedups (eager time / system time, so > 1
means faster than NumPy).
"""
from __future__ import annotations

import json
import os
import platform
import sys
import time
from dataclasses import asdict, dataclass, field
from typing import Any, Callable

import llvmlite
import numpy as np

import tracejit as tj
from benchmarks.peers import Peer
from benchmarks.timing import check, choose_reps, interleaved, median_ms, time_once
from benchmarks.workloads import Workload, describe_size

EAGER, JIT = "numpy", "tracejit"


@dataclass
class SystemResult:
    """One system on one workload. ``status``: ok, FAIL (wrong result, still timed),
    ERROR (raised, not timed) or n/a (the system cannot express the workload)."""

    status: str
    median_ms: float | None = None
    samples_ms: list[float] = field(default_factory=list)
    message: str = ""


@dataclass
class Row:
    """Results of one workload for every system."""

    name: str
    description: str
    size: str
    reps: int
    kernels: int | None
    compile_ms: float | None
    systems: dict[str, SystemResult]

    def speedup(self, system: str) -> float | None:
        """Eager NumPy median over ``system``'s median."""
        eager, other = self.systems[EAGER].median_ms, self.systems[system].median_ms
        return eager / other if eager and other else None


def machine_info(peers: list[Peer], threads: str) -> dict[str, Any]:
    """CPU model, core count, library versions and the thread setting."""
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            model = next(ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name"))
    except (OSError, StopIteration):
        pass
    versions = {"python": platform.python_version(), "numpy": np.__version__,
                "llvmlite": llvmlite.__version__, "tracejit": f"{tj.__version__} (1 thread)"}
    versions.update({p.name: f"{p.version} ({p.detail})" for p in peers})
    return {"cpu": model, "cores": os.cpu_count(), "system": f"{platform.system()} {platform.machine()}",
            "threads": threads, "versions": versions}


def _prepare(make: Callable[[], Callable[[], Any] | None],
             expected: Any) -> tuple[Callable | None, SystemResult, float]:
    """Build a system's thunk, run it once and check it: (thunk, result, seconds of that run)."""
    try:
        thunk = make()
        if thunk is None:
            return None, SystemResult("n/a"), 0.0
        seconds, got = time_once(thunk)
    except Exception as exc:  # noqa: BLE001 - reported in the table, not raised
        return None, SystemResult("ERROR", message=f"{type(exc).__name__}: {exc}"), 0.0
    problem = check(expected, got)
    return thunk, SystemResult("FAIL" if problem else "ok", message=problem or ""), seconds


def run_workload(w: Workload, peers: list[Peer], quick: bool, reps: int | None,
                 rng: np.random.Generator) -> Row:
    """Compile, check and time one workload on NumPy, tracejit and ``peers``."""
    args = w.make_inputs(quick, rng)
    size = describe_size(args)
    print(f"{w.name} ({size}): ", end="", file=sys.stderr, flush=True)
    started = time.perf_counter()
    eager_thunk = lambda: w.fn(*args)  # noqa: E731
    time_once(eager_thunk)  # warm-up: page faults, NumPy's caches
    seconds, expected = time_once(eager_thunk)
    thunks, results, round_s = {EAGER: eager_thunk}, {EAGER: SystemResult("ok")}, seconds

    f = tj.jit(w.fn)
    compile_ms = kernels = None
    try:
        compile_s, first = time_once(lambda: f(*args))
        compile_ms, kernels = compile_s * 1e3, len(f.lower(*args).kernels)
        first_problem = check(expected, first)
        del first
    except Exception as exc:  # noqa: BLE001
        results[JIT] = SystemResult("ERROR", message=f"{type(exc).__name__}: {exc}")
    else:
        jit_thunk = lambda: f(*args)  # noqa: E731
        thunk, results[JIT], seconds = _prepare(lambda: jit_thunk, expected)  # a warm call
        if first_problem and results[JIT].status == "ok":
            results[JIT] = SystemResult("FAIL", message=f"first call: {first_problem}")
        if thunk is not None:
            thunks[JIT], round_s = thunk, round_s + seconds
    for peer in peers:
        thunk, results[peer.name], seconds = _prepare(lambda: peer.prepare(w, args), expected)
        if thunk is not None:
            thunks[peer.name], round_s = thunk, round_s + seconds
    del expected

    if reps is None:
        reps = choose_reps(round_s, 0.3 if quick else 8.0, *((3, 5) if quick else (5, 15)))
    print(f"{reps} reps ... ", end="", file=sys.stderr, flush=True)
    for name, samples in interleaved(thunks, reps).items():
        results[name].median_ms = median_ms(samples)
        results[name].samples_ms = [s * 1e3 for s in samples]
    row = Row(w.name, w.description, size, reps, kernels, compile_ms, results)
    jit = results[JIT]
    jit_text = f"{jit.median_ms:.2f} ms" if jit.median_ms is not None else jit.status
    print(f"numpy {results[EAGER].median_ms:.2f} ms, tracejit {jit_text} "
          f"({time.perf_counter() - started:.1f} s)", file=sys.stderr, flush=True)
    return row


def _fmt_ms(r: SystemResult) -> str:
    return f"{r.median_ms:.3f}" if r.median_ms is not None else ("-" if r.status == "n/a" else r.status)


def _fmt_ratio(row: Row, system: str) -> str:
    r, ratio = row.systems[system], row.speedup(system)
    if r.status != "ok":
        return "-" if r.status == "n/a" else r.status
    return f"{ratio:.2f}x" if ratio is not None else "-"


def format_table(rows: list[Row], peers: list[Peer]) -> str:
    """Plain-text table: one line per workload, peers in extra columns."""
    header = ["workload", "size", "numpy ms", "tracejit ms", "speedup", "kernels", "compile ms", "check"]
    for p in peers:
        header += [f"{p.name} ms", f"{p.name} x"]
    lines = []
    for row in rows:
        jit = row.systems[JIT]
        cells = [row.name, row.size, _fmt_ms(row.systems[EAGER]), _fmt_ms(jit), _fmt_ratio(row, JIT),
                 "-" if row.kernels is None else str(row.kernels),
                 "-" if row.compile_ms is None else f"{row.compile_ms:.0f}", jit.status]
        for p in peers:
            cells += [_fmt_ms(row.systems[p.name]), _fmt_ratio(row, p.name)]
        lines.append(cells)
    widths = [max(len(c) for c in col) for col in zip(header, *lines)]

    def join(cells: list[str]) -> str:
        return "  ".join(c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths)))

    rule = "-" * len(join(header))
    return "\n".join([join(header), rule, *map(join, lines)])


def format_notes(rows: list[Row]) -> str:
    """Failure and error messages, one line each."""
    return "\n".join(f"  {row.name} / {name}: {r.status}: {r.message}" for row in rows
                     for name, r in row.systems.items() if r.status in ("FAIL", "ERROR"))


def write_plot(rows: list[Row], peers: list[Peer], path: str) -> None:
    """Bar chart of speedups over NumPy, one group per workload (needs matplotlib)."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print(f"matplotlib is not installed; not writing {path}", file=sys.stderr)
        return
    systems = [JIT] + [p.name for p in peers]
    width = 0.8 / len(systems)
    fig, ax = plt.subplots(figsize=(max(6.0, 1.2 * len(rows)), 4))
    for i, system in enumerate(systems):
        xs = [j + (i - (len(systems) - 1) / 2) * width for j in range(len(rows))]
        heights = [(row.speedup(system) or 0) if row.systems[system].status == "ok" else 0
                   for row in rows]  # no bar: not expressible, wrong or raised
        ax.bar(xs, heights, width, label=system)
    ax.axhline(1.0, color="black", linewidth=0.8)
    ax.set_xticks(range(len(rows)), [row.name for row in rows], rotation=30, ha="right")
    ax.set_ylabel("speedup over NumPy (x)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    print(f"wrote {path}", file=sys.stderr)


def write_json(rows: list[Row], info: dict[str, Any], quick: bool, path: str) -> None:
    """All results, per-repetition samples included."""
    with open(path, "w") as f:
        json.dump({"machine": info, "quick": quick, "rows": [asdict(r) for r in rows]}, f, indent=1)
    print(f"wrote {path}", file=sys.stderr)
