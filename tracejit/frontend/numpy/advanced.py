"""Integer-array indexing (``x[idx]``, ``x[:, i, j]``, ``np.take``) as a ``gather``.

NumPy's rules: every integer array (traced or constant, lists too) and, once any array
is present, every integer is an *advanced* index; they broadcast to a shape ``B``.
Slices and ``None`` apply first as basic indexing (a view), then the advanced dims are
gathered: when they are adjacent, ``B`` replaces them in place, otherwise ``B`` comes
first (the source is transposed so they are adjacent at the front). Constant indices
out of range raise ``IndexError`` while tracing; for traced indices a bounds check
runs with the call (``frontend/checks.py``) and the compiled load clamps meanwhile.
Assignment through the same keys (``x[idx] = v``, ``x[idx] += v``) is a ``scatter``
(the last of repeated indices wins, as in NumPy). Boolean arrays are masks
(``frontend/numpy/selection.py``).
"""
from __future__ import annotations

import math
import operator
from collections.abc import Callable

import numpy as np

from tracejit.errors import at, user_error
from tracejit.frontend import checks
from tracejit.frontend.affine import value_range
from tracejit.frontend.core import Tracer
from tracejit.frontend.numpy.creation import filled
from tracejit.frontend.numpy.shape import stack, transpose
from tracejit.frontend.numpy.writes import assigned_value, write
from tracejit.frontend.operands import is_tracer

# ``getitem`` (basic indexing, ``frontend/numpy/indexing.py``) is handed down to the functions
# here: indexing with an array index does its basic part first, and ``getitem`` calls them.


def is_array_index(k: int) -> bool:
    """Whether ``k`` in an index key is an array (advanced) index."""
    return is_tracer(k) or isinstance(k, (np.ndarray, list, range))  # (a range: a sequence, as NumPy reads it)


def _as_index_array(k, trace, loc):
    """An index array: a tracer, or a NumPy array for constants (lists as NumPy converts)."""
    if isinstance(k, range):
        return np.arange(k.start, k.stop, k.step, dtype=np.intp)
    if isinstance(k, list):
        if holds_tracer(k):  # (not np.asarray(k, dtype=object): that asks a tracer for a concrete array)
            k = _stacked(k)
        else:
            k = np.asarray(k)
            if k.size == 0:
                k = k.astype(np.intp)  # x[[]]: NumPy indexes with an empty intp array
    if k.dtype.kind not in "iu":
        raise user_error(IndexError(f"arrays used as indices must be of integer (or boolean) type{at(loc)}"))
    return k


def holds_tracer(k: list | tuple) -> bool:
    """Whether a (nested) list index holds a traced value (then not a constant: NumPy cannot convert it)."""
    return any(holds_tracer(v) if isinstance(v, (list, tuple)) else is_tracer(v) for v in k)


def _stacked(k: list | tuple) -> Tracer:
    """A (nested) list index holding traced values as one traced index array."""
    return stack([v if is_tracer(v) else _stacked(v) if isinstance(v, (list, tuple)) and holds_tracer(v)
                  else np.asarray(v) for v in k])


def _static_bounds(index: np.ndarray, n: int, axis: int, loc) -> None:
    if index.size:
        lo, hi = int(index.min()), int(index.max())
        bad = lo if lo < -n else hi if hi >= n else None
        if bad is not None:
            raise user_error(IndexError(f"index {bad} is out of bounds for axis {axis} with size {n}{at(loc)}"))


def _plan(x, key: list, loc, getitem: Callable):
    """Parse an expanded key (no Ellipsis) holding at least one integer array: the view
    the advanced indices apply to (basic indexing done, advanced dims adjacent from
    ``axis``; it shares ``x``'s storage), ``axis``, the indices (tracers or arrays), the
    result shape and whether every index was an integer (a 0-d result is then a scalar)."""
    trace = x._trace
    basic, advanced, positions = [], [], []  # advanced: (index, axis of x); positions in the view
    out_dim = x_dim = 0
    all_ints = True
    for k in key:
        if k is None:
            basic.append(None)
            out_dim += 1
            all_ints = False
            continue
        if isinstance(k, slice):
            basic.append(k)
            out_dim += 1
            x_dim += 1
            all_ints = False
            continue
        if is_array_index(k):
            k = _as_index_array(k, trace, loc)
            all_ints &= k.ndim == 0
        else:
            try:
                k = np.asarray(operator.index(k), np.intp)
            except TypeError:
                raise user_error(IndexError(f"only integers, slices (`:`), ellipsis (`...`), numpy.newaxis (`None`) "
                                            f"and integer or boolean arrays are valid indices{at(loc)}")) from None
        advanced.append((k, x_dim))
        positions.append(out_dim)
        basic.append(slice(None))
        out_dim += 1
        x_dim += 1
    try:
        batch = tuple(np.broadcast_shapes(*(tuple(k.shape) for k, _ in advanced)))
    except ValueError:
        shapes = " ".join(str(tuple(k.shape)) for k, _ in advanced)
        raise user_error(IndexError(f"shape mismatch: indexing arrays could not be broadcast together with "
                                    f"shapes {shapes}{at(loc)}")) from None
    for k, axis in advanced:
        n = x.shape[axis]
        if not is_tracer(k):
            _static_bounds(k, n, axis, loc)
        elif math.prod(batch) and n == 0:
            raise user_error(IndexError(f"index is out of bounds for axis {axis} with size 0{at(loc)}"))
    view = getitem(x, tuple(basic), for_write=True)  # slices and None: a view
    adjacent = positions == list(range(positions[0], positions[0] + len(positions)))
    axis = positions[0] if adjacent else 0
    if not adjacent:
        rest = [d for d in range(view.ndim) if d not in positions]
        view = transpose(view, tuple(positions) + tuple(rest))
    sizes = view.shape[axis:axis + len(advanced)]
    shape = view.shape[:axis] + batch + view.shape[axis + len(advanced):]
    indices = []
    for (k, x_axis), n in zip(advanced, sizes):
        known = value_range(k) if is_tracer(k) else None  # a loop index's range: no check needed
        if is_tracer(k) and n and (known is None or not -n <= known[0] <= known[1] < n):
            checks.record_range(k, n, f"an index is out of bounds for axis {x_axis} with size {n}{at(loc)}")
        indices.append(k)
    return view, axis, indices, shape, all_ints


def gather_getitem(x: Tracer, key: list, loc: str | None, getitem: Callable) -> Tracer:
    """``x[key]`` for an expanded key (no Ellipsis) holding at least one integer array."""
    view, axis, indices, shape, all_ints = _plan(x, key, loc, getitem)
    if any(n == 0 for n in view.shape[axis:axis + len(indices)]):  # nothing to index: empty
        return filled(x._trace, shape, x.dtype, 0)
    out = x._trace.apply("gather", [view] + indices, {"axis": axis})
    out._scalar = all_ints and out.ndim == 0  # x[i] with a 0-d index: a scalar, as in NumPy
    return out


def scatter_setitem(x: Tracer, key: list, value: object, loc: str | None, getitem: Callable,
                    combine: str | None = None, dtype: np.dtype | None = None) -> None:
    """``x[key] = value`` for an expanded key holding at least one integer array: the
    value (cast and broadcast as NumPy's assignment does) stored at the gathered
    positions, the last of repeated indices winning. With ``combine`` (``np.add.at``...:
    ``frontend/numpy/ufunc_at.py``) the value, cast to ``dtype``, is combined with each
    element instead, repeated indices accumulating."""
    view, axis, indices, shape, _ = _plan(x, key, loc, getitem)
    value = assigned_value(x._trace, value, shape, x.dtype if dtype is None else dtype, loc)
    if not math.prod(shape):
        return  # nothing is written
    attrs = {"axis": axis} if combine is None else {"axis": axis, "combine": combine}
    new = x._trace.apply("scatter", [view, value] + indices, attrs)
    write(view, new, loc)
