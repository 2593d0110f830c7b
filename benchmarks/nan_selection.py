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
import warnings

import numpy as np

from benchmarks.timing import jit_case, print_cases


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
            rows.append(jit_case(label, fn, (arg,), reps))
    return rows


def main(argv: list[str] | None = None) -> int:
    """Print the table; the exit status is 1 when a result differs from NumPy's."""
    ap = argparse.ArgumentParser(prog="python -m benchmarks.nan_selection", description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="the small size only")
    ap.add_argument("--reps", type=int, default=15)
    opts = ap.parse_args(argv)
    os.environ.setdefault("TRACEJIT_CACHE", "0")  # first calls compile
    warnings.simplefilter("ignore", RuntimeWarning)
    return print_cases(run([1000] + ([] if opts.quick else [1_000_000]), opts.reps), 34)


if __name__ == "__main__":
    raise SystemExit(main())
