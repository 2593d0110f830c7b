"""``numpy.convolve`` and ``numpy.correlate`` of traced 1-D arrays, as NumPy computes them
(``numpy/_core/numeric.py`` and ``_pyarray_correlate`` in ``multiarray.c``).

Both become one correlation of the longer operand with the shorter (``convolve``
reverses the shorter; ``correlate`` swaps them when the second is longer and reverses
the result): the longer one, zero-padded as the mode asks (``valid``: none, ``same``:
``n // 2`` left and the rest right, ``full``: ``n - 1`` both sides), then the sum over the
shorter one's ``n`` elements of each element times a shifted slice of it, unrolled at trace
time into one fused elementwise kernel (no loop). The padding is never materialized for the
long operand: the outputs that overlap it are computed from small padded copies of its ends,
and one concatenate fuses the three parts into the output. An edge output sums only the
products of taps that meet the operand (exact zeros for the others), as NumPy's shorter
edge dots do: an infinite tap over the padding gives no NaN.
Both operands are first cast to their common dtype, so integers wrap and booleans
``or`` their ``and``s as in NumPy's dot loops. The sum runs in element order, NumPy's
float loops (BLAS dot) in their own: results agree to rounding.

Refused (so run as host calls, NumPy's own code): a shorter operand longer than
:data:`MAX_TAPS` (an unrolled sum would be slower than NumPy's loop), complex operands.
"""
from __future__ import annotations

import operator
from collections.abc import Callable

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


def _join(parts: list) -> Operand:
    parts = [p for p in parts if p.shape[0]]
    if len(parts) == 1:
        return parts[0]
    return concatenate(parts) if any(is_tracer(p) for p in parts) else np.concatenate(parts)


def _valid(long: Operand, taps: list, real: Callable[[int], np.ndarray] | None = None) -> Operand:
    """``out[k] = sum_j long[k + j] * taps[j]``, ``len(long) - len(taps) + 1`` outputs, in tap order;
    with ``real``, tap ``j``'s products count only where ``real(j)`` (a bool per output) is true,
    exact zeros elsewhere (a padded zero times an infinite tap is not NaN: NumPy's edge dots
    leave the padding out)."""
    length = long.shape[0] - len(taps) + 1
    total = None
    for j, tap in enumerate(taps):
        term = long[j:j + length] * tap
        mask = None if real is None else real(j)
        if mask is not None and not mask.all():
            term = np.where(mask, term, term.dtype.type(0))
        total = term if total is None else total + term
    return total


def _correlate(long: Operand, taps: list, mode: int, dtype: np.dtype) -> Operand:
    """``out[k] = sum_j padded[k + j] * taps[j]`` (NumPy's ``_pyarray_correlate``): the outputs
    whose taps all fall inside ``long`` straight from its slices, the ``left``/``right`` edge
    outputs from small zero-padded copies of its first/last ``n - 1`` elements (the padding's
    products masked out), joined by one concatenate, which fuses them: no padded copy of
    ``long``."""
    n1, n = long.shape[0], len(taps)
    left, right = ((0, 0), (n // 2, n - n // 2 - 1), (n - 1, n - 1))[mode]
    parts = [_valid(long, taps)]
    if left:  # output k reads head[k + j], padding below index ``left``
        head = _join([np.zeros(left, dtype), long[:n - 1]])
        parts.insert(0, _valid(head, taps, lambda j: np.arange(left) + j >= left))
    if right:  # output k reads tail[k + j], padding from index n - 1
        tail = _join([long[n1 - n + 1:], np.zeros(right, dtype)])
        parts.append(_valid(tail, taps, lambda j: np.arange(right) + j < n - 1))
    return _join(parts)


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
