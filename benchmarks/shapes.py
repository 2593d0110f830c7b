"""Many shapes, few compilations: one function called with 100 vector lengths.

``f(x, y) = sin(x) * y + exp(-x * x)`` on float32 vectors of 100 distinct lengths
between 1 and 300,000 (a fixed random draw plus the small lengths around vector
widths), each called once, in a fresh jitted function per system. Reported: LLVM
compilations (tracejit: ``cache_info().compilations``; every new length still traces),
the first call at a new length (median, ms: trace + optimize + compile or reuse + run)
and the total. Peers when installed: ``jax.jit`` (compiles per shape) and numba
``@njit`` (size-generic loops, compiled once per dtype). Criterion (issue 5): at most a
handful (5) of compilations. ``python -m benchmarks.shapes`` prints the table alone.
"""
from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import numpy as np

HANDFUL = 5


def fn(x, y):
    return np.sin(x) * y + np.exp(-x * x)


def lengths(count: int = 100, seed: int = 0) -> list[int]:
    """``count`` distinct lengths: the small ones around vector widths, then random ones."""
    small = [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33]
    rng = np.random.default_rng(seed)
    out = list(small)
    while len(out) < count:
        n = int(rng.integers(34, 300_000))
        if n not in out:
            out.append(n)
    return out


def _tracejit() -> tuple[Callable, Callable[[], int]]:
    import tracejit as tj
    f = tj.jit(fn)
    return f, lambda: f.cache_info().compilations


def _jax():
    import jax
    import jax.numpy as jnp
    cpu = jax.devices("cpu")[0]
    f = jax.jit(lambda x, y: jnp.sin(x) * y + jnp.exp(-x * x))
    return (lambda x, y: f(jax.device_put(x, cpu), jax.device_put(y, cpu)).block_until_ready(),
            lambda: f._cache_size())


def _numba():
    import numba

    @numba.njit
    def kernel(x, y):
        out = np.empty_like(x)
        for i in range(x.shape[0]):
            out[i] = np.sin(x[i]) * y[i] + np.exp(-x[i] * x[i])
        return out

    return kernel, lambda: len(kernel.signatures)


def measure(count: int = 100) -> dict[str, dict]:
    """Per system: compilations, median and total first-call ms over ``count`` lengths."""
    rng = np.random.default_rng(1)
    inputs = [(rng.standard_normal(n).astype(np.float32), rng.standard_normal(n).astype(np.float32))
              for n in lengths(count)]
    results = {}
    import warnings
    for name, make in (("tracejit", _tracejit), ("jax.jit", _jax), ("numba", _numba)):
        try:
            f, compilations = make()
        except Exception:  # noqa: BLE001 - peer not installed or broken: left out
            continue
        times = []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # tracejit's retrace warning
            for x, y in inputs:
                t = time.perf_counter()
                f(x, y)
                times.append((time.perf_counter() - t) * 1e3)
        results[name] = {"compilations": compilations(), "median_ms": statistics.median(times),
                         "total_ms": sum(times), "lengths": len(inputs)}
    return results


def format_table(results: dict[str, dict], quick: bool) -> str:
    n = next(iter(results.values()))["lengths"]
    lines = [f"one function, {n} vector lengths (1 to 300,000), each called once: first calls, ms",
             f"  {'system':<10}{'compilations':>14}{'median':>9}{'total':>10}"]
    for name, r in results.items():
        lines.append(f"  {name:<10}{r['compilations']:>14}{r['median_ms']:>9.2f}{r['total_ms']:>10.1f}")
    ours = results["tracejit"]["compilations"]
    ok = ours <= HANDFUL
    verdict = ("ok" if ok else "over") if quick else ("PASS" if ok else "FAIL")
    lines.append(f"  {verdict:<5}   {n} lengths with at most {HANDFUL} LLVM compilations: {ours}")
    return "\n".join(lines)


if __name__ == "__main__":
    print(format_table(measure(), quick=False))
