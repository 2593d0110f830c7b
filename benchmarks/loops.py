"""Programs with Python loops and branches (``benchmarks/loop_programs``, issue 16): tracejit vs eager.

``python -m benchmarks.loops [--only NAME...] [--limit SECONDS]`` runs each case at its bench
size in its own subprocess, with an empty disk cache of its own (a cold first call), under a
wall-clock limit (many of these take minutes to trace and
compile today, or raise): the first jitted call (trace, optimize, compile, run), the kernel
count, a check against eager on other values, then a few timed calls of eager NumPy and of
the compiled code (``benchmarks/timing.interleaved``; fresh copies of written arguments for
both, as ``benchmarks/corpus.py``). It prints one row per case and the issue's targets as
judgement lines. Not part of ``python -m benchmarks`` nor of ``.ci/run``: too slow today.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any

import numpy as np

from benchmarks.judgement import check_lines
from benchmarks.loop_programs import CASES, program
from benchmarks.programs import arguments, fresh
from benchmarks.timing import interleaved, time_once

NAMES = tuple(case for case, _, _ in CASES)
REPS = 5  # timed calls per system: these programs are slow
FIRST_CALL = {"gru": 1.0, "ema": 0.5, "lenet_loops": 2.0, "lu_64": 1.0, "lu_256": 1.0, "cholesky_64": 1.0,
              "cholesky_256": 1.0, "trisolve_64": 1.0, "trisolve_256": 1.0}  # seconds, issue 16
SPEEDUP = {"ema": 2.0, "lenet_loops": 3.0, "gru": 8.0}  # x NumPy; the rest: faster than NumPy (1x)
GROWTH = 1.2  # gru's first call at most this times gru_5's


def _leaves(value: Any) -> list:
    return list(value) if isinstance(value, (tuple, list)) else [value]


def _matches(kernel: Any, f: Any, args: tuple) -> bool:
    eager, jitted = fresh(args), fresh(args)
    with np.errstate(all="ignore"):
        want, got = kernel(*eager), f(*jitted)
    pairs = list(zip(_leaves(got), _leaves(want)))
    pairs += [(j, e) for j, e in zip(jitted, eager) if isinstance(e, np.ndarray)]
    return all(np.allclose(np.asarray(a, float), np.asarray(b, float), rtol=1e-4, atol=1e-6, equal_nan=True)
               for a, b in pairs)


def _emit(row: dict) -> None:
    print(json.dumps(row), flush=True)


def measure_case(case: str) -> dict:
    """Measure one case in this process, printing partial rows as JSON lines as it goes."""
    import tracejit as tj  # noqa: PLC0415 - only the child process compiles

    module, size = next((m, s) for c, m, s in CASES if c == case)
    prog = program(module)
    args = arguments(prog, size, 0)
    row: dict[str, Any] = {"name": case}
    f = tj.jit(prog.kernel)
    try:
        with np.errstate(all="ignore"):
            row["first_s"], _ = time_once(lambda: f(*fresh(args)))
        row["traces"] = f.cache_info().traces
        _emit(row)
        row["kernels"] = len(f.lower(*fresh(args)).kernels)
        _emit(row)
        row["status"] = "ok" if _matches(prog.kernel, f, arguments(prog, size, 1)) else "MISMATCH"
    except Exception as exc:  # noqa: BLE001 - the status names it
        row["status"] = status_of(exc)
        row["traces"] = f.cache_info().traces
        return row
    _emit(row)
    writes = _writes(prog.kernel, args)

    def thunk(fn: Any) -> Any:
        return (lambda: fn(*fresh(args))) if writes else (lambda: fn(*args))

    with np.errstate(all="ignore"):
        samples = interleaved({"numpy": thunk(prog.kernel), "tracejit": thunk(f)}, reps=REPS, passes=1, settle=0.1)
    row["eager_ms"] = statistics.median(samples["numpy"]) * 1e3
    row["jit_ms"] = statistics.median(samples["tracejit"]) * 1e3
    row["traces"] = f.cache_info().traces
    return row


def _writes(kernel: Any, args: tuple) -> bool:
    copies = fresh(args)
    with np.errstate(all="ignore"):
        kernel(*copies)
    return any(isinstance(a, np.ndarray) and not np.array_equal(a, c, equal_nan=True) for a, c in zip(args, copies))


def status_of(exc: BaseException) -> str:
    """A failed case's status: the exception's type and the first line of its message."""
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0][:100]}" if lines else type(exc).__name__


def timeout_status(limit: float) -> str:
    """The status of a case stopped at its wall-clock limit."""
    return f"timeout at {limit:g} s"


def run_case(case: str, limit: float, argv: list[str] | None = None) -> dict:
    """Run one case in a subprocess (``argv``: its command, by default this module's
    ``--child CASE``) under ``limit`` seconds; the last row it printed, with a status."""
    argv = argv or [sys.executable, "-m", "benchmarks.loops", "--child", case]
    start = time.perf_counter()
    cache = tempfile.TemporaryDirectory(prefix="tj-loops-cache-")  # a cold first call: nothing compiled
    env = dict(os.environ, TRACEJIT_CACHE_DIR=cache.name)  # earlier (by another case or run) is reused
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=limit, env=env)
        out, status = done.stdout, None if done.returncode == 0 else f"exit {done.returncode}"
        err = done.stderr
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode() if isinstance(exc.stdout, bytes) else exc.stdout or ""
        status, err = timeout_status(limit), ""
    rows = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    row = rows[-1] if rows else {"name": case}
    if status and (status.startswith("timeout") or "status" not in row):
        tail = [ln for ln in err.strip().splitlines() if ln.strip()]
        row["status"] = status + (f" ({tail[-1][:100]})" if tail and not status.startswith("timeout") else "")
    row["wall_s"] = time.perf_counter() - start
    cache.cleanup()
    return row


def _cell(row: dict, key: str, fmt: str) -> str:
    return format(row[key], fmt) if row.get(key) is not None else "-"


def format_table(rows: list[dict]) -> str:
    """The table of cases, then the issue's targets as judgement lines."""
    lines = ["loops and branches (benchmarks/loop_programs), eager NumPy vs tracejit:",
             f"  {'program':<16}{'first s':>9}{'kernels':>9}{'traces':>8}{'numpy ms':>11}{'tracejit ms':>13}"
             f"{'speedup':>9}  status"]
    for r in rows:
        speedup = f"{r['eager_ms'] / r['jit_ms']:.2f}x" if r.get("jit_ms") else "-"
        lines.append(f"  {r['name']:<16}{_cell(r, 'first_s', '.2f'):>9}{_cell(r, 'kernels', 'd'):>9}"
                     f"{_cell(r, 'traces', 'd'):>8}{_cell(r, 'eager_ms', '.3f'):>11}{_cell(r, 'jit_ms', '.3f'):>13}"
                     f"{speedup:>9}  {r.get('status', '?')}")
    return "\n".join(lines + ["judgement (issue 16's targets):"] + check_lines(judgements(rows), quick=False))


def judgements(rows: list[dict]) -> list[tuple[str, bool, str]]:
    """``(label, met, detail)`` for each target of issue 16 whose cases were run."""
    by = {r["name"]: r for r in rows}
    checks = []

    def first(name: str) -> float | None:
        r = by.get(name, {})
        return r.get("first_s") if r.get("status") == "ok" else None

    for name, limit in FIRST_CALL.items():
        if name in by:
            s = first(name)
            checks.append((f"{name} first call <= {limit:g} s", s is not None and s <= limit,
                           f"{s:.2f} s" if s is not None else by[name].get("status", "?")))
    if "gru" in by and "gru_5" in by:
        a, b = first("gru"), first("gru_5")
        met = a is not None and b is not None and a <= GROWTH * b
        checks.append((f"gru first call <= {GROWTH:g}x gru_5's", met,
                       f"{a / b:.2f}x" if a is not None and b else "not both compiled"))
    for r in rows:
        target = SPEEDUP.get(r["name"], 1.0)
        ok = r.get("status") == "ok" and r.get("jit_ms")
        ratio = r["eager_ms"] / r["jit_ms"] if ok else None
        checks.append((f"{r['name']} correct and >= {target:g}x NumPy", ratio is not None and ratio >= target,
                       f"{ratio:.2f}x" if ratio is not None else r.get("status", "?")))
    return checks


def main() -> int:
    """Command line: run the cases, print the table and judgement."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=NAMES, metavar="NAME", help="run only these cases")
    parser.add_argument("--limit", type=float, default=60.0, help="wall-clock seconds per case (default 60)")
    parser.add_argument("--child", choices=NAMES, help=argparse.SUPPRESS)
    opts = parser.parse_args()
    if opts.child:
        _emit(measure_case(opts.child))
        return 0
    rows = []
    for case in opts.only or NAMES:
        rows.append(run_case(case, opts.limit))
        print(f"  ... {case}: {rows[-1].get('status')} ({rows[-1]['wall_s']:.0f} s)", file=sys.stderr, flush=True)
    print(format_table(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
