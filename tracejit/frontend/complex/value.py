"""Complex values while tracing: a :class:`ComplexTracer` is a pair of real tracers.

The compiler knows only real dtypes. A complex64/complex128 value is traced as its real
part and its imaginary part, two real tracers of the matching float dtype (float32/
float64) and of the value's full shape, so every pass, fusion and code generation sees
only real ops (``z = z*z + c`` in a loop fuses into real kernels). NumPy hands
operations to a ComplexTracer through the same protocols as to a :class:`Tracer`; real
tracers meeting a complex operand hand the operation over here
(``frontend/ufuncs.py``, ``frontend/functions.py``).

Mutation and views follow NumPy through the parts: a view of a complex value (slice,
reshape, transpose, ``.real``) is a pair of views of its parts, and a write
(``z[i] = v``, ``z += w``, ``z[mask] = v``) writes both parts
(``frontend/mutation.py``), so other views and the caller's arrays see it. The parts of
a value are its own (operations that would pass a part through unchanged copy it), so a
write through one value never reaches another.
"""
from __future__ import annotations

import warnings

import numpy as np

from tracejit.compiler.layout import StridedView
from tracejit.errors import TracerConversionError, UnsupportedError, at, with_location, user_error
from tracejit.frontend.attributes import SequenceLike, install_operators
from tracejit.frontend.trace import user_location
from tracejit.frontend.values import PY_SCALARS, convert_weak, dtype_or_weak, is_tracer, weak_type

COMPLEX_DTYPES = (np.dtype(np.complex64), np.dtype(np.complex128))


def part_dtype(dtype) -> np.dtype:
    """float32 for complex64, float64 for complex128; other complex dtypes raise."""
    dtype = np.dtype(dtype)
    if dtype not in COMPLEX_DTYPES:
        raise UnsupportedError(f"dtype {dtype} is not supported by tracejit (complex64 and complex128 are)"
                               f"{at(user_location())}")
    return np.dtype(np.float32) if dtype == np.complex64 else np.dtype(np.float64)


def complex_of(part) -> np.dtype:
    """complex64 for float32 parts, complex128 for float64."""
    return np.dtype(np.complex64) if np.dtype(part) == np.float32 else np.dtype(np.complex128)


def is_complex(x) -> bool:
    """A complex operand: a ComplexTracer, a Python complex, a complex NumPy array or scalar."""
    if isinstance(x, ComplexTracer) or type(x) is complex:
        return True
    return isinstance(x, (np.ndarray, np.generic)) and x.dtype.kind == "c"


def involves_complex(values, kwargs=None) -> bool:
    """Whether a complex operand (or a complex ``dtype=``) is among ``values`` (searching one
    level of lists and tuples) or ``kwargs``."""
    for v in values:
        if is_complex(v):
            return True
        if isinstance(v, (list, tuple)) and any(is_complex(w) for w in v):
            return True
    if kwargs:
        dtype = kwargs.get("dtype")
        try:
            if dtype is not None and np.dtype(dtype).kind == "c":
                return True
        except TypeError:
            pass  # not a dtype: the function's own handler says so
        return involves_complex(tuple(v for k, v in kwargs.items() if k != "dtype"))
    return False


def operand_kind(x, loc=None):
    """What NumPy's type resolution needs for ``x``: a dtype, or the Python scalar type
    (``complex`` for a Python complex: weak, like ``float``)."""
    if isinstance(x, ComplexTracer):
        return x.dtype
    if type(x) is complex:
        return complex
    return dtype_or_weak(x, loc)


def _full(t, shape: tuple):
    """``t`` broadcast to ``shape`` as a fresh array of its own (writable, unlike a view)."""
    if tuple(t.shape) == tuple(shape):
        return t
    return t._trace.apply("broadcast_to", [t], {"shape": tuple(shape)})


def make(re, im, scalar: bool | None = None) -> "ComplexTracer":
    """A complex value from its parts (real tracers of one float dtype), broadcast to one shape."""
    shape = tuple(np.broadcast_shapes(re.shape, im.shape))
    re, im = _full(re, shape), _full(im, shape)
    if scalar is None:
        scalar = not shape and bool(re._scalar or im._scalar)
    return ComplexTracer(re, im, scalar)


def _own(t):
    """A fresh copy of part ``t`` (so two values never share a part's storage)."""
    return t._trace.apply("copy", [t], scalar=t._scalar)


def _const(trace, value, part: np.dtype):
    from tracejit.frontend.tracer import Tracer
    return Tracer(trace, trace.constant(np.array(value, dtype=part)))


def parts(trace, x, part: np.dtype, loc=None) -> tuple:
    """``x`` as (real part, imaginary part) tracers of dtype ``part``, converted as NumPy
    converts to the complex dtype of ``part`` (a real operand has imaginary part 0)."""
    if isinstance(x, ComplexTracer):
        if x._trace is not trace:
            from tracejit.errors import TraceError
            raise TraceError(f"a traced value from another trace was used{at(loc)}")
        re, im = x.re_part, x.im_part
        if re.dtype != part:
            re = trace.apply("convert", [re], {"dtype": part})
            im = trace.apply("convert", [im], {"dtype": part})
        return re, im
    zero = _const(trace, 0.0, part)
    if is_tracer(x):
        if weak_type(x) is not None:
            return convert_weak(trace, x, part), zero
        if x.dtype.kind == "b":  # NumPy converts bool to complex through its 0/1 value
            x = x._trace.apply("convert", [x], {"dtype": np.dtype(np.uint8)})
        re = x if x.dtype == part else trace.apply("convert", [x], {"dtype": part})
        return re, zero
    if type(x) is np.ndarray and getattr(trace, "capturer", None) is not None:
        found = trace.capturer.constant(x)  # an array from outside (self.Z): read at call time
        if found is not None:
            return parts(trace, found, part, loc)
    if isinstance(x, (list, tuple)):
        x = np.asarray(x)
    if isinstance(x, PY_SCALARS + (complex,)) or isinstance(x, (np.ndarray, np.generic)):
        try:
            value = np.asarray(x).astype(complex_of(part)) if not isinstance(x, PY_SCALARS + (complex,)) \
                else np.asarray(x, dtype=complex_of(part))
        except (OverflowError, TypeError) as e:
            raise with_location(e, loc) from e
        return _const(trace, value.real, part), _const(trace, value.imag, part)
    raise UnsupportedError(f"cannot use a value of type {type(x).__name__} as a complex operand{at(loc)}")


def from_real(x, dtype) -> "ComplexTracer":
    """``x.astype(dtype)`` for a real tracer ``x`` and a complex ``dtype``."""
    part = part_dtype(dtype)
    re, im = parts(x._trace, x, part, user_location())
    re = _own(re) if re is x else re
    return make(re, im, scalar=bool(x._scalar))


def filled(trace, shape, dtype, value) -> "ComplexTracer":
    """A complex array of ``shape`` with every element ``value`` (``np.zeros(..., complex)``)."""
    part = part_dtype(dtype)
    value = np.asarray(value).astype(dtype)
    re = trace.apply("broadcast_to", [_const(trace, value.real, part)], {"shape": tuple(shape)})
    im = trace.apply("broadcast_to", [_const(trace, value.imag, part)], {"shape": tuple(shape)})
    return ComplexTracer(re, im)


def constant(trace, value) -> "ComplexTracer":
    """A captured complex array (or NumPy complex scalar) as a traced value (an array the
    function reached from outside, such as ``self.Z``: a captured input, frontend/capture.py)."""
    capturer = getattr(trace, "capturer", None)
    if capturer is not None and type(value) is np.ndarray:
        found = capturer.constant(value)
        if isinstance(found, ComplexTracer):
            return found
    value = np.asarray(value)
    part = part_dtype(value.dtype)
    return make(_own(_const(trace, value.real, part)), _own(_const(trace, value.imag, part)), scalar=False)


def to_real(x: "ComplexTracer", dtype):
    """``x.astype(dtype)`` for a real ``dtype``: bool is 'nonzero', other dtypes take the
    real part (NumPy warns that the imaginary part is discarded)."""
    from tracejit.frontend.functions import astype
    dtype = np.dtype(dtype)
    if dtype == np.bool_:
        out = (x.re_part != 0) | (x.im_part != 0)
    else:
        warnings.warn("Casting complex values to real discards the imaginary part",
                      np.exceptions.ComplexWarning, stacklevel=3)
        out = astype(x.re_part, dtype) if x.re_part.dtype != dtype else _own(x.re_part)
    out._scalar = bool(x._scalar) and not out.shape  # a complex scalar's cast is a scalar
    return out


def convert(x: "ComplexTracer", dtype) -> "ComplexTracer":
    """``x.astype(dtype)`` for a complex ``dtype`` (always a new value)."""
    part = part_dtype(dtype)
    re, im = x.re_part, x.im_part
    if re.dtype == part:
        return ComplexTracer(_own(re), _own(im), x._scalar)
    return ComplexTracer(re._trace.apply("convert", [re], {"dtype": part}, scalar=x._scalar),
                         im._trace.apply("convert", [im], {"dtype": part}, scalar=x._scalar), x._scalar)


class ComplexTracer(SequenceLike):
    """A traced complex array: its real and imaginary parts as real tracers."""

    __slots__ = ("_re", "_im", "_scalar", "__weakref__")
    __array_priority__ = 1001

    def __init__(self, re, im, scalar: bool = False):
        assert re.shape == im.shape and re.dtype == im.dtype and re.dtype.kind == "f", (re, im)
        self._re, self._im = re, im
        self._scalar = bool(scalar) and not re.shape  # NumPy would return a scalar here

    # -- abstract value ---------------------------------------------------------------------
    re_part = property(lambda self: self._re, doc="the real part (a tracer; internal use)")
    im_part = property(lambda self: self._im, doc="the imaginary part (a tracer; internal use)")
    _trace = property(lambda self: self._re._trace)
    shape = property(lambda self: self._re.shape)
    dtype = property(lambda self: complex_of(self._re.dtype))
    ndim = property(lambda self: len(self._re.shape))
    size = property(lambda self: self._re.size)
    itemsize = property(lambda self: 2 * self._re.itemsize)
    nbytes = property(lambda self: 2 * self._re.nbytes)

    def __repr__(self) -> str:
        return f"ComplexTracer<{self.dtype}{list(self.shape)}>"

    # -- NumPy protocols ----------------------------------------------------------------------
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        from tracejit.frontend import complexufuncs
        return complexufuncs.ufunc_method(ufunc, method, inputs, kwargs)

    def __array_function__(self, func, types, args, kwargs):
        from tracejit.frontend import complexfuncs
        return complexfuncs.dispatch(func, args, kwargs)

    def __array__(self, dtype=None, copy=None):
        raise TracerConversionError(f"np.asarray/np.array of a traced complex value{at(user_location())}: "
                                    "tracejit cannot produce a concrete array while tracing")

    def _concrete(self, what: str):
        raise TracerConversionError(f"{what} on a traced complex array{at(user_location())}: the value "
                                    "depends on the function's array arguments and is not known while tracing")

    def __bool__(self):
        self._concrete("the truth value (if/while/and/or/bool())")

    def __complex__(self):
        self._concrete("complex()")

    def __float__(self):
        self._concrete("float()")

    def __int__(self):
        self._concrete("int()")

    def __index__(self):
        self._concrete("use as an index")

    def item(self, *args):
        self._concrete(".item()")

    def tolist(self):
        self._concrete(".tolist()")

    def __hash__(self):
        raise user_error(TypeError("unhashable type: a traced array (like numpy.ndarray)"))

    def diagonal(self, offset=0, axis1=0, axis2=1):
        return np.diagonal(self, offset, axis1, axis2)

    def trace(self, offset=0, axis1=0, axis2=1, dtype=None, out=None):
        return np.trace(self, offset, axis1, axis2, dtype, out)

    def __getattr__(self, name):
        if not name.startswith("_") and hasattr(np.ndarray, name):
            raise UnsupportedError(f"ndarray.{name} of complex values is not supported by tracejit"
                                   f"{at(user_location())}")
        raise user_error(AttributeError(f"'ComplexTracer' object has no attribute {name!r}"))

    # -- parts (views, as in NumPy) ------------------------------------------------------------
    def _part_view(self, t):
        if self._scalar:  # a NumPy scalar's .real is a scalar
            return t._trace.apply("copy", [t], scalar=True)
        from tracejit.frontend.functions import make_view
        return make_view(t, "reshape", {"shape": t.shape})

    @property
    def real(self):
        """The real part: a view (writes through it reach this value)."""
        return self._part_view(self._re)

    @real.setter
    def real(self, value):  # ``z.real = x``
        self.real[...] = value

    @property
    def imag(self):
        """The imaginary part: a view (writes through it reach this value)."""
        return self._part_view(self._im)

    @imag.setter
    def imag(self, value):
        self.imag[...] = value

    # -- views ------------------------------------------------------------------------------------
    def _both(self, f, scalar=None) -> "ComplexTracer":
        re, im = f(self._re), f(self._im)
        return ComplexTracer(re, im, bool(re._scalar) if scalar is None else scalar)

    def __getitem__(self, key):
        from tracejit.frontend import indexing
        from tracejit.frontend.tracer import Tracer
        re = indexing.getitem(self._re, key)
        if not isinstance(re, Tracer):  # a boolean selection (data-dependent length)
            raise UnsupportedError(f"selecting complex values with a boolean mask (z[mask]) is not supported; "
                                   f"use np.where(mask, z, fill) or write with z[mask] = v{at(user_location())}")
        im = indexing.getitem(self._im, key)
        return ComplexTracer(re, im, bool(re._scalar))

    def __setitem__(self, key, value):
        from tracejit.frontend import indexing
        loc = user_location()
        if self._scalar:
            raise user_error(TypeError(f"'numpy.{self.dtype.name}' object does not support item assignment{at(loc)}"))
        re, im = parts(self._trace, value, self._re.dtype, loc)
        indexing.setitem(self._re, key, re)
        indexing.setitem(self._im, key, im)

    def reshape(self, *shape, order="C"):
        return self._both(lambda t: t.reshape(*shape, order=order))

    def transpose(self, *axes):
        return self._both(lambda t: t.transpose(*axes))

    T = property(lambda self: self._both(lambda t: t.T))

    def swapaxes(self, a, b):
        return self._both(lambda t: t.swapaxes(a, b))

    def squeeze(self, axis=None):
        return self._both(lambda t: t.squeeze(axis))

    def ravel(self, order="C"):
        """A view when the complex array is C-contiguous in NumPy, else a copy: judged on
        the complex strides (a part of an argument's pair view has twice them)."""
        from tracejit.frontend.functions import ravel
        from tracejit.frontend.memorder import numpy_layout
        memory = numpy_layout(self._re)
        if memory is not None and self._re._storage is not None and self._re._storage.arg is not None:
            memory = StridedView(memory.shape, tuple(s // 2 for s in memory.strides))  # the pair view's part
        contiguous = None if memory is None else memory.is_contiguous()
        return self._both(lambda t: ravel(t, order, contiguous))

    def flatten(self, order="C"):
        return self._both(lambda t: t.flatten(order))

    def copy(self, order="C"):
        return self._both(lambda t: t.copy(order), self._scalar)

    def astype(self, dtype, order="K", casting="unsafe", subok=True, copy=True):
        if np.dtype(dtype).kind == "c":
            return convert(self, dtype)
        return to_real(self, dtype)

    def conj(self):
        return np.conjugate(self)

    conjugate = conj

    # -- reductions ---------------------------------------------------------------------------------
    def sum(self, axis=None, dtype=None, out=None, keepdims=np._NoValue, **kw):
        from tracejit.frontend import complexfuncs
        return complexfuncs.sum_(self, axis, dtype, out, keepdims, **kw)

    def mean(self, axis=None, dtype=None, out=None, keepdims=np._NoValue, **kw):
        from tracejit.frontend import complexfuncs
        return complexfuncs.mean(self, axis, dtype, out, keepdims, **kw)

    # -- in-place updates -----------------------------------------------------------------------
    def _inplace(self, ufunc, other):
        from tracejit.frontend import complexufuncs
        from tracejit.frontend.mutation import write
        loc = user_location()
        if isinstance(ufunc, np.ufunc):
            result = complexufuncs.apply(ufunc, (self, other), loc=loc)
        else:  # a computation of its own (``**= 2``: square)
            result = ufunc(self, other)
        name = getattr(ufunc, "__name__", "power")
        if self._scalar:  # NumPy scalars are immutable: `s += 1` makes a new object
            return result
        if not np.can_cast(result.dtype, self.dtype, "same_kind"):
            raise user_error(TypeError(f"Cannot cast ufunc '{name}' output from {result.dtype!r} to "
                                       f"{self.dtype!r} with casting rule 'same_kind'{at(loc)}"))
        re, im = parts(self._trace, result, self._re.dtype, loc)
        write(self._re, re, loc)
        write(self._im, im, loc)
        return self


def _apply(ufunc, operands):
    """An operator of complex values: the ufunc as ``complexufuncs`` applies it."""
    from tracejit.frontend import complexufuncs
    return complexufuncs.apply(ufunc, operands, operator=True)


def _power(self, other):
    """``z ** 2`` is NumPy's square (its fast path for a Python exponent of 2)."""
    if type(other) in (int, float) and other == 2:
        return _apply(np.square, (self,))
    return _apply(np.power, (self, other))


def _rpower(self, other):
    return _apply(np.power, (other, self))


install_operators(ComplexTracer, _apply)


def _unary(ufunc):
    return lambda self: _apply(ufunc, (self,))


def _ipower(self, other):
    """``z **= 2`` squares in place, as NumPy's fast path does."""
    if type(other) in (int, float) and other == 2:
        from tracejit.frontend import complexufuncs
        return self._inplace(lambda a, b: complexufuncs.apply(np.square, (a,)), other)
    return self._inplace(np.power, other)


for _name, _uf in [("neg", np.negative), ("pos", np.positive), ("abs", np.absolute)]:
    setattr(ComplexTracer, f"__{_name}__", _unary(_uf))
ComplexTracer.__pow__ = _power
ComplexTracer.__rpow__ = _rpower
ComplexTracer.__ipow__ = _ipower


def _unsupported_matmul(self, other):
    raise UnsupportedError(f"matmul (@) of complex values is not supported by tracejit{at(user_location())}")


ComplexTracer.__matmul__ = ComplexTracer.__rmatmul__ = ComplexTracer.__imatmul__ = _unsupported_matmul
