"""Python's builtins on traced values: ``len``, ``int``, ``float``, ``bool``, ``round``, ``sum``.

Converted code (``frontend/autograph``) calls the builtins it finds written in the user's
source through ``__tj_ag__.call_builtin``, which looks them up in :data:`CONVERTED`. Each
replacement behaves exactly as the builtin on everything that is not traced (it calls it),
and on traced values gives what eager code gets, traced:

* ``len(x)`` of a traced array is its static first dim (a Python int); of a selection of
  data-dependent length (``X[mask]``, ``np.nonzero``, ``x[s:e]`` with bounds read from data:
  ``frontend/numpy/selection.py``) a traced int64 count, a Python int (weak in promotion);
* ``int(x)``, ``float(x)``, ``bool(x)``, ``round(x)`` of a traced 0-d value are traced
  conversions, Python numbers (weak kinds, as the frontend marks Python numbers:
  ``frontend/pyscalar.py``); NumPy's refusals of other shapes are kept (``int`` and
  ``float`` of an array with dims raise TypeError, ``bool`` of one with more or fewer than
  one element ValueError), and the values Python refuses to convert (``int`` of nan or
  inf, of a float or uint64 beyond int64) raise after the call (``frontend/checks.py``);
* ``complex(a, b)`` of traced real 0-d values is a traced Python complex (weak in promotion:
  ``complex(a, b) * float32_array`` is complex64), its parts ``float(a)`` and ``float(b)``;
* ``np.float64(x)`` (and NumPy's other scalar types) of a traced NumPy value is its
  ``astype``, a NumPy scalar where ``x`` is 0-d;
* ``sum(x)`` of a traced array or selection adds along its first axis (a range selection's
  by a loop over the range), in the dtype Python's one-by-one addition keeps;
* ``isinstance(x, cls)``, ``type(x)``, ``np.isscalar(x)`` and ``hasattr(x, name)`` of a traced value
  answer for what eager code holds there: an ndarray, a NumPy scalar of its dtype or a Python number.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from tracejit.errors import UnsupportedError, at, user_error
from tracejit.frontend import checks
from tracejit.frontend.arraylike import complex_support, is_complex_value, is_traced
from tracejit.frontend.context import user_location
from tracejit.frontend.core import Tracer, as_python_scalar
from tracejit.frontend.numpy.selection import Selection
from tracejit.frontend.operands import is_tracer, promotion_operand, python_kind

_INT64 = np.dtype(np.int64)
_FLOAT64 = np.dtype(np.float64)
_LIMIT = 2.0 ** 63  # the first float beyond int64


def _traced(x: object) -> bool:
    return is_tracer(x) or isinstance(x, Selection)


def _cast(x: object, dtype: np.dtype) -> Tracer:
    """A new traced value: ``x`` converted to ``dtype`` (a new object even when it is of it)."""
    trace = x._trace
    if x.dtype == dtype:
        return Tracer(trace, trace.node_of(x))
    return trace.apply("convert", [x], {"dtype": dtype}, scalar=True)


def _python(t: object, kind: type, origins: frozenset) -> object:
    """``t`` (a new traced 0-d value) as the Python number of type ``kind``."""
    t = as_python_scalar(_cast(t, t.dtype))
    t._scalar = True
    t._weak = None if kind is bool else kind
    t._origins = origins
    return t


def _zero_d(x: object, name: str, loc: str | None) -> object:
    """A traced value NumPy converts to a Python number: a 0-d array (others raise TypeError)."""
    if isinstance(x, Selection) or x.ndim:
        raise user_error(TypeError(f"only 0-dimensional arrays can be converted to Python scalars "
                                   f"({name}() of a traced array of {x.ndim} dims){at(loc)}"))
    if x.dtype.kind == "c":
        raise user_error(TypeError(f"{name}() of a traced complex value: take its .real first{at(loc)}"))
    return x


def len_(obj: object) -> object:
    """``len(obj)``; a traced count for a selection of data-dependent length."""
    if isinstance(obj, Selection):
        return _python(obj.length(), int, frozenset())
    return len(obj)


def int_(*args: object, **kwargs: object) -> object:
    """``int(...)``; a traced int64 Python int for a traced 0-d value."""
    if len(args) != 1 or kwargs or not _traced(args[0]):
        return int(*args, **kwargs)
    x, loc = args[0], user_location()
    if python_kind(x) is int:
        return x
    x = _zero_d(x, "int", loc)
    origins = x._origins
    if x.dtype.kind == "f":
        checks.record(np.isnan(x), ValueError, f"cannot convert float NaN to integer{at(loc)}")
        checks.record(np.isinf(x), OverflowError, f"cannot convert float infinity to integer{at(loc)}")
        beyond = np.logical_and(np.isfinite(x), np.greater_equal(np.abs(_cast(x, _FLOAT64)), _LIMIT))
        checks.record(beyond, OverflowError, f"int() of a float beyond int64 (Python's int would be exact; "
                                             f"tracejit computes traced ints as int64){at(loc)}")
        x = np.trunc(x)
    elif x.dtype == np.uint64:
        checks.record(np.greater(x, np.uint64(np.iinfo(np.int64).max)), OverflowError,
                      f"int() of a uint64 beyond int64 (Python's int would be exact; tracejit computes "
                      f"traced ints as int64){at(loc)}")
    return _python(_cast(x, _INT64), int, origins)


def float_(*args: object, **kwargs: object) -> object:
    """``float(...)``; a traced float64 Python float for a traced 0-d value."""
    if len(args) != 1 or kwargs or not _traced(args[0]):
        return float(*args, **kwargs)
    x = args[0]
    if python_kind(x) is float:
        return x
    x = _zero_d(x, "float", user_location())
    return _python(_cast(x, _FLOAT64), float, x._origins)


def complex_(*args: object, **kwargs: object) -> object:
    """``complex(real[, imag])`` of traced real 0-d values: a traced Python complex (weak in
    promotion, as Python's complex is), its parts ``float()`` of each argument."""
    if kwargs or not 1 <= len(args) <= 2 or not any(is_tracer(a) for a in args):
        return complex(*args, **kwargs)
    loc = user_location()
    if any(is_complex_value(a) for a in args):
        raise UnsupportedError(f"complex() of a traced complex value is not supported{at(loc)}")
    trace = next(a for a in args if is_tracer(a))._trace
    re, im = (float_(a) if is_tracer(a) else _python(trace.weak_scalar(float(a), _FLOAT64), float, frozenset())
              for a in (args + (0.0,))[:2])
    return complex_support().join(re, im)


def bool_(*args: object, **kwargs: object) -> object:
    """``bool(...)``; a traced Python bool for a traced value of one element."""
    if len(args) != 1 or kwargs or not _traced(args[0]):
        return bool(*args, **kwargs)
    x, loc = args[0], user_location()
    if python_kind(x) is bool:
        return x
    empty = ("The truth value of an empty array is ambiguous. Use `array.size > 0` to check that an array "
             f"is not empty.{at(loc)}")
    many = f"The truth value of an array with more than one element is ambiguous. Use a.any() or a.all(){at(loc)}"
    if isinstance(x, Selection):
        size = x.size
        checks.record(np.equal(size, 0), ValueError, empty)
        checks.record(np.greater(size, 1), ValueError, many)
        return _python(x.any(), bool, frozenset())
    if x.size != 1:
        raise user_error(ValueError(many if x.size else empty))
    return _python(np.not_equal(x, 0).reshape(()), bool, x._origins)


def round_(*args: object, **kwargs: object) -> object:
    """``round(x)`` (no ndigits) of a traced 0-d value: a traced Python int, rounded half to even."""
    ndigits = kwargs.get("ndigits", args[1] if len(args) > 1 else None)
    if not args or ndigits is not None or len(args) + len(kwargs) > 2 or not _traced(args[0]):
        return round(*args, **kwargs)
    loc = user_location()
    x = _zero_d(args[0], "round", loc)
    if x.dtype == np.bool_ and python_kind(x) is not bool:
        raise user_error(TypeError(f"type numpy.bool doesn't define __round__ method{at(loc)}"))
    if x.dtype.kind in "iub":
        return int_(x)
    return int_(np.rint(x))


def sum_(*args: object, **kwargs: object) -> object:
    """``sum(iterable, start=0)``; of a traced array or a selection, the sum along its first
    axis in the dtype Python's one-by-one addition keeps (``0 + int8`` stays int8), plus start
    (of an empty selection: zeros of that shape, where Python gives ``start`` itself)."""
    if not args or len(args) + len(kwargs) > 2 or set(kwargs) - {"start"} or not _traced(args[0]):
        return sum(*args, **kwargs)
    x, start = args[0], kwargs.get("start", args[1] if len(args) > 1 else 0)
    if x.ndim == 0:
        raise user_error(TypeError(f"iteration over a 0-d array{at(user_location())}"))
    if not isinstance(x, Selection) and x.shape[0] == 0:
        return start
    dtype = np.result_type(promotion_operand(start), x.dtype)  # what start + x[0] + x[1] ... keeps
    return start + x.sum(axis=0, dtype=dtype)


def _numpy_scalar(kind: type) -> Callable:
    """``np.float64(x)`` and the other NumPy scalar types: of a traced NumPy value, ``x.astype(kind)``
    as NumPy casts it, a NumPy scalar for a 0-d value (an array for one with dims, as NumPy gives);
    of a traced Python number, its cast to a float or bool type or an int to int64 (others as before)."""
    dtype = np.dtype(kind)

    def convert(*args: object, **kwargs: object) -> object:
        if len(args) != 1 or kwargs or not is_tracer(args[0]):
            return kind(*args, **kwargs)
        x, python = args[0], python_kind(args[0])
        if python is not None:  # a traced Python number: exact where the conversion is a cast
            if not (dtype.kind in "fcb" or dtype == _INT64 and python in (int, bool)) or dtype.kind == "c":
                return kind(*args, **kwargs)  # (as before: made static, or refused)
            out = _cast(np.not_equal(x, 0) if dtype.kind == "b" else x, dtype)
            out._scalar = True
            return out
        out = x.astype(dtype)
        out._scalar = out.ndim == 0
        return out
    convert.__doc__ = f"``numpy.{kind.__name__}(x)`` of a traced value."
    return convert


def eager_example(x: object) -> object:
    """A value of the type eager code holds where ``x`` (a traced value or selection) is: an empty
    ndarray of its dtype, a NumPy scalar or a Python number (``x`` itself when not traced)."""
    if isinstance(x, Selection):
        return np.empty(0, x.dtype)
    if not is_traced(x):
        return x
    weak = getattr(x, "_weak", None)
    if weak is not None or (is_tracer(x) and python_kind(x) is bool):
        return (weak or bool)(0)
    return x.dtype.type(0) if x._scalar else np.empty(0, x.dtype)


def isinstance_(obj: object, classinfo: object) -> bool:
    """``isinstance`` answering for a traced value as for the value eager code holds there."""
    return isinstance(eager_example(obj), classinfo)


def type_(*args: object) -> type:
    """``type(obj)`` of a traced value: the type eager code holds there (``type(x) is np.ndarray``);
    the builtin's other forms unchanged."""
    return type(eager_example(args[0])) if len(args) == 1 else type(*args)


def hasattr_(obj: object, name: str) -> bool:
    """``hasattr`` of a traced Python number as of the number (``hasattr(s, "shape")`` is False)."""
    return hasattr(eager_example(obj) if python_kind(obj) is not None else obj, name)


def isscalar(element: object) -> bool:
    """``np.isscalar`` answering for a traced value as for the value eager code holds there."""
    return bool(np.isscalar(eager_example(element)))


CONVERTED: dict[Callable, Callable] = {len: len_, int: int_, float: float_, bool: bool_, round: round_, sum: sum_,
                                       complex: complex_, isinstance: isinstance_, type: type_,
                                       hasattr: hasattr_}
CONVERTED.update({t: _numpy_scalar(t) for t in (np.float64, np.float32, np.float16, np.int64, np.int32, np.int16,
                                                 np.int8, np.uint64, np.uint32, np.uint16, np.uint8, np.bool_,
                                                 np.complex64, np.complex128)})


def convert(fn: Callable) -> Callable:
    """The replacement of builtin ``fn`` (``fn`` itself when it needs none)."""
    return CONVERTED.get(fn, fn)

