"""``python -m benchmarks.linalg``: numpy.linalg functions run natively in NumPy's own LAPACK
(issue 17) against eager NumPy, at 4x4, 16x16, 64x64 and 512x512 and on a stack of 4x4s.

Per function and size: the first call (trace + compile, persistent cache off), the NumPy and
tracejit medians of interleaved calls and the speedup (NumPy time / tracejit time, > 1:
tracejit faster). Each result is checked against NumPy's: 'exact' when bit-identical,
'close' within 1e-12 relative (det/slogdet: NumPy's libm log/exp against ours), 'bound'
within LAPACK's error bound (lstsq's fast path, solve_triangular's trsm: docs/design.md).

``--threads default 2 1`` measures under each OpenBLAS thread count (``OPENBLAS_NUM_THREADS``,
read when NumPy loads: one child process per setting and round, the settings interleaved
round by round); the table then shows the median over ``--rounds`` rounds of each round's
median and the spread of the round medians (lowest..highest speedup).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable

import numpy as np

from benchmarks.timing import interleaved, median_ms


def solve(a, b):
    """A system with 4 right-hand sides."""
    return np.linalg.solve(a, b)


def inv(a):
    """The inverse."""
    return np.linalg.inv(a)


def det(a):
    """The determinant."""
    return np.linalg.det(a)


def slogdet(a):
    """Sign and log-determinant."""
    return tuple(np.linalg.slogdet(a))


def cholesky(a):
    """The lower Cholesky factor."""
    return np.linalg.cholesky(a)


def eigh(a):
    """Eigenvalues and eigenvectors of a symmetric matrix."""
    return tuple(np.linalg.eigh(a))


def eigvalsh(a):
    """Eigenvalues of a symmetric matrix."""
    return np.linalg.eigvalsh(a)


def qr(a):
    """Reduced QR."""
    return tuple(np.linalg.qr(a))


def lstsq(a, b):
    """Least squares with 4 right-hand sides (solution, residuals, rank, singular values)."""
    return tuple(np.linalg.lstsq(a, b))


def solve_vector(a, b):
    """A system with one right-hand side (a vector)."""
    return np.linalg.solve(a, b[..., 0])


def lstsq_vector(a, b):
    """Least squares with one right-hand side (a vector)."""
    return tuple(np.linalg.lstsq(a, b[:, 0]))


def solve_triangular(a, b):
    """``scipy.linalg.solve_triangular`` of the lower triangle, 4 right-hand sides."""
    import scipy.linalg
    return scipy.linalg.solve_triangular(a, b, lower=True)


FUNCTIONS = (solve, inv, det, slogdet, cholesky, eigh, eigvalsh, qr, lstsq, solve_vector, lstsq_vector,
             solve_triangular)
TWO_D_ONLY = (lstsq, lstsq_vector, solve_triangular)


def _cases(rng: np.random.Generator, shape: tuple, only: set[str], dtype: str = "float64"
           ) -> list[tuple[str, Callable, tuple]]:
    n = shape[-1]
    a = rng.standard_normal(shape)
    spd = a @ np.swapaxes(a, -1, -2) + n * np.eye(n)
    b = rng.standard_normal(shape[:-1] + (4,))
    lower = np.tril(a) + n * np.eye(n)
    a, spd, b, lower = (x.astype(dtype) for x in (a, spd, b, lower))
    size = "x".join(map(str, shape)) + ("" if dtype == "float64" else f" {dtype}")
    args = {solve: (a, b), cholesky: (spd,), eigh: (spd,), eigvalsh: (spd,), lstsq: (a, b), solve_vector: (a, b),
            lstsq_vector: (a, b), solve_triangular: (lower, b)}
    default = (set(FUNCTIONS[:9]) | {solve_triangular}) if _has_scipy() else set(FUNCTIONS[:9])
    return [(f"{fn.__name__} {size}", fn, args.get(fn, (a,))) for fn in FUNCTIONS
            if (fn.__name__ in only if only else fn in default) and (fn not in TWO_D_ONLY or len(shape) == 2)]


def _has_scipy() -> bool:
    try:
        import scipy.linalg  # noqa: F401
    except ImportError:
        return False
    return True


def _check(want, got) -> str:
    want, got = (want, got) if isinstance(want, tuple) else ((want,), (got,))
    if any(np.asarray(w).dtype != np.asarray(g).dtype or np.shape(w) != np.shape(g) for w, g in zip(want, got)):
        return "NO"
    if all(np.array_equal(w, g) for w, g in zip(want, got)):
        return "exact"
    if all(np.allclose(g, w, rtol=1e-12, atol=0) for w, g in zip(want, got)):
        return "close"
    # lstsq's fast path, solve_triangular's trsm: within the documented bound (docs/design.md), here
    # n * eps * cond of the largest magnitude, cond < 1e3 for these inputs
    bound = [np.array_equal(g, w) if np.asarray(w).dtype.kind in "biu" else
             np.allclose(g, w, rtol=0, atol=1e3 * np.size(w) * np.finfo(np.asarray(w).dtype).eps *
                         np.max(np.abs(w), initial=0)) for w, g in zip(want, got)]
    return "bound" if all(bound) else "NO"


def run(shapes: list[tuple], reps: int, only: set[str] | None = None, dtypes: tuple[str, ...] = ("float64",)
        ) -> list[dict]:
    """Time every case at every shape and dtype; one row per case."""
    import tracejit as tj

    rng = np.random.default_rng(0)
    rows = []
    for shape in shapes:
        for label, fn, args in [c for dtype in dtypes for c in _cases(rng, shape, only, dtype)]:
            jitted = tj.jit(fn)
            start = time.perf_counter()
            got = jitted(*args)
            first = time.perf_counter() - start
            samples = interleaved({"numpy": lambda: fn(*args), "tracejit": lambda: jitted(*args)},
                                  reps if shape[-1] < 512 else max(5, reps // 10))
            np_ms, tj_ms = median_ms(samples["numpy"]), median_ms(samples["tracejit"])
            rows.append({"case": label, "first_s": first, "numpy_ms": np_ms, "tracejit_ms": tj_ms,
                         "speedup": np_ms / tj_ms, "check": _check(fn(*args), got),
                         "native": not jitted.lower(*args).fallbacks})
    return rows


def _child(setting: str, argv: list[str]) -> list[dict]:
    """The rows of this benchmark run in a child process under OpenBLAS thread setting ``setting``."""
    env = dict(os.environ)
    env.pop("OPENBLAS_NUM_THREADS", None)
    if setting != "default":
        env["OPENBLAS_NUM_THREADS"] = setting
    out = subprocess.run([sys.executable, "-m", "benchmarks.linalg", "--json", *argv], env=env, check=True,
                         stdout=subprocess.PIPE, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def _rounds(settings: list[str], rounds: int, argv: list[str]) -> list[dict]:
    """Rows per (setting, case) over ``rounds`` rounds of one child process per setting."""
    runs: dict[tuple[str, str], list[dict]] = {}
    for r in range(rounds):
        for setting in settings[r % len(settings):] + settings[:r % len(settings)]:
            for row in _child(setting, argv):
                runs.setdefault((setting, row["case"]), []).append(row)
    rows = []
    for (setting, case), rs in runs.items():
        speedups = [x["speedup"] for x in rs]
        rows.append({"case": f"{case} [{setting}]", "first_s": statistics.median(x["first_s"] for x in rs),
                     "numpy_ms": statistics.median(x["numpy_ms"] for x in rs),
                     "tracejit_ms": statistics.median(x["tracejit_ms"] for x in rs),
                     "speedup": statistics.median(speedups), "spread": (min(speedups), max(speedups)),
                     "check": "NO" if any(x["check"] == "NO" for x in rs) else rs[0]["check"],
                     "native": all(x["native"] for x in rs)})
    return rows


def main(argv: list[str] | None = None) -> int:
    """Print the table; the exit status is 1 when a result differs from NumPy's."""
    ap = argparse.ArgumentParser(prog="python -m benchmarks.linalg", description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="4x4 and 64x64 only")
    ap.add_argument("--sizes", type=int, nargs="+", help="matrix sizes n (n x n); default 4 16 64 512 and 100x4x4")
    ap.add_argument("--only", nargs="+", help="these functions only (also: solve_vector, lstsq_vector: one "
                    "right-hand side; solve_triangular: scipy.linalg's)")
    ap.add_argument("--batch", type=int, help="stacks of this many matrices of each size instead")
    ap.add_argument("--dtypes", nargs="+", default=["float64"], help="float64 and/or float32")
    ap.add_argument("--reps", type=int, default=300, help="timed calls per system (a tenth at 512)")
    ap.add_argument("--threads", nargs="+", help="OpenBLAS thread settings ('default' or a count), one child each")
    ap.add_argument("--rounds", type=int, default=3, help="rounds of children with --threads")
    ap.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    opts = ap.parse_args(argv)
    os.environ.setdefault("TRACEJIT_CACHE", "0")  # first calls compile
    shapes = [(4, 4), (64, 64)] if opts.quick else [(4, 4), (16, 16), (64, 64), (512, 512), (100, 4, 4)]
    if opts.sizes:
        shapes = [(n, n) for n in opts.sizes]
    if opts.batch:
        shapes = [(opts.batch,) + s[-2:] for s in shapes]
    only = {name for x in opts.only for name in x.split(",")} if opts.only else None
    if opts.threads:
        forwarded = _without(list(argv if argv is not None else sys.argv[1:]), {"--threads", "--rounds"})
        rows = _rounds(opts.threads, opts.rounds, forwarded)
    else:
        rows = run(shapes, opts.reps, only, tuple(opts.dtypes))
    if opts.json:
        print(json.dumps(rows))
        return 0
    print(f"{'case':32} {'first s':>8} {'numpy ms':>9} {'tracejit ms':>11} {'speedup':>8} {'spread':>11}"
          "  check  native")
    for r in rows:
        spread = "{:.2f}..{:.2f}".format(*r["spread"]) if "spread" in r else ""
        print(f"{r['case']:32} {r['first_s']:8.2f} {r['numpy_ms']:9.4f} {r['tracejit_ms']:11.4f} "
              f"{r['speedup']:8.2f} {spread:>11}  {r['check']:5}  {'yes' if r['native'] else 'NO'}")
    return 0 if all(r["check"] != "NO" for r in rows) else 1


def _without(argv: list[str], options: set[str]) -> list[str]:
    """``argv`` less ``options`` and the values that follow each."""
    out, skipping = [], False
    for a in argv:
        if a.startswith("--"):
            skipping = a in options
        if not skipping:
            out.append(a)
    return out


if __name__ == "__main__":
    raise SystemExit(main())
