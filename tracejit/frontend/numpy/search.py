"""Binary search in sorted traced arrays: ``np.searchsorted``, ``np.digitize``, ``np.interp``.

A search is one ``searchsorted`` op (``compiler/ops/search.py``): read like a gather, it
fuses into the loop over the values (parallel, all vector lanes searching together),
O(m log n) work for ``m`` values (up to ``COUNT_MAX`` elements, a count of comparisons is
faster, measured). Comparisons order NaN last, as NumPy's sort and search do, in the
dtype NumPy compares in (``np.result_type`` of the array and the values).

``digitize`` is a search on the side NumPy picks (decreasing bins searched reversed);
``interp`` finds each value's interval with a search and evaluates NumPy's formula (and its
special cases: the last sample point, exact hits, the NaN retry) elementwise; with
``period``, NumPy's normalization first (the argsort of the points is stable here, where
NumPy's quicksort is not: points equal modulo the period may pair with other ``fp``).
"""
from __future__ import annotations

import numpy as np

from tracejit.errors import UnsupportedError, at, user_error
from tracejit.frontend import checks
from tracejit.frontend.context import user_location
from tracejit.frontend.core import Tracer
from tracejit.frontend.dispatch import implements
from tracejit.frontend.numpy.creation import filled
from tracejit.frontend.numpy.elementwise import where
from tracejit.frontend.numpy.shape import astype, concatenate, reshape, scalar_result
from tracejit.frontend.operands import Operand, as_array, find_trace, is_tracer, lift, promotion_operand

COUNT_MAX = 4  # sorted arrays up to this long: a count of comparisons (1e6 values: 3.4 ms, the search 7.5 ms)


def lane_take(a: Tracer, index: Tracer) -> Tracer:
    """``a[index]`` for 1-d ``a`` and int64 ``index`` known to lie in ``[0, len(a))`` (no check)."""
    return a._trace.apply("gather", [a, index], {"axis": 0})


def record_bound(x: Tracer, high: int) -> Tracer:
    """Note that traced integers ``x`` (a search's positions, an argmax) lie in ``[0, high]``; returns ``x``."""
    if not hasattr(x._trace, "index_bounds"):
        x._trace.index_bounds = {}
    x._trace.index_bounds[x._node] = high
    return x


def known_bound(x: object) -> int | None:
    """The greatest value traced ``x`` can hold when a search produced it (see ``record_bound``), else None."""
    low, high = known_range(x)
    return None if low is None or low < 0 else high


def known_range(x: object) -> tuple[int | None, int | None]:
    """(least, greatest) value traced ``x`` can hold, None where unknown: a search's positions or an
    argmax (``record_bound``), shifted by integer constants and clipped by them (``np.digitize(x, e) - 1``,
    ``np.clip(i, 0, n - 1)``, ``np.minimum(i, k)``)."""
    if not is_tracer(x):
        return None, None
    return _range(x._trace.graph, x._node, getattr(x._trace, "index_bounds", {}), 8)


def _int_constant(graph, node: int) -> int | None:
    if graph.op(node) != "constant" or graph.aval(node).shape or graph.aval(node).dtype.kind not in "iu":
        return None
    return int(graph.data(node)["value"])


def _range(graph, node: int, bounds: dict, depth: int) -> tuple[int | None, int | None]:
    if node in bounds:
        return 0, bounds[node]
    op = graph.op(node)
    if depth == 0 or op not in ("add", "subtract", "maximum", "minimum"):
        return None, None
    a, b = graph.operands(node)
    c = _int_constant(graph, b)
    if c is None and op != "subtract":
        a, c = b, _int_constant(graph, a)
    if c is None:
        return None, None
    low, high = _range(graph, a, bounds, depth - 1)
    if op in ("add", "subtract"):
        c = c if op == "add" else -c
        return None if low is None else low + c, None if high is None else high + c
    if op == "maximum":
        return c if low is None else max(low, c), None if high is None else max(high, c)
    return None if low is None else min(low, c), c if high is None else min(high, c)


def ordered_less(x: Operand, y: Operand) -> Operand:
    """``x < y`` in NumPy's sort order: NaN after every number (and not below another NaN)."""
    less = np.less(x, y)
    if np.result_type(x, y).kind != "f":
        return less
    return np.logical_or(less, np.logical_and(np.isnan(y), np.logical_not(np.isnan(x))))


def search(a: Tracer, v: Operand, right: bool) -> Tracer:
    """Per value of ``v``: the number of elements of sorted 1-d ``a`` before which it goes
    (``side='right'``: after equal ones), as int64, in NumPy's NaN-last order; ``a`` and
    ``v`` share a dtype."""
    trace = a._trace
    n = a.shape[0]
    if n > COUNT_MAX:
        return trace.apply("searchsorted", [a, lift(trace, v)], {"right": right})
    found = filled(trace, np.shape(v), np.int64, 0)  # a few comparisons, vectorized, beat lane-by-lane loads
    for i in range(n):
        goes = np.logical_not(ordered_less(v, a[i])) if right else ordered_less(a[i], v)
        found = np.add(found, astype(goes, np.int64))
    return found


def _sorted_operand(trace, a: Operand, loc: str | None) -> Tracer:
    a = lift(trace, as_array(trace, a) if not isinstance(a, (list, tuple)) else np.asarray(a))
    if a.ndim != 1:
        raise user_error(ValueError(f"object too deep for desired array{at(loc)}" if a.ndim > 1 else
                                    f"object of too small depth for desired array{at(loc)}"))
    if a.dtype.kind == "c":
        raise UnsupportedError(f"numpy.searchsorted of complex values{at(loc)}")
    return a


@implements(np.searchsorted)
def searchsorted(a: Operand, v: Operand, side: str = "left", sorter: Operand = None) -> Operand:
    """``numpy.searchsorted``: a binary search per value (``sorter``: of ``a[sorter]``)."""
    loc = user_location()
    trace = find_trace((a, v, sorter))
    if side not in ("left", "right"):
        raise user_error(ValueError(f"side must be 'left' or 'right' (got {side!r}){at(loc)}"))
    a = _sorted_operand(trace, a, loc)
    if sorter is not None:
        sorter = lift(trace, np.asarray(sorter) if isinstance(sorter, (list, tuple)) else sorter)
        if sorter.shape != a.shape or sorter.dtype.kind not in "iu":
            raise user_error(ValueError(f"sorter.size must equal a.size and sorter must hold integers{at(loc)}"))
        if a.shape[0]:
            s64 = astype(sorter, np.int64)
            checks.record(np.any(np.logical_or(np.less(s64, 0), np.greater_equal(s64, a.shape[0]))),
                          ValueError, f"Sorter index out of range.{at(loc)}")
            a = lane_take(a, s64)
    values = as_array(trace, v)  # (a Python number is a strong value here: NumPy compares 2.1 with float32 in float64)
    values = lift(trace, np.asarray(values) if isinstance(values, (list, tuple)) else values)
    dtype = np.result_type(a.dtype, values.dtype)
    if dtype.kind == "c":
        raise UnsupportedError(f"numpy.searchsorted of complex values{at(loc)}")
    out = record_bound(search(astype(a, dtype), astype(values, dtype), side == "right"), a.shape[0])
    return scalar_result(out) if np.ndim(values) == 0 else out


def _monotonic(bins: Tracer) -> tuple[Operand, Operand]:
    """Traced 0-d flags (two or more bins): they never decrease, never increase."""
    lo, hi = bins[:-1], bins[1:]
    return np.all(np.greater_equal(hi, lo)), np.all(np.less_equal(hi, lo))


@implements(np.digitize)
def digitize(x: Operand, bins: Operand, right: bool = False) -> Operand:
    """``numpy.digitize``: the bin index of each value (a search on increasing or, reversed,
    on decreasing bins; bins that are neither raise ValueError after the call)."""
    loc = user_location()
    trace = find_trace((x, bins))
    known = None if is_tracer(bins) else np.asarray(bins)  # constant bins: their direction is known now
    bins = _sorted_operand(trace, bins, loc)
    x = lift(trace, np.asarray(x) if isinstance(x, (list, tuple)) else as_array(trace, x))
    if x.dtype.kind == "c":
        raise user_error(TypeError(f"x may not be complex{at(loc)}"))
    dtype = np.result_type(x.dtype, bins.dtype)
    xs, edges = astype(x, dtype), astype(bins, dtype)
    n = bins.shape[0]
    if known is not None:
        increasing = n < 2 or bool(np.all(known[1:] >= known[:-1]))
        if not increasing and not np.all(known[1:] <= known[:-1]):
            raise user_error(ValueError(f"bins must be monotonically increasing or decreasing{at(loc)}"))
        out = search(edges, xs, not right) if increasing else \
            np.subtract(np.int64(n), search(edges[::-1], xs, not right))
    elif n < 2:
        out = search(edges, xs, not right)
    else:
        up, down = _monotonic(edges)
        checks.record(np.logical_not(np.logical_or(up, down)), ValueError,
                      f"bins must be monotonically increasing or decreasing{at(loc)}")
        rising = where(up, edges, edges[::-1])  # one search, in the increasing order
        found = search(rising, xs, not right)
        out = where(up, found, np.subtract(np.int64(n), found))
    out = record_bound(out, n)
    return scalar_result(out) if x.ndim == 0 else out


@implements(np.interp)
def interp(x: Operand, xp: Operand, fp: Operand, left: Operand = None, right: Operand = None,
           period: Operand = None) -> Operand:
    """``numpy.interp`` of real values (float64, as NumPy computes it) for increasing ``xp``."""
    loc = user_location()
    trace = find_trace((x, xp, fp, left, right, period))
    xp = _sorted_operand(trace, xp, loc)
    fp = _sorted_operand(trace, fp, loc)
    if period is not None:
        return _periodic(trace, x, xp, fp, period, loc)
    if any(np.result_type(promotion_operand(v, loc)).kind == "c" for v in (x, left, right) if v is not None):
        raise UnsupportedError(f"numpy.interp of complex values{at(loc)}")
    if fp.shape != xp.shape:
        raise user_error(ValueError(f"fp and xp are not of the same length.{at(loc)}"))
    if xp.shape[0] == 0:
        raise user_error(ValueError(f"array of sample points is empty{at(loc)}"))
    f64 = np.dtype(np.float64)
    x = lift(trace, np.asarray(x) if isinstance(x, (list, tuple)) else as_array(trace, x))
    xs, xp, fp = astype(x, f64), astype(xp, f64), astype(fp, f64)
    n = xp.shape[0]
    lval = fp[0] if left is None else astype(lift(trace, as_array(trace, left)), f64)
    rval = fp[n - 1] if right is None else astype(lift(trace, as_array(trace, right)), f64)
    if n == 1:
        out = where(np.less(xs, xp[0]), lval, where(np.greater(xs, xp[0]), rval, fp[0]))
    else:
        j = np.subtract(search(xp, xs, True), np.int64(1))  # xp[j] <= x < xp[j + 1]
        k = np.clip(j, 0, n - 2)
        x0, x1 = lane_take(xp, k), lane_take(xp, np.add(k, np.int64(1)))
        y0, y1 = lane_take(fp, k), lane_take(fp, np.add(k, np.int64(1)))
        slope = np.divide(np.subtract(y1, y0), np.subtract(x1, x0))
        first = np.add(np.multiply(slope, np.subtract(xs, x0)), y0)
        second = np.add(np.multiply(slope, np.subtract(xs, x1)), y1)
        value = where(np.isnan(first), where(np.logical_and(np.isnan(second), np.equal(y0, y1)), y0, second), first)
        value = where(np.equal(x0, xs), y0, value)
        value = where(np.equal(j, n - 1), fp[n - 1], value)
        value = where(np.greater(xs, xp[n - 1]), rval, where(np.less(j, 0), lval, value))
        out = where(np.isnan(xs), xs, value)
    out = reshape(out, xs.shape) if out.shape != xs.shape else out
    return scalar_result(out) if x.ndim == 0 else out


def _periodic(trace, x: Operand, xp: Tracer, fp: Tracer, period: Operand, loc: str | None) -> Operand:
    """``numpy.interp`` with ``period``: NumPy's normalization (values and sample points
    taken modulo the period, the points sorted, one wrapped point added at each end)."""
    if is_tracer(period):
        raise UnsupportedError(f"numpy.interp with a traced period (give a constant){at(loc)}")
    if period == 0:
        raise user_error(ValueError(f"period must be a non-zero value{at(loc)}"))
    if fp.shape != xp.shape:
        raise user_error(ValueError(f"fp and xp are not of the same length{at(loc)}"))
    if xp.shape[0] == 0:
        raise user_error(ValueError(f"array of sample points is empty{at(loc)}"))
    period = abs(period)
    f64 = np.dtype(np.float64)
    x = lift(trace, np.asarray(x) if isinstance(x, (list, tuple)) else as_array(trace, x))
    xs = np.remainder(astype(x, f64), period)
    xp = np.remainder(astype(xp, f64), period)
    order = np.argsort(xp)
    xp, fp = lane_take(xp, order), lane_take(astype(fp, f64), order)
    xp = concatenate([np.subtract(xp[-1:], period), xp, np.add(xp[0:1], period)])
    fp = concatenate([fp[-1:], fp, fp[0:1]])
    return interp(xs if x.ndim else scalar_result(xs), xp, fp)
