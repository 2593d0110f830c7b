"""``scipy.linalg.solve_triangular``, native: what LAPACK's ``?trtrs`` does, from NumPy's own LAPACK.

SciPy's function is reached through ``frontend/libraries.py`` (:data:`NATIVE`, by its public
path), so SciPy is never imported here. It is composed as SciPy calls it: the LAPACK type
of the operands (float32 with float32: ``s``; otherwise ``d`` in float64), and,
for the C-ordered matrices a traced function holds, SciPy's transposed call (``trtrs`` of
``a.T``, whose column-major memory is ``a``'s own, with ``lower`` and ``trans`` flipped); the
right-hand sides are solved from the right in their own row-major order (``x.T op(a).T =
b.T``: no transposed copies; 10% faster than the left-side transposed trsm at 512).
``?trtrs`` is a test of the diagonal for a zero, then ``?trsm``: called as those two here,
since OpenBLAS's own, threaded ``trtrs`` waits milliseconds for a second core on a busy
machine even at 8x8.
``check_finite`` is a run-time check raising SciPy's ``ValueError``; a zero on the diagonal
(unless ``unit_diagonal``) raises ``LinAlgError`` ("singular matrix", without SciPy's
diagonal index). Complex, empty or stacked operands, and a NumPy without
these routines, run SciPy's function (a host call where it needs concrete arrays).
"""
from __future__ import annotations

import numpy as np

from tracejit.errors import UnsupportedError, at, user_error
from tracejit.frontend import checks
from tracejit.frontend.context import user_location
from tracejit.frontend.core import Tracer
from tracejit.frontend.libraries import NATIVE
from tracejit.frontend.numpy.lapack_funcs import record_call
from tracejit.frontend.numpy.shape import astype, reshape
from tracejit.frontend.operands import Operand, as_array, as_operand, find_trace, lift
from tracejit.runtime import lapack

LinAlgError = np.linalg.LinAlgError
_TRANS = {0: 0, 1: 1, 2: 1, "N": 0, "T": 1, "C": 1}  # (real matrices: the conjugate transpose is the transpose)


def solve_triangular(a: Operand, b: Operand, trans: int | str = 0, lower: bool = False, unit_diagonal: bool = False,
                     overwrite_a: bool = False, overwrite_b: bool = False, check_finite: bool = True) -> Tracer:
    """``scipy.linalg.solve_triangular(a, b, ...)`` of a traced square ``a`` and ``b`` (1-D or 2-D)."""
    loc = user_location()
    if not any(isinstance(v, Tracer) for v in (a, b)):
        raise UnsupportedError("solve_triangular of concrete arrays runs in SciPy")
    trace = find_trace([a, b])
    a, b = (lift(trace, as_operand(trace, as_array(trace, v))) for v in (a, b))
    if a.dtype.kind not in "biuf" or b.dtype.kind not in "biuf" or np.float16 in (a.dtype, b.dtype):
        raise UnsupportedError(f"scipy.linalg.solve_triangular of {a.dtype} and {b.dtype} runs in SciPy")
    if a.ndim != 2 or b.ndim not in (1, 2) or a.size == 0 or b.size == 0:
        raise UnsupportedError("scipy.linalg.solve_triangular of stacked or empty arrays runs in SciPy")
    if a.shape[0] != a.shape[1]:
        raise user_error(ValueError(f"expected square matrix{at(loc)}"))
    if a.shape[0] != b.shape[0]:
        raise user_error(ValueError(f"shapes of a {a.shape} and b {b.shape} are incompatible{at(loc)}"))
    if trans not in _TRANS:
        raise user_error(ValueError(f"trans must be 0, 1, 2, 'N', 'T' or 'C', not {trans!r}{at(loc)}"))
    single = a.dtype == np.float32 and b.dtype == np.float32
    routine, dtype = ("strsm", np.dtype(np.float32)) if single else ("dtrsm", np.dtype(np.float64))
    if not lapack.available(routine):
        raise UnsupportedError("scipy.linalg.solve_triangular: this NumPy's LAPACK is not available to native code")
    if check_finite:
        for v in (a, b):
            checks.record(np.logical_not(np.all(np.isfinite(v))), ValueError,
                          f"array must not contain infs or NaNs{at(loc)}")
    n = a.shape[0]
    vector = b.ndim == 1
    nrhs = 1 if vector else b.shape[1]
    a = astype(a, dtype, copy=False)  # its rows: the columns of a.T (an unbatched operand: read in place)
    if not unit_diagonal:  # (trtrs's test, before its trsm)
        checks.record(np.any(np.diagonal(a) == 0), LinAlgError,
                      f"singular matrix: resolution failed at a zero diagonal{at(loc)}")
    rows = reshape(astype(b, dtype, copy=False), (1, n, nrhs))  # (C order: b.T column-major, leading dim nrhs)
    # op(a) x = b as x.T op(a).T = b.T: trsm from the right on b's own rows, op(a).T being a.T
    # (trans 0) or a (trans 1), the matrix U = a.T in memory; no transposed copies of b or x
    uplo, flag = ("U" if lower else "L"), ("T" if _TRANS[trans] else "N")
    args = (("char", "R"), ("char", uplo), ("char", flag), ("char", "U" if unit_diagonal else "N"), ("dim", 1),
            ("dim", 0), ("in", 2), ("in", 0), ("dim", 2), ("out", 0), ("dim", 3))
    one = lift(trace, np.ones((), dtype))
    (x,) = record_call(trace, routine, [a, rows, one], args, [((1, n, nrhs), dtype, True)], ((0, 1),),
                       (n, nrhs, max(1, n), max(1, nrhs)), 1)
    return reshape(x, (n,)) if vector else reshape(x, (n, nrhs))

NATIVE["scipy.linalg.solve_triangular"] = solve_triangular
