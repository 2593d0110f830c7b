"""The loop programs of issue 16 compile once across input sizes (within one regime of the
compiler: ``compiler/generic_sizes.py``), and agree with eager NumPy at each size."""
from __future__ import annotations

import pytest

from benchmarks.compile_counts import counts

CASES = {
    "crc16": ({"n": 16}, {"n": 100}, {"n": 1000}),  # the trip count of ``for b in data``: a run-time size
    "csr_matvec": tuple({"n": n, "per_row": 3} for n in (8, 50, 300)),  # new rows and stored entries
    "newton": ({"n": 10}, {"n": 1000}, {"n": 30_000}),
    "particles": ({"n": 300}, {"n": 1000}, {"n": 2000}),
    "kmeans_natural": tuple({"n": n, "k": 4, "d": 3} for n in (300, 1000)),  # a long masked mean's length
    "kmeans_natural_split": tuple({"n": n, "k": 4, "d": 3} for n in (2000, 5000)),  # split over rows
    "ema": tuple({"rows": r, "cols": 5} for r in (6, 20, 50)),  # (a new row length: a new stride, compiles)
    "gru": tuple({"steps": t, "batch": 4, "inputs": 5, "hidden": 6} for t in (3, 5, 8)),  # (gemm keeps sizes)
    "trisolve": ({"n": 6}, {"n": 9}, {"n": 16}),  # a generalized loop's segment bounds are size parameters
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_compiles_once_across_sizes(case):
    rows = counts(case.removesuffix("_split"), CASES[case])
    assert all(r["ok"] for r in rows), rows
    assert [r["traces"] for r in rows] == list(range(1, len(rows) + 1)), rows
    # no compilation after the first size (the first may find the code loaded by an earlier test)
    assert rows[-1]["compilations"] == rows[0]["compilations"] <= 1, rows


def test_a_zero_trip_loop_and_a_new_size_still_agree():
    rows = counts("csr_matvec", ({"n": 1, "per_row": 0}, {"n": 5, "per_row": 2}, {"n": 0, "per_row": 1}))
    assert all(r["ok"] for r in rows), rows
