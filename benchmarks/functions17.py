"""Issue 17's native functions against eager NumPy at a small and a large size:
``python -m benchmarks.functions17`` prints, per function and size, NumPy's time, the
jitted time (best of several calls after the first), the ratio and the first call's time."""
from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

import tracejit as tj

rng = np.random.default_rng(0)


def _best(fn: Callable, args: tuple, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn(*args)
        best = min(best, time.perf_counter() - t)
    return best


def _add_at(a, i, b):
    np.add.at(a, i, b)
    return a


def _put(a, i, v):
    np.put(a, i, v, mode="wrap")
    return a


def cases(n: int) -> list[tuple[str, Callable, tuple]]:
    """(name, function, arguments) at size ``n``."""
    x = rng.standard_normal(n)
    m = rng.standard_normal((8, n // 8))
    nan = x.copy()
    nan[::7] = np.nan
    idx = rng.integers(0, n // 4 + 1, n)
    return [
        ("maximum.accumulate", lambda a: np.maximum.accumulate(a), (x,)),
        ("bitwise_xor.reduce", lambda a: np.bitwise_xor.reduce(a), (idx,)),
        ("add.at", _add_at, (np.zeros(n // 4 + 1), idx, x)),
        ("take_along_axis", lambda a, i: np.take_along_axis(a, i, axis=0), (x, idx)),
        ("select", lambda a: np.select([a > 1, a < -1], [a * 2, -a], 0.0), (x,)),
        ("put", _put, (x.copy(), idx, x[:7])),
        ("ptp", lambda a: np.ptp(a), (x,)),
        ("nanmean", lambda a: np.nanmean(a), (nan,)),
        ("nanvar", lambda a: np.nanvar(a), (nan,)),
        ("average(weights)", lambda a, w: np.average(a, weights=w), (x, np.abs(x))),
        ("trapezoid", lambda a: np.trapezoid(a, dx=0.1), (x,)),
        ("cov", lambda a: np.cov(a), (m,)),
        ("linspace", lambda a, b: np.linspace(a, b, n), (np.float64(-1.0), np.float64(2.0))),
    ]


def main() -> None:
    """Print the table."""
    print(f"{'function':20} {'n':>8} {'numpy us':>10} {'tracejit us':>12} {'ratio':>7} {'first call ms':>14}")
    for n in (1000, 1_000_000):
        repeat = 200 if n < 10_000 else 10
        for name, fn, args in cases(n):
            jitted = tj.jit(fn)
            t = time.perf_counter()
            jitted(*[a.copy() if isinstance(a, np.ndarray) else a for a in args])
            first = time.perf_counter() - t
            with np.errstate(all="ignore"):
                t_np = _best(fn, [a.copy() if isinstance(a, np.ndarray) else a for a in args], repeat)
            t_jit = _best(jitted, [a.copy() if isinstance(a, np.ndarray) else a for a in args], repeat)
            print(f"{name:20} {n:>8} {t_np * 1e6:>10.1f} {t_jit * 1e6:>12.1f} {t_np / t_jit:>6.2f}x "
                  f"{first * 1e3:>14.0f}")


if __name__ == "__main__":
    main()
