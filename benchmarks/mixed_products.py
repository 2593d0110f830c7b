"""Products of operands of different dtypes: tracejit against eager NumPy.

``python -m benchmarks.mixed_products`` times every case of :data:`CASES` (float32 times
float64, integers times floats, integers times integers, complex mixes, matrix-vector and
vector-matrix, ``np.dot``, ``np.einsum``, ``np.tensordot``, batched and broadcast products,
an operand that is an expression of another dtype) against NumPy, interleaved, and prints
per case the medians, the ratio (tracejit's time over NumPy's: above 1 tracejit is slower),
the kernels tracejit formed (``gemm``: the register-blocked GEMM; ``contraction``: a plain
loop nest) and the worst ratio. Issue 21 asks for every ratio at most 1.5 (no cliff) and
the MLP-layer rows at most 1.0. ``--only NAME`` selects cases by name, ``--reps N`` the
timed calls per system. Thread counts come from the environment: on a loaded machine run
``OPENBLAS_NUM_THREADS=1 TRACEJIT_NUM_THREADS=1`` (both libraries on one core each), as the
figures in ``docs/design.md`` were.
"""
from __future__ import annotations

import argparse
import statistics
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

import tracejit as tj
from benchmarks.threads import describe
from benchmarks.timing import interleaved

f32, f64, i32, i64 = np.float32, np.float64, np.int32, np.int64
c64, c128 = np.complex64, np.complex128


@dataclass(frozen=True)
class Case:
    """One product: a NumPy function and its operands' shapes and dtypes (made by
    :func:`operand`)."""

    name: str
    fn: Callable
    operands: tuple[tuple[tuple[int, ...], type], ...]


def operand(rng: np.random.Generator, shape: tuple[int, ...], dtype: type) -> np.ndarray:
    """Random values of ``dtype``: normal floats (complex: both parts), small integers
    (so integer products do not overflow unless meant to)."""
    kind = np.dtype(dtype).kind
    if kind in "iu":
        return rng.integers(-8, 9, shape).astype(dtype)
    if kind == "c":
        return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(dtype)
    return rng.standard_normal(shape).astype(dtype)


def matmul(a, b):
    return a @ b


def scaled_weights(x, w):
    return x @ (w / np.sqrt(784))  # np.float64 scalar: the weights become float64


def mlp_layer(x, w, b):
    return np.maximum(x @ w + b, 0.0)


def dot(a, b):
    return np.dot(a, b)


def einsum_ij_jk(a, b):
    return np.einsum("ij,jk->ik", a, b)


def einsum_batched(a, b):
    return np.einsum("bij,bjk->bik", a, b)


def tensordot2(a, b):
    return np.tensordot(a, b, axes=2)


def transposed(a, b):
    return a.T @ b


LAYER = (256, 784, 512)
M, K, N = LAYER
CASES: list[Case] = [
    Case("f32@f64 layer", matmul, (((M, K), f32), ((K, N), f64))),
    Case("f64@f32 layer", matmul, (((M, K), f64), ((K, N), f32))),
    Case("x@(W/sqrt(784)) f32", scaled_weights, (((M, K), f32), ((K, N), f32))),
    Case("relu(x@W+b) f32,f64,f32", mlp_layer, (((M, K), f32), ((K, N), f64), ((N,), f32))),
    Case("i64@f64", matmul, (((M, K), i64), ((K, N), f64))),
    Case("f32@i64", matmul, (((M, K), f32), ((K, N), i64))),
    Case("i32@f32", matmul, (((M, K), i32), ((K, N), f32))),
    Case("i64@i64 256^3", matmul, (((256, 256), i64), ((256, 256), i64))),
    Case("i32@i64 256^3", matmul, (((256, 256), i32), ((256, 256), i64))),
    Case("i32@i32 256^3", matmul, (((256, 256), i32), ((256, 256), i32))),
    Case("i8@i8 256^3", matmul, (((256, 256), np.int8), ((256, 256), np.int8))),
    Case("f16@f32 256^3", matmul, (((256, 256), np.float16), ((256, 256), f32))),
    Case("bool@f64 256^3", matmul, (((256, 256), np.bool_), ((256, 256), f64))),
    Case("c64@f64 256^3", matmul, (((256, 256), c64), ((256, 256), f64))),
    Case("f32@c128 256^3", matmul, (((256, 256), f32), ((256, 256), c128))),
    Case("c64@c128 256^3", matmul, (((256, 256), c64), ((256, 256), c128))),
    Case("matvec f32@f64", matmul, (((2048, 2048), f32), ((2048,), f64))),
    Case("vecmat f64@f32", matmul, (((2048,), f64), ((2048, 2048), f32))),
    Case("matvec i64@f32", matmul, (((2048, 2048), i64), ((2048,), f32))),
    Case("vecvec f32@f64", matmul, (((1 << 20,), f32), ((1 << 20,), f64))),
    Case("np.dot f32,f64", dot, (((M, K), f32), ((K, N), f64))),
    Case("einsum ij,jk f32,f64", einsum_ij_jk, (((M, K), f32), ((K, N), f64))),
    Case("einsum bij,bjk f64,f32", einsum_batched, (((16, 128, 256), f64), ((16, 256, 128), f32))),
    Case("tensordot f32,f64", tensordot2, (((64, 32, 128), f32), ((32, 128, 256), f64))),
    Case("batched f32@f64", matmul, (((16, 128, 256), f32), ((16, 256, 128), f64))),
    Case("broadcast f32@f64", matmul, (((16, 128, 256), f32), ((256, 128), f64))),
    Case("a.T@b f32,f64", transposed, (((K, M), f32), ((K, N), f64))),
    Case("small f32@f64 16x32x8", matmul, (((16, 32), f32), ((32, 8), f64))),
    Case("f32@f32 layer (same dtype)", matmul, (((M, K), f32), ((K, N), f32))),
    # products that stay loop nests (no GEMM) whatever the dtypes: each against NumPy's BLAS or loop
    Case("matvec f32 1024^2", matmul, (((1024, 1024), f32), ((1024,), f32))),
    Case("matvec f64 2048^2", matmul, (((2048, 2048), f64), ((2048,), f64))),
    Case("vecmat f32 1024^2", matmul, (((1024,), f32), ((1024, 1024), f32))),
    Case("row@W f32 1x1024x1024", matmul, (((1, 1024), f32), ((1024, 1024), f32))),
    Case("W@col f64 1024x1024x1", matmul, (((1024, 1024), f64), ((1024, 1), f64))),
    Case("batched matvec f32@f64", matmul, (((64, 128, 256), f32), ((256,), f64))),
    Case("small f32 16^3", matmul, (((16, 16), f32), ((16, 16), f32))),
    Case("i64 matvec 2048^2", matmul, (((2048, 2048), i64), ((2048,), i64))),
]


def kernel_kinds(f, args) -> str:
    """The kinds of the kernels tracejit formed, e.g. ``map+gemm`` (``sum``: the kernel adding
    a split-K GEMM's partial products, no loop nest of the product)."""
    return "+".join("sum" if k.name.endswith("_sum") else k.kind for k in f.lower(*args).kernels)


def measure(case: Case, reps: int, rng: np.random.Generator) -> dict:
    """NumPy and tracejit medians (ms) and their ratio per pass, the kernel kinds, the check."""
    args = tuple(operand(rng, shape, dtype) for shape, dtype in case.operands)
    f = tj.jit(case.fn)
    want, got = case.fn(*args), f(*args)
    ok = got.dtype == want.dtype and np.allclose(got, want, rtol=1e-4, atol=1e-3 * max(1.0, float(np.abs(want).max(
        initial=0))))
    samples = interleaved({"numpy": lambda: case.fn(*args), "tracejit": lambda: f(*args)}, reps, passes=3)
    numpy_ms = statistics.median(samples["numpy"]) * 1e3
    tj_ms = statistics.median(samples["tracejit"]) * 1e3
    return {"numpy": numpy_ms, "tracejit": tj_ms, "ratio": tj_ms / numpy_ms, "kernels": kernel_kinds(f, args),
            "ok": ok, "dtype": str(want.dtype)}


def main(argv: list[str] | None = None) -> int:
    """Print the table and the worst ratio; exit status 1 when a result is wrong."""
    ap = argparse.ArgumentParser(prog="python -m benchmarks.mixed_products", description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", metavar="NAME", help="cases whose name contains NAME")
    ap.add_argument("--reps", type=int, default=15, metavar="N", help="timed calls per system (default 15)")
    opts = ap.parse_args(argv)
    rng = np.random.default_rng(0)
    cases = [c for c in CASES if not opts.only or opts.only.lower() in c.name.lower()]
    print(f"threads: {describe(None)}")
    print(f"{'product':28} {'result':10} {'numpy ms':>9} {'tj ms':>9} {'tj/np':>6}  kernels")
    worst, bad = (0.0, ""), 0
    for case in cases:
        r = measure(case, opts.reps, rng)
        bad += not r["ok"]
        worst = max(worst, (r["ratio"], case.name))
        print(f"{case.name:28} {r['dtype']:10} {r['numpy']:9.3f} {r['tracejit']:9.3f} {r['ratio']:6.2f}  "
              f"{r['kernels']}{'' if r['ok'] else '  WRONG'}", flush=True)
    if cases:
        print(f"worst ratio (tracejit / NumPy): {worst[0]:.2f} ({worst[1]})")
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
