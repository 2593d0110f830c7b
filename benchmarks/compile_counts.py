"""How often the loop programs (``benchmarks/loop_programs``) compile across input sizes (issue 16).

``python -m benchmarks.compile_counts [--only NAME...]`` calls each program's jitted kernel at
a few sizes in turn (one function object, so its cache sees every size), checks each result
against eager NumPy, and prints the function's traces and LLVM compilations after each call
(``JitFunction.cache_info``). Programs whose generic forms match share machine code
(``compiler/generic_sizes.py``): a new size should retrace but not compile again.
"""
from __future__ import annotations

import argparse
import time
from typing import Any

import numpy as np

from benchmarks.loop_programs import program
from benchmarks.programs import fresh

# program -> the sizes it is called at, in order (keyword arguments of its ``init``)
SIZES: dict[str, tuple[dict, ...]] = {
    "kmeans_natural": tuple({"n": n, "k": 4, "d": 3} for n in (60, 250, 1000, 5000)),
    "csr_matvec": tuple({"n": n, "per_row": 3} for n in (8, 50, 300, 2000)),
    "crc16": tuple({"n": n} for n in (16, 100, 1000, 4096)),
    "particles": tuple({"n": n} for n in (10, 300, 1000, 5000, 40_000)),
    "newton": tuple({"n": n} for n in (10, 1000, 30_000, 300_000)),
    "gru": tuple({"steps": s, "batch": b, "inputs": 5, "hidden": 6} for s, b in ((3, 4), (5, 4), (7, 9), (4, 16))),
    "ema": tuple({"rows": r, "cols": c} for r, c in ((6, 5), (20, 5), (50, 17), (200, 33))),
    "lu": tuple({"n": n} for n in (6, 9, 16, 24)),
    "cholesky": tuple({"n": n} for n in (6, 9, 16, 24)),
    "trisolve": tuple({"n": n} for n in (6, 9, 16, 24)),
}


F32, F64 = {"rtol": 1e-5, "atol": 1e-6}, {"rtol": 1e-9, "atol": 1e-12}  # tolerances (summation orders differ)


def _leaves(value: Any) -> list:
    return list(value) if isinstance(value, (tuple, list)) else [value]


def matches(kernel: Any, f: Any, args: tuple) -> bool:
    """Whether ``f(*args)`` agrees with ``kernel(*args)`` (results, and arguments written)."""
    eager, jitted = fresh(args), fresh(args)
    with np.errstate(all="ignore"):
        want, got = kernel(*eager), f(*jitted)
    pairs = list(zip(_leaves(got), _leaves(want)))
    pairs += [(j, e) for j, e in zip(jitted, eager) if isinstance(e, np.ndarray)]
    return all(np.allclose(np.asarray(a, float), np.asarray(b, float), equal_nan=True,
                           **(F32 if np.asarray(b).dtype == np.float32 else F64)) for a, b in pairs)


def counts(name: str, sizes: tuple[dict, ...] | None = None, seed: int = 0) -> list[dict]:
    """One row per size of ``name``: the size, whether it matched eager, traces and compilations so far."""
    import tracejit as tj  # noqa: PLC0415 - the runner imports this module without compiling

    prog = program(name)
    f = tj.jit(prog.kernel)
    rows = []
    for size in sizes if sizes is not None else SIZES[name]:
        args = prog.init(np.random.default_rng(seed), **size)
        start = time.perf_counter()
        ok = matches(prog.kernel, f, args)
        info = f.cache_info()
        rows.append({"size": size, "ok": ok, "traces": info.traces, "compilations": info.compilations,
                     "seconds": time.perf_counter() - start})
    return rows


def main(argv: list[str] | None = None) -> None:
    """Print the compile counts of the programs named (all of :data:`SIZES` by default)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", default=list(SIZES))
    options = parser.parse_args(argv)
    for name in options.only:
        for row in counts(name):
            size = ",".join(f"{k}={v}" for k, v in row["size"].items())
            print(f"{name:15s} {size:32s} {'ok' if row['ok'] else 'MISMATCH':8s} traces={row['traces']:<3d} "
                  f"compilations={row['compilations']:<3d} {row['seconds']:6.2f} s", flush=True)


if __name__ == "__main__":
    main()
