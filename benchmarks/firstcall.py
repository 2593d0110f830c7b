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

``python -m benchmarks.firstcall [--sets workloads,corpus,loops,library] [--only a,b] [--runs 3]``
runs each first call in fresh processes instead (every one compiles, as on a new machine, and pays
the process's first LLVM use) and prints the medians per stage group, the wall time and the process
CPU time of the call (all threads: what it cost whatever the machine's load), and the calling
thread's CPU time (what the call waits for with cores to spare, LLVM's other threads apart).
"""
from __future__ import annotations

import importlib
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


# --- first calls in fresh processes: python -m benchmarks.firstcall ---------------------------

SETS = ("workloads", "corpus", "loops", "library")


def _kernel_and_args(which: str, name: str) -> tuple:
    """The function of ``name`` in the set ``which`` and its (bench-size) arguments."""
    import numpy as np
    if which == "workloads":
        from benchmarks.workloads import WORKLOADS
        w = next(w for w in WORKLOADS if w.name == name)
        return w.fn, w.make_inputs(False, np.random.default_rng(0))
    if which == "corpus":
        from benchmarks import programs
        prog = importlib.import_module(f"benchmarks.programs.{name}")
        return prog.kernel, programs.arguments(prog, "bench", 0)
    if which == "loops":
        from benchmarks import loop_programs
        module, size = next((m, s) for case, m, s in loop_programs.CASES if case == name)
        prog = loop_programs.program(module)
        return prog.kernel, prog.init(np.random.default_rng(0), **prog.SIZES[size])
    from benchmarks import library_programs
    prog = library_programs.program(name)
    return prog.kernel, library_programs.arguments(prog, "bench", 0)


def names_of(which: str) -> list[str]:
    """The functions of a set: workload names, corpus programs, loop cases, library programs."""
    if which == "workloads":
        from benchmarks.workloads import WORKLOADS
        return [w.name for w in WORKLOADS]
    if which == "corpus":
        from benchmarks.programs import NAMES
        return list(NAMES)
    if which == "loops":
        from benchmarks.loop_programs import CASES
        return [case for case, _, _ in CASES]
    from benchmarks.library_programs import NAMES
    return list(NAMES)


def child(which: str, name: str) -> dict[str, float]:
    """One first call in this (fresh) process, the disk cache off: seconds per stage, ``wall``, ``cpu``
    (process CPU time, all threads) and ``total`` (tracejit's own record)."""
    import copy
    import logging
    import time

    import numpy as np

    import tracejit as tj
    from tracejit.stagetimes import recorded
    logging.getLogger("tracejit").setLevel(logging.ERROR)
    tj.config.cache_enabled = False
    kernel, args = _kernel_and_args(which, name)
    args = [copy.deepcopy(a) if isinstance(a, (np.ndarray, np.random.Generator)) else a for a in args]
    f = tj.jit(kernel)
    np.random.seed(1234)
    with recorded() as records, np.errstate(all="ignore"):
        start, cpu, own = time.perf_counter(), time.process_time(), time.thread_time()
        f(*args)
        wall, cpu, own = time.perf_counter() - start, time.process_time() - cpu, time.thread_time() - own
    # cpu: every thread's, the first call's work whatever the load; thread: the calling thread's
    # (with idle cores, the wall time less waits for the compile threads)
    out = {"wall": wall, "cpu": cpu, "thread": own}
    if records:
        out.update(records[0][1].seconds, total=records[0][1].total)
    return out


def fresh_runs(which: str, name: str, runs: int) -> list[dict[str, float]]:
    """``runs`` first calls of ``name``, each in a fresh process (an unknown name or a failure: [])."""
    import json
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")])),
               TRACEJIT_CACHE="0")
    out = []
    for _ in range(runs):
        done = subprocess.run([sys.executable, "-m", "benchmarks.firstcall", "--child", f"{which}:{name}"],
                              env=env, cwd=root, capture_output=True, text=True)
        if done.returncode != 0:
            print(f"{which}:{name} failed: {done.stderr.strip().splitlines()[-1:]}", file=sys.stderr)
            return []
        out.append(json.loads(done.stdout.strip().splitlines()[-1]))
    return out


def medians(runs: list[dict[str, float]]) -> dict[str, float]:
    """Per key (stage, group, ``wall``), the median over runs (a missing stage counts 0)."""
    keys = {k for r in runs for k in r}
    rows = [dict(r, **{g: sum(r.get(s, 0.0) for s in stages) for g, stages in GROUPS.items()}) for r in runs]
    return {k: statistics.median(r.get(k, 0.0) for r in rows) for k in keys | set(GROUPS)}


def main(argv: list[str] | None = None) -> None:
    """``python -m benchmarks.firstcall``: first calls in fresh processes, medians per stage group."""
    import argparse
    import json
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--sets", default="workloads,corpus", help=f"comma list of {', '.join(SETS)}")
    parser.add_argument("--only", default=None, help="comma list of names (in the sets chosen)")
    parser.add_argument("--runs", type=int, default=3, help="fresh processes per function (median)")
    parser.add_argument("--json", default=None, help="write every run's stage seconds here")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    opts = parser.parse_args(argv)
    if opts.child:
        print(json.dumps(child(*opts.child.split(":", 1))))
        return
    only = set(opts.only.split(",")) if opts.only else None
    everything = {}
    print(f"{'first call of':24} {'wall ms':>8} {'cpu ms':>8} {'thread ms':>9} "
          + " ".join(f"{g + ' ms':>11}" for g in GROUPS)
          + "  (spread of wall)")
    for which in opts.sets.split(","):
        for name in names_of(which):
            if only and name not in only:
                continue
            runs = fresh_runs(which, name, opts.runs)
            if not runs:
                continue
            everything[f"{which}:{name}"] = runs
            m = medians(runs)
            walls = [r["wall"] * 1e3 for r in runs]
            cells = " ".join(f"{m[g] * 1e3:11.1f}" for g in GROUPS)
            spread = f"({min(walls):.0f}-{max(walls):.0f})"
            print(f"{name:24} {m['wall'] * 1e3:8.0f} {m['cpu'] * 1e3:8.0f} {m.get('thread', 0.0) * 1e3:9.0f} {cells}"
                  f"  {spread}", flush=True)
    if opts.json:
        with open(opts.json, "w") as fh:
            json.dump(everything, fh, indent=1)


if __name__ == "__main__":
    main()
