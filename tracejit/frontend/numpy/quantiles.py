"""``np.quantile`` and ``np.percentile`` of traced arrays (NumPy's methods but the two
discontinuous ``inverted_cdf`` and ``closest_observation``).

The quantiles ``q`` are constants, so where each one falls in a sorted line of ``n`` values
is known at trace time: NumPy's virtual index ``(n - 1) * q``, its two neighbours and the
weight ``gamma`` are computed here with NumPy's own arithmetic (same dtypes, so integer
``q`` of ``quantile`` takes elements without interpolating, as NumPy does). The traced
part is one ``partition`` along the axis putting just those ranks in place (an
introselect, ``codegen/select.py``; NaNs last, as NumPy's own ``_quantile`` partitions)
and, per quantile, NumPy's two-sided ``_lerp``
of two static slices; a line holding a NaN gives NaN. Python-number ``q`` interpolates in
the data's dtype (NumPy's weak promotion), array ``q`` in ``q``'s.
Each method is NumPy's virtual index and gamma rule (``METHODS``). A tuple of axes is
moved last and merged into one (``lines_of``). Traced ``q``, the other two methods,
``weights`` and ``out`` are refused (UnsupportedError).

``np.nanquantile``/``np.nanpercentile`` of floats (``method='linear'``): the same, with
``n`` the run-time count of numbers in each line (a partition with ranks read from that count puts
NaNs last and those ranks in place: ``frontend/numpy/nanselect.py``): the
virtual index, neighbours and gamma become traced per line (NumPy's arithmetic, in
float64), the neighbours are gathered, and the lerp takes its side from the traced gamma.
A line of NaNs gives NaN (and NumPy's ``RuntimeWarning``, after the call). Integers have no NaN:
they go to ``quantile``.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

from tracejit.errors import UnsupportedError, at, user_error
from tracejit.frontend import checks
from tracejit.frontend.context import user_location
from tracejit.frontend.dispatch import implements
from tracejit.frontend.numpy.axes import axis_index, normalize_axes
from tracejit.frontend.numpy.elementwise import where
from tracejit.frontend.numpy.nanselect import nan_partition
from tracejit.frontend.numpy.scans_and_sorts import partitioning
from tracejit.frontend.numpy.shape import astype, reshape, scalar_result, stack
from tracejit.frontend.operands import Operand, as_array, find_trace, is_tracer, lift, static_ints


def _lerp(a: Operand, b: Operand, t: object) -> Operand:
    """NumPy's ``_lerp`` for one static weight ``t`` (which side it computes from is known)."""
    diff = np.subtract(b, a)
    if t >= 0.5:
        return np.subtract(b, np.multiply(diff, 1 - t))
    return np.add(a, np.multiply(diff, t))


def _continuous(alpha: float, beta: float) -> Callable:
    """Hyndman and Fan's virtual index ``n*q + (alpha + q*(1 - alpha - beta)) - 1``."""
    return lambda n, q: n * q + (alpha + q * (1 - alpha - beta)) - 1


# method -> (virtual index of n values for quantiles q, how gamma is fixed: None when the
# index is an integer and the element is taken), as NumPy defines them
METHODS: dict[str, tuple[Callable, str | None]] = {
    "linear": (lambda n, q: (n - 1) * q, "gamma"),
    "lower": (lambda n, q: np.floor((n - 1) * q).astype(np.intp), None),
    "higher": (lambda n, q: np.ceil((n - 1) * q).astype(np.intp), None),
    "nearest": (lambda n, q: np.around((n - 1) * q).astype(np.intp), None),
    "midpoint": (lambda n, q: 0.5 * (np.floor((n - 1) * q) + np.ceil((n - 1) * q)), "midpoint"),
    "averaged_inverted_cdf": (lambda n, q: n * q - 1, "averaged"),
    "interpolated_inverted_cdf": (_continuous(0, 1), "gamma"),
    "hazen": (_continuous(0.5, 0.5), "gamma"),
    "weibull": (_continuous(0, 0), "gamma"),
    "median_unbiased": (_continuous(1 / 3.0, 1 / 3.0), "gamma"),
    "normal_unbiased": (_continuous(3 / 8.0, 3 / 8.0), "gamma"),
}


def _points(n: int, q: np.ndarray, method: str) -> list[tuple[int, int, object]]:
    """Per quantile (C order): NumPy's previous and next index and gamma (None: take, no lerp)."""
    index_of, fix = METHODS[method]
    virtual = np.asanyarray(index_of(n, q))
    if fix is None or (method == "linear" and virtual.dtype.kind in "iu"):
        return [(int(v), int(v), None) for v in virtual.ravel()]
    previous = np.floor(virtual, out=...)
    nxt = np.add(previous, 1, out=...)
    above, below = virtual >= n - 1, virtual < 0
    previous[above] = nxt[above] = -1
    previous[below] = nxt[below] = 0
    previous, nxt = previous.astype(np.intp), nxt.astype(np.intp)
    gamma = np.asanyarray(virtual - previous)
    if fix == "midpoint":
        gamma = np.where(virtual % 1 == 0, 0.0, 0.5)
    elif fix == "averaged":
        gamma = np.where(gamma == 0, 0.5, 1.0)
    gamma = np.asanyarray(gamma, dtype=virtual.dtype)
    return [(int(p) % n, int(x) % n, g) for p, x, g in zip(previous.ravel(), nxt.ravel(), gamma.ravel())]


def _quantiles(a: Operand, q: Operand, axis: object, out: object, method: str, keepdims: bool, weights: object,
               interpolation: object, percent: bool, nan: bool = False) -> Operand:
    loc = user_location()
    name = ("numpy.nanpercentile" if percent else "numpy.nanquantile") if nan else \
        ("numpy.percentile" if percent else "numpy.quantile")
    if is_tracer(q):
        raise UnsupportedError(f"{name} with traced q (give constant quantiles){at(loc)}")
    if interpolation is not None or method not in METHODS or (nan and method != "linear"):
        supported = "'linear'" if nan else ", ".join(repr(m) for m in METHODS)
        raise UnsupportedError(f"{name} with method={method!r} (supported: {supported}){at(loc)}")
    if out is not None or weights is not None:
        raise UnsupportedError(f"{name} with out= or weights={at(loc)}")
    trace = find_trace((a,))
    x = lift(trace, as_array(trace, a))
    if x.dtype.kind == "c":
        raise user_error(TypeError(f"a must be an array of real numbers{at(loc)}"))
    weak = type(q) in (int, float)
    qs = np.true_divide(q, 100) if percent else np.asanyarray(q)
    if not (np.all(qs >= 0) and np.all(qs <= 1)):
        what = "Percentiles must be in the range [0, 100]" if percent else "Quantiles must be in the range [0, 1]"
        raise user_error(ValueError(f"{what}{at(loc)}"))
    line, ax, rest, kept = lines_of(x, axis, name, loc)
    n = line.shape[ax]
    if n == 0:
        raise UnsupportedError(f"{name} of an empty axis{at(loc)}")
    points = _points(n, qs, method) if not (nan and x.dtype.kind == "f") else None
    if line.ndim == 0:
        s = np.sort(line, axis=ax)
    elif points is None:  # the nan* forms: ranks read from each line's count of numbers (frontend/numpy/nanselect.py)
        s = nan_partition(line, ax, qs)
    else:  # the ranks NumPy reads, in place (NaNs last): an introselect, not a sort
        s = partitioning("partition", line, [k for p, nx, g in points for k in ((p,) if g is None else (p, nx))], ax)

    def take(k):
        key = [slice(None)] * s.ndim
        key[ax] = k
        return s[tuple(key)]

    if nan and s.dtype.kind == "f":
        results = _nan_points(s, ax, qs, weak)
        return _shaped(stack(results), rest, kept, qs.shape, keepdims)
    results = []
    for p, nx, g in points:
        if g is None:
            results.append(take(p))
            continue
        results.append(_lerp(take(p), take(nx), float(g) if weak else g))
    if s.dtype.kind == "f":
        last = take(n - 1)
        results = [where(np.isnan(last), np.asarray(np.nan, r.dtype), r) for r in results]
    return _shaped(stack(results), rest, kept, qs.shape, keepdims)


def lines_of(x: Operand, axis: object, name: str, loc: str | None) -> tuple[Operand, int, tuple, tuple]:
    """``x`` as lines along one axis for a reduction over ``axis`` (None, an int or a tuple:
    the axes moved last and merged): the lines, their axis, the shape of the other dims
    and NumPy's ``keepdims`` shape."""
    axis = None if axis is None else static_ints(axis)
    if isinstance(axis, tuple) and len(axis) == 1:
        axis = axis[0]
    if axis is None or x.ndim == 0:
        if axis is not None:
            axis_index(axis, 0, loc)  # (NumPy's AxisError: a 0-d array has no axes)
        return reshape(x, (-1,)), 0, (), (1,) * x.ndim
    if not isinstance(axis, tuple):
        ax = axis_index(axis, x.ndim, loc)
        return x, ax, x.shape[:ax] + x.shape[ax + 1:], x.shape[:ax] + (1,) + x.shape[ax + 1:]
    if not axis:
        raise UnsupportedError(f"{name} over an empty tuple of axes{at(loc)}")
    axes = normalize_axes(axis, x.ndim, loc)
    others = [d for d in range(x.ndim) if d not in axes]
    rest = tuple(x.shape[d] for d in others)
    line = reshape(np.transpose(x, others + list(axes)), rest + (-1,))
    return line, len(others), rest, tuple(1 if d in axes else x.shape[d] for d in range(x.ndim))


def _shaped(result: Operand, rest: tuple, kept: tuple, qshape: tuple, keepdims: bool) -> Operand:
    """The stacked quantiles in NumPy's result shape: ``q``'s dims, then the kept ones."""
    if keepdims:
        return reshape(result, qshape + kept)
    result = reshape(result, qshape + rest)
    return scalar_result(result) if result.ndim == 0 else result


def _nan_points(s: Operand, ax: int, qs: np.ndarray, weak: bool) -> list:
    """Per quantile: NumPy's linear quantile of each line's numbers (sorted first in ``s``)."""
    trace = s._trace
    lines = np.moveaxis(s, ax, -1)
    rest, n = lines.shape[:-1], lines.shape[-1]
    rows = reshape(lines, (-1, n))
    count = np.sum(np.logical_not(np.isnan(rows)), axis=1, dtype=np.int64)
    checks.warn(np.any(np.equal(count, 0)), RuntimeWarning, "All-NaN slice encountered")
    last = np.subtract(count, np.int64(1))
    row_index = np.arange(rows.shape[0], dtype=np.int64)

    def take(k):  # rows[r, k[r]], k in [0, n) (no check needed)
        return trace.apply("gather", [rows, row_index, np.clip(k, 0, n - 1)], {"axis": 0})

    out = []
    counts = astype(last, qs.dtype) if qs.dtype.kind == "f" else last  # NumPy: (n - 1) * q, n a Python int (weak)
    for q in qs.ravel():
        virtual = np.multiply(counts, q)
        if np.result_type(virtual).kind in "iu":
            out.append(reshape(take(astype(virtual, np.int64)), rest))
            continue
        previous = np.floor(virtual)
        above, below = np.greater_equal(virtual, last), np.less(virtual, 0)
        previous = where(below, 0.0, where(above, -1.0, previous))
        following = where(below, 0.0, where(above, -1.0, np.add(previous, 1.0)))
        gamma = np.subtract(virtual, previous)
        at = [where(np.less(k, 0), last, astype(k, np.int64)) for k in (previous, following)]
        lo, hi = take(at[0]), take(at[1])
        t, rest_t = gamma, np.subtract(1.0, gamma)
        if weak:  # a Python q: gamma is a weak float, rounded to the data's dtype
            t, rest_t = astype(t, s.dtype), astype(rest_t, s.dtype)
        diff = np.subtract(hi, lo)
        value = where(np.greater_equal(gamma, 0.5), np.subtract(hi, np.multiply(diff, rest_t)),
                      np.add(lo, np.multiply(diff, t)))
        out.append(reshape(value, rest))
    return out


@implements(np.quantile)
def quantile(a: Operand, q: Operand, axis: object = None, out: object = None, overwrite_input: bool = False,
             method: str = "linear", keepdims: bool = False, *, weights: object = None,
             interpolation: object = None) -> Operand:
    """``numpy.quantile`` (constant ``q``; see ``METHODS``)."""
    return _quantiles(a, q, axis, out, method, keepdims, weights, interpolation, False)


@implements(np.percentile)
def percentile(a: Operand, q: Operand, axis: object = None, out: object = None, overwrite_input: bool = False,
               method: str = "linear", keepdims: bool = False, *, weights: object = None,
               interpolation: object = None) -> Operand:
    """``numpy.percentile`` (constant ``q``; see ``METHODS``)."""
    return _quantiles(a, q, axis, out, method, keepdims, weights, interpolation, True)


@implements(np.nanquantile)
def nanquantile(a: Operand, q: Operand, axis: object = None, out: object = None, overwrite_input: bool = False,
                method: str = "linear", keepdims: bool = False, *, weights: object = None,
                interpolation: object = None) -> Operand:
    """``numpy.nanquantile`` (``method='linear'``, constant ``q``): NaNs ignored."""
    return _quantiles(a, q, axis, out, method, keepdims, weights, interpolation, False, nan=True)


@implements(np.nanpercentile)
def nanpercentile(a: Operand, q: Operand, axis: object = None, out: object = None, overwrite_input: bool = False,
                  method: str = "linear", keepdims: bool = False, *, weights: object = None,
                  interpolation: object = None) -> Operand:
    """``numpy.nanpercentile`` (``method='linear'``, constant ``q``): NaNs ignored."""
    return _quantiles(a, q, axis, out, method, keepdims, weights, interpolation, True, nan=True)
