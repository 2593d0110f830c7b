"""Shapes and views of traced arrays: reshape, ravel, transpose, axes moved, added or
removed, broadcasts, concatenation and stacking, copies and casts. A view shares its
base's storage, so writes through it reach the base (``frontend/versions.py``)."""
from __future__ import annotations

import math
import operator

import numpy as np
from numpy.typing import DTypeLike

from tracejit.compiler.dtypes import check_supported
from tracejit.errors import UnsupportedError, at, user_error
from tracejit.frontend import attributes
from tracejit.frontend.arraylike import complex_support
from tracejit.frontend.autograph.stacked import whole as stacked_whole
from tracejit.frontend.context import user_location
from tracejit.frontend.core import Tracer
from tracejit.frontend.dispatch import implements
from tracejit.frontend.memorder import numpy_layout, set_layout
from tracejit.frontend.numpy.axes import axis_index, normalize_axes, shape_arg
from tracejit.frontend.operands import Operand, as_operand, find_trace, is_tracer
from tracejit.frontend.versions import attach_view

# -- views ------------------------------------------------------------------------------------

def make_view(x: Tracer, op: str, attrs: dict) -> Tracer:
    """Record view ``op`` of ``x``: writes through the view reach ``x`` and its other
    views (``frontend/versions.py``). A view of a NumPy scalar that keeps it 0-d (``.T``,
    ``np.squeeze``) is still a scalar."""
    out = x._trace.apply(op, [x], attrs, scalar=keeps_scalar(x))
    if not keeps_scalar(x):  # (an array made from a NumPy scalar is new memory)
        attach_view(x, out, op, attrs)
    return out


@implements(np.reshape)
def reshape(a: Operand, shape: object = None, order: str | None = "C", *, newshape: object = None,
            copy: bool | None = None) -> Operand:
    """NumPy's reshape: a view where NumPy's is one (``frontend/memorder.py``), else a new
    array; ``copy=True`` always copies, ``copy=False`` raises where NumPy would copy."""
    loc = user_location()
    if order != "C":
        raise UnsupportedError(f"reshape with order={order!r} is not supported{at(loc)}")
    shape = shape_arg(newshape if shape is None else shape)
    if shape.count(-1) > 1:
        raise user_error(ValueError(f"can only specify one unknown dimension{at(loc)}"))
    if -1 in shape:
        known = math.prod(n for n in shape if n != -1)
        if known == 0 or a.size % known:
            raise user_error(ValueError(f"cannot reshape array of size {a.size} into shape {shape}{at(loc)}"))
        shape = tuple(a.size // known if n == -1 else n for n in shape)
    out = make_view(a, "reshape", {"shape": shape})
    if copy:
        return globals()["copy"](out, "C")
    if copy is False and not a._scalar and (out._storage is None or out._storage is not a._storage):
        raise user_error(ValueError(f"Unable to avoid creating a copy while reshaping.{at(loc)}"))
    return out


@implements(np.ravel)
def ravel(a: Operand, order: str | None = "C", contiguous: bool | None = None) -> Operand:
    """NumPy's ravel: a view of a C-contiguous array, else a copy (even where a reshape
    could be a view: ``a[:, ::2].ravel()``, ``a[::-1].ravel()``). ``contiguous``: whether
    the array ``a`` is a part of is C-contiguous (complex values), else judged from ``a``."""
    loc = user_location()
    if order != "C":
        raise UnsupportedError(f"ravel with order={order!r} is not supported{at(loc)}")
    if a._scalar:
        return reshape(a, (-1,))
    if contiguous is None:
        memory = numpy_layout(a)
        contiguous = None if memory is None else memory.is_contiguous()
    if contiguous is False:
        return a._trace.apply("reshape", [a], {"shape": (a.size,)})  # a new array
    out = reshape(a, (-1,))
    if contiguous is None and out._storage is not None and not out._ambiguous:
        out._ambiguous = loc or "?"  # a view only if NumPy's unknown layout is C-contiguous
    return out


def flatten(a: Tracer, order: str | None = "C") -> Tracer:
    """ndarray.flatten: a copy (it may be updated in place), unlike ravel."""
    return copy(ravel(a, order), "C")


@implements(np.transpose)
def transpose(a: Operand, axes: object = None) -> Operand:
    """``numpy.transpose`` of traced arrays, with NumPy's argument rules."""
    loc = user_location()
    if axes is None:
        perm = tuple(reversed(range(a.ndim)))
    else:
        axes = axes if isinstance(axes, (tuple, list)) else (operator.index(axes),)
        if len(axes) != a.ndim:
            raise user_error(ValueError(f"axes don't match array{at(loc)}"))
        perm = tuple(axis_index(ax, a.ndim) for ax in axes)
        if sorted(perm) != list(range(a.ndim)):
            raise user_error(ValueError(f"axes don't match array{at(loc)}"))
    return make_view(a, "transpose", {"perm": perm})


@implements(np.permute_dims)
def permute_dims(a: Operand, axes: object = None) -> Operand:
    """``numpy.permute_dims`` of traced arrays, with NumPy's argument rules."""
    return transpose(a, axes)


@implements(np.matrix_transpose)
def matrix_transpose(x: Operand) -> Operand:
    """``numpy.matrix_transpose`` of traced arrays, with NumPy's argument rules."""
    if x.ndim < 2:
        raise user_error(ValueError(f"Input array must be at least 2-dimensional, but it is {x.ndim}"
                                    f"{at(user_location())}"))
    return swapaxes(x, -1, -2)


@implements(np.swapaxes)
def swapaxes(a: Operand, axis1: int, axis2: int) -> Operand:
    """``numpy.swapaxes`` of traced arrays, with NumPy's argument rules."""
    perm = list(range(a.ndim))
    i, j = axis_index(axis1, a.ndim), axis_index(axis2, a.ndim)
    perm[i], perm[j] = perm[j], perm[i]
    return transpose(a, tuple(perm))


@implements(np.moveaxis)
def moveaxis(a: Operand, source: int | tuple[int, ...], destination: int | tuple[int, ...]) -> Operand:
    """``numpy.moveaxis`` of traced arrays, with NumPy's argument rules."""
    src = [axis_index(s, a.ndim) for s in (source if isinstance(source, (tuple, list)) else [source])]
    dst = [axis_index(d, a.ndim) for d in (destination if isinstance(destination, (tuple, list)) else [destination])]
    if len(src) != len(dst):
        raise user_error(ValueError(f"`source` and `destination` arguments must have the same number of elements"
                                    f"{at(user_location())}"))
    order = [n for n in range(a.ndim) if n not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return transpose(a, tuple(order))


@implements(np.expand_dims)
def expand_dims(a: Operand, axis: int | tuple[int, ...] | None) -> Operand:
    """``numpy.expand_dims`` of traced arrays, with NumPy's argument rules."""
    axes = axis if isinstance(axis, (tuple, list)) else (axis,)
    ndim = a.ndim + len(axes)
    positions = normalize_axes(tuple(axes), ndim, user_location())
    dims = iter(a.shape)
    return reshape(a, tuple(1 if d in positions else next(dims) for d in range(ndim)))


@implements(np.squeeze)
def squeeze(a: Operand, axis: int | tuple[int, ...] | None = None) -> Operand:
    """``numpy.squeeze`` of traced arrays, with NumPy's argument rules."""
    loc = user_location()
    if axis is None:
        axes = tuple(d for d, n in enumerate(a.shape) if n == 1)
    else:
        axes = normalize_axes(axis, a.ndim, loc)
        if any(a.shape[d] != 1 for d in axes):
            raise user_error(ValueError(f"cannot select an axis to squeeze out which has size not equal to one"
                                        f"{at(loc)}"))
    return reshape(a, tuple(n for d, n in enumerate(a.shape) if d not in axes))


@implements(np.broadcast_to)
def broadcast_to(array: Operand, shape: object, subok: bool = False) -> Operand:
    """``numpy.broadcast_to`` of traced arrays, with NumPy's argument rules."""
    trace = find_trace([array])
    shape = shape_arg(shape)
    array = as_operand(trace, array)
    if keeps_scalar(array):  # a NumPy scalar: broadcast a 0-d array of it
        array = np_copy(array)
    return make_view(array, "broadcast_to", {"shape": shape})  # read-only, as NumPy's


# -- combining ---------------------------------------------------------------------------------

@implements(np.concatenate)
def concatenate(arrays: Operand, axis: int | tuple[int, ...] | None = 0, out: object = None, dtype: DTypeLike = None,
                casting: str = "same_kind") -> Operand:
    """``numpy.concatenate`` of traced arrays, with NumPy's argument rules."""
    loc = user_location()
    if out is not None:
        raise UnsupportedError(f"numpy.concatenate: out= is not supported yet{at(loc)}")
    trace = find_trace(arrays)
    arrays = [as_operand(trace, x) for x in arrays]
    if not arrays:
        raise user_error(ValueError(f"need at least one array to concatenate{at(loc)}"))
    if axis is None:
        arrays = [x.reshape(-1) for x in arrays]
        axis = 0
    if any(x.ndim == 0 for x in arrays):
        raise user_error(ValueError(f"zero-dimensional arrays cannot be concatenated{at(loc)}"))
    if dtype is not None:
        arrays = [astype(x, dtype) if is_tracer(x) else x.astype(dtype) for x in arrays]
    axis = normalize_axes(axis, arrays[0].ndim, loc)[0]
    for i, x in enumerate(arrays[1:], 1):  # NumPy's messages
        if x.ndim != arrays[0].ndim:
            raise user_error(ValueError(
                f"all the input arrays must have same number of dimensions, but the array at index 0 has "
                f"{arrays[0].ndim} dimension(s) and the array at index {i} has {x.ndim} dimension(s){at(loc)}"))
        for d, (n, m) in enumerate(zip(arrays[0].shape, x.shape)):
            if d != axis and n != m:
                raise user_error(ValueError(
                    f"all the input array dimensions except for the concatenation axis must match exactly, but "
                    f"along dimension {d}, the array at index 0 has size {n} and the array at index {i} has "
                    f"size {m}{at(loc)}"))
    return trace.apply("concatenate", arrays, {"axis": axis})


@implements(np.stack)
def stack(arrays: Operand, axis: int | tuple[int, ...] | None = 0, out: object = None, dtype: DTypeLike = None,
          casting: str = "same_kind") -> Operand:
    """``numpy.stack`` of traced arrays, with NumPy's argument rules."""
    loc = user_location()
    rows = stacked_whole(arrays)
    if rows is not None and out is None and dtype is None and normalize_axes(axis, rows.ndim, loc)[0] == 0:
        return rows.copy()  # a list a rolled loop appended to: its rows are one array already
    trace = find_trace(arrays)
    arrays = [as_operand(trace, x) for x in arrays]
    if len({x.shape for x in arrays}) > 1:
        raise user_error(ValueError(f"all input arrays must have the same shape{at(loc)}"))
    axis = normalize_axes(axis, arrays[0].ndim + 1, loc)[0]
    expanded = [expand_dims(x, axis) if is_tracer(x) else np.expand_dims(x, axis) for x in arrays]
    return concatenate(expanded, axis=axis, out=out, dtype=dtype, casting=casting)


def scalar_result(x: Tracer) -> Tracer:
    """``x`` as NumPy hands back a 0-d result of a reduction or ufunc: a scalar (an
    array of another rank is returned as it is)."""
    if x.shape or getattr(x, "_scalar", False):
        return x
    return x._trace.apply("reshape", [x], {"shape": ()}, scalar=True)


def keeps_scalar(x: object) -> bool:
    """Ops that map a NumPy scalar to a NumPy scalar (astype, copy, T, squeeze, round)."""
    return bool(getattr(x, "_scalar", False))


@implements(np.astype)
def astype(x: Operand, dtype: DTypeLike, /, *, copy: bool | None = True, device: object = None) -> Operand:
    """``x.astype(dtype)``: a new array, or ``x`` itself for its own dtype with ``copy=False``."""
    if np.dtype(dtype).kind == "c":
        return complex_support().from_real(x, dtype)  # the complex frontend
    dtype = check_supported(dtype, f"astype{at(user_location())}")
    if not copy and dtype == x.dtype:
        return x
    return x._trace.apply("convert", [x], {"dtype": dtype}, scalar=keeps_scalar(x))


def read_only_zeros(x: Tracer) -> Tracer:
    """``x.imag`` of a real array: zeros of its shape and dtype, read-only as in NumPy (a
    broadcast view of one zero)."""
    zero = Tracer(x._trace, x._trace.constant(np.zeros((), x.dtype)), scalar=keeps_scalar(x))
    if x._weak is not None:  # ``(2.5).imag``: a Python 0.0
        zero._weak = x._weak
    return zero if zero._scalar else make_view(zero, "broadcast_to", {"shape": tuple(x.shape)})


@implements(np.copy)
def np_copy(a: Operand, order: str | None = "K", subok: bool = False) -> Operand:
    """``np.copy``: a new array (of a NumPy scalar: a 0-d array), in ``a``'s memory order."""
    out = copy(a, order)
    out._scalar = False
    return out


def copy(a: Tracer, order: str | None = "K", subok: bool = False) -> Tracer:
    """A new array (``order='K'``: of ``a``'s memory order, ``order='C'``: C order); of a
    NumPy scalar, a scalar (``ndarray.copy``)."""
    out = a._trace.apply("copy", [a], scalar=keeps_scalar(a))
    if order not in ("K", "A"):
        if order != "C":
            raise UnsupportedError(f"copy with order={order!r} is not supported{at(user_location())}")
        set_layout(out, "C")
    return out


shape = implements(np.shape)(attributes.shape)
ndim = implements(np.ndim)(attributes.ndim)
size = implements(np.size)(attributes.size)
