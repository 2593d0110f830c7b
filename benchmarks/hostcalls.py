"""What a call back into Python costs: jitted functions whose only work is one host call
(``scipy.special.ndtr`` and ``scipy.stats.norm.sf`` on 10 elements, ``scipy.stats.ttest_ind``
on 10 + 10), and a signature tracejit refuses (run eagerly as a whole), each against the same
function called eagerly. ``python -m benchmarks.hostcalls`` prints, per case, the median
microseconds per call of both and their difference (the overhead), over interleaved rounds.

Times are the calling thread's CPU time (``time.thread_time``): on a shared machine, wall
time mostly measures the other processes; CPU time still counts cache misses they cause.
"""
from __future__ import annotations

import statistics
import time
import timeit
from collections.abc import Callable

import numpy as np

ROUNDS = 9


def _refused(x, scale=2.0):
    return np.arange(int(x.max()) + 1) * scale  # a shape read from the data: refused, so run eagerly


def _cases() -> dict[str, tuple[Callable, tuple, dict, int]]:
    import scipy.special as sp
    from scipy import stats

    def ndtr(x):
        return sp.ndtr(x)

    def norm_sf(x):
        return stats.norm.sf(x)

    def ttest(a, b):
        res = stats.ttest_ind(a, b, equal_var=False)
        return res.statistic, res.pvalue

    x = np.linspace(0.0, 1.0, 10)
    return {"ndtr(x[10])": (ndtr, (x,), {}, 20000), "norm.sf(x[10])": (norm_sf, (x,), {}, 2000),
            "ttest_ind(10, 10)": (ttest, (x, x[::-1] ** 2), {}, 300),
            "refused f(x)": (_refused, (x,), {}, 20000),
            "refused f(x, scale=)": (_refused, (x,), {"scale": 3.0}, 20000)}


def measure(rounds: int = ROUNDS) -> dict[str, tuple[float, float]]:
    """Median (eager, jitted) microseconds per call of each case."""
    import tracejit as tj

    runs = {}
    for name, (fun, args, kwargs, number) in _cases().items():
        jitted = tj.jit(fun)
        jitted(*args, **kwargs)  # (traced and compiled, or refused, here)
        runs[name] = (lambda f=fun, a=args, k=kwargs: f(*a, **k), lambda f=jitted, a=args, k=kwargs: f(*a, **k), number)
    samples: dict[str, tuple[list, list]] = {name: ([], []) for name in runs}
    for _ in range(rounds):
        for name, (eager, jitted, number) in runs.items():
            for out, run in zip(samples[name], (eager, jitted)):
                out.append(timeit.Timer(run, timer=time.thread_time).timeit(number=number) / number * 1e6)
    return {name: (statistics.median(e), statistics.median(j)) for name, (e, j) in samples.items()}


def main() -> None:
    """Print the table."""
    print("host calls and refused signatures: us per call (thread CPU time, median)")
    print(f"  {'case':<22}{'eager':>10}{'tracejit':>10}{'overhead':>10}")
    for name, (eager, jitted) in measure().items():
        print(f"  {name:<22}{eager:10.2f}{jitted:10.2f}{jitted - eager:10.2f}")


if __name__ == "__main__":
    main()
