"""NumPy functions that assemble arrays from others, composed from gathers, ``where``,
broadcasts, concatenation and sorts, with NumPy's argument rules and result dtypes:
``take_along_axis``, ``select``, ``append``, ``column_stack``, ``kron``, ``ptp``,
``partition``/``argpartition`` and ``put``.

``partition``/``argpartition`` record the op of that name (an introselect kernel,
``codegen/select.py``): each kth element in its sorted place, smaller or equal ones
before, larger or equal after, but not NumPy's arrangement of the other elements, which
depends on its own introselect; only the partition property is guaranteed, as NumPy
documents it. ``put`` writes through the flat view of its array (a flat copy, written
back, where the array is not contiguous) with an integer-array assignment (the last of
repeated indices wins, as in NumPy).
"""
from __future__ import annotations

import numpy as np

from tracejit.errors import UnsupportedError, at, user_error, with_location
from tracejit.frontend.arrayconv import check_python_ints
from tracejit.frontend.context import user_location
from tracejit.frontend.core import Tracer
from tracejit.frontend.dispatch import implements
from tracejit.frontend.numpy.axes import axis_index
from tracejit.frontend.numpy.elementwise import where
from tracejit.frontend.numpy.putraise import put_raise, scatter_flat
from tracejit.frontend.numpy.scans_and_sorts import partitioning
from tracejit.frontend.numpy.shape import astype, broadcast_to, concatenate, ravel, reshape
from tracejit.frontend.operands import Operand, is_tracer, weak_type

_PY_SCALARS = (int, float, complex)


def _ndim(x: object) -> int:
    return x.ndim if is_tracer(x) else np.ndim(x)


def _shape(x: object) -> tuple[int, ...]:
    return tuple(x.shape) if is_tracer(x) else np.shape(x)


@implements(np.take_along_axis)
def take_along_axis(arr: Operand, indices: Operand, axis: int | None = -1) -> Operand:
    """``numpy.take_along_axis``: one gather with an ``arange`` index along every other dim."""
    loc = user_location()
    indices = indices if is_tracer(indices) else np.asarray(indices)
    if indices.dtype.kind not in "iu":
        raise user_error(IndexError(f"`indices` must be an integer array{at(loc)}"))
    if axis is None:
        if indices.ndim != 1:
            raise user_error(ValueError(f"when axis=None, `indices` must have a single dimension.{at(loc)}"))
        arr, axis = ravel(arr), 0
    else:
        axis = axis_index(axis, _ndim(arr))
    if _ndim(indices) != _ndim(arr):
        raise user_error(ValueError(f"`indices` and `arr` must have the same number of dimensions{at(loc)}"))
    shape, nd = _shape(arr), _ndim(arr)
    key = tuple(indices if d == axis else np.arange(n).reshape((1,) * d + (n,) + (1,) * (nd - d - 1))
                for d, n in enumerate(shape))
    return arr[key]


def _select_dtype(x: object) -> object:
    """What NumPy's ``select`` hands ``np.result_type`` for a choice: Python scalars stay weak."""
    if is_tracer(x):
        weak = weak_type(x)
        return weak(0) if weak is not None else x.dtype
    return x if type(x) in _PY_SCALARS else np.asarray(x)


@implements(np.select)
def select(condlist: list, choicelist: list, default: Operand = 0) -> Operand:
    """``numpy.select``: ``where`` of each condition, from the last to the first."""
    loc = user_location()
    if len(condlist) != len(choicelist):
        raise user_error(ValueError(f"list of cases must be same length as list of conditions{at(loc)}"))
    if len(condlist) == 0:
        raise user_error(ValueError(f"select with an empty condition list is not possible{at(loc)}"))
    try:
        dtype = np.result_type(*[_select_dtype(c) for c in [*choicelist, default]])
    except TypeError as e:
        raise user_error(TypeError(f"Choicelist and default value do not have a common dtype: {e}{at(loc)}")) from None
    try:
        shape = np.broadcast_shapes(*[_shape(c) for c in [*condlist, *choicelist, default]])
    except ValueError as e:
        raise with_location(e, loc) from e
    for i, cond in enumerate(condlist):
        if (cond.dtype if is_tracer(cond) else np.asarray(cond).dtype) != np.bool_:
            raise user_error(TypeError(f"invalid entry {i} in condlist: should be boolean ndarray{at(loc)}"))

    def cast(x):  # (a traced Python number has no ``astype``: NumPy's asarray makes it an array)
        if not is_tracer(x):
            return np.asarray(x, dtype=dtype)
        return astype(x, dtype) if isinstance(x, Tracer) else x.astype(dtype)

    result = broadcast_to(cast(default), shape) if is_tracer(default) else np.full(shape, default, dtype)
    for cond, choice in zip(condlist[::-1], choicelist[::-1]):
        result = where(cond, cast(choice), result)
    return result if is_tracer(result) else np.asarray(result)


@implements(np.append)
def append(arr: Operand, values: Operand, axis: int | None = None) -> Operand:
    """``numpy.append``: both flattened and concatenated, or concatenated along ``axis``."""
    if axis is None:
        return concatenate([ravel(arr) if is_tracer(arr) else np.ravel(arr),
                            ravel(values) if is_tracer(values) else np.ravel(values)], axis=0)
    return concatenate([arr, values], axis=axis)


@implements(np.column_stack)
def column_stack(tup: list) -> Operand:
    """``numpy.column_stack``: 0-d and 1-d arrays as columns, concatenated along axis 1."""
    def column(a):
        if not is_tracer(a):
            a = np.asarray(a)
            return a.reshape(-1, 1) if a.ndim < 2 else a
        return reshape(a, (a.size, 1)) if a.ndim < 2 else a
    return concatenate([column(a) for a in tup], axis=1)


def _strong(x: Operand) -> Operand:
    """``x`` as NumPy's ``asanyarray`` makes it: a (traced) Python number becomes of its NumPy dtype."""
    weak = weak_type(x)
    if weak is not None:
        return astype(x, np.asarray(weak(0)).dtype)
    return np.asarray(x) if type(x) in _PY_SCALARS else x


@implements(np.kron)
def kron(a: Operand, b: Operand) -> Operand:
    """``numpy.kron``: the broadcast product of ``a`` and ``b`` with their dims interleaved, reshaped."""
    a, b = _strong(a), _strong(b)  # (NumPy's asanyarray: a Python number is an int64/float64 array)
    nd = max(_ndim(a), _ndim(b))
    if _ndim(a) == 0 or _ndim(b) == 0:
        return np.multiply(a, b)
    sa = (1,) * (nd - _ndim(a)) + _shape(a)
    sb = (1,) * (nd - _ndim(b)) + _shape(b)
    wa = tuple(x for n in sa for x in (n, 1))
    wb = tuple(x for n in sb for x in (1, n))
    ra = reshape(a, wa) if is_tracer(a) else np.reshape(a, wa)
    rb = reshape(b, wb) if is_tracer(b) else np.reshape(b, wb)
    return reshape(np.multiply(ra, rb), tuple(x * y for x, y in zip(sa, sb)))


@implements(np.ptp)
def ptp(a: Operand, axis: int | tuple[int, ...] | None = None, out: object = None,
        keepdims: bool = np._NoValue) -> Operand:
    """``numpy.ptp``: ``max - min`` over ``axis`` (wrapping for integers, as NumPy)."""
    if out is not None:
        raise UnsupportedError(f"numpy.ptp: out= is not supported{at(user_location())}")
    kw = {} if keepdims is np._NoValue else {"keepdims": keepdims}
    return np.subtract(np.max(a, axis=axis, **kw), np.min(a, axis=axis, **kw))


def _kth(kth: object, n: int, loc: str | None) -> None:
    """NumPy's checks of ``kth`` (an int or a sequence of ints) for a line of ``n``."""
    values = np.asarray(kth)
    if values.dtype.kind not in "iub":
        raise user_error(TypeError(f"Partition index must be integer{at(loc)}"))
    if values.ndim > 1:
        raise user_error(ValueError(f"kth array must have dimension <= 1{at(loc)}"))
    for k in values.reshape(-1).tolist():
        if not -n <= k < n:
            raise user_error(ValueError(f"kth(={k}) out of bounds ({n}){at(loc)}"))


def _partitioning(op: str, a: Operand, kth: object, axis: int | None, kind: str, order: object) -> Operand:
    loc = user_location()
    if order is not None:
        raise UnsupportedError(f"numpy.partition: order= (structured arrays) is not supported{at(loc)}")
    if kind != "introselect":
        raise user_error(ValueError(f"select kind must be 'introselect' (got {kind!r}){at(loc)}"))
    if axis is None:
        a, axis = ravel(a), -1
    if a.ndim == 0:
        raise user_error(np.exceptions.AxisError(axis, 0))
    axis = axis_index(axis, a.ndim)
    _kth(kth, a.shape[axis], loc)
    return partitioning(op, a, np.asarray(kth).reshape(-1).tolist(), axis)


@implements(np.partition)
def partition(a: Operand, kth: object, axis: int | None = -1, kind: str = "introselect",
              order: object = None) -> Operand:
    """``numpy.partition`` by introselect: NumPy's partition property for every ``kth`` (module docstring)."""
    return _partitioning("partition", a, kth, axis, kind, order)


@implements(np.argpartition)
def argpartition(a: Operand, kth: object, axis: int | None = -1, kind: str = "introselect",
                 order: object = None) -> Operand:
    """``numpy.argpartition`` by introselect: NumPy's partition property for every ``kth``."""
    return _partitioning("argpartition", a, kth, axis, kind, order)


@implements(np.put)
def put(a: Operand, ind: Operand, v: Operand, mode: str = "raise") -> None:
    """``numpy.put``: ``a.flat[ind] = v`` (``v`` repeated as needed) in mode raise, wrap or clip."""
    loc = user_location()
    if not is_tracer(a):
        raise UnsupportedError(f"numpy.put: writing into a concrete array is not supported{at(loc)}")
    if mode not in ("raise", "wrap", "clip"):
        raise user_error(ValueError(f"clipmode must be one of 'clip', 'raise', or 'wrap' (got {mode!r}){at(loc)}"))
    ind = ravel(ind) if is_tracer(ind) else np.asarray(ind).reshape(-1)
    if ind.dtype.kind not in "iu":
        if not is_tracer(ind) and ind.size == 0:
            ind = ind.astype(np.intp)
        else:
            raise user_error(TypeError(f"Cannot cast array data from {ind.dtype!r} to dtype('int64') according to "
                                       f"the rule 'safe'{at(loc)}"))
    if is_tracer(v):
        if a.dtype.kind in "iu":  # (a traced Python int beyond a's dtype: OverflowError, as NumPy's)
            check_python_ints(v, a.dtype, loc)
        values = ravel(v)
    else:  # (Python numbers convert to a's dtype as NumPy's put converts them: 300 into int8 raises)
        values = np.asarray(v, dtype=None if isinstance(v, (np.ndarray, np.generic)) else a.dtype).reshape(-1)
    n, count = a.size, ind.shape[0]
    if count == 0 or values.shape[0] == 0:
        return
    if n == 0:
        raise user_error(IndexError(f"cannot replace elements of an empty array{at(loc)}"))
    if values.shape[0] != count:  # (repeated as a broadcast: no index constant of ``count`` elements)
        reps = -(-count // values.shape[0])
        values = np.tile(values, reps)[:count]
    if mode == "raise":  # the indices before a bad one are written (frontend/numpy/putraise.py)
        put_raise(a, ind, values, loc)
        return
    scatter_flat(a, np.mod(ind, n) if mode == "wrap" else np.clip(ind, 0, n - 1), values, loc)

