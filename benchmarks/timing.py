"""Timing helpers: interleaved blocks of repetitions, medians, and result checks."""
from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable
from typing import Any

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


def interleaved(thunks: dict[str, Thunk], reps: int, passes: int = 3,
                settle: float = 0.25) -> dict[str, list[float]]:
    """Time every thunk ``reps`` times in all, in blocks: ``passes`` passes over the
    thunks, each running one block of consecutive calls per thunk.

    Each block starts with untimed calls for at least ``settle`` seconds: a library's
    thread pool keeps spinning for a while after its last call (OpenBLAS's for about
    0.13 s) and takes a core from whichever library runs next, and a pool that has gone
    to sleep takes milliseconds to wake on a virtual machine. The timed calls thus
    measure each system in the steady state of a loop, not the previous system's
    leftovers. The starting thunk rotates from pass to pass so that slow drifts of the
    machine spread over all systems. Results are dropped right away so big outputs do
    not pile up.
    """
    names = list(thunks)
    samples: dict[str, list[float]] = {name: [] for name in names}
    passes = max(1, min(passes, reps))
    for p in range(passes):
        count = reps // passes + (p < reps % passes)
        shift = p % len(names)
        for name in names[shift:] + names[:shift]:
            until = time.perf_counter() + settle
            time_once(thunks[name])  # at least one untimed call; results dropped at once
            while time.perf_counter() < until:
                time_once(thunks[name])
            for _ in range(count):
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


def same_exactly(want: Any, got: Any) -> bool:
    """Whether ``got`` equals NumPy's ``want`` exactly: values (NaN equal to NaN), dtype and
    shape, per element of a tuple."""
    if isinstance(want, tuple):
        return isinstance(got, tuple) and len(got) == len(want) and all(map(same_exactly, want, got))
    return np.asarray(want).dtype == np.asarray(got).dtype and np.array_equal(want, got, equal_nan=True)


def jit_case(label: str, fn: Callable, args: tuple, reps: int) -> dict:
    """One row of a NumPy-against-tracejit table: ``tj.jit(fn)``'s first call on ``args`` (trace
    and compile), whether its result equals NumPy's exactly, then the medians of ``reps``
    interleaved calls of each and the speedup (NumPy time / tracejit time, > 1: tracejit faster)."""
    import tracejit as tj

    jitted = tj.jit(fn)
    start = time.perf_counter()
    got = jitted(*args)  # (the garbage collector on, as a user's first call runs)
    first = time.perf_counter() - start
    ok = same_exactly(fn(*args), got)
    samples = interleaved({"numpy": lambda: fn(*args), "tracejit": lambda: jitted(*args)}, reps)
    np_ms, tj_ms = median_ms(samples["numpy"]), median_ms(samples["tracejit"])
    return {"case": label, "first_s": first, "numpy_ms": np_ms, "tracejit_ms": tj_ms, "speedup": np_ms / tj_ms,
            "exact": ok}


def print_cases(rows: list[dict], width: int) -> int:
    """Print :func:`jit_case` rows as a table (case names ``width`` wide); 1 when a result differed
    from NumPy's, else 0 (the exit status)."""
    print(f"{'case':{width}} {'first s':>8} {'numpy ms':>9} {'tracejit ms':>11} {'speedup':>8}  exact")
    for r in rows:
        print(f"{r['case']:{width}} {r['first_s']:8.2f} {r['numpy_ms']:9.3f} {r['tracejit_ms']:11.3f} "
              f"{r['speedup']:8.2f}  {'yes' if r['exact'] else 'NO'}")
    return 0 if all(r["exact"] for r in rows) else 1
