"""Timing helpers: interleaved repetitions, medians, and result checks."""
from __future__ import annotations

import gc
import statistics
import time
from typing import Any, Callable

import numpy as np

Thunk = Callable[[], Any]


def time_once(thunk: Thunk) -> tuple[float, Any]:
    """Run ``thunk`` once with the garbage collector paused; return (seconds, result)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        start = time.perf_counter()
        result = thunk()
        elapsed = time.perf_counter() - start
    finally:
        if enabled:
            gc.enable()
    return elapsed, result


def interleaved(thunks: dict[str, Thunk], reps: int, warm_below: float = 0.01) -> dict[str, list[float]]:
    """Time every thunk ``reps`` times, alternating between them.

    The starting thunk rotates each round so none always runs right after another one
    (caches, frequency scaling and the allocator affect whichever comes next). A thunk
    whose last sample took under ``warm_below`` seconds first runs once untimed: after
    another library's call its thread pool may be asleep (waking a thread can take
    milliseconds on a virtual machine) or contend with the other library's spinning
    threads, and a short call would mostly time that; the timed call then measures the
    steady state of a loop. Results are dropped right away so big outputs do not pile up.
    """
    names = list(thunks)
    samples: dict[str, list[float]] = {name: [] for name in names}
    for rep in range(reps):
        shift = rep % len(names)
        for name in names[shift:] + names[:shift]:
            if not samples[name] or samples[name][-1] < warm_below:
                time_once(thunks[name])  # untimed warm-up; its result is dropped at once
            seconds, result = time_once(thunks[name])
            del result
            samples[name].append(seconds)
    return samples


def median_ms(samples: list[float]) -> float:
    """Median of ``samples`` (seconds) in milliseconds."""
    return statistics.median(samples) * 1e3


def choose_reps(round_seconds: float, budget_seconds: float, lo: int, hi: int) -> int:
    """How many rounds fit in ``budget_seconds`` when one round takes ``round_seconds``,
    clamped to ``[lo, hi]``."""
    if round_seconds <= 0:
        return hi
    return max(lo, min(hi, int(budget_seconds / round_seconds)))


def tolerances(dtype: np.dtype) -> tuple[float, float]:
    """(rtol, atol relative to the data's magnitude) for comparing results of ``dtype``."""
    if np.dtype(dtype) == np.float64:
        return 1e-9, 1e-12
    return 1e-4, 1e-5


def check(expected: Any, got: Any) -> str | None:
    """Compare ``got`` with the NumPy result ``expected``; None when they match, otherwise
    a one-line reason. Array results must also agree in dtype (a float64 result for float32
    inputs does different work); scalar results are compared by value only."""
    expected = np.asarray(expected)
    try:
        got = np.asarray(got)
    except Exception as exc:  # noqa: BLE001 - anything unconvertible is a failure
        return f"result is not an array: {type(got).__name__} ({exc})"
    if got.shape != expected.shape:
        return f"shape {got.shape} != expected {expected.shape}"
    if expected.ndim and got.dtype != expected.dtype:
        return f"dtype {got.dtype} != expected {expected.dtype}"
    rtol, atol_rel = tolerances(expected.dtype)
    scale = float(np.max(np.abs(expected))) if expected.size else 1.0
    if not np.isfinite(scale) or scale == 0:
        scale = 1.0
    try:
        np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol_rel * scale)
    except AssertionError as exc:
        lines = [ln.strip() for ln in str(exc).splitlines() if "Max" in ln or "Mismatched" in ln]
        return "values differ: " + "; ".join(lines)
    return None
