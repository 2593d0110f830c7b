"""The cost of calling a compiled function whose arguments and result are pytrees
(a model's parameters and optimizer state as dicts of arrays), against flat positional arrays.

Three functions on small float32 arrays (8 elements: the arithmetic is nothing, the call is
everything): ``flat`` (4 positional arrays, one result), ``dict18`` (a dict of 18 arrays in,
a dict of 18 out) and ``adam`` (dicts of 6 parameters, their m and v, a Python int step and a
float learning rate in; a tuple of three dicts out, as ``examples/train_digits.py``'s step).
Each runs in interleaved rounds of ``timeit``; the median us per call and the spread
(min-max of the rounds) are reported. ``python -m benchmarks.treecalls`` prints the table.
"""
from __future__ import annotations

import statistics
import timeit
from collections.abc import Callable

import numpy as np

CALLS = 5_000
ROUNDS = 9


def flat(a, b, c, d):
    return a * b + c - d


def dict18(p):
    return {k: v * 2.0 for k, v in p.items()}


def adam(params, m, v, step, lr):
    new_p, new_m, new_v = {}, {}, {}
    for k in params:
        new_m[k] = 0.9 * m[k] + 0.1 * params[k]
        new_v[k] = 0.999 * v[k] + 0.001 * params[k] ** 2
        new_p[k] = params[k] - lr * new_m[k] / (np.sqrt(new_v[k]) + 1e-8) / (1 - 0.9 ** (step + 1))
    return new_p, new_m, new_v


def _cases() -> dict[str, Callable[[], object]]:
    import tracejit as tj

    x = [np.arange(8, dtype=np.float32) + i for i in range(4)]
    p18 = {f"w{i}": np.arange(8, dtype=np.float32) + i for i in range(18)}
    p6 = {f"{n}{i}": np.ones(8, np.float32) * (i + 1) for i in range(3) for n in "Wb"}
    m6 = {k: np.zeros_like(a) for k, a in p6.items()}
    v6 = {k: np.zeros_like(a) for k, a in p6.items()}
    jf, jd, ja = tj.jit(flat), tj.jit(dict18), tj.jit(adam)
    return {"flat 4 arrays": lambda: jf(*x), "dict of 18 in/out": lambda: jd(p18),
            "adam 3x6 dicts": lambda: ja(p6, m6, v6, 3, 1e-3)}


def measure(quick: bool = False) -> dict[str, tuple[float, float, float]]:
    """Per case: (median, min, max) microseconds per call over the rounds."""
    cases = _cases()
    for run in cases.values():  # warm up (first calls compile)
        run()
        run()
    calls, rounds = (CALLS // 10, 3) if quick else (CALLS, ROUNDS)
    samples: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(rounds):
        for name, run in cases.items():
            samples[name].append(timeit.timeit(run, number=calls) / calls * 1e6)
    return {name: (statistics.median(s), min(s), max(s)) for name, s in samples.items()}


def format_table(us: dict[str, tuple[float, float, float]]) -> str:
    """Median us per call and the spread of the rounds."""
    lines = ["pytree call overhead, us per call (median [min-max] of the rounds):"]
    for name, (med, lo, hi) in us.items():
        lines.append(f"  {name:<20}{med:8.2f}  [{lo:.2f}-{hi:.2f}]")
    return "\n".join(lines)


if __name__ == "__main__":
    print(format_table(measure()))
