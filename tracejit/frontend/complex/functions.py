"""NumPy functions (``__array_function__``) with complex operands, one handler each,
registered in ``complex/value.py``'s :data:`FUNCTIONS` table; and the conversions to and
from complex values (``astype``, creation, captured constants).

Views and reshapes apply to both parts; ``where`` selects both parts; ``sum`` sums each
part; ``mean`` divides the sums as NumPy does (by the count as a complex128 divisor,
then back to the input's dtype). A function without a handler raises UnsupportedError
naming it and the user's line (``value.dispatch``). The ndarray methods that are NumPy
functions (``z.reshape``, ``z.sum``, ``z.astype``...) run these handlers too
(``frontend/arraylike.py``).
"""
from __future__ import annotations

import warnings
from typing import Any, Callable

import numpy as np

from tracejit.compiler.dtypes import check_supported
from tracejit.compiler.layout import StridedView
from tracejit.errors import UnsupportedError, at
from tracejit.frontend import attributes
from tracejit.frontend.complex import arithmetic as arith
from tracejit.frontend.complex.value import (
    ComplexTracer,
    implements,
    is_complex,
    make,
    operand_kind,
    own_copy,
    part_constant,
    part_dtype,
    parts,
)
from tracejit.frontend.context import user_location
from tracejit.frontend.memorder import numpy_layout
from tracejit.frontend.numpy import creation, elementwise
from tracejit.frontend.numpy import shape as real_shape
from tracejit.frontend.numpy.axes import normalize_axes, shape_arg
from tracejit.frontend.operands import dtype_or_weak, find_trace, is_tracer

_NoValue = np._NoValue


# -- conversions ----------------------------------------------------------------------------------

def from_real(x: Any, dtype: Any) -> ComplexTracer:
    """``x.astype(dtype)`` for a real tracer ``x`` and a complex ``dtype``."""
    part = part_dtype(dtype)
    re, im = parts(x._trace, x, part, user_location())
    re = own_copy(re) if re is x else re
    return make(re, im, scalar=bool(x._scalar))


def filled(trace: Any, shape: tuple, dtype: Any, value: Any) -> ComplexTracer:
    """A complex array of ``shape`` with every element ``value`` (``np.zeros(..., complex)``)."""
    part = part_dtype(dtype)
    value = np.asarray(value).astype(dtype)
    re = trace.apply("broadcast_to", [part_constant(trace, value.real, part)], {"shape": tuple(shape)})
    im = trace.apply("broadcast_to", [part_constant(trace, value.imag, part)], {"shape": tuple(shape)})
    return ComplexTracer(re, im)


def constant(trace: Any, value: np.ndarray | np.generic) -> ComplexTracer:
    """A captured complex array (or NumPy complex scalar) as a traced value (an array the
    function reached from outside, such as ``self.Z``: a captured input, frontend/capture.py)."""
    capturer = getattr(trace, "capturer", None)
    if capturer is not None and type(value) is np.ndarray:
        found = capturer.constant(value)
        if isinstance(found, ComplexTracer):
            return found
    value = np.asarray(value)
    part = part_dtype(value.dtype)
    return make(own_copy(part_constant(trace, value.real, part)), own_copy(part_constant(trace, value.imag, part)),
                scalar=False)


def _to_real(x: ComplexTracer, dtype: np.dtype) -> Any:
    """``x.astype(dtype)`` for a real ``dtype``: bool is 'nonzero', other dtypes take the
    real part (NumPy warns that the imaginary part is discarded)."""
    if dtype == np.bool_:
        out = (x.re_part != 0) | (x.im_part != 0)
    else:
        warnings.warn("Casting complex values to real discards the imaginary part",
                      np.exceptions.ComplexWarning, stacklevel=4)
        out = real_shape.astype(x.re_part, dtype) if x.re_part.dtype != dtype else own_copy(x.re_part)
    out._scalar = bool(x._scalar) and not out.shape  # a complex scalar's cast is a scalar
    return out


def _convert(x: ComplexTracer, dtype: np.dtype) -> ComplexTracer:
    """``x.astype(dtype)`` for a complex ``dtype`` (always a new value)."""
    part = part_dtype(dtype)
    re, im = x.re_part, x.im_part
    if re.dtype == part:
        return ComplexTracer(own_copy(re), own_copy(im), x._scalar)
    return ComplexTracer(re._trace.apply("convert", [re], {"dtype": part}, scalar=x._scalar),
                         im._trace.apply("convert", [im], {"dtype": part}, scalar=x._scalar), x._scalar)


@implements(np.astype)
def astype(x: ComplexTracer, dtype: Any, /, *, copy: bool = True, device: Any = None) -> Any:
    """``np.astype`` / ``z.astype``: always a new value (complex, or real as NumPy casts)."""
    dtype = np.dtype(dtype)
    return _convert(x, dtype) if dtype.kind == "c" else _to_real(x, dtype)


def _trace(values):
    return find_trace([v.re_part if isinstance(v, ComplexTracer) else v for v in values])


def _as_complex(x, trace=None) -> ComplexTracer:
    """``x`` as a ComplexTracer: a real operand as the complex dtype NumPy promotes it to
    (float32 to complex64, everything else to complex128)."""
    if isinstance(x, ComplexTracer):
        return x
    trace = trace or _trace([x])
    dtype = np.result_type(operand_kind(x) if not isinstance(x, complex) else 1j, np.complex64)
    return make(*parts(trace, x, part_dtype(dtype)))


# -- views and shapes -----------------------------------------------------------------------------

def _each(method: str) -> Callable:
    def handler(a, *args, **kwargs):
        return a.each_part(lambda t: getattr(np, method)(t, *args, **kwargs))
    return handler


for _name in ("reshape", "transpose", "squeeze", "expand_dims", "swapaxes", "moveaxis", "broadcast_to", "diagonal"):
    implements(getattr(np, _name))(_each(_name))


def _atleast(name: str) -> Callable:
    def handler(*arys):  # (each complex argument a view of each part, as NumPy's views)
        out = [a.each_part(getattr(np, name)) if isinstance(a, ComplexTracer) else getattr(np, name)(a)
               for a in arys]
        return out[0] if len(out) == 1 else tuple(out)
    return handler


for _name in ("atleast_1d", "atleast_2d", "atleast_3d"):
    implements(getattr(np, _name))(_atleast(_name))


@implements(np.trace)
def trace(a: Any, offset: int = 0, axis1: int = 0, axis2: int = 1, dtype: Any = None, out: Any = None) -> Any:
    """The sums of the diagonals (the diagonal view's last axis), as for real arrays."""
    if out is not None:
        raise UnsupportedError(f"numpy.trace with out={at(user_location())}")
    return np.diagonal(_as_complex(a), offset, axis1, axis2).sum(axis=-1, dtype=dtype)


@implements(np.diag)
def diag(v: Any, k: int = 0) -> ComplexTracer:
    """Of a complex matrix: its ``k``-th diagonal (a read-only view)."""
    if np.ndim(v) != 2:
        raise UnsupportedError(f"numpy.diag of a complex vector{at(user_location())}")
    return np.diagonal(_as_complex(v), k)


@implements(np.ravel)
def ravel(a: Any, order: str = "C") -> ComplexTracer:
    """A view when the complex array is C-contiguous in NumPy, else a copy: judged on
    the complex strides (a part of an argument's pair view has twice them)."""
    a = _as_complex(a)
    memory = numpy_layout(a.re_part)
    storage = a.re_part._storage
    if memory is not None and storage is not None and storage.arg is not None:
        memory = StridedView(memory.shape, tuple(s // 2 for s in memory.strides))  # the pair view's part
    contiguous = None if memory is None else memory.is_contiguous()
    return a.each_part(lambda t: real_shape.ravel(t, order, contiguous))


for _func, _handler in ((np.shape, attributes.shape), (np.ndim, attributes.ndim), (np.size, attributes.size)):
    implements(_func)(_handler)


@implements(np.copy)
def copy(a: Any, order: str = "K", subok: bool = False) -> ComplexTracer:
    """A new complex array in ``a``'s memory order (of a NumPy scalar: a 0-d array)."""
    return _as_complex(a).each_part(lambda t: np.copy(t, order=order), False)


@implements(np.real)
def real_part(val: Any) -> Any:
    """``np.real``: the real part, a view (a real array's own view: itself, as NumPy)."""
    return val.real


@implements(np.imag)
def imag_part(val: Any) -> Any:
    """``np.imag``: the imaginary part, a view (of a real array: read-only zeros)."""
    return val.imag


@implements(np.iscomplexobj)
def iscomplexobj(x: Any) -> bool:
    """``np.iscomplexobj``: whether ``x`` is a complex operand."""
    return is_complex(x)


@implements(np.angle)
def angle(z: Any, deg: bool = False) -> Any:
    """``np.angle``: ``arctan2(imag, real)`` as NumPy computes it (of a real array:
    ``arctan2(0, z)``, so 8-bit ints and bools give NumPy's float16)."""
    if not is_complex(z):
        loc = user_location()
        check_supported(np.arctan2.resolve_dtypes((int, dtype_or_weak(z, loc), None))[-1],
                        f"numpy.angle of {dtype_or_weak(z, loc)}{at(loc)}")
        a = np.arctan2(0, z)
        return a * (180 / np.pi) if deg else a
    z = _as_complex(z)
    a = np.arctan2(z.im_part, z.re_part)
    return a * (180 / np.pi) if deg else a


# -- combining and selecting -------------------------------------------------------------------------

@implements(np.where)
def where(condition: Any, x: Any = None, y: Any = None) -> ComplexTracer:
    """``np.where(condition, x, y)``: each part selected."""
    loc = user_location()
    if x is None or y is None:
        raise UnsupportedError(f"numpy.where with one argument is not supported{at(loc)}")
    trace = _trace([condition, x, y])
    dtype = np.result_type(*(_promotion(v) for v in (x, y)))
    part = part_dtype(dtype)
    (xr, xi), (yr, yi) = parts(trace, x, part, loc), parts(trace, y, part, loc)
    return make(elementwise.where(condition, xr, yr), elementwise.where(condition, xi, yi))


def _promotion(v):
    if isinstance(v, (bool, int, float, complex)):
        return v
    kind = operand_kind(v)
    return kind(0) if isinstance(kind, type) else kind


def _joined(name: str) -> Callable:
    def handler(arrays, axis=0, out=None, dtype=None, casting="same_kind"):
        loc = user_location()
        if out is not None:
            raise UnsupportedError(f"numpy.{name}: out= is not supported{at(loc)}")
        arrays = list(arrays)
        trace = _trace(arrays)
        result = np.result_type(*(_promotion(v) for v in arrays)) if dtype is None else np.dtype(dtype)
        part = part_dtype(result)
        ps = [parts(trace, v, part, loc) for v in arrays]
        # a real operand's imaginary part is one zero: joined, it needs the operand's shape
        ps = [(re, im if tuple(im.shape) == tuple(re.shape) else np.broadcast_to(im, tuple(re.shape)))
              for re, im in ps]
        f = getattr(np, name)
        return make(f([p[0] for p in ps], axis=axis), f([p[1] for p in ps], axis=axis))
    return handler


implements(np.concatenate)(_joined("concatenate"))
implements(np.stack)(_joined("stack"))


# -- creation ----------------------------------------------------------------------------------------

def _like(fill: Any) -> Callable:
    def handler(a, dtype=None, order="K", subok=True, shape=None, *, device=None):
        shape = a.shape if shape is None else shape_arg(shape)
        dtype = np.dtype(dtype) if dtype is not None else a.dtype
        trace = _trace([a])
        if dtype.kind == "c":
            return filled(trace, shape, dtype, fill)
        return creation.filled(trace, shape, dtype, fill)
    return handler


implements(np.zeros_like, np.empty_like)(_like(0))
implements(np.ones_like)(_like(1))


@implements(np.full_like)
def full_like(a: Any, fill_value: Any, dtype: Any = None, order: str = "K", subok: bool = True, shape: Any = None,
              *, device: Any = None) -> Any:
    """``np.full_like`` with a concrete fill value."""
    if isinstance(fill_value, ComplexTracer) or is_tracer(fill_value):
        raise UnsupportedError(f"numpy.full_like with a traced complex fill value is not supported"
                               f"{at(user_location())}")
    return _like(fill_value)(a, dtype, order, subok, shape, device=device)


# -- reductions ---------------------------------------------------------------------------------------

def _check(name, loc, out, kw):
    if out is not None:
        raise UnsupportedError(f"numpy.{name}: out= is not supported{at(loc)}")
    for key, value in kw.items():
        if value is not _NoValue and not (key == "where" and value is True):
            raise UnsupportedError(f"numpy.{name} of complex values: {key}= is not supported{at(loc)}")


@implements(np.sum)
def sum_(a: Any, axis: Any = None, dtype: Any = None, out: Any = None, keepdims: Any = _NoValue,
         **kw: Any) -> ComplexTracer:
    """The sum of each part (pairwise, like NumPy's; the order of additions may differ)."""
    loc = user_location()
    _check("sum", loc, out, kw)
    a = _as_complex(a)
    if dtype is not None:
        if np.dtype(dtype).kind != "c":
            raise UnsupportedError(f"numpy.sum of complex values into real dtype {np.dtype(dtype)}{at(loc)}")
        a = a.astype(dtype)
    keep = False if keepdims is _NoValue else bool(keepdims)
    re = a.re_part.sum(axis=axis, keepdims=keep)
    im = a.im_part.sum(axis=axis, keepdims=keep)
    return make(re, im, scalar=not re.shape)


@implements(np.mean)
def mean(a: Any, axis: Any = None, dtype: Any = None, out: Any = None, keepdims: Any = _NoValue,
         **kw: Any) -> ComplexTracer:
    """NumPy's complex mean: the sum divided by the element count (an intp, so in
    complex128), converted back to the sum's dtype."""
    loc = user_location()
    _check("mean", loc, out, kw)
    a = _as_complex(a)
    total = sum_(a, axis, dtype, None, keepdims)
    count = int(np.prod([a.shape[d] for d in normalize_axes(axis, a.ndim, loc)], dtype=np.int64))
    trace = total._trace
    wide = np.dtype(np.float64)
    num = parts(trace, total, wide, loc)
    den = parts(trace, np.float64(count), wide, loc)
    re, im = arith.divide(num, den)
    result = make(re, im)
    if total.dtype != np.complex128:
        result = result.astype(total.dtype)
    result._scalar = not result.shape
    return result


# functions that take real arrays too and have no real handler of their own
REAL_TOO = frozenset({np.real, np.imag, np.iscomplexobj, np.angle})
