"""A corpus of real NumPy programs, written the way NumPy users write them (issue 6).

Each module holds one program: ``kernel(*args)`` (plain NumPy; it may update its
arguments in place, loop in Python, read and write single elements), ``init(rng,
**size)`` making its arguments, and ``SIZES`` (``test``: small, for the differential
tests; ``bench``: for ``python -m benchmarks.corpus``). :func:`run_both` runs a
program jitted and eagerly on copies of the same arguments.
"""
from __future__ import annotations

import copy
import importlib
from types import ModuleType

import numpy as np

NAMES = ("jacobi_1d", "jacobi_2d", "heat_3d", "fdtd_2d", "lu", "cholesky", "trisolv", "floyd_warshall",
         "black_scholes", "conv2d", "mlp", "kmeans_step", "nbody", "covariance", "small_cnn", "atax", "bicg",
         "mvt", "gesummv", "two_mm", "mandelbrot")


def programs() -> list[ModuleType]:
    return [importlib.import_module(f"benchmarks.programs.{name}") for name in NAMES]


def arguments(program: ModuleType, size: str, seed: int) -> tuple:
    return program.init(np.random.default_rng(seed), **program.SIZES[size])


def fresh(args: tuple) -> list:
    """Copies of ``args`` (arrays copied; the kernel may write into them)."""
    return [copy.deepcopy(a) if isinstance(a, np.ndarray) else a for a in args]
