"""``python -m benchmarks.search_histogram``: searches, histograms, counts and quantiles
compiled natively (issue 17) against eager NumPy, at a small and a large size.

Per workload: the first call (trace + compile, persistent cache off), the NumPy and
tracejit medians and the speedup (NumPy time / tracejit time, > 1: tracejit faster).
Each result is checked to equal NumPy's exactly (values, dtype, shape).
"""
from __future__ import annotations

import argparse
import os
from collections.abc import Callable

import numpy as np

from benchmarks.timing import jit_case, print_cases


def searchsorted(a, v):
    """A binary search per value."""
    return np.searchsorted(a, v)


def digitize(x, bins):
    """Bin indices of increasing bins."""
    return np.digitize(x, bins)


def interp(x, xp, fp):
    """Piecewise-linear interpolation."""
    return np.interp(x, xp, fp)


def histogram(x):
    """100 uniform bins over a given range."""
    return np.histogram(x, bins=100, range=(0.0, 1.0))


def histogram_data_range(x):
    """100 uniform bins over the data's min and max (edges computed at run time)."""
    return np.histogram(x, bins=100)


def histogram_edges(x, edges):
    """Counts between array edges (a search per value)."""
    return np.histogram(x, bins=edges)


def bincount(x):
    """Counts of uint8 labels."""
    return np.bincount(x, minlength=256)


def percentile(x):
    """Three percentiles of all the values."""
    return np.percentile(x, [5.0, 50.0, 95.0])


def _cases(rng: np.random.Generator, m: int, n: int) -> list[tuple[str, Callable, tuple]]:
    """(label, function, arguments): ``m`` values, ``n`` sorted elements or bins."""
    x = rng.random(m)
    sorted_n = np.sort(rng.random(n))
    return [
        (f"searchsorted {m:.0e} into {n:.0e}", searchsorted, (sorted_n, x)),
        (f"digitize {m:.0e} into {n:.0e}", digitize, (x, sorted_n)),
        (f"interp {m:.0e} on {n:.0e} points", interp, (x, sorted_n, rng.random(n))),
        (f"histogram {m:.0e}, 100 bins, range", histogram, (x,)),
        (f"histogram {m:.0e}, 100 bins, data", histogram_data_range, (x,)),
        (f"histogram {m:.0e}, 100 array edges", histogram_edges, (x, np.sort(rng.random(101)))),
        (f"bincount {m:.0e} uint8", bincount, (rng.integers(0, 256, m).astype(np.uint8),)),
        (f"percentile {m:.0e}", percentile, (x,)),
    ]


def run(sizes: list[tuple[int, int]], reps: int) -> list[dict]:
    """Time every case at every size; one row per case."""
    rng = np.random.default_rng(0)
    rows = []
    for m, n in sizes:
        rows.extend(jit_case(label, fn, args, reps) for label, fn, args in _cases(rng, m, n))
    return rows


def main(argv: list[str] | None = None) -> int:
    """Print the table; the exit status is 1 when a result differs from NumPy's."""
    ap = argparse.ArgumentParser(prog="python -m benchmarks.search_histogram", description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="small sizes only")
    ap.add_argument("--reps", type=int, default=15)
    opts = ap.parse_args(argv)
    os.environ.setdefault("TRACEJIT_CACHE", "0")  # first calls compile
    sizes = [(1000, 100)] + ([] if opts.quick else [(1_000_000, 1000), (1_000_000, 1_000_000)])
    return print_cases(run(sizes, opts.reps), 44)


if __name__ == "__main__":
    raise SystemExit(main())
