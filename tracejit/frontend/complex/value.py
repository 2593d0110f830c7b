"""Complex values while tracing: a :class:`ComplexTracer` is a pair of real tracers.

The compiler knows only real dtypes. A complex64/complex128 value is traced as its real
part and its imaginary part, two real tracers of the matching float dtype (float32/
float64) and of the value's full shape, so every pass, fusion and code generation sees
only real ops (``z = z*z + c`` in a loop fuses into real kernels). What a ComplexTracer
shows of ndarray the way a real :class:`Tracer` does (attributes, ``len()``, conversion
errors, methods that are NumPy functions) comes from their shared base
(``frontend/arraylike.py``); its NumPy functions are the handlers registered in
:data:`FUNCTIONS` (``complex/functions.py``), and its ufuncs and operators go to the
installed complex support (``arraylike.complex_support``: ``complex/ufuncs.py``), the
same hook the real frontend asks when an operand is complex.

Mutation and views follow NumPy through the parts: a view of a complex value (slice,
reshape, transpose, ``.real``) is a pair of views of its parts, and a write
(``z[i] = v``, ``z += w``, ``z[mask] = v``) writes both parts
(``frontend/numpy/writes.py``), so other views and the caller's arrays see it. The parts of
a value are its own (operations that would pass a part through unchanged copy it), so a
write through one value never reaches another.
"""
from __future__ import annotations

from typing import Any, Callable, NoReturn

import numpy as np

from tracejit.errors import TraceError, TracerConversionError, UnsupportedError, at, user_error, with_location
from tracejit.frontend.arraylike import ArrayLike, complex_support
from tracejit.frontend.attributes import install_operators, registrar
from tracejit.frontend.context import user_location
from tracejit.frontend.core import Tracer
from tracejit.frontend.dispatch import function_fallback, ufunc_fallback
from tracejit.frontend.numpy import indexing
from tracejit.frontend.numpy.shape import make_view
from tracejit.frontend.numpy.ufuncs import write_inplace
from tracejit.frontend.numpy.writes import write
from tracejit.frontend.operands import PY_SCALARS, convert_weak, dtype_or_weak, is_tracer, weak_type

COMPLEX_DTYPES = (np.dtype(np.complex64), np.dtype(np.complex128))

FUNCTIONS: dict[Callable, Callable] = {}  # NumPy function -> its handler on complex operands
implements = registrar(FUNCTIONS)  # @implements(np.f): the handler of np.f (complex/functions.py)


def part_dtype(dtype: Any) -> np.dtype:
    """float32 for complex64, float64 for complex128; other complex dtypes raise."""
    dtype = np.dtype(dtype)
    if dtype not in COMPLEX_DTYPES:
        raise UnsupportedError(f"dtype {dtype} is not supported by tracejit (complex64 and complex128 are)"
                               f"{at(user_location())}")
    return np.dtype(np.float32) if dtype == np.complex64 else np.dtype(np.float64)


def complex_of(part: Any) -> np.dtype:
    """complex64 for float32 parts, complex128 for float64."""
    return np.dtype(np.complex64) if np.dtype(part) == np.float32 else np.dtype(np.complex128)


def is_complex(x: Any) -> bool:
    """A complex operand: a ComplexTracer, a Python complex, a complex NumPy array or scalar."""
    if isinstance(x, ComplexTracer) or type(x) is complex:
        return True
    return isinstance(x, (np.ndarray, np.generic)) and x.dtype.kind == "c"


def involves_complex(values: Any, kwargs: dict | None = None) -> bool:
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


def operand_kind(x: Any, loc: str | None = None) -> np.dtype | type:
    """What NumPy's type resolution needs for ``x``: a dtype, or the Python scalar type
    (``complex`` for a Python complex: weak, like ``float``)."""
    if isinstance(x, ComplexTracer):
        return complex if x._weak is complex else x.dtype
    if type(x) is complex:
        return complex
    return dtype_or_weak(x, loc)


def is_python_number(x: Any) -> bool:
    """A Python number (``complex(a, b)`` of traced values: a weak ComplexTracer; a traced
    Python float or int; a constant): Python's own arithmetic on such gives one."""
    if isinstance(x, ComplexTracer):
        return x._weak is complex
    return type(x) in (bool, int, float, complex) or (is_tracer(x) and weak_type(x) is not None)


def _full(t: Tracer, shape: tuple) -> Tracer:
    """``t`` broadcast to ``shape`` as a fresh array of its own (writable, unlike a view)."""
    if tuple(t.shape) == tuple(shape):
        return t
    return t._trace.apply("broadcast_to", [t], {"shape": tuple(shape)})


def make(re: Tracer, im: Tracer, scalar: bool | None = None) -> ComplexTracer:
    """A complex value from its parts (real tracers of one float dtype), broadcast to one shape."""
    shape = tuple(np.broadcast_shapes(re.shape, im.shape))
    re, im = _full(re, shape), _full(im, shape)
    if scalar is None:
        scalar = not shape and bool(re._scalar or im._scalar)
    return ComplexTracer(re, im, scalar)


def own_copy(t: Tracer) -> Tracer:
    """A fresh copy of part ``t`` (so two values never share a part's storage)."""
    return t._trace.apply("copy", [t], scalar=t._scalar)


def part_constant(trace: Any, value: Any, part: np.dtype) -> Tracer:
    """The constant ``value`` (a number or real array) as a part tracer of dtype ``part``."""
    return Tracer(trace, trace.constant(np.array(value, dtype=part)))


def parts(trace: Any, x: Any, part: np.dtype, loc: str | None = None) -> tuple[Tracer, Tracer]:
    """``x`` as (real part, imaginary part) tracers of dtype ``part``, converted as NumPy
    converts to the complex dtype of ``part`` (a real operand has imaginary part 0)."""
    if isinstance(x, ComplexTracer):
        if x._trace is not trace:
            raise TraceError(f"a traced value from another trace was used{at(loc)}")
        re, im = x.re_part, x.im_part
        if re.dtype != part:
            re = trace.apply("convert", [re], {"dtype": part})
            im = trace.apply("convert", [im], {"dtype": part})
        return re, im
    zero = part_constant(trace, 0.0, part)
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
        return part_constant(trace, value.real, part), part_constant(trace, value.imag, part)
    raise UnsupportedError(f"cannot use a value of type {type(x).__name__} as a complex operand{at(loc)}")


def dispatch(func: Callable, args: tuple, kwargs: dict) -> Any:
    """Run the handler of NumPy function ``func`` on arguments of which some are complex."""
    handler = FUNCTIONS.get(func)
    if handler is None:
        raise UnsupportedError(f"numpy.{func.__name__} of complex values is not supported by tracejit"
                               f"{at(user_location())}")
    return handler(*args, **kwargs)


def _apply(ufunc: np.ufunc, operands: tuple) -> Any:
    """An operator of complex values: the ufunc as complex support applies it."""
    return complex_support().call_ufunc(ufunc, operands, None, None, True)


class ComplexTracer(ArrayLike):
    """A traced complex array: its real and imaginary parts as real tracers."""

    __slots__ = ("_re", "_im", "_scalar", "_weak", "__weakref__")
    __array_priority__ = 1001

    def __init__(self, re: Tracer, im: Tracer, scalar: bool = False):
        assert re.shape == im.shape and re.dtype == im.dtype and re.dtype.kind == "f", (re, im)
        self._re, self._im = re, im
        self._scalar = bool(scalar) and not re.shape  # NumPy would return a scalar here
        self._weak = None  # complex: a Python complex (``complex(a, b)`` of traced values), weak in promotion

    # -- abstract value ---------------------------------------------------------------------
    re_part = property(lambda self: self._re, doc="the real part (a tracer; internal use)")
    im_part = property(lambda self: self._im, doc="the imaginary part (a tracer; internal use)")
    _trace = property(lambda self: self._re._trace)
    def _set_shape(self, shape):
        raise self._unsupported_attribute("shape assignment (a = a.reshape(...) instead)")

    shape = property(lambda self: self._re.shape, _set_shape)
    dtype = property(lambda self: complex_of(self._re.dtype))

    def __repr__(self) -> str:
        return f"ComplexTracer<{self.dtype}{list(self.shape)}>"

    # -- NumPy protocols ----------------------------------------------------------------------
    @ufunc_fallback  # (what is refused here runs as a host call: frontend/hostcall.py)
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        loc = user_location()
        if method == "reduce" and ufunc is np.add:
            kwargs = dict(kwargs)
            return FUNCTIONS[np.sum](inputs[0], axis=kwargs.pop("axis", 0), **kwargs)
        if method != "__call__":
            raise UnsupportedError(f"numpy.{ufunc.__name__}.{method} of complex values is not supported{at(loc)}")
        out = kwargs.pop("out", None)
        dtype = kwargs.pop("dtype", None)
        if kwargs.pop("where", True) is not True:
            raise UnsupportedError(f"numpy.{ufunc.__name__}: where= is not supported{at(loc)}")
        for key, value in kwargs.items():
            if not (key in ("casting", "order", "subok", "signature") and value in ("same_kind", "K", True, None)):
                raise UnsupportedError(f"numpy.{ufunc.__name__}: argument {key}={value!r} is not supported{at(loc)}")
        result = complex_support().call_ufunc(ufunc, inputs, dtype, loc, False)
        if out is not None:
            target = out[0] if isinstance(out, tuple) and len(out) == 1 else out
            if isinstance(target, ComplexTracer) and isinstance(result, ComplexTracer):
                return target._inplace(lambda a, b: result, None)
            return write_inplace(target, result, ufunc.__name__, loc)
        return result

    @function_fallback
    def __array_function__(self, func, types, args, kwargs):
        return dispatch(func, args, kwargs)

    def __array__(self, dtype=None, copy=None):
        raise TracerConversionError(f"np.asarray/np.array of a traced complex value{at(user_location())}: "
                                    "tracejit cannot produce a concrete array while tracing")

    def _concrete(self, what: str) -> NoReturn:
        raise TracerConversionError(f"{what} on a traced complex array{at(user_location())}: the value "
                                    "depends on the function's array arguments and is not known while tracing")

    def _handler_of(self, func: Callable) -> Callable | None:
        return FUNCTIONS.get(func)

    def _unsupported_attribute(self, name: str) -> Exception:
        return UnsupportedError(f"ndarray.{name} of complex values is not supported by tracejit{at(user_location())}")

    # -- parts (views, as in NumPy) ------------------------------------------------------------
    def _part_view(self, t: Tracer) -> Tracer:
        if self._scalar:  # a NumPy scalar's .real is a scalar (a Python complex's a Python float)
            out = t._trace.apply("copy", [t], scalar=True)
            out._weak = float if self._weak is complex else None
            return out
        return make_view(t, "reshape", {"shape": t.shape})

    @property
    def real(self) -> Tracer:
        """The real part: a view (writes through it reach this value)."""
        return self._part_view(self._re)

    @real.setter
    def real(self, value: Any) -> None:
        """``z.real = x``: writes the real part."""
        self.real[...] = value

    @property
    def imag(self) -> Tracer:
        """The imaginary part: a view (writes through it reach this value)."""
        return self._part_view(self._im)

    @imag.setter
    def imag(self, value: Any) -> None:
        """``z.imag = x``: writes the imaginary part."""
        self.imag[...] = value

    # -- views and copies (reshape, transpose, ravel...: ``arraylike.py`` and FUNCTIONS) ------------
    def each_part(self, f: Callable[[Tracer], Tracer], scalar: bool | None = None) -> ComplexTracer:
        """The complex value of ``f`` applied to each part (scalar as the real part's, or ``scalar``)."""
        re, im = f(self._re), f(self._im)
        return ComplexTracer(re, im, bool(re._scalar) if scalar is None else scalar)

    def __getitem__(self, key):
        re = indexing.getitem(self._re, key)
        if not isinstance(re, Tracer):  # a boolean selection (data-dependent length)
            raise UnsupportedError(f"selecting complex values with a boolean mask (z[mask]) is not supported; "
                                   f"use np.where(mask, z, fill) or write with z[mask] = v{at(user_location())}")
        im = indexing.getitem(self._im, key)
        return ComplexTracer(re, im, bool(re._scalar))

    def __setitem__(self, key, value):
        loc = user_location()
        if self._scalar:
            raise user_error(TypeError(f"'numpy.{self.dtype.name}' object does not support item assignment{at(loc)}"))
        re, im = parts(self._trace, value, self._re.dtype, loc)
        indexing.setitem(self._re, key, re)
        indexing.setitem(self._im, key, im)

    def flatten(self, order: str = "C") -> ComplexTracer:
        """ndarray.flatten: a new one-axis array (of each part)."""
        return self.each_part(lambda t: t.flatten(order))

    def copy(self, order: str = "C") -> ComplexTracer:
        """ndarray.copy: a new array (a NumPy scalar's copy is a scalar)."""
        return self.each_part(lambda t: t.copy(order), self._scalar)

    def conj(self) -> ComplexTracer:
        """ndarray.conj: the complex conjugate (a new array; of a Python complex, a Python complex)."""
        out = np.conjugate(self)
        out._weak = self._weak
        return out

    conjugate = conj

    # -- in-place updates -----------------------------------------------------------------------
    def _inplace(self, ufunc, other):
        loc = user_location()
        if isinstance(ufunc, np.ufunc):
            result = complex_support().call_ufunc(ufunc, (self, other), None, loc, False)
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


FAST_POWERS = {(int, 2): np.square, (int, -1): np.reciprocal, (float, 0.5): np.sqrt}  # NumPy's array fast paths


def _power(self: ComplexTracer, other: Any) -> Any:
    """``z ** 2``, ``z ** -1``, ``z ** 0.5`` are NumPy's square, reciprocal and sqrt (its fast
    paths for those Python exponents of an array)."""
    if self._scalar:  # NumPy's scalar power: ``z ** 2`` (int or float) squares
        fast = np.square if type(other) in (int, float) and other == 2 else None
    else:
        fast = FAST_POWERS.get((type(other), other)) if type(other) in (int, float) else None
    if fast is not None:
        return _apply(fast, (self,))
    return _apply(np.power, (self, other))


def _rpower(self: ComplexTracer, other: Any) -> Any:
    return _apply(np.power, (other, self))


def _ipower(self: ComplexTracer, other: Any) -> Any:
    """``z **= 2`` squares in place, as NumPy's fast path does."""
    fast = FAST_POWERS.get((type(other), other)) if type(other) in (int, float) else None
    if fast is not None:
        return self._inplace(lambda a, b: complex_support().call_ufunc(fast, (a,), None, None, False), other)
    return self._inplace(np.power, other)


def _unary(ufunc: np.ufunc) -> Callable:
    return lambda self: _apply(ufunc, (self,))


def _rmatmul(self: ComplexTracer, other: Any) -> Any:
    return _apply(np.matmul, (other, self))


install_operators(ComplexTracer, _apply)
for _name, _uf in [("neg", np.negative), ("pos", np.positive), ("abs", np.absolute)]:
    setattr(ComplexTracer, f"__{_name}__", _unary(_uf))
ComplexTracer.__pow__ = _power
ComplexTracer.__rpow__ = _rpower
ComplexTracer.__ipow__ = _ipower
ComplexTracer.__matmul__ = lambda self, other: _apply(np.matmul, (self, other))
ComplexTracer.__rmatmul__ = _rmatmul
ComplexTracer.__imatmul__ = lambda self, other: self._inplace(np.matmul, other)
