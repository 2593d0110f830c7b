"""float16 against eager NumPy: an elementwise chain, a transcendental, a sum and a matmul, at a
small and a large size (``python -m benchmarks.float16``). NumPy converts each float16 element
to float32 and back once per operation, one pass over memory per op; the compiled kernel does
the same per-op rounding in registers (F16C ``vcvtps2ph``/``vcvtph2ps``) in one fused pass."""
from __future__ import annotations

import statistics
import time

import numpy as np

import tracejit as tj
from benchmarks.timing import interleaved


def chain(a, b, c):
    """A fused elementwise chain of six ops."""
    return (a * b + c) * 0.5 - a / (c + 2)


def gelu(x):
    """A tanh-based GELU: polynomial plus one transcendental."""
    return 0.5 * x * (1 + np.tanh(0.7978845608 * (x + 0.044715 * x * x * x)))


def total(x):
    """A float16 sum (float32 accumulation, as NumPy's)."""
    return x.sum()


def product(a, b):
    """A float16 matmul (float32 accumulation, one rounding, as NumPy's)."""
    return a @ b


def cases(n: int, rng: np.random.Generator) -> dict[str, tuple]:
    """Inputs per workload at ``n`` elements (matmul: a square matrix of about ``n`` elements)."""
    v = [rng.standard_normal(n).astype(np.float16) for _ in range(3)]
    m = max(8, int(n ** 0.5))
    mats = tuple(rng.standard_normal((m, m)).astype(np.float16) for _ in range(2))
    return {"chain": (chain, tuple(v)), "gelu": (gelu, (v[0],)), "sum": (total, (v[0],)),
            "matmul": (product, mats)}


def main() -> None:
    """Print per-workload times (median), the NumPy/tracejit ratio and the first-call time."""
    rng = np.random.default_rng(0)
    print(f"{'workload':>8} {'n':>9} {'numpy ms':>10} {'tracejit ms':>12} {'speedup':>8} {'first call s':>13}")
    for n in (1_000, 1_000_000):
        for name, (fn, args) in cases(n, rng).items():
            jitted = tj.jit(fn)
            start = time.perf_counter()
            jitted(*args)
            first = time.perf_counter() - start
            with np.errstate(all="ignore"):
                samples = interleaved({"numpy": lambda: fn(*args), "tracejit": lambda: jitted(*args)},
                                      reps=30 if n > 10_000 else 300)
            t_np, t_tj = (statistics.median(samples[k]) for k in ("numpy", "tracejit"))
            print(f"{name:>8} {n:>9} {t_np * 1e3:10.4f} {t_tj * 1e3:12.4f} {t_np / t_tj:8.2f} {first:13.3f}")


if __name__ == "__main__":
    main()
