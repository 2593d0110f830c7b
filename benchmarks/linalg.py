"""``python -m benchmarks.linalg``: numpy.linalg functions run natively in NumPy's own LAPACK
(issue 17) against eager NumPy, at 4x4, 16x16, 64x64 and 512x512 and on a stack of 4x4s.

Per function and size: the first call (trace + compile, persistent cache off), the NumPy and
tracejit medians of interleaved calls and the speedup (NumPy time / tracejit time, > 1:
tracejit faster). Each result is checked against NumPy's: 'exact' when bit-identical,
'close' within 1e-12 relative (det/slogdet: NumPy's libm log/exp against ours).
"""
from __future__ import annotations

import argparse
import os
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


def _cases(rng: np.random.Generator, shape: tuple) -> list[tuple[str, Callable, tuple]]:
    n = shape[-1]
    a = rng.standard_normal(shape)
    spd = a @ np.swapaxes(a, -1, -2) + n * np.eye(n)
    b = rng.standard_normal(shape[:-1] + (4,))
    size = "x".join(map(str, shape))
    return [(f"{fn.__name__} {size}", fn, args) for fn, args in
            [(solve, (a, b)), (inv, (a,)), (det, (a,)), (slogdet, (a,)), (cholesky, (spd,)), (eigh, (spd,)),
             (eigvalsh, (spd,)), (qr, (a,))]]


def _check(want, got) -> str:
    want, got = (want, got) if isinstance(want, tuple) else ((want,), (got,))
    if any(np.asarray(w).dtype != np.asarray(g).dtype or np.shape(w) != np.shape(g) for w, g in zip(want, got)):
        return "NO"
    if all(np.array_equal(w, g) for w, g in zip(want, got)):
        return "exact"
    return "close" if all(np.allclose(g, w, rtol=1e-12, atol=0) for w, g in zip(want, got)) else "NO"


def run(shapes: list[tuple], reps: int) -> list[dict]:
    """Time every case at every shape; one row per case."""
    import tracejit as tj

    rng = np.random.default_rng(0)
    rows = []
    for shape in shapes:
        for label, fn, args in _cases(rng, shape):
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


def main(argv: list[str] | None = None) -> int:
    """Print the table; the exit status is 1 when a result differs from NumPy's."""
    ap = argparse.ArgumentParser(prog="python -m benchmarks.linalg", description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="4x4 and 64x64 only")
    ap.add_argument("--reps", type=int, default=300)
    opts = ap.parse_args(argv)
    os.environ.setdefault("TRACEJIT_CACHE", "0")  # first calls compile
    shapes = [(4, 4), (64, 64)] if opts.quick else [(4, 4), (16, 16), (64, 64), (512, 512), (100, 4, 4)]
    rows = run(shapes, opts.reps)
    print(f"{'case':24} {'first s':>8} {'numpy ms':>9} {'tracejit ms':>11} {'speedup':>8}  check  native")
    for r in rows:
        print(f"{r['case']:24} {r['first_s']:8.2f} {r['numpy_ms']:9.4f} {r['tracejit_ms']:11.4f} "
              f"{r['speedup']:8.2f}  {r['check']:5}  {'yes' if r['native'] else 'NO'}")
    return 0 if all(r["check"] != "NO" for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
