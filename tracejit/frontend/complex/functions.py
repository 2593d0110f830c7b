"""NumPy functions (``__array_function__``) with complex operands, one handler each.

Views and reshapes apply to both parts; ``where`` selects both parts; ``sum`` sums each
part; ``mean`` divides the sums as NumPy does (by the count as a complex128 divisor,
then back to the input's dtype). A function without a handler raises UnsupportedError
naming it and the user's line.
"""
from __future__ import annotations

import numpy as np

from tracejit.errors import UnsupportedError, at
from tracejit.frontend import attributes, complexarith as arith
from tracejit.frontend.complexvalue import ComplexTracer, filled, is_complex, make, operand_kind, part_dtype, parts
from tracejit.frontend.reductions import normalize_axes
from tracejit.frontend.trace import user_location
from tracejit.frontend.values import find_trace, is_tracer

HANDLERS: dict = {}
_NoValue = np._NoValue


implements = attributes.registrar(HANDLERS)  # @implements(np.f): the handler of np.f


def dispatch(func, args, kwargs):
    """Run the handler of NumPy function ``func`` on arguments of which some are complex."""
    handler = HANDLERS.get(func)
    if handler is None:
        raise UnsupportedError(f"numpy.{func.__name__} of complex values is not supported by tracejit"
                               f"{at(user_location())}")
    return handler(*args, **kwargs)


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

def _each(method: str):
    def handler(a, *args, **kwargs):
        return a._both(lambda t: getattr(np, method)(t, *args, **kwargs))
    return handler


for _name in ("reshape", "transpose", "squeeze", "expand_dims", "swapaxes", "moveaxis", "broadcast_to", "diagonal"):
    implements(getattr(np, _name))(_each(_name))


@implements(np.trace)
def trace(a, offset=0, axis1=0, axis2=1, dtype=None, out=None):
    """The sums of the diagonals (the diagonal view's last axis), as for real arrays."""
    if out is not None:
        raise UnsupportedError(f"numpy.trace with out={at(user_location())}")
    return np.diagonal(_as_complex(a), offset, axis1, axis2).sum(axis=-1, dtype=dtype)


@implements(np.diag)
def diag(v, k=0):
    """Of a complex matrix: its ``k``-th diagonal (a read-only view)."""
    if np.ndim(v) != 2:
        raise UnsupportedError(f"numpy.diag of a complex vector{at(user_location())}")
    return np.diagonal(_as_complex(v), k)


@implements(np.ravel)
def ravel(a, order="C"):
    return _as_complex(a).ravel(order)


for _func, _handler in ((np.shape, attributes.shape), (np.ndim, attributes.ndim), (np.size, attributes.size)):
    implements(_func)(_handler)


@implements(np.copy)
def copy(a, order="K", subok=False):
    """A new complex array in ``a``'s memory order (of a NumPy scalar: a 0-d array)."""
    return _as_complex(a)._both(lambda t: np.copy(t, order=order), False)


@implements(np.astype)
def astype(x, dtype, /, *, copy=True, device=None):
    return x.astype(dtype)


@implements(np.real)
def real(val):
    """``np.real``: the real part, a view (a real array's own view: itself, as NumPy)."""
    return val.real


@implements(np.imag)
def imag(val):
    return val.imag


@implements(np.iscomplexobj)
def iscomplexobj(x):
    return is_complex(x)


@implements(np.angle)
def angle(z, deg=False):
    """``np.angle``: ``arctan2(imag, real)`` as NumPy computes it (of a real array:
    ``arctan2(0, z)``, so 8-bit ints and bools give NumPy's float16)."""
    if not is_complex(z):
        from tracejit.compiler.dtypes import check_supported
        from tracejit.frontend.values import dtype_or_weak
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
def where(condition, x=None, y=None):
    loc = user_location()
    if x is None or y is None:
        raise UnsupportedError(f"numpy.where with one argument is not supported{at(loc)}")
    from tracejit.frontend.functions import where as real_where
    trace = _trace([condition, x, y])
    dtype = np.result_type(*(_promotion(v) for v in (x, y)))
    part = part_dtype(dtype)
    (xr, xi), (yr, yi) = parts(trace, x, part, loc), parts(trace, y, part, loc)
    return make(real_where(condition, xr, yr), real_where(condition, xi, yi))


def _promotion(v):
    if isinstance(v, (bool, int, float, complex)):
        return v
    kind = operand_kind(v)
    return kind(0) if isinstance(kind, type) else kind


def _joined(name: str):
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

def _like(fill):
    def handler(a, dtype=None, order="K", subok=True, shape=None, *, device=None):
        from tracejit.frontend.functions import filled as real_filled
        from tracejit.frontend.functions import _shape_arg
        shape = a.shape if shape is None else _shape_arg(shape)
        dtype = np.dtype(dtype) if dtype is not None else a.dtype
        trace = _trace([a])
        if dtype.kind == "c":
            return filled(trace, shape, dtype, fill)
        return real_filled(trace, shape, dtype, fill)
    return handler


implements(np.zeros_like, np.empty_like)(_like(0))
implements(np.ones_like)(_like(1))


@implements(np.full_like)
def full_like(a, fill_value, dtype=None, order="K", subok=True, shape=None, *, device=None):
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
def sum_(a, axis=None, dtype=None, out=None, keepdims=_NoValue, **kw):
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
def mean(a, axis=None, dtype=None, out=None, keepdims=_NoValue, **kw):
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
