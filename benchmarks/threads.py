"""Thread settings for every system, applied through the environment before imports.

By default nothing is restricted: tracejit, NumPy's BLAS, numexpr, Numba and XLA each use
every core. ``--threads N`` sets each of them to N; the variables must be set before
NumPy, tracejit and the peers are imported, since they read them on load.
"""
from __future__ import annotations

import ctypes
import os
import sys

THREAD_VARIABLES = ("TRACEJIT_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                    "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS", "NUMBA_NUM_THREADS")
_OPENBLAS_GETTERS = ("scipy_openblas_get_num_threads64_", "scipy_openblas_get_num_threads",
                     "openblas_get_num_threads64_", "openblas_get_num_threads")


def limit_threads(threads: int | None) -> None:
    """Set every library's thread count to ``threads`` (None: leave the defaults).
    Warns when a library that reads its variable on import is already loaded."""
    if threads is None:
        return
    loaded = [m for m in ("numpy", "tracejit", "numexpr", "numba") if m in sys.modules]
    if loaded:
        print(f"warning: {', '.join(loaded)} already imported; their thread counts may not change",
              file=sys.stderr)
    for name in THREAD_VARIABLES:
        os.environ[name] = str(threads)
    if threads == 1:  # XLA has no thread-count variable; this keeps its matmuls serial
        flags = os.environ.get("XLA_FLAGS", "")
        os.environ["XLA_FLAGS"] = f"{flags} --xla_cpu_multi_thread_eigen=false".strip()


def openblas_call(symbols: tuple[str, ...], restype):
    """The result of the first of ``symbols`` (argument-less functions) that the OpenBLAS
    NumPy loaded exports, called with ``restype``; None when no such library or symbol."""
    try:
        with open("/proc/self/maps") as f:
            paths = {ln.split()[-1] for ln in f if "openblas" in ln.lower() and ln.split()[-1].startswith("/")}
    except OSError:
        return None
    for path in sorted(paths):
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for symbol in symbols:
            getter = getattr(lib, symbol, None)
            if getter is not None:
                getter.restype = restype
                return getter()
    return None


def blas_threads() -> int | None:
    """Threads of the OpenBLAS that NumPy loaded, or None when that cannot be told."""
    value = openblas_call(_OPENBLAS_GETTERS, ctypes.c_int)
    return None if value is None else int(value)


def describe(threads: int | None) -> str:
    """One line for the report header: the thread count each system runs with."""
    from tracejit import config

    blas = blas_threads()
    parts = [f"tracejit {config.num_threads}", f"NumPy BLAS {'?' if blas is None else blas}"]
    numexpr, numba = sys.modules.get("numexpr"), sys.modules.get("numba")
    if numexpr is not None:
        parts.append(f"numexpr {numexpr.get_num_threads()}")
    if numba is not None:
        parts.append(f"numba {numba.get_num_threads()}")
    if "jax" in sys.modules:
        parts.append("XLA " + ("1" if threads == 1 else "default"))
    if "torch" in sys.modules:
        parts.append(f"torch {sys.modules['torch'].get_num_threads()}")
    origin = f"--threads {threads}" if threads else "default: all cores, nothing restricted"
    return f"{', '.join(parts)} ({origin}; {os.cpu_count()} CPUs)"
