"""NumPy functions on traced arrays (``__array_function__``), one handler each.

A NumPy function without a handler raises :class:`tracejit.UnsupportedError` naming
it and the user's source line.
"""
from __future__ import annotations

import builtins
import math
import operator

import numpy as np

from tracejit.compiler.dtypes import check_supported
from tracejit.errors import UnsupportedError, at, user_error
from tracejit.frontend import attributes, complexfuncs, complexvalue, reductions
from tracejit.frontend.complexvalue import involves_complex
from tracejit.frontend.reductions import normalize_axes
from tracejit.frontend.trace import user_location
from tracejit.frontend.mutation import attach_view
from tracejit.frontend.values import as_operand, find_trace, is_tracer, promotion_operand

HANDLERS: dict = {}


implements = attributes.registrar(HANDLERS)  # @implements(np.f): the handler of np.f


def dispatch(func, args, kwargs):
    if involves_complex(args, kwargs) or func in complexfuncs.REAL_TOO:
        return complexfuncs.dispatch(func, args, kwargs)  # frontend/complexvalue.py
    handler = HANDLERS.get(func)
    if handler is None:
        module = getattr(func, "__module__", "numpy") or "numpy"
        public = "numpy" if module.startswith("numpy._core") or module == "numpy" else module
        raise UnsupportedError(f"{public}.{func.__name__} is not supported by tracejit"
                               f"{at(user_location())}")
    return handler(*args, **kwargs)


for _name in ("sum", "prod", "max", "min", "any", "all", "argmax", "argmin", "mean", "var", "std"):
    implements(getattr(np, _name))(getattr(reductions, _name))
implements(np.amax)(reductions.max)
implements(np.amin)(reductions.min)


# -- views ------------------------------------------------------------------------------------

def make_view(x, op: str, attrs: dict):
    """Record view ``op`` of ``x``: writes through the view reach ``x`` and its other
    views (``frontend/mutation.py``). A view of a NumPy scalar that keeps it 0-d (``.T``,
    ``np.squeeze``) is still a scalar."""
    out = x._trace.apply(op, [x], attrs, scalar=_keeps_scalar(x))
    attach_view(x, out, op, attrs)
    return out


def _shape_arg(shape) -> tuple[int, ...]:
    if isinstance(shape, (tuple, list)):
        return tuple(operator.index(n) for n in shape)
    return (operator.index(shape),)


@implements(np.reshape)
def reshape(a, shape=None, order="C", *, newshape=None, copy=None):
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
    return make_view(a, "reshape", {"shape": shape})


@implements(np.ravel)
def ravel(a, order="C"):
    return reshape(a, (-1,), order=order)


def flatten(a, order="C"):
    """ndarray.flatten: a copy (it may be updated in place), unlike ravel."""
    return copy(ravel(a, order))


@implements(np.transpose)
def transpose(a, axes=None):
    loc = user_location()
    if axes is None:
        perm = tuple(reversed(range(a.ndim)))
    else:
        axes = axes if isinstance(axes, (tuple, list)) else (operator.index(axes),)
        perm = tuple(operator.index(ax) % a.ndim if a.ndim else operator.index(ax) for ax in axes)
        if sorted(perm) != list(range(a.ndim)):
            raise user_error(ValueError(f"axes don't match array{at(loc)}"))
    return make_view(a, "transpose", {"perm": perm})


@implements(np.swapaxes)
def swapaxes(a, axis1, axis2):
    perm = list(range(a.ndim))
    i, j = normalize_axes(axis1, a.ndim)[0], normalize_axes(axis2, a.ndim)[0]
    perm[i], perm[j] = perm[j], perm[i]
    return transpose(a, tuple(perm))


@implements(np.moveaxis)
def moveaxis(a, source, destination):
    src = [normalize_axes(s, a.ndim)[0] for s in (source if isinstance(source, (tuple, list)) else [source])]
    dst = [normalize_axes(d, a.ndim)[0] for d in (destination if isinstance(destination, (tuple, list))
                                                   else [destination])]
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
    if tuple(shape) == array.shape:
        return make_view(array, "reshape", {"shape": array.shape})
    return make_view(as_operand(trace, array), "broadcast_to", {"shape": shape})


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
    return trace.apply("where", [cond, as_operand(trace, x, dtype), as_operand(trace, y, dtype)])


@implements(np.clip)
def clip(a, a_min=np._NoValue, a_max=np._NoValue, out=None, *, min=np._NoValue, max=np._NoValue,
         **kwargs):
    loc = user_location()
    if out is not None or kwargs:
        raise UnsupportedError(f"numpy.clip: out= and ufunc keywords are not supported{at(loc)}")
    lo = None if a_min is np._NoValue else a_min
    hi = None if a_max is np._NoValue else a_max
    lo = lo if min is np._NoValue else min
    hi = hi if max is np._NoValue else max
    if a.dtype.kind in "iu":  # Python int bounds beyond the dtype clip nothing (as NumPy)
        info = np.iinfo(a.dtype)
        lo = builtins.max(lo, int(info.min)) if type(lo) is int else lo
        hi = builtins.min(hi, int(info.max)) if type(hi) is int else hi
    result = a
    if lo is not None:
        result = np.maximum(result, lo)
    if hi is not None:
        result = np.minimum(result, hi)
    return result


def _keeps_scalar(x) -> bool:
    """Ops that map a NumPy scalar to a NumPy scalar (astype, copy, T, squeeze, round)."""
    return bool(getattr(x, "_scalar", False))


@implements(np.astype)
def astype(x, dtype, /, *, copy=True, device=None):
    if np.dtype(dtype).kind == "c":
        return complexvalue.from_real(x, dtype)
    dtype = check_supported(dtype, f"astype{at(user_location())}")
    return x._trace.apply("convert", [x], {"dtype": dtype}, scalar=_keeps_scalar(x))


@implements(np.copy)
def copy(a, order="K", subok=False):
    return a._trace.apply("copy", [a], scalar=_keeps_scalar(a))


def matmul(a, b):
    trace = find_trace([a, b])
    return trace.apply("matmul", [as_operand(trace, a), as_operand(trace, b)], scalar=True)


@implements(np.dot)
def dot(a, b, out=None):
    loc = user_location()
    if out is not None:
        raise UnsupportedError(f"numpy.dot: out= is not supported{at(loc)}")
    trace = find_trace([a, b])
    a, b = as_operand(trace, a), as_operand(trace, b)
    if a.ndim == 0 or b.ndim == 0:
        return np.multiply(a, b)
    if b.ndim <= 2 or a.ndim == 1:  # where np.dot and np.matmul agree
        return matmul(a, b)
    raise UnsupportedError(f"numpy.dot of {a.ndim}-d and {b.ndim}-d arrays is not supported; "
                           f"use matmul or einsum semantics explicitly{at(loc)}")


@implements(np.round, np.around)
def round_(a, decimals=0, out=None):
    loc = user_location()
    if out is not None:
        raise UnsupportedError(f"numpy.round: out= is not supported{at(loc)}")
    decimals = operator.index(decimals)
    if a.dtype.kind != "f":
        if decimals >= 0:
            return copy(a)  # keeps a scalar a scalar
        raise UnsupportedError(f"numpy.round of integers to negative decimals{at(loc)}")
    if decimals == 0:
        return np.rint(a)
    scale = 10.0 ** decimals
    return np.rint(a * scale) / scale if decimals > 0 else np.rint(a / (10.0 ** -decimals)) * (
        10.0 ** -decimals)


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
        return filled(a._trace, shape, dtype or a.dtype, fill)
    return handler


implements(np.zeros_like, np.empty_like)(_like(0))
implements(np.ones_like)(_like(1))


@implements(np.full_like)
def full_like(a, fill_value, dtype=None, order="K", subok=True, shape=None, *, device=None):
    trace = find_trace([a, fill_value])
    shape = a.shape if shape is None else _shape_arg(shape)
    dtype = np.dtype(dtype or a.dtype)
    if is_tracer(fill_value):  # a traced Python scalar converts as NumPy converts it
        value = as_operand(trace, fill_value, dtype) if fill_value._weak else astype(fill_value, dtype)
        return trace.apply("broadcast_to", [value], {"shape": tuple(shape)})
    return filled(trace, shape, dtype, fill_value)


shape = implements(np.shape)(attributes.shape)
ndim = implements(np.ndim)(attributes.ndim)
size = implements(np.size)(attributes.size)


@implements(np.copyto)
def copyto(dst, src, casting="same_kind", where=True):
    """``np.copyto(dst, src)``: write ``src`` (broadcast, cast by ``casting``) into ``dst``."""
    from tracejit.frontend.mutation import write
    from tracejit.frontend.values import dtype_or_weak
    loc = user_location()
    if not is_tracer(dst):
        raise UnsupportedError(f"numpy.copyto into a concrete array is not supported{at(loc)}")
    src_dtype = dtype_or_weak(src, loc)
    if isinstance(src_dtype, np.dtype) and not np.can_cast(src_dtype, dst.dtype, casting):
        raise user_error(TypeError(f"Cannot cast array data from {src_dtype!r} to {dst.dtype!r} according to the rule "
                                   f"{casting!r}{at(loc)}"))
    if where is not True:
        src = globals()["where"](where, src, dst)
    write(dst, src, loc)


from tracejit.frontend import composites, numerics  # noqa: E402,F401 - registers the composed functions
from tracejit.frontend import along_axis  # noqa: E402,F401 - registers scans and sorts


from tracejit.frontend import advanced as _advanced, selection as _selection  # noqa: E402  (their handlers)

implements(np.take)(_advanced.take)
