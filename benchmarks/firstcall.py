"""The first call of each workload and corpus program, stage by stage, and ``import tracejit``.

A first call traces the function, optimizes its graph, has LLVM turn it into machine code
and loads that, then runs it. tracejit measures those stages itself (``tracejit/stagetimes.py``):
the harness opens a :func:`tracejit.stagetimes.recorded` block around a workload or program
and reads the first compilation reported in it. The stages are shown in four groups:
``trace``; ``optimize`` (program cache look-up, graph passes, kernel formation, kernel passes,
generic form); ``LLVM`` (codegen, LLVM optimize, machine code); ``load``. ``rest`` is the
first call's wall time less those: running the code once, argument handling, bookkeeping.
The harness turns the persistent cache off for these calls (``benchmarks/sections.compiling``),
so each compiles as on a new machine, except where the process already holds the same code
(one function at another size: the code is generic in sizes): no LLVM, and the table says ``reused``.
"""
from __future__ import annotations

import os
import statistics
import subprocess
import sys
from dataclasses import dataclass, field

from tracejit.stagetimes import StageTimes

GROUPS: dict[str, tuple[str, ...]] = {
    "trace": ("trace",),
    "optimize": ("program cache", "graph passes", "kernel formation", "kernel passes", "generic form"),
    "LLVM": ("codegen", "LLVM optimize", "machine code"),
    "load": ("load",),
}


@dataclass
class FirstCall:
    """One function's first call: its wall seconds and, when it compiled, seconds per stage group."""

    name: str
    kind: str  # "workload" or "program"
    seconds: float | None
    groups: dict[str, float] = field(default_factory=dict)
    source: str = "-"  # "compiled", "reused" (code this process compiled already) or "-" (nothing recorded)
    compilations: int = 0

    @property
    def rest(self) -> float | None:
        """The first call's seconds outside the stages (running it once, bookkeeping)."""
        if self.seconds is None or not self.groups:
            return None
        return max(0.0, self.seconds - sum(self.groups.values()))


def grouped(times: StageTimes) -> dict[str, float]:
    """Seconds of each group of :data:`GROUPS` in one compilation's stage times."""
    return {group: sum(times.seconds.get(s, 0.0) for s in stages) for group, stages in GROUPS.items()}


def from_records(name: str, kind: str, seconds: float | None,
                 records: list[tuple[str, StageTimes]]) -> FirstCall:
    """The first call of ``name`` from the compilations recorded while it ran: the first one
    is the first call's (later ones, if any, are retraces of later calls, counted only)."""
    if not records:
        return FirstCall(name, kind, seconds)
    times = records[0][1]
    source = "compiled" if "codegen" in times.seconds else "reused"
    wall = seconds if seconds is not None else times.total
    return FirstCall(name, kind, wall, grouped(times), source, len(records))


def _ms(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    return f"{seconds * 1e3:.0f}" if seconds >= 0.0095 else f"{seconds * 1e3:.1f}"


def format_table(calls: list[FirstCall]) -> str:
    """The first-call table: one line per workload or program, ms per stage group."""
    header = ["first call of", "", "total ms", *(f"{g} ms" for g in GROUPS), "rest ms", "code"]
    lines = []
    for c in calls:
        lines.append([c.name, c.kind, _ms(c.seconds), *(_ms(c.groups.get(g)) if c.groups else "-" for g in GROUPS),
                      _ms(c.rest), c.source])
    widths = [max(len(r[i]) for r in [header, *lines]) for i in range(len(header))]

    def join(cells: list[str]) -> str:
        return "  ".join(x.ljust(w) if i in (0, 1, len(cells) - 1) else x.rjust(w)
                         for i, (x, w) in enumerate(zip(cells, widths))).rstrip()

    intro = ("first calls (trace, optimize: graph and kernel passes, LLVM: codegen + optimize + machine "
             "code, load; rest: running it once and bookkeeping), the disk cache off; code: compiled, or "
             "reused (compiled earlier in this run for another size):")
    return "\n".join([intro, "  " + join(header), *("  " + join(r) for r in lines)])


IMPORT_SCRIPT = ("import time; t0 = time.perf_counter(); import numpy; t1 = time.perf_counter(); "
                 "import {module}; t2 = time.perf_counter(); print(t1 - t0, t2 - t1)")


def import_seconds(module: str = "tracejit", runs: int = 3) -> tuple[float, float, list[float]]:
    """``import module`` in ``runs`` fresh processes (after NumPy, which is timed apart):
    (median seconds of the module, median of NumPy's, every run of the module). The
    modules are read from ``.pyc`` files, as users have them: a first, uncounted run writes them."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # this checkout's tracejit first
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")])))
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    ours, numpy = [], []
    for _ in range(runs + 1):
        done = subprocess.run([sys.executable, "-c", IMPORT_SCRIPT.format(module=module)], env=env, cwd=root,
                              capture_output=True, text=True, check=True)
        n, m = map(float, done.stdout.split()[-2:])
        numpy.append(n)
        ours.append(m)
    return statistics.median(ours[1:]), statistics.median(numpy[1:]), ours[1:]


def format_imports(times: dict[str, tuple[float, float, list[float]]]) -> str:
    """One line per module: the median import time and the spread, NumPy's apart."""
    lines = []
    for module, (median, numpy, runs) in times.items():
        lines.append(f"import {module}: {median:.3f} s (median of {len(runs)} fresh processes, "
                     f"{min(runs):.3f}-{max(runs):.3f} s; after NumPy's own {numpy:.3f} s)")
    return "\n".join(lines)
