"""The cost of calling a compiled function: ``x * 2 + y`` on two 8-element float32
arrays, where the arithmetic is nothing and the call is everything.

Every system runs in interleaved rounds of ``timeit`` (the median of the rounds is
reported); the overhead is the time per call minus that of an empty Python function of
the same arguments. Peers: eager NumPy, numba ``@njit`` and ``jax.jit`` (its result
blocked on) when installed. ``python -m benchmarks.dispatch`` prints the table alone.
"""
from __future__ import annotations

import statistics
import timeit
from collections.abc import Callable

import numpy as np

from benchmarks.judgement import check_lines

CALLS = 20_000
ROUNDS = 9
LIMIT_US = 1.0  # issue 5: at most 1 us on top of the kernel


def add(x, y):
    return x * 2 + y


def _systems(x, y) -> dict[str, Callable[[], object]]:
    import tracejit as tj

    def empty(a, b):
        return None

    jitted = tj.jit(add)
    out = {"empty function": lambda: empty(x, y), "numpy": lambda: add(x, y), "tracejit": lambda: jitted(x, y)}
    try:
        import numba
        nb = numba.njit(add)
        nb(x, y)
        out["numba"] = lambda: nb(x, y)
    except Exception:  # noqa: BLE001 - not installed or broken: left out
        pass
    try:
        import jax
        cpu = jax.devices("cpu")[0]
        jf = jax.jit(add)  # runs where its inputs are: on the CPU
        jx, jy = jax.device_put(x, cpu), jax.device_put(y, cpu)
        jf(jx, jy).block_until_ready()
        out["jax"] = lambda: jf(jx, jy).block_until_ready()
    except Exception:  # noqa: BLE001
        pass
    return out


def measure(quick: bool = False) -> dict[str, float]:
    """Median microseconds per call of each system."""
    x = np.arange(8, dtype=np.float32)
    y = np.ones(8, np.float32)
    systems = _systems(x, y)
    for run in systems.values():  # warm up (first calls compile)
        run()
    calls, rounds = (CALLS // 10, 3) if quick else (CALLS, ROUNDS)
    samples: dict[str, list[float]] = {name: [] for name in systems}
    for _ in range(rounds):
        for name, run in systems.items():
            samples[name].append(timeit.timeit(run, number=calls) / calls * 1e6)
    return {name: statistics.median(s) for name, s in samples.items()}


def format_table(us: dict[str, float], quick: bool) -> str:
    """Per-call times, overheads over the empty function, and the issue's criteria."""
    base = us["empty function"]
    lines = ["call overhead: f(x, y) = x*2 + y on 8-element float32 arrays, us per call (median):"]
    for name, t in us.items():
        extra = "" if name == "empty function" else f"  (overhead {t - base:.2f})"
        lines.append(f"  {name:<15}{t:8.2f}{extra}")
    ours = us["tracejit"] - base
    checks = [(f"tracejit overhead <= {LIMIT_US:g} us", ours <= LIMIT_US, f"{ours:.2f} us")]
    for peer in ("numba", "jax"):
        if peer in us:
            theirs = us[peer] - base
            checks.append((f"tracejit overhead below {peer}'s", ours < theirs, f"{ours:.2f} vs {theirs:.2f} us"))
    return "\n".join(lines + check_lines(checks, quick, ("above", "below")))


if __name__ == "__main__":
    print(format_table(measure(), quick=False))
