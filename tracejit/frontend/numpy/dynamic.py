"""Slices at traced offsets with static sizes: ``x[i:i+3]``, ``x[:, :, i:i+k, j:j+k]``,
``x[2*i:2*i+2]``, ``x[i+2:i-1:-1]``, and writes through them (``a[i:i+2] = v``, ``+=``).

A slice whose start and stop are traced integer scalars on one line (``frontend/affine.py``:
their difference is the same for every value) has a static length, so its result has a
static shape: ``dynamic_slice(x, starts...)`` (``compiler/ops/dynamic_slice.py``), which
kernels read as an ordinary load moved by one run-time offset. NumPy clips a slice at the
array's ends and wraps negative bounds, which would give a shorter result for some
starts; tracejit keeps the static length, so a check recorded with the call
(``frontend/checks.py``) raises ``IndexError`` when the slice does not lie inside the
array, unless the known range of the index (a ``tj.fori_loop`` index) proves it does.
A slice whose length is not static is left to the caller, which raises the usual
``TracerConversionError`` (other strategies catch it).

The result is a view of the sliced array's storage (``frontend/versions.py``), as NumPy's
slice is: its path holds a ``dynamic_slice`` step with the start nodes, replayed after
writes to the array, and a write through it stores the window back with ``dynamic_update``
(``frontend/numpy/writes.py``); a write through a slice of an array of an enclosing loop or
branch raises, as through its other views (such arrays are carried to be written).
A traced integer index NumPy takes as an int (a Python int or NumPy integer eagerly:
``out[t]``, ``a[:, idx[0]]``, ``a[i, j]`` of a 3-d ``a``) is a one-element window with its
dim dropped, so the row is such a view too, as NumPy's is (``row = out[t]; row[...] = v``
writes ``out``); out of ``[-n, n)`` it raises IndexError after the call (unless the
index's known range proves it inside), a negative one wraps as in NumPy. An element read
(every dim indexed by an int) is NumPy's scalar copy, a gather.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from tracejit.errors import TracerConversionError, at, user_error
from tracejit.frontend import checks
from tracejit.frontend.affine import difference, every_value, value_range
from tracejit.frontend.core import Tracer
from tracejit.frontend.numpy.creation import filled
from tracejit.frontend.numpy.writes import assigned_value, write
from tracejit.frontend.operands import is_tracer
from tracejit.frontend.versions import storage_of


@dataclass(frozen=True)
class Window:
    """A static-length run of elements along one dim from a traced start: the lowest
    element ``low`` (a traced scalar), ``size`` elements ``step`` apart (positive), in
    reverse order when ``flip`` (a negative step)."""

    low: object
    size: int
    step: int
    flip: bool


def traced_slice(k: object) -> bool:
    """Whether ``k`` is a slice with a traced bound or step."""
    return isinstance(k, slice) and any(is_tracer(v) for v in (k.start, k.stop, k.step))


def _traced_int(k: object) -> bool:
    return is_tracer(k) and k.ndim == 0 and k.dtype.kind in "iu"


def _integer(k: object) -> bool:
    """A traced integer NumPy indexes with as an int (a Python int or NumPy integer
    eagerly: a view; a 0-d array would index as an array, a copy)."""
    return _traced_int(k) and (k._scalar or k._weak is int)


def _window(k: slice, n: int, dim: int, loc) -> Window | None:
    """The window of slice ``k`` (traced bounds) over a dim of ``n``, with its bounds
    check recorded; None when its length is not static."""
    step = 1 if k.step is None else k.step
    if is_tracer(step) or any(getattr(v, "_origins", None) for v in (k.start, k.stop)):
        return None  # (a traced Python scalar argument: made static instead, StaticNeeded)
    if not is_tracer(k.start) or not is_tracer(k.stop):
        return None
    diff = difference(k.stop, k.start)
    if diff is None:
        return None
    step = int(step)
    if step == 0:
        raise user_error(ValueError(f"slice step cannot be zero{at(loc)}"))
    size = len(range(0, diff, step))
    # the starts for which NumPy's slice (clipped at the ends, negative bounds wrapped) has the static length
    if size == 0:  # empty unless a wrapped bound makes it not
        low, high = (max(0, -diff) if step > 0 else 0), None
    elif step > 0:  # the last element inside the array
        low, high = 0, n - 1 - (size - 1) * step
    else:  # the first inside, the stop not negative
        low, high = -diff, n - 1
    if high is not None and low > high:
        return None  # never inside: a length that depends on the start (TracerConversionError)
    known = value_range(k.start)
    if known is not None and (known[0] < low or high is not None and known[1] > high) and every_value(k.start):
        raise TracerConversionError(  # (the loop converter then unrolls or generalizes the loop)
            f"a slice with a traced start reaches outside axis {dim} with size {n} for some index of its loop "
            f"(starts {known[0]}..{known[1]}): NumPy clips it there to other than {size} elements, and tracejit "
            f"needs its length static{at(loc)}")
    if known is None or known[0] < low or high is not None and known[1] > high:
        bad = np.less(k.start, low) if high is None else np.logical_or(np.less(k.start, low),
                                                                       np.greater(k.start, high))
        checks.record(bad, IndexError, f"a slice with a traced start reaches outside axis {dim} with size {n}: "
                                       f"NumPy would clip or wrap it to other than {size} elements, and tracejit "
                                       f"needs its length static (the slice must lie inside the array){at(loc)}")
    if step > 0:
        return Window(k.start, size, step, False)
    return Window(k.start + (size - 1) * step if size else k.start, size, -step, True)


def integer_key(key: tuple) -> bool:
    """Whether ``key`` holds a traced integer NumPy takes as an int, and else only ints,
    static slices, None and Ellipsis (basic indexing)."""
    def basic(k) -> bool:
        return (k is None or k is Ellipsis or _integer(k) or isinstance(k, slice) and not traced_slice(k)
                or isinstance(k, (int, np.integer)) and not isinstance(k, (bool, np.bool_)))
    return any(map(_integer, key)) and all(map(basic, key))


def integer_view(x: Tracer, key: list) -> bool:
    """Whether an expanded key (no Ellipsis; :func:`integer_key`) indexes each non-empty
    axis of ``x`` its traced ints index: NumPy's result is then a view of ``x`` at a
    traced offset, which :func:`dynamic_getitem` makes (one-element windows)."""
    dim = 0
    for k in key:
        if _integer(k) and not x.shape[dim]:
            return False  # (no element: IndexError whatever the index, raised by the gather)
        dim += k is not None
    return True


def _int_window(k: object, n: int, dim: int, loc) -> Window:
    """A traced integer index as a window of one element (wrapped when negative, as
    NumPy's index; out of ``[-n, n)``, IndexError after the call unless its known range
    proves it inside)."""
    known = value_range(k)
    if known is None or not -n <= known[0] <= known[1] < n:
        checks.record_range(k, n, f"an index is out of bounds for axis {dim} with size {n}{at(loc)}")
    if known is None or known[0] < 0:
        k = _int64(k)  # (a narrow index: k + n must not wrap)
        k = np.where(np.less(k, 0), k + n, k)
    return Window(k, 1, 1, False)


def _apply(x, windows: dict[int, Window]):
    """``x`` restricted to the windows (by dim of ``x``), not flipped."""
    dims = tuple(sorted(windows))
    shape = list(x.shape)
    for d in dims:
        shape[d] = windows[d].size
    if not math.prod(shape):
        return None, tuple(shape)
    attrs = {"dims": dims, "sizes": tuple(windows[d].size for d in dims), "steps": tuple(windows[d].step for d in dims)}
    starts = [_int64(windows[d].low) for d in dims]
    y = x._trace.apply("dynamic_slice", [x] + starts, attrs)
    st = storage_of(x)  # a view of x, as NumPy's slice is: writes reach x (or raise, for an array
    nodes = tuple(y._home.graph.operands(y._node)[1:])  # of an enclosing loop or branch: frontend/numpy/writes.py)
    y._storage, y._version = st, st.version
    y._path = x._path + (("dynamic_slice", tuple(sorted({**attrs, "start_nodes": nodes}.items()))),)
    return y, tuple(shape)


def _int64(t):
    return t if t.dtype == np.int64 else t.astype(np.int64)


def _usable(key: list) -> bool:
    return not any(isinstance(k, (bool, np.bool_)) or getattr(k, "dtype", None) == np.bool_ for k in key)


def dynamic_getitem(x: Tracer, key: list, loc: str | None, getitem: Callable) -> object:
    """``x[key]`` for an expanded key (no Ellipsis) holding a traced slice: the windows
    first, then the rest of the key on them; None when some window's length is not static."""
    if not _usable(key):
        return None
    windows, rest, dim = {}, [], 0
    arrays = any(isinstance(k, (np.ndarray, list)) or is_tracer(k) and not _integer(k) for k in key)
    for k in key:
        if k is not None and traced_slice(k):
            w = _window(k, x.shape[dim], dim, loc)
            if w is None:
                return None
            windows[dim] = w
            rest.append(slice(None, None, -1) if w.flip else slice(None))
        elif _integer(k) and not arrays and x.shape[dim]:  # a one-element window, its dim dropped
            windows[dim] = _int_window(k, x.shape[dim], dim, loc)
            rest.append(0)
        else:
            rest.append(k)
        dim += k is not None
    y, shape = _apply(x, windows)
    if y is None:
        y = filled(x._trace, shape, x.dtype, 0)
    return getitem(y, tuple(rest))


def dynamic_setitem(x: Tracer, key: list, value: object, loc: str | None, getitem: Callable) -> bool:
    """``x[key] = value`` for an expanded key holding a traced slice; False (nothing done)
    when some window's length is not static or the key holds arrays."""
    if not _usable(key) or any(is_tracer(k) and not _traced_int(k) or isinstance(k, (np.ndarray, list)) for k in key):
        return False
    windows, view_key, flips, dropped, dim, pos = {}, [], [], [], 0, 0
    for k in key:
        if k is None:
            view_key.append(None)
            pos += 1
            continue
        n = x.shape[dim]
        if _traced_int(k) and not n:
            return False  # (an empty axis: no element to write)
        if traced_slice(k) or _traced_int(k):
            w = _window(k, n, dim, loc) if traced_slice(k) else _int_window(k, n, dim, loc)
            if w is None:
                return False
            windows[pos] = w
            view_key.append(slice(None))
            if not isinstance(k, slice):
                dropped.append(pos)
            elif w.flip:
                flips.append(pos)
            pos += 1
        else:
            view_key.append(k)
            pos += not isinstance(k, (int, np.integer))
        dim += 1
    view = getitem(x, tuple(view_key), for_write=True)
    region = list(view.shape)
    for p, w in windows.items():
        region[p] = w.size
    final = tuple(n for p, n in enumerate(region) if p not in dropped)
    value = assigned_value(x._trace, value, final, x.dtype, loc)
    if not math.prod(region):
        return True  # nothing is written (the checks stand)
    value = value.reshape(tuple(region)) if is_tracer(value) else np.asarray(value).reshape(tuple(region))
    if flips:
        value = value[tuple(slice(None, None, -1) if p in flips else slice(None) for p in range(len(region)))]
    dims = tuple(sorted(windows))
    attrs = {"dims": dims, "steps": tuple(windows[p].step for p in dims)}
    new = view._trace.apply("dynamic_update", [view, value] + [_int64(windows[p].low) for p in dims], attrs)
    write(view, new, loc)
    return True
