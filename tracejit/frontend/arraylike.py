"""What every traced array shares, real or complex, and the one hook to complex support.

:class:`ArrayLike` is the base of the real :class:`~tracejit.frontend.core.Tracer` and
of the complex :class:`~tracejit.frontend.complex.value.ComplexTracer`. It holds what
both show of ``ndarray`` the same way: the attributes derived from ``shape`` and
``dtype``, ``len()`` and iteration, the Python conversions that cannot work while
tracing (``bool()``, ``int()``, ``float()``, ``complex()``, ``operator.index``,
``.item()``, ``.tolist()``, hashing), and the ndarray methods that are a NumPy function
applied to the array (``x.reshape(...)`` is ``np.reshape(x, ...)``, ``x.sum(...)`` is
``np.sum(x, ...)``). A subclass says how: ``_concrete`` builds its conversion error,
``_handler_of`` finds the handler of a NumPy function in its own table, and
``_unsupported_attribute`` the error for an ndarray attribute it lacks (for the real
Tracer both are installed by ``frontend/numpy/methods.py``, with the handler table).

Complex support (``tracejit/frontend/complex/``) is reached from the real frontend
through one object only, installed by that package when it is imported
(``frontend/api.py`` imports it): :func:`complex_support` returns it, and its methods
(:class:`ComplexSupport`) are every question the real frontend asks about complex
operands. This module imports neither side, so the real frontend does not import the
complex package and the complex package imports the real frontend in one direction.
"""
from __future__ import annotations

import math
from typing import Any, Callable, NoReturn, Protocol

import numpy as np

from tracejit.errors import user_error

# ndarray methods that are their NumPy function applied to the array, reached through
# ``__getattr__`` when the value's table has a handler (``sort`` is not: the method sorts
# in place)
FUNCTION_METHODS = frozenset({"diagonal", "trace", "cumsum", "cumprod", "argsort", "take", "nonzero", "repeat",
                              "searchsorted", "ptp"})


# ``hook(value, name)``: ndarray method ``name`` of ``value`` run as a host call, or None
# (installed by ``frontend/hostcall.py``, which builds on this module)
METHOD_FALLBACK: dict[str, Callable] = {}


class ArrayLike:
    """A traced array's ndarray surface shared by real and complex values (see the module)."""

    __slots__ = ()

    # -- what a subclass provides ---------------------------------------------------------------
    shape: tuple[int, ...]
    dtype: np.dtype

    def _concrete(self, what: str) -> NoReturn:
        """Raise the error for ``what`` (a conversion needing the value) on this traced value."""
        raise NotImplementedError

    def _handler_of(self, func: Callable) -> Callable | None:
        """The handler of NumPy function ``func`` for this kind of value, or None."""
        raise NotImplementedError

    def _unsupported_attribute(self, name: str) -> Exception:
        """The error for ndarray attribute ``name``, which this kind of value lacks."""
        raise NotImplementedError

    # -- abstract value ---------------------------------------------------------------------------
    ndim = property(lambda self: len(self.shape), doc="the number of axes")
    size = property(lambda self: math.prod(self.shape), doc="the number of elements")
    itemsize = property(lambda self: self.dtype.itemsize, doc="the bytes of one element")
    nbytes = property(lambda self: self.size * self.dtype.itemsize, doc="the bytes of all elements")
    T = property(lambda self: self.transpose(), doc="the axes reversed (a view)")

    # -- Python protocols -------------------------------------------------------------------------
    def __len__(self) -> int:
        if not self.shape:
            raise user_error(TypeError("len() of unsized object"))
        return self.shape[0]

    def __iter__(self):
        if not self.shape:
            raise user_error(TypeError("iteration over a 0-d array"))
        return (self[i] for i in range(self.shape[0]))

    def __bool__(self) -> bool:
        self._concrete("the truth value (if/while/and/or/bool())")

    def __int__(self) -> int:
        self._concrete("int()")

    def __float__(self) -> float:
        self._concrete("float()")

    def __complex__(self) -> complex:
        self._concrete("complex()")

    def __index__(self) -> int:
        self._concrete("use as an index or a size (operator.index: a Python list, tuple or range indexed by "
                       "it, or a shape such as np.ones(k))")

    def item(self, *args: Any) -> NoReturn:
        """ndarray.item: the value is not known while tracing (raises)."""
        self._concrete(".item()")

    def tolist(self) -> NoReturn:
        """ndarray.tolist: the values are not known while tracing (raises)."""
        self._concrete(".tolist()")

    def __hash__(self) -> int:
        raise user_error(TypeError("unhashable type: a traced array (like numpy.ndarray)"))

    def __getattr__(self, name: str) -> Any:
        if name in FUNCTION_METHODS:
            handler = self._handler_of(getattr(np, name))
            if handler is not None:  # ``x.cumsum(...)`` is ``np.cumsum(x, ...)``: the function's handler
                return lambda *args, **kwargs: handler(self, *args, **kwargs)
        if not name.startswith("_") and hasattr(np.ndarray, name):  # protocols probe dunders
            fallback = METHOD_FALLBACK.get("hook")  # (a host call: frontend/hostcall.py)
            method = fallback(self, name) if fallback is not None else None
            if method is not None:
                return method
            raise self._unsupported_attribute(name)
        raise user_error(AttributeError(f"'{type(self).__name__}' object has no attribute {name!r}"))

    # -- ndarray methods that are NumPy functions ---------------------------------------------------
    def _method(self, func: Callable, name: str) -> Callable:
        """The handler behind method ``name`` (NumPy function ``func``), or the error for it."""
        handler = self._handler_of(func)
        if handler is None:
            fallback = METHOD_FALLBACK.get("hook")
            method = fallback(self, name) if fallback is not None else None
            if method is not None:
                return lambda value, *args, **kwargs: method(*args, **kwargs)
            raise self._unsupported_attribute(name)
        return handler

    def reshape(self, *shape: Any, order: str = "C", copy: bool | None = None) -> ArrayLike:
        """ndarray.reshape: ``np.reshape`` (a view where NumPy's is one)."""
        return self._method(np.reshape, "reshape")(self, shape[0] if len(shape) == 1 else shape,
                                                   order=order, copy=copy)

    def transpose(self, *axes: Any) -> ArrayLike:
        """ndarray.transpose: ``np.transpose`` (a view)."""
        return self._method(np.transpose, "transpose")(self, axes[0] if len(axes) == 1 else (axes or None))

    def swapaxes(self, a: int, b: int) -> ArrayLike:
        """ndarray.swapaxes: ``np.swapaxes`` (a view)."""
        return self._method(np.swapaxes, "swapaxes")(self, a, b)

    def squeeze(self, axis: Any = None) -> ArrayLike:
        """ndarray.squeeze: ``np.squeeze`` (a view)."""
        return self._method(np.squeeze, "squeeze")(self, axis)

    def ravel(self, order: str = "C") -> ArrayLike:
        """ndarray.ravel: ``np.ravel`` (a view where NumPy's is one)."""
        return self._method(np.ravel, "ravel")(self, order)

    def astype(self, dtype: Any, order: str = "K", casting: str = "unsafe", subok: bool = True,
               copy: bool = True) -> ArrayLike:
        """ndarray.astype: ``np.astype`` (``order``, ``casting`` and ``subok`` as NumPy's defaults)."""
        return self._method(np.astype, "astype")(self, dtype, copy=copy)

    def clip(self, min: Any = None, max: Any = None, **kwargs: Any) -> ArrayLike:
        """ndarray.clip: ``np.clip``."""
        return self._method(np.clip, "clip")(self, min, max, **kwargs)

    def round(self, decimals: int = 0, out: Any = None) -> ArrayLike:
        """ndarray.round: ``np.round``."""
        return self._method(np.round, "round")(self, decimals, out)

    def dot(self, other: Any) -> ArrayLike:
        """ndarray.dot: ``np.dot``."""
        return self._method(np.dot, "dot")(self, other)

    # -- reductions (each the NumPy function's handler, so axes are handled in one place) -----------
    def sum(self, axis: Any = None, dtype: Any = None, out: Any = None, keepdims: bool = False,
            **kw: Any) -> ArrayLike:
        """ndarray.sum: ``np.sum``."""
        return self._method(np.sum, "sum")(self, axis, dtype, out, keepdims, **kw)

    def prod(self, axis: Any = None, dtype: Any = None, out: Any = None, keepdims: bool = False,
             **kw: Any) -> ArrayLike:
        """ndarray.prod: ``np.prod``."""
        return self._method(np.prod, "prod")(self, axis, dtype, out, keepdims, **kw)

    def mean(self, axis: Any = None, dtype: Any = None, out: Any = None, keepdims: bool = False,
             **kw: Any) -> ArrayLike:
        """ndarray.mean: ``np.mean``."""
        return self._method(np.mean, "mean")(self, axis, dtype, out, keepdims, **kw)

    def var(self, axis: Any = None, dtype: Any = None, out: Any = None, ddof: float = 0, keepdims: bool = False,
            **kw: Any) -> ArrayLike:
        """ndarray.var: ``np.var``."""
        return self._method(np.var, "var")(self, axis, dtype, out, ddof, keepdims, **kw)

    def std(self, axis: Any = None, dtype: Any = None, out: Any = None, ddof: float = 0, keepdims: bool = False,
            **kw: Any) -> ArrayLike:
        """ndarray.std: ``np.std``."""
        return self._method(np.std, "std")(self, axis, dtype, out, ddof, keepdims, **kw)

    def max(self, axis: Any = None, out: Any = None, keepdims: bool = False, **kw: Any) -> ArrayLike:
        """ndarray.max: ``np.max``."""
        return self._method(np.max, "max")(self, axis, out, keepdims, **kw)

    def min(self, axis: Any = None, out: Any = None, keepdims: bool = False, **kw: Any) -> ArrayLike:
        """ndarray.min: ``np.min``."""
        return self._method(np.min, "min")(self, axis, out, keepdims, **kw)

    def any(self, axis: Any = None, out: Any = None, keepdims: bool = False, **kw: Any) -> ArrayLike:
        """ndarray.any: ``np.any``."""
        return self._method(np.any, "any")(self, axis, out, keepdims, **kw)

    def all(self, axis: Any = None, out: Any = None, keepdims: bool = False, **kw: Any) -> ArrayLike:
        """ndarray.all: ``np.all``."""
        return self._method(np.all, "all")(self, axis, out, keepdims, **kw)

    def argmax(self, axis: Any = None, out: Any = None, keepdims: bool = False) -> ArrayLike:
        """ndarray.argmax: ``np.argmax``."""
        return self._method(np.argmax, "argmax")(self, axis, out, keepdims=keepdims)

    def argmin(self, axis: Any = None, out: Any = None, keepdims: bool = False) -> ArrayLike:
        """ndarray.argmin: ``np.argmin``."""
        return self._method(np.argmin, "argmin")(self, axis, out, keepdims=keepdims)


def is_traced(x: Any) -> bool:
    """Whether ``x`` is a traced array, real or complex."""
    return isinstance(x, ArrayLike)


def is_complex_value(x: Any) -> bool:
    """Whether ``x`` is a traced complex array (real tracers never have a complex dtype)."""
    return isinstance(x, ArrayLike) and x.dtype.kind == "c"


class ComplexSupport(Protocol):
    """Every question the real frontend asks about complex operands (the one hook)."""

    def takes_function(self, func: Callable, args: tuple, kwargs: dict) -> bool:
        """Whether NumPy function ``func`` on these arguments is complex support's to run."""

    def call_function(self, func: Callable, args: tuple, kwargs: dict) -> Any:
        """Run NumPy function ``func`` on arguments of which some are complex."""

    def takes_ufunc(self, inputs: tuple, dtype: Any) -> bool:
        """Whether a ufunc on ``inputs`` (into ``dtype``, None: promoted) is complex support's to run."""

    def call_ufunc(self, ufunc: np.ufunc, inputs: tuple, dtype: Any, loc: str | None, operator: bool) -> Any:
        """``ufunc(*inputs)`` where some input (or ``dtype``) is complex."""

    def from_real(self, x: Any, dtype: np.dtype) -> Any:
        """``x.astype(dtype)`` of a real tracer ``x`` to a complex ``dtype``."""

    def filled(self, trace: Any, shape: tuple, dtype: np.dtype, value: Any) -> Any:
        """A complex array of ``shape`` and ``dtype`` with every element ``value``."""

    def constant(self, trace: Any, value: np.ndarray | np.generic) -> Any:
        """A concrete complex array or scalar as a traced value of ``trace``."""

    def bind_argument(self, pairs: Any) -> Any:
        """The traced complex argument for the tracer of its float pair view (shape ``(..., 2)``)."""

    def result_pairs(self, value: Any) -> Any:
        """The float tracer of shape ``value.shape + (2,)`` a complex result is returned as."""

    def split(self, leaf: Any) -> tuple | None:
        """A complex leaf (traced or concrete) as its (real, imaginary) parts; None for others."""

    def join(self, re: Any, im: Any) -> Any:
        """The traced complex value of real tracers ``re`` and ``im``."""


_SUPPORT: list[ComplexSupport] = []  # the installed complex support (one)


def install_complex_support(support: ComplexSupport) -> None:
    """Install ``support`` as the hook the real frontend asks about complex operands."""
    _SUPPORT[:] = [support]


def complex_support() -> ComplexSupport:
    """The installed complex support (``tracejit/frontend/complex/``)."""
    if not _SUPPORT:
        raise RuntimeError("complex support is not installed: import tracejit.frontend.complex")
    return _SUPPORT[0]
