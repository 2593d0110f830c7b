"""NumPy functions on traced arrays (``__array_function__``), one handler each.

A NumPy function without a handler raises :class:`tracejit.UnsupportedError` naming
it and the user's source line.
"""
from __future__ import annotations

import math
import operator

import numpy as np

from tracejit.compiler.dtypes import check_supported
from tracejit.errors import UnsupportedError, at, user_error
from tracejit.frontend import attributes, complexfuncs, complexvalue, reductions
from tracejit.frontend.complexvalue import involves_complex
from tracejit.frontend.reductions import normalize_axes
from tracejit.frontend.trace import user_location
from tracejit.frontend.memorder import set_layout
from tracejit.frontend.mutation import attach_view
from tracejit.frontend.pyscalar import python_kind
from tracejit.frontend.values import as_array, as_operand, find_trace, is_tracer, promotion_operand

HANDLERS: dict = {}


implements = attributes.registrar(HANDLERS)  # @implements(np.f): the handler of np.f


# functions whose first argument is not converted to an array (sequences, subscripts)
_FIRST_NOT_ARRAY = frozenset({np.concatenate, np.stack, np.hstack, np.vstack, np.einsum, np.meshgrid,
                              np.atleast_1d, np.atleast_2d, np.copyto, np.broadcast_arrays,
                              np.real, np.imag})  # (``val.real`` first: of a Python number, one)


def _first_as_array(func, args: tuple, kwargs: dict) -> tuple:
    """NumPy converts a function's array argument with ``asarray``: a Python number there
    is a strong array (``np.clip(3, -1, a)`` is int64-based), traced or not."""
    if not args or func in _FIRST_NOT_ARRAY:
        return args
    first = args[0]
    if python_kind(first) is None:
        return args
    candidates = [v for v in (*args, *kwargs.values()) if is_tracer(v)]
    return (as_array(candidates[0]._trace, first),) + tuple(args[1:]) if candidates else args


def dispatch(func, args, kwargs):
    args = _first_as_array(func, args, kwargs)
    if involves_complex(args, kwargs) or func in complexfuncs.REAL_TOO:
        return complexfuncs.dispatch(func, args, kwargs)  # frontend/complexvalue.py
    handler = HANDLERS.get(func)
    if handler is None:
        module = getattr(func, "__module__", "numpy") or "numpy"
        public = "numpy" if module.startswith("numpy._core") or module == "numpy" else module
        raise UnsupportedError(f"{public}.{func.__name__} is not supported by tracejit"
                               f"{at(user_location())}")
    return handler(*args, **kwargs)


for _name in ("sum", "prod", "max", "min", "nanmax", "nanmin", "any", "all", "argmax", "argmin", "mean", "var",
              "std"):
    implements(getattr(np, _name))(getattr(reductions, _name))
implements(np.amax)(reductions.max)
implements(np.amin)(reductions.min)


# -- views ------------------------------------------------------------------------------------

def make_view(x, op: str, attrs: dict):
    """Record view ``op`` of ``x``: writes through the view reach ``x`` and its other
    views (``frontend/mutation.py``). A view of a NumPy scalar that keeps it 0-d (``.T``,
    ``np.squeeze``) is still a scalar."""
    out = x._trace.apply(op, [x], attrs, scalar=_keeps_scalar(x))
    if not _keeps_scalar(x):  # (an array made from a NumPy scalar is new memory)
        attach_view(x, out, op, attrs)
    return out


def axis_index(axis, ndim: int, loc=None) -> int:
    """One axis of an ``ndim``-d array, non-negative; NumPy's AxisError otherwise (0-d
    arrays have no axes here, unlike in reductions)."""
    ax = operator.index(axis)
    if not -ndim <= ax < ndim:
        raise user_error(np.exceptions.AxisError(ax, ndim))
    return ax % ndim


def _shape_arg(shape) -> tuple[int, ...]:
    if isinstance(shape, (tuple, list)):
        return tuple(operator.index(n) for n in shape)
    return (operator.index(shape),)


@implements(np.reshape)
def reshape(a, shape=None, order="C", *, newshape=None, copy=None):
    """NumPy's reshape: a view where NumPy's is one (``frontend/memorder.py``), else a new
    array; ``copy=True`` always copies, ``copy=False`` raises where NumPy would copy."""
    loc = user_location()
    if order != "C":
        raise UnsupportedError(f"reshape with order={order!r} is not supported{at(loc)}")
    shape = _shape_arg(newshape if shape is None else shape)
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
def ravel(a, order="C", contiguous: bool | None = None):
    """NumPy's ravel: a view of a C-contiguous array, else a copy (even where a reshape
    could be a view: ``a[:, ::2].ravel()``, ``a[::-1].ravel()``). ``contiguous``: whether
    the array ``a`` is a part of is C-contiguous (complex values), else judged from ``a``."""
    from tracejit.frontend.memorder import numpy_layout
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


def flatten(a, order="C"):
    """ndarray.flatten: a copy (it may be updated in place), unlike ravel."""
    return copy(ravel(a, order), "C")


@implements(np.transpose)
def transpose(a, axes=None):
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
def permute_dims(a, axes=None):
    return transpose(a, axes)


@implements(np.matrix_transpose)
def matrix_transpose(x):
    if x.ndim < 2:
        raise user_error(ValueError(f"Input array must be at least 2-dimensional, but it is {x.ndim}{at(user_location())}"))
    return swapaxes(x, -1, -2)


@implements(np.swapaxes)
def swapaxes(a, axis1, axis2):
    perm = list(range(a.ndim))
    i, j = axis_index(axis1, a.ndim), axis_index(axis2, a.ndim)
    perm[i], perm[j] = perm[j], perm[i]
    return transpose(a, tuple(perm))


@implements(np.moveaxis)
def moveaxis(a, source, destination):
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
def expand_dims(a, axis):
    axes = axis if isinstance(axis, (tuple, list)) else (axis,)
    ndim = a.ndim + len(axes)
    positions = normalize_axes(tuple(axes), ndim, user_location())
    dims = iter(a.shape)
    return reshape(a, tuple(1 if d in positions else next(dims) for d in range(ndim)))


@implements(np.squeeze)
def squeeze(a, axis=None):
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
def broadcast_to(array, shape, subok=False):
    trace = find_trace([array])
    shape = _shape_arg(shape)
    array = as_operand(trace, array)
    if _keeps_scalar(array):  # a NumPy scalar: broadcast a 0-d array of it
        array = np_copy(array)
    return make_view(array, "broadcast_to", {"shape": shape})  # read-only, as NumPy's


# -- combining ---------------------------------------------------------------------------------

@implements(np.concatenate)
def concatenate(arrays, axis=0, out=None, dtype=None, casting="same_kind"):
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
def stack(arrays, axis=0, out=None, dtype=None, casting="same_kind"):
    loc = user_location()
    trace = find_trace(arrays)
    arrays = [as_operand(trace, x) for x in arrays]
    if len({x.shape for x in arrays}) > 1:
        raise user_error(ValueError(f"all input arrays must have the same shape{at(loc)}"))
    axis = normalize_axes(axis, arrays[0].ndim + 1, loc)[0]
    expanded = [expand_dims(x, axis) if is_tracer(x) else np.expand_dims(x, axis) for x in arrays]
    return concatenate(expanded, axis=axis, out=out, dtype=dtype, casting=casting)


# -- selection, casting, products --------------------------------------------------------------

@implements(np.where)
def where(condition, x=None, y=None):
    loc = user_location()
    if x is None and y is None:  # np.nonzero: a selection of data-dependent size
        from tracejit.frontend.selection import nonzero
        return nonzero(np.asarray(condition) if isinstance(condition, list) else condition)
    if x is None or y is None:
        raise user_error(ValueError(f"either both or neither of x and y should be given{at(loc)}"))
    trace = find_trace([condition, x, y])
    dtype = np.result_type(*(promotion_operand(v, loc) for v in (x, y)))
    cond = as_operand(trace, condition, np.dtype(bool))
    if cond.dtype != np.bool_:
        cond = astype(cond, np.bool_) if is_tracer(cond) else np.asarray(cond).astype(bool)
    return trace.apply("where", [cond, _where_operand(trace, x, dtype, loc), _where_operand(trace, y, dtype, loc)])


def _where_operand(trace, x, dtype: np.dtype, loc):
    """A value of ``np.where``: a Python int beyond an integer result dtype is cast as
    NumPy casts it there (wrapping: ``np.where(c, uint16_array, 2**32)`` selects 0)."""
    if type(x) is int and dtype.kind in "iu" and not np.iinfo(dtype).min <= x <= np.iinfo(dtype).max:
        try:
            with np.errstate(all="ignore"):
                return np.asarray(x).astype(dtype)
        except (OverflowError, TypeError) as e:
            from tracejit.errors import with_location
            raise with_location(OverflowError(str(e)), loc) from e
    return as_operand(trace, x, dtype)


def scalar_result(x):
    """``x`` as NumPy hands back a 0-d result of a reduction or ufunc: a scalar (an
    array of another rank is returned as it is)."""
    if x.shape or getattr(x, "_scalar", False):
        return x
    return x._trace.apply("reshape", [x], {"shape": ()}, scalar=True)


def _keeps_scalar(x) -> bool:
    """Ops that map a NumPy scalar to a NumPy scalar (astype, copy, T, squeeze, round)."""
    return bool(getattr(x, "_scalar", False))


@implements(np.astype)
def astype(x, dtype, /, *, copy=True, device=None):
    """``x.astype(dtype)``: a new array, or ``x`` itself for its own dtype with ``copy=False``."""
    if np.dtype(dtype).kind == "c":
        return complexvalue.from_real(x, dtype)
    dtype = check_supported(dtype, f"astype{at(user_location())}")
    if not copy and dtype == x.dtype:
        return x
    return x._trace.apply("convert", [x], {"dtype": dtype}, scalar=_keeps_scalar(x))


def read_only_zeros(x):
    """``x.imag`` of a real array: zeros of its shape and dtype, read-only as in NumPy (a
    broadcast view of one zero)."""
    from tracejit.frontend.tracer import Tracer
    zero = Tracer(x._trace, x._trace.constant(np.zeros((), x.dtype)), scalar=_keeps_scalar(x))
    if x._weak is not None:  # ``(2.5).imag``: a Python 0.0
        zero._weak = x._weak
    return zero if zero._scalar else make_view(zero, "broadcast_to", {"shape": tuple(x.shape)})


@implements(np.copy)
def np_copy(a, order="K", subok=False):
    """``np.copy``: a new array (of a NumPy scalar: a 0-d array), in ``a``'s memory order."""
    out = copy(a, order)
    out._scalar = False
    return out


def copy(a, order="K", subok=False):
    """A new array (``order='K'``: of ``a``'s memory order, ``order='C'``: C order); of a
    NumPy scalar, a scalar (``ndarray.copy``)."""
    out = a._trace.apply("copy", [a], scalar=_keeps_scalar(a))
    if order not in ("K", "A"):
        if order != "C":
            raise UnsupportedError(f"copy with order={order!r} is not supported{at(user_location())}")
        set_layout(out, "C")
    return out


def matmul(a, b):
    trace = find_trace([a, b])
    return trace.apply("matmul", [as_operand(trace, a), as_operand(trace, b)], scalar=True)


@implements(np.dot)
def dot(a, b, out=None):
    loc = user_location()
    if out is not None:
        raise UnsupportedError(f"numpy.dot: out= is not supported{at(loc)}")
    trace = find_trace([a, b])
    a, b = (as_operand(trace, as_array(trace, x)) for x in (a, b))  # both arrays (strong), as NumPy's
    if a.ndim == 0 or b.ndim == 0:
        return np.multiply(a, b)
    if b.ndim <= 2 or a.ndim == 1:  # where np.dot and np.matmul agree
        return matmul(a, b)
    raise UnsupportedError(f"numpy.dot of {a.ndim}-d and {b.ndim}-d arrays is not supported; "
                           f"use matmul or einsum semantics explicitly{at(loc)}")


# -- creation ------------------------------------------------------------------------------------

def filled(trace, shape, dtype, value):
    """A traced array of ``shape`` with every element ``value``: a broadcast scalar constant."""
    if np.dtype(dtype).kind == "c":
        return complexvalue.filled(trace, shape, dtype, value)
    dtype = check_supported(dtype, "fill")
    scalar = trace.constant(np.array(value).astype(dtype))
    from tracejit.frontend.tracer import Tracer
    t = Tracer(trace, scalar)
    return t._trace.apply("broadcast_to", [t], {"shape": tuple(shape)}) if shape else t


def _like(fill):
    def handler(a, dtype=None, order="K", subok=True, shape=None, *, device=None):
        shape = a.shape if shape is None else _shape_arg(shape)
        return _laid_out_like(filled(a._trace, shape, dtype or a.dtype, fill), a, order)
    return handler


def _laid_out_like(out, prototype, order):
    """``np.*_like`` allocate in the prototype's memory order (order 'K', same shape)."""
    if is_tracer(out) and order in ("K", "A") and tuple(out.shape) == tuple(prototype.shape) and out.ndim:
        from tracejit.frontend.memorder import numpy_layout, order_k
        proto = numpy_layout(prototype)
        set_layout(out, None if proto is None else order_k(tuple(out.shape), [proto]))
    return out


implements(np.zeros_like, np.empty_like)(_like(0))
implements(np.ones_like)(_like(1))


@implements(np.full_like)
def full_like(a, fill_value, dtype=None, order="K", subok=True, shape=None, *, device=None):
    trace = find_trace([a, fill_value])
    shape = a.shape if shape is None else _shape_arg(shape)
    dtype = np.dtype(dtype or a.dtype)
    if is_tracer(fill_value):  # a traced Python scalar converts as NumPy converts it
        value = as_operand(trace, fill_value, dtype) if fill_value._weak else astype(fill_value, dtype)
        return _laid_out_like(trace.apply("broadcast_to", [value], {"shape": tuple(shape)}), a, order)
    return _laid_out_like(filled(trace, shape, dtype, fill_value), a, order)


shape = implements(np.shape)(attributes.shape)
ndim = implements(np.ndim)(attributes.ndim)
size = implements(np.size)(attributes.size)


@implements(np.copyto)
def copyto(dst, src, casting="same_kind", where=True):
    """``np.copyto(dst, src)``: write ``src`` (broadcast, cast by ``casting``) into ``dst``."""
    from tracejit.frontend.mutation import cast_assigned, write
    from tracejit.frontend.values import dtype_or_weak
    loc = user_location()
    if not is_tracer(dst):
        raise UnsupportedError(f"numpy.copyto into a concrete array is not supported{at(loc)}")
    src_dtype = dtype_or_weak(src, loc)
    if isinstance(src_dtype, np.dtype) and not np.can_cast(src_dtype, dst.dtype, casting):
        raise user_error(TypeError(f"Cannot cast array data from {src_dtype!r} to {dst.dtype!r} according to the rule "
                                   f"{casting!r}{at(loc)}"))
    if where is not True:  # cast first: the elements not selected stay bit-exact
        src = globals()["where"](where, cast_assigned(dst._trace, src, dst.dtype), dst)
    write(dst, src, loc)


from tracejit.frontend import clipping, composites, numerics  # noqa: E402,F401 - registers the composed functions
from tracejit.frontend import along_axis  # noqa: E402,F401 - registers scans and sorts
from tracejit.frontend import putmask  # noqa: E402,F401 - registers np.putmask, np.place


from tracejit.frontend import advanced as _advanced, selection as _selection  # noqa: E402  (their handlers)

implements(np.take)(_advanced.take)
