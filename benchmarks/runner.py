"""Running one workload on every system.

For each workload: compile once, check every system's result against NumPy, time all
systems in interleaved blocks (see :func:`benchmarks.timing.interleaved`), and keep medians
and speedups (eager time / system time, so > 1 means faster than NumPy).
"""
from __future__ import annotations

import os
import platform
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import llvmlite
import numpy as np

import tracejit as tj
from benchmarks.peers import Peer
from benchmarks.progress import Progress
from benchmarks.timing import check, choose_reps, interleaved, median_ms, time_once
from benchmarks.workloads import Workload, describe_size, flops

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
    """Results of one workload for every system. ``work`` is the FLOPs or bytes per call
    that ``rate`` (GFLOP/s or GB/s) divides by the time."""

    name: str
    description: str
    size: str
    reps: int
    kernels: int | None
    compile_ms: float | None
    systems: dict[str, SystemResult]
    rate: str | None = None
    work: float | None = None

    def speedup(self, system: str) -> float | None:
        """Eager NumPy median over ``system``'s median."""
        eager, other = self.systems[EAGER].median_ms, self.systems[system].median_ms
        return eager / other if eager and other else None

    def ratio(self, system: str, baseline: str) -> float | None:
        """``baseline``'s median over ``system``'s (> 1: ``system`` is faster), or None
        when either did not give a correct, timed result."""
        a, b = self.systems.get(system), self.systems.get(baseline)
        if a is None or b is None or a.status != "ok" or b.status != "ok":
            return None
        return b.median_ms / a.median_ms if a.median_ms and b.median_ms else None

    def throughput(self, system: str) -> float | None:
        """``work`` per second of ``system``'s median, in units of 1e9 (GFLOP/s, GB/s)."""
        r = self.systems.get(system)
        if not self.work or r is None or r.status != "ok" or not r.median_ms:
            return None
        return self.work / (r.median_ms * 1e-3) / 1e9


def machine_info(peers: list[Peer], threads: str) -> dict[str, Any]:
    """CPU model, core count, library versions and the thread setting."""
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            model = next(ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name"))
    except (OSError, StopIteration):
        pass
    versions = {"python": platform.python_version(), "numpy": np.__version__,
                "llvmlite": llvmlite.__version__, "tracejit": tj.__version__}
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


def _compile_jit(w: Workload, args: tuple, expected: Any) -> tuple[Callable | None, SystemResult,
                                                                     float | None, int | None]:
    """Compile with tracejit, check the first call and a warm one:
    (thunk, result, compile ms, kernel count)."""
    f = tj.jit(w.fn)
    try:
        compile_s, first = time_once(lambda: f(*args))
        compile_ms, kernels = compile_s * 1e3, len(f.lower(*args).kernels)
        first_problem = check(expected, first)
        del first
    except Exception as exc:  # noqa: BLE001
        return None, SystemResult("ERROR", message=f"{type(exc).__name__}: {exc}"), None, None
    thunk, result, _ = _prepare(lambda: (lambda: f(*args)), expected)  # a warm call
    if first_problem and result.status == "ok":
        result = SystemResult("FAIL", message=f"first call: {first_problem}")
    return thunk, result, compile_ms, kernels


def run_workload(w: Workload, peers: list[Peer], quick: bool, reps: int | None,
                 rng: np.random.Generator, progress: Progress) -> Row:
    """Compile, check and time one workload on NumPy, tracejit and ``peers``."""
    args = w.make_inputs(quick, rng)
    size = describe_size(args)
    progress.begin(f"{w.name} ({size})")

    def eager_thunk():
        return w.fn(*args)

    time_once(eager_thunk)  # warm-up: page faults, NumPy's caches
    _, expected = time_once(eager_thunk)
    if w.rate == "GFLOP/s":
        work: float | None = flops(args)
    elif w.rate == "GB/s":
        work = sum(a.nbytes for a in args) + np.asarray(expected).nbytes
    else:
        work = None

    progress.step("tracejit")
    thunks: dict[str, Callable] = {EAGER: eager_thunk}
    results: dict[str, SystemResult] = {EAGER: SystemResult("ok")}
    jit_thunk, results[JIT], compile_ms, kernels = _compile_jit(w, args, expected)
    if jit_thunk is not None:
        thunks[JIT] = jit_thunk
    for peer in peers:
        progress.step(peer.name)
        thunk, results[peer.name], _ = _prepare(lambda p=peer: p.prepare(w, args), expected)
        if thunk is not None:
            thunks[peer.name] = thunk
    row = Row(w.name, w.description, size, 0, kernels, compile_ms, results, w.rate,
              work)
    del expected

    round_s = sum(time_once(t)[0] for t in thunks.values())  # one warm round, to size the reps
    row.reps = reps or choose_reps(round_s, 0.3 if quick else 8.0, *((3, 5) if quick else (7, 21)))
    progress.step(f"{row.reps} reps")
    passes, settle = (2, 0.02) if quick else (3, 0.25)
    for name, samples in interleaved(thunks, row.reps, passes, settle).items():
        results[name].median_ms = median_ms(samples)
        results[name].samples_ms = [s * 1e3 for s in samples]
    jit = results[JIT]
    jit_text = f"{jit.median_ms:.2f} ms" if jit.median_ms is not None else jit.status
    progress.end(f"numpy {results[EAGER].median_ms:.2f} ms, tracejit {jit_text}")
    return row
