"""A short tour of tracejit: ``python -m tracejit.demo``.

Three ordinary NumPy functions are compiled with ``@tj.jit``. The first call for a given
signature (shapes and dtypes) traces the function, fuses its operations into kernels and
compiles them with LLVM; later calls with the same signature reuse the machine code.
``f.eager`` runs the original NumPy function, so results and timings can be compared,
and ``f.lower(...)`` shows what was compiled.
"""
from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable

import numpy as np

import tracejit as tj

SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)  # a Python float keeps float32 math in float32


@tj.jit
def mul_add(a: np.ndarray, b: np.ndarray, c: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Four inputs, one output: NumPy makes two temporaries, tracejit one loop."""
    return a * b + c * d


@tj.jit
def gelu(x: np.ndarray) -> np.ndarray:
    """GELU activation, tanh approximation: eight NumPy operations, one fused kernel."""
    return 0.5 * x * (1 + np.tanh(SQRT_2_OVER_PI * (x + 0.044715 * x**3)))


@tj.jit
def softmax(x: np.ndarray) -> np.ndarray:
    """Softmax over each row, shifted by the row maximum for stability."""
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def time_ms(fn: Callable[..., object], args: tuple) -> float:
    """Wall time of one call ``fn(*args)`` in milliseconds."""
    start = time.perf_counter()
    fn(*args)
    return (time.perf_counter() - start) * 1e3


def compare(name: str, f: tj.JitFunction, args: tuple, reps: int = 7) -> tuple:
    """Compile ``f`` on ``args``, check it against NumPy and time both; one table row."""
    start = time.perf_counter()
    result = f(*args)  # first call for this signature: trace, fuse, compile, run
    compile_ms = (time.perf_counter() - start) * 1e3
    expected = f.eager(*args)
    np.testing.assert_allclose(result, expected, rtol=1e-4, atol=1e-6 * np.abs(expected).max())
    eager, jitted = [], []
    for _ in range(reps):  # alternate the two so that machine noise hits both alike
        eager.append(time_ms(f.eager, args))
        jitted.append(time_ms(f, args))
    eager_ms, jit_ms = statistics.median(eager), statistics.median(jitted)
    size = "x".join(map(str, args[0].shape))
    return name, size, compile_ms, eager_ms, jit_ms, eager_ms / jit_ms


def main() -> None:
    """Compile the three functions, check them against NumPy and print the timing table."""
    rng = np.random.default_rng(0)
    n = 10_000_000
    vectors = [rng.standard_normal(n, dtype=np.float32) for _ in range(4)]
    matrix = rng.standard_normal((4096, 1024), dtype=np.float32)

    print("tracejit demo: compiled NumPy functions vs. plain NumPy (float32)\n")
    rows = [
        compare("a*b + c*d", mul_add, tuple(vectors)),
        compare("gelu", gelu, (vectors[0],)),
        compare("softmax (rows)", softmax, (matrix,)),
    ]
    header = f"{'function':<16}{'shape':>12}{'compile ms':>12}{'numpy ms':>10}{'tracejit ms':>13}{'speedup':>9}"
    print(header)
    print("-" * len(header))
    for name, size, compile_ms, eager_ms, jit_ms, speedup in rows:
        print(f"{name:<16}{size:>12}{compile_ms:>12.0f}{eager_ms:>10.2f}{jit_ms:>13.2f}{speedup:>8.2f}x")
    print("\nResults match NumPy (rtol 1e-4). Speedup = numpy ms / tracejit ms; the first")
    print("call's time includes tracing and LLVM compilation (or, on a later run, loading the")
    print("code from the disk cache: see disk_hits), later calls reuse the code.")
    print(f"gelu.cache_info(): {gelu.cache_info()}")

    print("\nWhat tracejit compiled for gelu: the traced graph, each node tagged with the")
    print("kernel it was fused into ([k0]), then the kernel's loop:\n")
    print(gelu.lower(vectors[0]).as_text("optimized"))


if __name__ == "__main__":
    main()
