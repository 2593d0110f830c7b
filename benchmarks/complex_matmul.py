"""Complex matrix products and one complex function: tracejit against eager NumPy.

``python -m benchmarks.complex_matmul`` times ``a @ b`` of complex64 and complex128
matrices (16x16 to 512x512) for each way ``frontend/complex/matmul.py`` can compute it
(``auto``: the shipped choice by size; ``interleaved``: one real GEMM in complex memory
layout; ``block``: one real GEMM of the ``[[Ar, -Ai], [Ai, Ar]]`` block matrix; ``four``:
four real GEMMs; ``gauss``: three), with NumPy's (OpenBLAS's ``zgemm``) as the baseline, and
the normwise error of each against NumPy's result in units of the part dtype's epsilon
(``max |C - C_numpy| / (|A| @ |B|)``); then vector products (``v @ B``, ``A @ v``); then
``np.sqrt`` of a million complex128 values.
Ratios are NumPy's time over tracejit's (above 1: tracejit is faster).
"""
from __future__ import annotations

import argparse
import time

import numpy as np

import tracejit as tj
from benchmarks.timing import interleaved, median_ms
from tracejit.frontend.complex import matmul as complex_matmul

METHODS = ("auto", "interleaved", "block", "four", "gauss")


def _complex(rng: np.random.Generator, shape: tuple, dtype: type) -> np.ndarray:
    return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(dtype)


def _jitted(method: str, a: np.ndarray, b: np.ndarray) -> tuple:
    """A fresh jitted ``a @ b`` traced with ``method``; (function, first-call seconds)."""
    shipped, complex_matmul.METHOD = complex_matmul.METHOD, method
    try:
        f = tj.jit(lambda x, y: x @ y)
        start = time.perf_counter()
        f(a, b)
        first = time.perf_counter() - start
    finally:
        complex_matmul.METHOD = shipped
    return f, first


def matmul_table(sizes: tuple, reps: int) -> None:
    """Print, per dtype and size, each method's time, ratio to NumPy and error."""
    rng = np.random.default_rng(0)
    print(f"{'dtype':10} {'n':>4} {'method':7} {'ms':>9} {'numpy ms':>9} {'ratio':>6} {'err/eps':>8} {'first s':>7}")
    for dtype in (np.complex64, np.complex128):
        eps = np.finfo(np.empty(0, dtype).real.dtype).eps
        for n in sizes:
            a, b = _complex(rng, (n, n), dtype), _complex(rng, (n, n), dtype)
            want = a @ b
            bound = np.abs(a) @ np.abs(b)
            jitted = {m: _jitted(m, a, b) for m in METHODS}
            thunks = {"numpy": lambda: a @ b} | {m: (lambda f=f: f(a, b)) for m, (f, _) in jitted.items()}
            samples = interleaved(thunks, reps)
            base = median_ms(samples["numpy"])
            for m, (f, first) in jitted.items():
                ms = median_ms(samples[m])
                err = float(np.max(np.abs(f(a, b) - want) / bound) / eps)
                print(f"{np.dtype(dtype).name:10} {n:4d} {m:7} {ms:9.3f} {base:9.3f} {base / ms:6.2f} {err:8.2f} "
                      f"{first:7.2f}")


def vector_table(n: int, reps: int) -> None:
    """Print ``v @ B`` and ``A @ v`` (``n``-vectors, ``n x n`` matrices): times, ratios, errors."""
    rng = np.random.default_rng(2)
    print(f"{'dtype':10} {'product':8} {'n':>4} {'ms':>9} {'numpy ms':>9} {'ratio':>6} {'err/eps':>8} {'first s':>7}")
    for dtype in (np.complex64, np.complex128):
        eps = np.finfo(np.empty(0, dtype).real.dtype).eps
        m, v = _complex(rng, (n, n), dtype), _complex(rng, (n,), dtype)
        for name, a, b in (("v @ B", v, m), ("A @ v", m, v)):
            f = tj.jit(lambda x, y: x @ y)
            start = time.perf_counter()
            got = f(a, b)
            first = time.perf_counter() - start
            samples = interleaved({"numpy": lambda a=a, b=b: a @ b, "tracejit": lambda f=f, a=a, b=b: f(a, b)}, reps)
            base, ms = median_ms(samples["numpy"]), median_ms(samples["tracejit"])
            err = float(np.max(np.abs(got - a @ b) / (np.abs(a) @ np.abs(b))) / eps)
            print(f"{np.dtype(dtype).name:10} {name:8} {n:4d} {ms:9.3f} {base:9.3f} {base / ms:6.2f} {err:8.2f} "
                  f"{first:7.2f}")


def elementwise_table(size: int, reps: int) -> None:
    """Print ``np.sqrt`` and ``np.log`` of ``size`` complex128 values: times and ratios."""
    rng = np.random.default_rng(1)
    z = _complex(rng, (size,), np.complex128)
    for name, fn in (("sqrt", np.sqrt), ("log", np.log), ("sin", np.sin), ("z**2.5", lambda x: x ** 2.5)):
        f = tj.jit(lambda x, fn=fn: fn(x))
        start = time.perf_counter()
        f(z)
        first = time.perf_counter() - start
        samples = interleaved({"numpy": lambda: fn(z), "tracejit": lambda: f(z)}, reps)
        base, ms = median_ms(samples["numpy"]), median_ms(samples["tracejit"])
        print(f"complex128 {name:7} n={size}: tracejit {ms:.2f} ms, numpy {base:.2f} ms, ratio {base / ms:.2f}, "
              f"first call {first:.2f} s")


def main() -> None:
    """Run both tables (``--quick``: fewer repetitions)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    args = parser.parse_args()
    reps = 6 if args.quick else 30
    matmul_table((16, 64, 128, 512), reps)
    for n in (64, 512):
        vector_table(n, reps)
    elementwise_table(1_000_000, reps)


if __name__ == "__main__":
    main()
