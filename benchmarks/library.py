"""Programs around NumPy library calls (``benchmarks/library_programs``, issue 17): tracejit vs eager.

``python -m benchmarks.library [--only NAME...] [--budget SECONDS]`` runs each program at its
``bench`` size in this process: the first jitted call (trace, compile, run), a check against
eager (random programs: the same seed on both sides), then interleaved timed calls of eager
NumPy and of the compiled code (``benchmarks/timing.interleaved``; random programs keep
drawing from one generator, as a user's script does) and the library calls that run as host
calls (``tj.jit(f).lower(*args).fallbacks``; every other call is compiled natively). It prints
one row per program and the issue's target (no program slower than NumPy by more than 10%).
"""
from __future__ import annotations

import argparse
import statistics
from typing import Any

import numpy as np

import tracejit as tj
from benchmarks.judgement import check_lines
from benchmarks.library_programs import EXTRA_NAMES, NAMES, arguments, call, fresh, program
from benchmarks.timing import choose_reps, interleaved, time_once

SLOWER = 1.1  # issue 17: no program slower than NumPy by more than 10%


def _leaves(value: Any) -> list:
    return list(value) if isinstance(value, (tuple, list)) else [value]


def _matches(prog: Any, f: Any, args: tuple) -> bool:
    if getattr(prog, "PARTITION_K", None):
        return True  # (argpartition's order within each side is unspecified: tests/test_library_programs.py)
    rtol = max(prog.RTOL, 1e-9)
    pairs = zip(_leaves(call(f, args)), _leaves(call(prog.kernel, args)))
    return all(np.allclose(np.asarray(a, float), np.asarray(b, float), rtol=rtol, atol=rtol, equal_nan=True)
               for a, b in pairs)


def measure(name: str, budget: float) -> dict:
    """One program's row: first call, eager and jitted medians, host calls, status."""
    prog = program(name)
    args = tuple(fresh(arguments(prog, "bench", 0)))
    row: dict[str, Any] = {"name": name}
    f = tj.jit(prog.kernel)
    try:
        with np.errstate(all="ignore"):
            row["first_s"], _ = time_once(lambda: f(*args))
        row["host"] = sorted({n.removeprefix("numpy.") for n, _, _ in f.lower(*args).fallbacks})
        row["status"] = "ok" if _matches(prog, f, args) else "MISMATCH"
    except Exception as exc:  # noqa: BLE001 - the status names it
        lines = str(exc).strip().splitlines()
        row["status"] = f"{type(exc).__name__}: {lines[0][:90] if lines else ''}"
        return row
    with np.errstate(all="ignore"):
        once, _ = time_once(lambda: prog.kernel(*args))
        reps = choose_reps(2 * once, budget, 3, 30)
        samples = interleaved({"numpy": lambda: prog.kernel(*args), "tracejit": lambda: f(*args)},
                              reps=reps, passes=1, settle=0.05)
    row["eager_ms"] = statistics.median(samples["numpy"]) * 1e3
    row["jit_ms"] = statistics.median(samples["tracejit"]) * 1e3
    return row


def format_table(rows: list[dict]) -> str:
    """The table (markdown) and the issue's target as judgement lines."""
    lines = ["| program | numpy ms | tracejit ms | ratio | first call s | host calls (the rest native) | status |",
             "|---|---:|---:|---:|---:|---|---|"]
    checks = []
    for r in rows:
        ok = r.get("status") == "ok" and r.get("jit_ms")
        ratio = r["eager_ms"] / r["jit_ms"] if ok else None
        cells = [f"{r[k]:.3f}" if r.get(k) is not None else "-" for k in ("eager_ms", "jit_ms")]
        lines.append(f"| {r['name']} | {cells[0]} | {cells[1]} | {f'{ratio:.2f}x' if ratio else '-'} | "
                     f"{r['first_s']:.2f} | " if r.get("first_s") is not None else
                     f"| {r['name']} | - | - | - | - | ")
        lines[-1] += f"{', '.join(r.get('host', [])) or 'none'} | {r.get('status', '?')} |"
        checks.append((f"{r['name']} correct and not slower than NumPy by more than 10%",
                       ratio is not None and ratio >= 1 / SLOWER,
                       f"{ratio:.2f}x" if ratio is not None else r.get("status", "?")))
    return "\n".join(lines + ["", "judgement (issue 17):"] + check_lines(checks, quick=False))


def main() -> int:
    """Command line: run the programs, print the table and judgement."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=NAMES + EXTRA_NAMES, metavar="NAME",
                        help="run only these programs (EXTRA_NAMES too)")
    parser.add_argument("--budget", type=float, default=1.0, help="seconds of timed calls per program (default 1)")
    opts = parser.parse_args()
    rows = []
    for name in opts.only or NAMES:
        rows.append(measure(name, opts.budget))
        print(f"  ... {name}: {rows[-1].get('status')}", flush=True)
    print(format_table(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
