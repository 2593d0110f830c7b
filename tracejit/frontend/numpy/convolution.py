"""``numpy.convolve`` and ``numpy.correlate`` of traced 1-D arrays, as NumPy computes them
(``numpy/_core/numeric.py`` and ``_pyarray_correlate`` in ``multiarray.c``).

Both become one correlation of the longer operand with the shorter (``convolve``
reverses the shorter; ``correlate`` swaps them when the second is longer and reverses
the result): the longer one, zero-padded as the mode asks (``valid``: none, ``same``:
``n // 2`` left and the rest right, ``full``: ``n - 1`` both sides), then the sum over the
shorter one's ``n`` elements of each element times a shifted slice of it, unrolled at trace
time into one fused elementwise kernel (no loop, no temporaries beyond the padded copy).
Both operands are first cast to their common dtype, so integers wrap and booleans
``or`` their ``and``s as in NumPy's dot loops. The sum runs in element order, NumPy's
float loops (BLAS dot) in their own: results agree to rounding.

Refused (so run as host calls, NumPy's own code): a shorter operand longer than
:data:`MAX_TAPS` (an unrolled sum would be slower than NumPy's loop), complex operands.
"""
from __future__ import annotations

import operator

import numpy as np

from tracejit.errors import UnsupportedError, at, user_error
from tracejit.frontend.context import user_location
from tracejit.frontend.dispatch import implements
from tracejit.frontend.numpy.shape import concatenate, reshape
from tracejit.frontend.operands import Operand, is_tracer

MAX_TAPS = 64  # longest shorter operand unrolled into a fused sum
_MODES = {"valid": 0, "same": 1, "full": 2}


def _vector(x: object, name: str, loc: str | None) -> Operand:
    """``np.array(x, ndmin=1)``; 1-D only (NumPy's error otherwise)."""
    if not is_tracer(x):
        x = np.asarray(x)
    if x.ndim == 0:
        x = reshape(x, (1,)) if is_tracer(x) else x.reshape(1)
    if x.ndim != 1:
        raise user_error(ValueError(f"object too deep for desired array{at(loc)}"))
    if x.dtype.kind not in "biuf":
        raise UnsupportedError(f"numpy.{name} of {x.dtype} arrays{at(loc)}")
    return x


def _mode(mode: object, loc: str | None) -> int:
    if isinstance(mode, str):
        if mode not in _MODES:
            raise user_error(ValueError(f"Use one of 'valid', 'same', or 'full' for convolve/correlate mode{at(loc)}"))
        return _MODES[mode]
    mode = operator.index(mode)
    if mode not in (0, 1, 2):
        raise user_error(ValueError(f"integer convolve/correlate mode must be 0, 1, or 2{at(loc)}"))
    return mode


def _correlate(long: Operand, taps: list, mode: int, dtype: np.dtype) -> Operand:
    """``out[k] = sum_j padded[k + j] * taps[j]`` (NumPy's ``_pyarray_correlate``)."""
    n1, n = long.shape[0], len(taps)
    left, right = ((0, 0), (n // 2, n - n // 2 - 1), (n - 1, n - 1))[mode]
    if left or right:
        zeros = np.zeros(left, dtype), np.zeros(right, dtype)
        parts = [p for p in (zeros[0], long, zeros[1]) if p.shape[0]]
        long = concatenate(parts) if is_tracer(long) else np.concatenate(parts)
    length = n1 + left + right - n + 1
    total = None
    for j, tap in enumerate(taps):
        term = long[j:j + length] * tap
        total = term if total is None else total + term
    return total


def _operands(a: object, v: object, name: str, loc: str | None) -> tuple[Operand, Operand, np.dtype]:
    a, v = _vector(a, name, loc), _vector(v, name, loc)
    dtype = np.result_type(a.dtype, v.dtype)
    return a.astype(dtype) if a.dtype != dtype else a, v.astype(dtype) if v.dtype != dtype else v, dtype


def _taps(v: Operand, loc: str | None, name: str) -> list:
    n = v.shape[0]
    if n > MAX_TAPS:
        raise UnsupportedError(f"numpy.{name} with both operands longer than {MAX_TAPS}: NumPy's own loop is "
                               f"faster than an unrolled sum{at(loc)}")
    return [v[j] for j in range(n)]


@implements(np.convolve)
def convolve(a: Operand, v: Operand, mode: str = "full") -> Operand:
    """``numpy.convolve``: the longer operand correlated with the shorter one reversed."""
    loc = user_location()
    a, v, dtype = _operands(a, v, "convolve", loc)
    if a.shape[0] == 0:
        raise user_error(ValueError(f"a cannot be empty{at(loc)}"))
    if v.shape[0] == 0:
        raise user_error(ValueError(f"v cannot be empty{at(loc)}"))
    if v.shape[0] > a.shape[0]:
        a, v = v, a
    mode = _mode(mode, loc)
    return _correlate(a, _taps(v, loc, "convolve")[::-1], mode, dtype)


@implements(np.correlate)
def correlate(a: Operand, v: Operand, mode: str = "valid") -> Operand:
    """``numpy.correlate``: swapped (and the result reversed) when ``v`` is the longer."""
    loc = user_location()
    a, v, dtype = _operands(a, v, "correlate", loc)
    mode = _mode(mode, loc)
    if a.shape[0] == 0:
        raise user_error(ValueError(f"first array argument cannot be empty{at(loc)}"))
    if v.shape[0] == 0:
        raise user_error(ValueError(f"second array argument cannot be empty{at(loc)}"))
    if a.shape[0] < v.shape[0]:
        return _correlate(v, _taps(a, loc, "correlate"), mode, dtype)[::-1]
    return _correlate(a, _taps(v, loc, "correlate"), mode, dtype)
