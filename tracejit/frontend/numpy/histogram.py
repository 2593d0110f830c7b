"""Counting into bins: ``np.histogram``, ``np.histogram_bin_edges`` and ``np.bincount``.

Each value's bin is computed elementwise (a fused parallel loop), then one serial
``scatter_add`` (``compiler/ops/scatter_add.py``) adds each value's count or weight at its
bin, in order, as NumPy's ``bincount`` does; values outside every bin add to a spare slot
past the end, which is dropped.

- ``histogram`` with an int ``bins``: NumPy's uniform-bin rule exactly (the estimate
  ``(x - first) / (last - first) * bins`` corrected by one against the edges, so a value
  on an edge lands where the edges say; the last bin closed; NaN and values outside the
  range dropped). With a constant ``range`` the edges are NumPy's own constants; with a
  traced one, or from the data's min and max, they are computed at run time by NumPy's
  ``linspace`` formula, and a non-finite or reversed range raises ValueError after the call. Weighted sums are float64
  per block of 65536 values, added in the weights' dtype, as NumPy does.
- ``histogram`` with array edges: each value's bin by a binary search (``search.py``),
  non-decreasing edges checked (at run time when traced). Weighted sums there are direct
  sums, where NumPy differences cumulative sums of sorted weights: equal within rounding.
- ``bincount``: its length ``max(minlength, x.max() + 1)`` depends on the data. For
  inputs of at most 16 bits (bool, int8/16, uint8/16) every count fits a static
  capacity (the dtype's range): the result is a selection of that many counts
  (``selection.py``: returned or reduced, not reshaped), or a plain array when
  ``minlength`` already covers the range. The positions ``searchsorted``/``digitize``
  return are bounded the same way (by the sorted array's length: ``np.bincount(np.digitize(x,
  bins))``). Other wider integers have no static bound and are refused (UnsupportedError).
  Negative values raise ValueError after the call.
"""
from __future__ import annotations

import operator

import numpy as np

from tracejit.errors import UnsupportedError, at, user_error
from tracejit.frontend import checks
from tracejit.frontend.context import user_location
from tracejit.frontend.core import Trace, Tracer
from tracejit.frontend.dispatch import implements
from tracejit.frontend.numpy.creation import filled
from tracejit.frontend.numpy.elementwise import where
from tracejit.frontend.numpy.search import known_range, lane_take, search
from tracejit.frontend.numpy.selection import Selection
from tracejit.frontend.numpy.shape import astype, ravel
from tracejit.frontend.operands import Operand, as_array, find_trace, is_tracer, lift, promotion_operand

BLOCK = 65536  # NumPy's histogram adds weighted bin sums per block of this many values
_BOUNDED = "?bBhH"  # dtype chars whose values all fit a static count (<= 65536)


def add_at(trace: Trace, size: int, index: Tracer, value: Operand, dtype: np.dtype) -> Tracer:
    """A ``size`` array of ``dtype`` zeros with ``value`` (broadcast to ``index``) added at each
    ``index`` (int64, in ``[0, size)``), in order."""
    base = filled(trace, (size,), dtype, 0)
    value = astype(value, dtype) if is_tracer(value) else np.asarray(value, dtype)
    value = filled(trace, index.shape, dtype, value) if not is_tracer(value) else value
    if value.shape != index.shape:
        value = np.broadcast_to(value, index.shape)
    return trace.apply("scatter_add", [base, value, index])


def _operand(trace, x: Operand) -> Tracer:
    return lift(trace, np.asarray(x) if isinstance(x, (list, tuple)) else as_array(trace, x))


def _int_bins(bins: Operand, loc: str | None) -> int | None:
    """``bins`` as a static bin count, None for an array of edges."""
    if isinstance(bins, str):
        raise UnsupportedError(f"numpy.histogram with bins={bins!r} (an estimator; give a count or edges){at(loc)}")
    if is_tracer(bins) and bins.ndim == 0:
        raise UnsupportedError(f"numpy.histogram with a traced bin count (it sets the result's length){at(loc)}")
    if np.ndim(bins) == 0:
        try:
            count = operator.index(bins)
        except TypeError:
            raise user_error(TypeError(f"`bins` must be an integer, a string, or an array{at(loc)}")) from None
        if count < 1:
            raise user_error(ValueError(f"`bins` must be positive, when an integer{at(loc)}"))
        return count
    if np.ndim(bins) != 1:
        raise user_error(ValueError(f"`bins` must be 1d, when an array{at(loc)}"))
    return None


def _static_edges(dtype: np.dtype, bins: int, range_: tuple, loc: str | None) -> np.ndarray:
    """NumPy's edges for a given range (they depend on the data's dtype only)."""
    try:
        return np.histogram_bin_edges(np.empty(0, dtype), bins, range_)
    except (ValueError, TypeError) as e:
        raise user_error(type(e)(f"{e}{at(loc)}")) from None


def _run_time_edges(a: Tracer, lo: Operand, hi: Operand, bins: int, loc: str | None,
                    supplied: bool) -> tuple[Tracer, Operand, Operand]:
    """Edges from a traced range (``supplied``) or the data's min and max, by NumPy's rule
    (equal ends widened by 0.5 in their own dtype, ``linspace`` in the ends' dtype, then
    the bin dtype), with the first and last edge; bad ends raise ValueError after the call."""
    trace = a._trace
    lo, hi = (v if is_tracer(v) else np.asarray(v) if isinstance(v, np.generic) else v for v in (lo, hi))
    bin_type = np.result_type(promotion_operand(lo, loc), promotion_operand(hi, loc), a.dtype)
    bin_type = np.result_type(bin_type, float) if bin_type.kind in "iub" else bin_type
    dtype = np.result_type(promotion_operand(lo, loc), promotion_operand(hi, loc))
    dtype = np.result_type(dtype, float) if dtype.kind in "iub" else dtype
    if supplied:
        checks.record(np.greater(lo, hi), ValueError, f"max must be larger than min in range parameter.{at(loc)}")
    if np.result_type(promotion_operand(lo, loc), promotion_operand(hi, loc)).kind == "f":
        what = "supplied range" if supplied else "autodetected range of the data"
        checks.record(np.logical_not(np.logical_and(np.isfinite(lo), np.isfinite(hi))), ValueError,
                      f"{what} is not finite{at(loc)}")
    same = np.equal(lo, hi)
    first = where(same, np.subtract(lo, 0.5), lo)
    last = where(same, np.add(hi, 0.5), hi)
    start, stop = astype(lift(trace, first), dtype), astype(lift(trace, last), dtype)
    delta = np.subtract(stop, start)
    step = np.divide(delta, np.asarray(bins, dtype))
    ramp = np.arange(bins + 1, dtype=dtype)
    ys = where(np.equal(step, np.asarray(0, dtype)),
               np.multiply(np.divide(ramp, np.asarray(bins, dtype)), delta), np.multiply(ramp, step))
    ys = np.add(ys, start)
    edges = astype(where(np.arange(bins + 1) == bins, stop, ys), bin_type)
    return edges, first, last


def _uniform_index(a: Tracer, edges: Operand, first: Operand, last: Operand, bins: int) -> Tracer:
    """Each value's bin by NumPy's uniform-bin rule; ``bins`` (the spare slot) when dropped."""
    trace = a._trace
    keep = np.logical_and(np.greater_equal(a, first), np.less_equal(a, last))
    dtype = edges.dtype
    x = astype(a, dtype)
    first_d = astype(lift(trace, as_array(trace, first)), dtype) if is_tracer(first) else np.asarray(first, dtype)
    last_d = astype(lift(trace, as_array(trace, last)), dtype) if is_tracer(last) else np.asarray(last, dtype)
    estimate = np.multiply(np.divide(np.subtract(x, first_d), np.subtract(last_d, first_d)), np.asarray(bins, dtype))
    estimate = where(keep, estimate, np.asarray(0, dtype))
    index = np.clip(astype(estimate, np.int64), 0, bins - 1)
    edges = lift(trace, edges)
    index = where(np.less(x, lane_take(edges, index)), np.subtract(index, np.int64(1)), index)
    index = np.clip(index, 0, bins - 1)
    above = np.greater_equal(x, lane_take(edges, np.add(index, np.int64(1))))
    up = np.logical_and(above, np.not_equal(index, bins - 1))
    index = where(up, np.add(index, np.int64(1)), index)
    return where(keep, index, np.int64(bins))


def _edge_index(a: Tracer, edges: Tracer) -> Tracer:
    """Each value's bin among array ``edges`` (the last bin closed); the spare slot when dropped."""
    dtype = np.result_type(a.dtype, edges.dtype)
    x, e = astype(a, dtype), astype(edges, dtype)
    m = edges.shape[0]
    s = search(e, x, True)
    on_last = np.equal(x, e[m - 1])
    index = where(on_last, np.int64(m - 2), np.subtract(s, np.int64(1)))
    return where(np.logical_or(np.less(index, 0), np.logical_and(np.equal(s, m), np.logical_not(on_last))),
                 np.int64(m - 1), index)


def _sums(a: Tracer, index: Tracer, bins: int, weights: Tracer | None, ntype: np.dtype, uniform: bool) -> Tracer:
    trace = a._trace
    if weights is None:
        return add_at(trace, bins + 1, index, 1, ntype)[:bins]
    if ntype.kind in "iu" and not uniform:
        return add_at(trace, bins + 1, index, weights, ntype)[:bins]
    n = a.shape[0]
    total = None
    for start in range(0, max(n, 1), BLOCK):  # per block, in float64, as NumPy's bincount
        part = add_at(trace, bins + 1, index[start:start + BLOCK], weights[start:start + BLOCK], np.dtype(np.float64))
        part = astype(part[:bins], ntype)
        total = part if total is None else np.add(total, part)
    return total


def _edges_and_index(a: Tracer, bins: Operand, range_: object, loc: str | None, want_index: bool):
    trace = a._trace
    count = _int_bins(bins, loc)
    if count is not None:
        if a.dtype.kind not in "iuf":
            raise UnsupportedError(f"numpy.histogram of {a.dtype} values{at(loc)}")
        if range_ is not None:
            first, last = range_
            if is_tracer(first) or is_tracer(last):
                edges, first, last = _run_time_edges(a, first, last, count, loc, True)
                return edges, count, (_uniform_index(a, edges, first, last, count) if want_index else None), True
            edges = _static_edges(a.dtype, count, range_, loc)
            if first == last:
                first, last = first - 0.5, last + 0.5
            return edges, count, (_uniform_index(a, edges, first, last, count) if want_index else None), True
        if a.size == 0:
            edges = _static_edges(a.dtype, count, None, loc)
            return edges, count, (_uniform_index(a, edges, 0, 1, count) if want_index else None), True
        edges, first, last = _run_time_edges(a, np.min(a), np.max(a), count, loc, False)
        return edges, count, (_uniform_index(a, edges, first, last, count) if want_index else None), True
    if is_tracer(bins):
        if bins.shape[0] >= 2:
            checks.record(np.any(np.greater(bins[:-1], bins[1:])), ValueError,
                          f"`bins` must increase monotonically, when an array{at(loc)}")
    else:
        bins = np.asarray(bins)
        if np.any(bins[:-1] > bins[1:]):
            raise user_error(ValueError(f"`bins` must increase monotonically, when an array{at(loc)}"))
    edges = lift(trace, bins)
    if edges.dtype.kind == "c" or a.dtype.kind == "c":
        raise UnsupportedError(f"numpy.histogram of complex values{at(loc)}")
    return edges, edges.shape[0] - 1, (_edge_index(a, edges) if want_index else None), False


@implements(np.histogram_bin_edges)
def histogram_bin_edges(a: Operand, bins: Operand = 10, range: tuple | None = None,  # noqa: A002
                        weights: Operand = None) -> Operand:
    """``numpy.histogram_bin_edges`` for a bin count or an array of edges."""
    loc = user_location()
    trace = find_trace((a, bins, weights))
    x = ravel(_operand(trace, a))
    edges = _edges_and_index(x, bins, range, loc, False)[0]
    return lift(trace, edges)


@implements(np.histogram)
def histogram(a: Operand, bins: Operand = 10, range: tuple | None = None, density: bool | None = None,  # noqa: A002
              weights: Operand = None) -> tuple:
    """``numpy.histogram`` with a bin count (range given or from the data) or array edges."""
    loc = user_location()
    trace = find_trace((a, bins, weights))
    x = ravel(_operand(trace, a))
    w = None
    if weights is not None:
        w = ravel(_operand(trace, weights))
        if w.shape != x.shape:
            raise user_error(ValueError(f"weights should have the same shape as a.{at(loc)}"))
        if w.dtype.kind not in "iuf":
            raise UnsupportedError(f"numpy.histogram with {w.dtype} weights{at(loc)}")
    if x.dtype.kind == "b":
        raise UnsupportedError(f"numpy.histogram of boolean values{at(loc)}")
    edges, count, index, uniform = _edges_and_index(x, bins, range, loc, True)
    ntype = np.dtype(np.intp) if w is None else w.dtype
    hist = _sums(x, index, count, w, ntype, uniform)
    edges = lift(trace, edges)
    if density:
        widths = astype(np.subtract(edges[1:], edges[:-1]), np.float64)
        hist = np.divide(np.divide(hist, widths), np.sum(hist))
    return hist, edges


@implements(np.bincount)
def bincount(x: Operand, weights: Operand = None, minlength: int = 0) -> Operand:
    """``numpy.bincount`` of a traced array of at most 16-bit integers (see the module docstring)."""
    loc = user_location()
    trace = find_trace((x, weights))
    x = _operand(trace, x)
    minlength = operator.index(minlength)
    if minlength < 0:
        raise user_error(ValueError(f"'minlength' must not be negative{at(loc)}"))
    if x.ndim != 1:
        raise user_error(ValueError(f"object too deep for desired array{at(loc)}" if x.ndim > 1 else
                                    f"object of too small depth for desired array{at(loc)}"))
    if x.dtype.kind not in "biu" or not np.can_cast(x.dtype, np.intp):
        raise user_error(TypeError(f"Cannot cast array data from {x.dtype!r} to dtype('int64') according to "
                                   f"the rule 'safe'{at(loc)}"))
    low, high = known_range(x)  # positions from searchsorted or digitize (at most len(a)), argmax; shifted
    bound = None if high is None else max(high, 0)
    if x.dtype.char not in _BOUNDED and bound is None:
        raise UnsupportedError(f"numpy.bincount of {x.dtype} values: the result's length (x.max() + 1) has no static "
                               f"bound; tracejit counts natively values of at most 16 bits (bool, int8, uint8, "
                               f"int16, uint16) and the positions np.searchsorted or np.digitize return{at(loc)}")
    dtype = np.dtype(np.float64) if weights is not None else np.dtype(np.intp)
    w = None
    if weights is not None:
        w = _operand(trace, weights)
        if w.shape != x.shape:
            raise user_error(ValueError(f"The weights and list don't have the same length.{at(loc)}"))
        if w.dtype.kind == "c":
            raise user_error(TypeError(f"Cannot cast array data from {w.dtype!r} to dtype('float64') according to "
                                       f"the rule 'safe'{at(loc)}"))
    index = astype(x, np.int64)
    if x.dtype.kind == "i" and x.size and (low is None or low < 0):
        checks.record(np.any(np.less(index, 0)), ValueError, f"'list' argument must have no negative elements{at(loc)}")
    top = bound if bound is not None else int(np.iinfo(x.dtype).max) if x.dtype.kind != "b" else 1
    capacity = max(minlength, top + 1)
    counts = add_at(trace, capacity, np.clip(index, 0, capacity - 1), 1 if w is None else w, dtype)
    if capacity == minlength:
        return counts
    length = np.int64(minlength) if not x.size else np.maximum(np.add(np.max(index), np.int64(1)), np.int64(minlength))
    mask = np.less(np.arange(capacity), length)
    selection = Selection(counts, mask)
    selection.prefix = minlength  # (its first minlength counts are always there: [:minlength] is static)
    return selection

