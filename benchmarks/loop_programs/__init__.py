"""NumPy programs with Python loops and branches, written the natural way (issue 16).

Same protocol as ``benchmarks/programs``: each module holds ``kernel(*args)`` (plain
NumPy, no ``tj.*`` calls), ``init(rng, **size)`` and ``SIZES`` (``test``, ``bench`` and,
for some, other bench variants). :data:`CASES` names what ``python -m benchmarks.loops``
runs: ``(case, module, size key)``.
"""
from __future__ import annotations

import importlib
from types import ModuleType

NAMES = ("gru", "ema", "lenet_loops", "lu", "cholesky", "trisolve", "kmeans_natural", "csr_matvec", "crc16",
         "particles", "newton", "logreg_losses")

CASES = (("gru", "gru", "bench"), ("gru_5", "gru", "bench_5"), ("ema", "ema", "bench"),
         ("lenet_loops", "lenet_loops", "bench"), ("lu_64", "lu", "bench"), ("lu_256", "lu", "bench_256"),
         ("cholesky_64", "cholesky", "bench"), ("cholesky_256", "cholesky", "bench_256"),
         ("trisolve_64", "trisolve", "bench"), ("trisolve_256", "trisolve", "bench_256"),
         ("kmeans_natural", "kmeans_natural", "bench"), ("csr_matvec", "csr_matvec", "bench"),
         ("crc16", "crc16", "bench"), ("particles", "particles", "bench"), ("newton", "newton", "bench"),
         ("logreg_losses", "logreg_losses", "bench"))


def program(name: str) -> ModuleType:
    """The module of the program ``name`` (one of :data:`NAMES`)."""
    return importlib.import_module(f"benchmarks.loop_programs.{name}")
