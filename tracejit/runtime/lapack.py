"""The LAPACK NumPy ships: its routines' addresses, for generated code and for the interpreter.

NumPy's wheels link ``numpy.linalg._umath_linalg`` against a bundled OpenBLAS with full
LAPACK, exported under Fortran names (``scipy_dgesv_64_``: ILP64, every argument by
pointer, matrices column-major). ``dlsym`` on that extension's handle searches its
dependencies too, so the bundled library's hashed file name does not matter. Only ILP64
builds are used (integer arguments are int64, as generated code passes them); on a NumPy
built otherwise :func:`address` is None and tracejit keeps calling NumPy (a host call).
"""
from __future__ import annotations

import ctypes
import functools

import numpy as np

from tracejit.runtime import hashunique

_MANGLINGS = ("scipy_{}_64_", "{}_64_", "{}64_")  # ILP64 names only: see the module docstring


@functools.cache
def _library() -> ctypes.CDLL | None:
    try:
        return ctypes.CDLL(getattr(np.linalg, "_umath_linalg").__file__)  # (NumPy's own extension module)
    except (OSError, AttributeError):
        return None


@functools.cache
def _function(routine: str) -> ctypes._CFuncPtr | None:
    lib = _library()
    if lib is None:
        return None
    for pattern in _MANGLINGS:
        try:
            fn = getattr(lib, pattern.format(routine))
        except AttributeError:
            continue
        fn.restype = None
        return fn
    return None


def address(routine: str) -> int | None:
    """The address of LAPACK routine ``routine`` (``'dgesv'``), or None where NumPy has none
    (or of tracejit's own routine of that name: ``runtime/hashunique.py``)."""
    if hashunique.is_routine(routine):
        return hashunique.address(routine)
    fn = _function(routine)
    return None if fn is None else ctypes.cast(fn, ctypes.c_void_p).value


def available(*routines: str) -> bool:
    """Whether every routine named is available."""
    return all(address(r) is not None for r in routines)


def call(routine: str, pointers: list[int]) -> None:
    """Call ``routine`` with the argument addresses ``pointers`` (every Fortran argument by pointer)."""
    fn = _function(routine)
    if hashunique.is_routine(routine):
        fn = ctypes.CFUNCTYPE(None, *[ctypes.c_void_p] * len(pointers))(hashunique.address(routine))
    if fn is None:
        raise RuntimeError(f"tracejit: LAPACK routine {routine} is not available")
    fn(*[ctypes.c_void_p(p) for p in pointers])


def workspace(routine: str, pointers: list[int], queries: list[np.ndarray]) -> list[int]:
    """The optimal workspace sizes LAPACK reports for ``routine`` (a query: ``pointers``
    with the lwork arguments set to -1); ``queries`` are the arrays it writes them into."""
    call(routine, pointers)
    return [int(q.reshape(-1)[0]) for q in queries]
