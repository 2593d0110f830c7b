"""Print the accuracy table of tracejit's vector math: max ulp error per function and dtype.

Run from the repository root: ``python tools/accuracy_table.py`` (``--dense`` adds
2**16 random inputs per float32 exponent, erf aside; a few minutes). Inputs are the test
suite's sweeps (every exponent of the format, both signs, subnormals and special values,
plus a dense linear range per function); references are correctly rounded, or nearly
(see ``tests/mathref.py``). Exhaustive float32 checks of the hottest functions are in
the slow tests (``pytest --runslow -k exhaustive``).
"""
from __future__ import annotations

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import tracejit as tj  # noqa: E402
from tests.conftest import ulp_distance  # noqa: E402
from tests.mathref import reference, sweep  # noqa: E402
from tests.test_mathlib import LIMIT, UNARY, inputs  # noqa: E402
from tracejit import special  # noqa: E402

DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def worst(name: str, dtype: np.dtype, dense: bool) -> tuple[float, float]:
    """(max ulp error, the input where it occurs) of tracejit's ``name`` at ``dtype``."""
    if name == "power":
        rng = np.random.default_rng(1)
        xs = np.concatenate([sweep(dtype, per_exponent=1), rng.uniform(0, 4, 3000).astype(dtype)])
        ys = np.concatenate([rng.uniform(-50, 50, xs.size), np.full(xs.size, 0.5), np.full(xs.size, 3.0)])
        x, y = np.tile(xs, 3), ys.astype(dtype)
        with np.errstate(all="ignore"):
            got, ref = tj.jit(np.power)(x, y), reference("power", dtype, x, y)
    else:
        if name == "erf":
            x = np.concatenate([sweep(dtype, per_exponent=3, lo_exp=-60, hi_exp=10),
                                np.linspace(-30, 30, 20001)]).astype(dtype)
        else:
            x = inputs(name, dtype)
        if dense and dtype == np.float32 and name != "erf":  # erf's reference is mpmath: slow
            x = np.concatenate([x, sweep(dtype, per_exponent=1 << 16, seed=7)])
        fn = getattr(special, name) if name == "erf" else getattr(np, name)
        with np.errstate(all="ignore"):
            got, ref = tj.jit(fn)(x), reference(name, dtype, x)
    d = ulp_distance(got, ref)  # NaN == NaN, equal infinities 0
    i = int(np.argmax(d))
    return float(d[i]), float(x[i])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dense", action="store_true", help="2**16 random inputs per float32 exponent")
    opts = ap.parse_args(argv)
    names = UNARY + ["erf", "power"]
    print(f"{'function':10} {'float32 max ulp':>16} {'at x':>14} {'float64 max ulp':>16} {'at x':>14}")
    failed = False
    for name in names:
        cells = []
        for dtype in DTYPES:
            err, at = worst(name, dtype, opts.dense)
            failed |= err > LIMIT[dtype]
            cells.append(f"{err:16.2f} {at:14.6g}" if err else f"{0:16.2f} {'-':>14}")
        print(f"{name:10} {' '.join(cells)}")
    print(f"limits: float32 {LIMIT[DTYPES[0]]:g} ulp, float64 {LIMIT[DTYPES[1]]:g} ulp")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
