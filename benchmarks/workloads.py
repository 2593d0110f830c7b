"""Benchmark workloads: plain NumPy functions and the inputs they run on.

Every function is ordinary NumPy code; the harness compiles it with ``tracejit.jit`` and
compares against calling it directly. Constants are Python floats (not ``np.float64``
scalars) so that, under NumPy 2 promotion rules, float32 inputs give float32 results.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np

SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)


# --- the functions -------------------------------------------------------------------

def mul_add(a, b, c, d):
    """``a*b + c*d``: four streams in, one out; pure memory bandwidth."""
    return a * b + c * d


def sin_exp(a, b, c, d):
    """``a*b + sin(c)*exp(-d)``: elementwise with transcendental functions."""
    return a * b + np.sin(c) * np.exp(-d)


def gelu(x):
    """GELU, tanh approximation (as in GPT-2)."""
    return 0.5 * x * (1 + np.tanh(SQRT_2_OVER_PI * (x + 0.044715 * x**3)))


def softmax(x):
    """Numerically stable softmax over the rows of a matrix."""
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def layernorm(x, g, b):
    """Layer normalization over the last axis with a scale and a shift."""
    mean = x.mean(axis=-1, keepdims=True)
    var = x.var(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(var + 1e-5) * g + b


def sum_squares(x):
    """Sum of squares: a full reduction of a fused elementwise expression."""
    return (x * x).sum()


def matmul(a, b):
    """A plain matrix product."""
    return a @ b


def scaled_layer(x, w):
    """``x @ (w / np.sqrt(k))``: ``np.sqrt`` of an int is a float64 scalar (not weak), so
    float64 weights times float32 ``x``, a mixed-dtype product (issue 21 item 2; more in
    ``benchmarks/mixed_products.py``)."""
    return x @ (w / np.sqrt(w.shape[0]))


def transpose_add(a, b):
    """``a.T + b``: one operand read across its rows, the other and the output along them."""
    return a.T + b


def mlp(x, w1, b1, w2, b2):
    """Two-layer perceptron forward pass with a ReLU."""
    return np.maximum(x @ w1 + b1, 0) @ w2 + b2


def mlp3(x, w1, b1, w2, b2, w3, b3):
    """MLP inference 784-512-256-10 (two ReLU layers and a linear one), weights as arguments."""
    h = np.maximum(x @ w1 + b1, 0)
    return np.maximum(h @ w2 + b2, 0) @ w3 + b3


def cumsum(x):
    """Running sum of a vector: a sequential scan (NumPy's order, bit for bit)."""
    return np.cumsum(x)


def sort_rows(x):
    """Every row sorted (the last axis)."""
    return np.sort(x, axis=-1)


# --- workloads -----------------------------------------------------------------------

Maker = Callable[[bool, np.random.Generator], tuple]
Rate = Literal["GFLOP/s", "GB/s"]


@dataclass(frozen=True)
class Workload:
    """One benchmark: a NumPy function and a maker for its arguments.

    ``make_inputs(quick, rng)`` returns the positional arguments; ``quick`` selects the
    small sizes used for smoke runs. ``rate`` says which throughput the report shows:
    ``GFLOP/s`` (from :func:`flops`) or ``GB/s`` (inputs read plus output written, also
    compared with the STREAM triad), or None.
    """

    name: str
    fn: Callable
    make_inputs: Maker
    description: str
    rate: Rate | None = None


def _vectors(count: int, n: int, quick_n: int, dtype=np.float32) -> Maker:
    def make(quick: bool, rng: np.random.Generator) -> tuple:
        size = quick_n if quick else n
        return tuple(rng.standard_normal(size, dtype=dtype) for _ in range(count))
    return make


def _rows(with_affine: bool, scale: float = 1.0) -> Maker:
    def make(quick: bool, rng: np.random.Generator) -> tuple:
        rows, cols = (256, 256) if quick else (4096, 1024)
        x = rng.standard_normal((rows, cols), dtype=np.float32) * np.float32(scale)
        if not with_affine:
            return (x,)
        g = 1 + 0.1 * rng.standard_normal(cols, dtype=np.float32)
        b = 0.1 * rng.standard_normal(cols, dtype=np.float32)
        return x, g, b
    return make


def _matrix(rows: int, cols: int, quick: tuple[int, int], dtype=np.float64) -> Maker:
    def make(is_quick: bool, rng: np.random.Generator) -> tuple:
        return (rng.standard_normal(quick if is_quick else (rows, cols)).astype(dtype),)
    return make


def _normal(rng: np.random.Generator, shape: tuple[int, ...], scale: float, dtype) -> np.ndarray:
    return rng.standard_normal(shape, dtype=dtype) * dtype(scale)


def _matrices(m: int, k: int, n: int, quick: tuple[int, int, int], dtype=np.float32) -> Maker:
    """``a`` (m, k) and ``b`` (k, n), scaled so the product's entries are of order one."""
    def make(is_quick: bool, rng: np.random.Generator) -> tuple:
        mm, kk, nn = quick if is_quick else (m, k, n)
        return _normal(rng, (mm, kk), 1.0, dtype), _normal(rng, (kk, nn), 1 / math.sqrt(kk), dtype)
    return make


def _squares(n: int, quick_n: int) -> Maker:
    def make(quick: bool, rng: np.random.Generator) -> tuple:
        size = quick_n if quick else n
        return tuple(rng.standard_normal((size, size), dtype=np.float32) for _ in range(2))
    return make


def _mlp_inputs(quick: bool, rng: np.random.Generator) -> tuple:
    batch, width = (32, 256) if quick else (256, 1024)
    std = 1 / math.sqrt(width)  # keeps activations of order one
    f32 = np.float32
    return (_normal(rng, (batch, width), 1.0, f32), _normal(rng, (width, width), std, f32),
            _normal(rng, (width,), 0.1, f32), _normal(rng, (width, width), std, f32),
            _normal(rng, (width,), 0.1, f32))


def _mlp3_inputs(quick: bool, rng: np.random.Generator) -> tuple:
    """A small batch (16) through 784-512-256-10, float32 (the same sizes when quick)."""
    dims, args = (784, 512, 256, 10), [_normal(rng, (16, 784), 1.0, np.float32)]
    for fan_in, fan_out in zip(dims, dims[1:]):
        args += [_normal(rng, (fan_in, fan_out), 1 / math.sqrt(fan_in), np.float32),
                 _normal(rng, (fan_out,), 0.1, np.float32)]
    return tuple(args)


WORKLOADS: list[Workload] = [
    Workload("mul_add", mul_add, _vectors(4, 10**7, 10**5), "a*b + c*d", "GB/s"),
    Workload("sin_exp_1e3", sin_exp, _vectors(4, 10**3, 10**3), "a*b + sin(c)*exp(-d)"),
    Workload("sin_exp_1e5", sin_exp, _vectors(4, 10**5, 10**4), "a*b + sin(c)*exp(-d)"),
    Workload("sin_exp_1e7", sin_exp, _vectors(4, 10**7, 10**5), "a*b + sin(c)*exp(-d)", "GB/s"),
    Workload("gelu", gelu, _vectors(1, 10**7, 10**5), "GELU (tanh form)", "GB/s"),
    Workload("softmax", softmax, _rows(False, scale=3.0), "row softmax", "GB/s"),
    Workload("layernorm", layernorm, _rows(True), "layernorm, last axis", "GB/s"),
    Workload("sum_squares", sum_squares, _vectors(1, 10**7, 10**5), "(x*x).sum()", "GB/s"),
    Workload("matmul_1024", matmul, _matrices(1024, 1024, 1024, (128, 128, 128)), "a @ b", "GFLOP/s"),
    Workload("matmul_4096x512", matmul, _matrices(4096, 512, 512, (256, 64, 64)), "a @ b", "GFLOP/s"),
    Workload("mlp", mlp, _mlp_inputs, "relu(x@W1+b1)@W2+b2", "GFLOP/s"),
    Workload("matmul_256x1024", matmul, _matrices(256, 1024, 1024, (64, 256, 256)), "a @ b", "GFLOP/s"),
    Workload("matmul_64x784", matmul, _matrices(64, 784, 512, (16, 196, 128)), "a @ b", "GFLOP/s"),
    Workload("matvec_1024", matmul, _matrices(1, 1024, 1024, (1, 256, 256)), "a @ b, one row", "GFLOP/s"),
    Workload("mlp_784", mlp3, _mlp3_inputs, "MLP 784-512-256-10, batch 16", "GFLOP/s"),
    Workload("matmul_mixed", scaled_layer, _matrices(256, 784, 512, (32, 64, 48)),
             "x @ (W / np.sqrt(784)): f32 x f64 weights", "GFLOP/s"),
    Workload("transpose_add", transpose_add, _squares(4096, 256), "a.T + b", "GB/s"),
    Workload("sin_exp_f64", sin_exp, _vectors(4, 10**7, 10**5, np.float64),
             "a*b + sin(c)*exp(-d), float64", "GB/s"),
    Workload("matmul_f64", matmul, _matrices(1024, 1024, 1024, (128, 128, 128), np.float64),
             "a @ b, float64", "GFLOP/s"),
    Workload("cumsum", cumsum, _vectors(1, 10**6, 10**4, np.float64), "np.cumsum, float64", "GB/s"),
    Workload("sort_rows", sort_rows, _matrix(100, 1000, (10, 1000)), "np.sort of 100 rows of 1000, float64"),
]


def select(only: str | None) -> list[Workload]:
    """Workloads whose name contains ``only`` (all of them when ``only`` is None)."""
    if not only:
        return list(WORKLOADS)
    return [w for w in WORKLOADS if only.lower() in w.name.lower()]


def flops(args: tuple) -> float:
    """Floating-point operations of the matrix products in ``matmul`` or ``mlp``
    (2*M*N*K each; the bias adds and the ReLU are not counted)."""
    total, rows = 0.0, args[0].shape[0]
    for w in args[1:]:
        if w.ndim == 2:
            total += 2.0 * rows * w.shape[0] * w.shape[1]
    return total


def describe_size(args: tuple) -> str:
    """Short size label from the arguments, e.g. ``1e7 f32`` or ``4096x1024 f32``."""
    first = args[0]
    dtype = {np.dtype(np.float32): "f32", np.dtype(np.float64): "f64"}.get(first.dtype, str(first.dtype))
    if first.ndim == 1:
        n = first.size
        exp = round(math.log10(n)) if n > 0 else 0
        label = f"1e{exp}" if 10**exp == n else str(n)
    else:
        label = "x".join(str(s) for s in first.shape)
    if len(args) > 1 and args[1].ndim == 2 and first.ndim == 2:  # matmul: show the weight too
        label += "," + "x".join(str(s) for s in args[1].shape)
    return f"{label} {dtype}"
