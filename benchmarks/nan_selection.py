"""``python -m benchmarks.nan_selection``: ``np.nanmedian`` and ``np.nanpercentile`` compiled
natively (ranks read from the data: ``frontend/numpy/nanselect.py``) against eager NumPy, at
1e3 and 1e6 elements (10% NaN), over all values and along rows.

Per workload: the first call (trace + compile, persistent cache off), the NumPy and
tracejit medians of interleaved runs and the speedup (NumPy time / tracejit time, > 1:
tracejit faster). Each result is checked to equal NumPy's exactly (values, dtype, shape).
"""
from __future__ import annotations

import argparse
import os
import time
import warnings

import numpy as np

from benchmarks.timing import interleaved, median_ms


def nanmedian(x):
    """The median of the numbers."""
    return np.nanmedian(x)


def nanmedian_rows(x):
    """The median of each row's numbers."""
    return np.nanmedian(x, axis=1)


def nanpercentiles(x):
    """Three percentiles of the numbers."""
    return np.nanpercentile(x, [5.0, 50.0, 95.0])


def nanpercentile_rows(x):
    """The 90th percentile of each row's numbers."""
    return np.nanpercentile(x, 90.0, axis=1)


def run(sizes: list[int], reps: int) -> list[dict]:
    """Time every case at every size; one row per case."""
    import tracejit as tj

    rng = np.random.default_rng(0)
    rows = []
    for n in sizes:
        x = rng.standard_normal(n)
        x[rng.random(n) < 0.1] = np.nan
        grid = x.reshape(-1, 100 if n < 10**5 else 1000)
        for label, fn, arg in ((f"nanmedian {n:.0e}", nanmedian, x),
                               (f"nanmedian rows {grid.shape}", nanmedian_rows, grid),
                               (f"nanpercentile x3 {n:.0e}", nanpercentiles, x),
                               (f"nanpercentile rows {grid.shape}", nanpercentile_rows, grid)):
            jitted = tj.jit(fn)
            start = time.perf_counter()
            got = jitted(arg)
            first = time.perf_counter() - start
            want = fn(arg)
            ok = np.asarray(want).dtype == np.asarray(got).dtype and np.array_equal(want, got, equal_nan=True)
            samples = interleaved({"numpy": lambda: fn(arg), "tracejit": lambda: jitted(arg)}, reps)
            np_ms, tj_ms = median_ms(samples["numpy"]), median_ms(samples["tracejit"])
            rows.append({"case": label, "first_s": first, "numpy_ms": np_ms, "tracejit_ms": tj_ms,
                         "speedup": np_ms / tj_ms, "exact": ok})
    return rows


def main(argv: list[str] | None = None) -> int:
    """Print the table; the exit status is 1 when a result differs from NumPy's."""
    ap = argparse.ArgumentParser(prog="python -m benchmarks.nan_selection", description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="the small size only")
    ap.add_argument("--reps", type=int, default=15)
    opts = ap.parse_args(argv)
    os.environ.setdefault("TRACEJIT_CACHE", "0")  # first calls compile
    warnings.simplefilter("ignore", RuntimeWarning)
    rows = run([1000] + ([] if opts.quick else [1_000_000]), opts.reps)
    print(f"{'case':34} {'first s':>8} {'numpy ms':>9} {'tracejit ms':>11} {'speedup':>8}  exact")
    for r in rows:
        print(f"{r['case']:34} {r['first_s']:8.2f} {r['numpy_ms']:9.3f} {r['tracejit_ms']:11.3f} "
              f"{r['speedup']:8.2f}  {'yes' if r['exact'] else 'NO'}")
    return 0 if all(r["exact"] for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
