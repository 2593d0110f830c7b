"""``np.sort`` along the last axis against NumPy, one thread: thread-CPU minima over many
alternating calls, NumPy interleaved in the same process (a shared machine's load moves
both alike). Usage: ``TRACEJIT_NUM_THREADS=1 python -m benchmarks.sorts [--reps R] [case ...]``
with cases such as ``f8:100x1000`` or ``f4:1000000``."""
from __future__ import annotations

import argparse
import os
import time

import numpy as np

CASES = ["f8:1000x100", "f8:100x1000", "f8:33x3000", "f8:6x16384", "f8:1000000",
         "f4:1000x100", "f4:100x1000", "f4:33x3000", "f4:6x16384", "f4:1000000",
         "i8:1000x100", "i8:33x3000", "i8:6x16384", "i8:1000000",
         "i4:1000x100", "i4:33x3000", "i4:6x16384", "i4:1000000"]


def _operand(case: str, rng: np.random.Generator) -> np.ndarray:
    dtype, shape = case.split(":")
    shape = tuple(int(s) for s in shape.split("x"))
    if dtype[0] == "f":
        return rng.standard_normal(shape).astype(dtype)
    info = np.iinfo(dtype)
    return rng.integers(info.min, info.max, shape, dtype=dtype)


def _cpu_min(fn, x: np.ndarray, reps: int) -> float:
    best = float("inf")
    for _ in range(reps):
        t = time.thread_time_ns()
        fn(x)
        best = min(best, time.thread_time_ns() - t)
    return best / 1e6


def measure(case: str, reps: int, rounds: int = 5) -> tuple[float, float]:
    """(tracejit, NumPy) thread-CPU minima in ms of ``np.sort(x, axis=-1)`` for ``case``."""
    import tracejit as tj
    x = _operand(case, np.random.default_rng(0))
    f = tj.jit(lambda a: np.sort(a, axis=-1), fallback=False)
    got, want = f(x), np.sort(x, axis=-1, kind="stable")
    assert np.array_equal(got.view(f"u{x.itemsize}"), want.view(f"u{x.itemsize}")), case
    ours, theirs = float("inf"), float("inf")
    for _ in range(rounds):
        ours = min(ours, _cpu_min(f, x, reps))
        theirs = min(theirs, _cpu_min(lambda a: np.sort(a, axis=-1), x, reps))
    return ours, theirs


def main() -> None:
    """Print one line per case: times (ms) and NumPy / tracejit."""
    ap = argparse.ArgumentParser()
    ap.add_argument("cases", nargs="*", default=CASES)
    ap.add_argument("--reps", type=int, default=20)
    args = ap.parse_args()
    print(f"threads={os.environ.get('TRACEJIT_NUM_THREADS')} load={os.getloadavg()[0]:.1f}")
    for case in args.cases:
        reps = max(3, args.reps // 10) if case.endswith("000000") else args.reps
        ours, theirs = measure(case, reps)
        print(f"{case:14s} tracejit {ours:8.3f} ms  numpy {theirs:8.3f} ms  speedup {theirs / ours:5.2f}x", flush=True)


if __name__ == "__main__":
    main()
