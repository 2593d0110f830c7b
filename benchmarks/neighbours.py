"""Good neighbours (issue 21): NumPy's small matmul right after tracejit calls, and ``import tracejit``.

A process that calls tracejit and then NumPy must find the cores free: tracejit's worker threads
sleep (the pool is parked when a program returns) instead of spinning where OpenBLAS's threads
want to run. Timed here: a 128x128 float64 matmul (``A @ B``, OpenBLAS, all its threads) right
after a parallel tracejit map of 1e6 elements, against the same matmul right after the map run
by eager NumPy, in alternating rounds of one process (so the machine's load drifts alike for
both), and against rounds before this check's first tracejit call (in a fresh process: no pool
yet). A ratio (median after tracejit / median after NumPy) within 1.10 passes. ``--spin-curve``
measures the pool's spin budget, yield and backoff settings instead (docs/design.md).

Then ``import tracejit`` in a fresh interpreter, NumPy already imported (tracejit's own cost),
median of 10: the package loads its configuration and errors only (``tracejit/__init__.py``).

``python -m benchmarks.neighbours [--quick]``.
"""
from __future__ import annotations

import statistics
import sys
import time
from dataclasses import dataclass

import numpy as np

from benchmarks import firstcall

LIMIT = 1.10  # the issue's bound on the slowdown of the matmul after tracejit calls
SIZE = 1_000_000  # elements of the map: well above the pool's parallel threshold


def _map(a, b):
    return np.sin(a) * b + 1.0


@dataclass
class Neighbours:
    """Matmul medians (seconds) before any tracejit call, right after an eager NumPy map and
    right after the same map jitted, and ``import tracejit`` medians (seconds)."""

    before: list[float]
    after_numpy: list[float]
    after_tracejit: list[float]
    imports: list[float]
    threads: int

    @property
    def ratio(self) -> float:
        """Median matmul right after tracejit / median right after NumPy (same rounds)."""
        return statistics.median(self.after_tracejit) / statistics.median(self.after_numpy)


def _matmul_after(call, a, b, x, y) -> float:
    call(x, y)
    t = time.perf_counter()
    a @ b
    return time.perf_counter() - t


def measure_matmul(rounds: int) -> tuple[list[float], list[float], list[float], int]:
    """Matmul times before the first tracejit call, then in alternating rounds after NumPy's
    map and after tracejit's; and tracejit's thread count."""
    rng = np.random.default_rng(0)
    a, b = rng.random((128, 128)), rng.random((128, 128))
    x, y = rng.random(SIZE), rng.random(SIZE)
    for _ in range(20):
        a @ b
    before = [_matmul_after(_map, a, b, x, y) for _ in range(rounds)]
    import tracejit as tj

    jitted = tj.jit(_map)
    np.testing.assert_allclose(jitted(x, y), _map(x, y), rtol=1e-12)
    after_numpy, after_tracejit = [], []
    for i in range(2 * rounds):
        if i % 2:
            after_tracejit.append(_matmul_after(jitted, a, b, x, y))
        else:
            after_numpy.append(_matmul_after(_map, a, b, x, y))
    return before, after_numpy, after_tracejit, tj.config.num_threads


def measure_import(runs: int = 10) -> list[float]:
    """Seconds ``import tracejit`` takes in ``runs`` fresh interpreters (NumPy imported first)."""
    return firstcall.import_seconds("tracejit", runs)[2]


def measure(quick: bool = False) -> Neighbours:
    """Both measurements (``quick``: fewer rounds)."""
    rounds = 60 if quick else 300
    before, after_numpy, after_tracejit, threads = measure_matmul(rounds)
    return Neighbours(before, after_numpy, after_tracejit, measure_import(), threads)


def _describe(samples: list[float]) -> str:
    s = sorted(samples)
    return (f"median {statistics.median(s) * 1e3:7.3f} ms  (p25 {s[len(s) // 4] * 1e3:.3f}, "
            f"p75 {s[3 * len(s) // 4] * 1e3:.3f})")


def format_table(result: Neighbours, quick: bool = False) -> str:
    """The neighbour check as printed by ``python -m benchmarks``."""
    verdict = "PASS" if result.ratio <= LIMIT else "FAIL"
    vs_before = statistics.median(result.after_tracejit) / statistics.median(result.before)
    lines = [f"good neighbours (issue 21): NumPy 128x128 float64 matmul right after a {SIZE:.0e}-element map, "
             f"tracejit {result.threads} threads{', quick' if quick else ''}",
             f"  before its tracejit calls  {_describe(result.before)}",
             f"  right after NumPy's map    {_describe(result.after_numpy)}",
             f"  right after tracejit's map {_describe(result.after_tracejit)}",
             f"  ratio after tracejit / after NumPy {result.ratio:.2f} (limit {LIMIT:.2f}): {verdict}; "
             f"after tracejit / before {vs_before:.2f}",
             f"import tracejit (NumPy already imported), {len(result.imports)} fresh processes: "
             f"{_describe(result.imports)}"]
    return "\n".join(lines)




def _chain(x):
    """Six parallel kernels in a row (reductions feeding maps): the pool hands work over."""
    m = x.max()
    e = np.exp(x - m)
    y = e / e.sum()
    return y - y.mean()


def _worker_cpu_ns() -> int:
    """CPU time the pool's worker threads have used (``/proc/self/task/*/schedstat``)."""
    import threading

    total = 0
    for t in threading.enumerate():
        if t.name.startswith("tracejit-worker-"):
            with open(f"/proc/self/task/{t.native_id}/schedstat") as f:
                total += int(f.read().split()[0])
    return total


def spin_curve(settings: list[tuple[int, int, int, float]], rounds: int) -> list[dict]:
    """For each (spin polls, yield every, max backoff, linger us) setting, in interleaved rounds: the median time of a
    six-kernel chain alone, the CPU per call (the caller's and the workers'), and with a busy neighbour (another
    thread doing 256x256 matmuls, which hold no GIL: OpenBLAS's pool is busy): the chain's
    median time and the matmuls done per ms."""
    import threading

    import tracejit as tj
    from tracejit.runtime import threads

    x = np.random.default_rng(1).random(400_000)
    f = tj.jit(_chain)
    np.testing.assert_allclose(f(x), _chain(x), rtol=1e-9, atol=1e-15)
    pool = threads.pool()
    a = np.random.default_rng(2).random((256, 256))
    stats = {s: {"alone": [], "cpu": [], "busy": [], "matmuls": []} for s in settings}
    for _ in range(rounds):
        for s in settings:
            pool.tune(*s)
            st = stats[s]
            cpu0, main0 = _worker_cpu_ns(), time.thread_time_ns()
            for _ in range(20):
                t = time.perf_counter()
                f(x)
                st["alone"].append(time.perf_counter() - t)
            st["cpu"].append((_worker_cpu_ns() - cpu0 + time.thread_time_ns() - main0) / 20 / 1e3)
            stop, count = threading.Event(), [0]

            def neighbour():
                while not stop.is_set():
                    a @ a
                    count[0] += 1
            th = threading.Thread(target=neighbour)
            t0 = time.perf_counter()
            th.start()
            for _ in range(20):
                t = time.perf_counter()
                f(x)
                st["busy"].append(time.perf_counter() - t)
            stop.set()
            th.join()
            st["matmuls"].append(count[0] / ((time.perf_counter() - t0) * 1e3))
    pool.tune(threads.SPIN, threads.YIELD_EVERY, threads.MAX_BACKOFF, threads.LINGER_US)
    return [{"spin": s[0], "yield_every": s[1], "max_backoff": s[2], "linger": s[3],
             **{k: statistics.median(v) for k, v in st.items()}} for s, st in stats.items()]


def format_spin_curve(rows: list[dict]) -> str:
    """The spin curve as a table."""
    lines = ["spin polls  yield every  max backoff  linger us  chain alone ms  CPU us/call (all threads)  "
             "chain w/ busy neighbour ms  neighbour matmuls/ms"]
    for r in rows:
        lines.append(f"{r['spin']:10d}  {r['yield_every']:11d}  {r['max_backoff']:11d}  {r['linger']:9g}  "
                     f"{r['alone'] * 1e3:14.3f}  "
                     f"{r['cpu']:25.1f}  {r['busy'] * 1e3:26.3f}  {r['matmuls']:20.2f}")
    return "\n".join(lines)


SPIN_SETTINGS = [(1, 0, 0, 0), (256, 0, 0, 0), (1000, 0, 0, 0), (4000, 0, 0, 0), (16000, 0, 0, 0), (64000, 0, 0, 0),
                 (1000, 64, 0, 0), (4000, 64, 0, 0), (64000, 64, 0, 0),
                 (1, 0, 256, 0), (1000, 0, 256, 0), (4000, 0, 256, 0), (1000, 64, 256, 0), (4000, 64, 256, 0),
                 (64000, 64, 256, 0), (4000, 0, 256, 100), (4000, 0, 256, 300), (4000, 0, 256, 1000)]

if __name__ == "__main__":
    if "--spin-curve" in sys.argv[1:]:  # the measurement behind runtime/threads.py's SPIN and YIELD_EVERY
        print(format_spin_curve(spin_curve(SPIN_SETTINGS, 3 if "--quick" in sys.argv[1:] else 10)))
    else:
        print(format_table(measure("--quick" in sys.argv[1:]), "--quick" in sys.argv[1:]))
