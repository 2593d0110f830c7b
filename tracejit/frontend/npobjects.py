"""NumPy objects converted code sees in place of the real ones, where NumPy's own would ask a
traced value for a concrete array (real-world code: ``np.vectorize(f)(x)``, ``np.r_[True, d != 0]``,
``np.c_[x, y]``, ``np.prod([e[1] - e[0] for e in edges])``).

- :class:`Vectorize`: ``np.vectorize`` (a class; also as a decorator). Called on traced values,
  the real vectorized function runs as a host call (``frontend/hostcall.py``): the user's scalar
  function is Python run per element, as eagerly; elsewhere it is NumPy's own object.
- :class:`Concatenator`: ``np.r_``/``np.c_`` indexed by traced arrays and numbers: NumPy's
  rules (``AxisConcatenator``: every item made at least 1-d (``r_``) or 2-d with 1-d items as
  columns (``c_``), the common dtype of the arrays' dtypes and the scalars' values, then one
  ``concatenate``) traced natively; slices and string directives with traced items run NumPy's
  own object as a host call.
- :func:`retrying`: a NumPy function called with a list or tuple holding traced values where it
  wants one array (``np.prod([a, b])``, ``np.mean([x.min(), x.max()])``): NumPy converts the list
  with ``asarray``, which tracing refuses; the call is repeated with such lists converted as
  ``np.asarray`` converts them in converted code (``frontend/arrayconv.py``). ``np.concatenate``,
  ``np.stack`` & co. take their lists through ``__array_function__`` and never get there.
"""
from __future__ import annotations

import functools
import operator
from typing import Any, Callable

import numpy as np

from tracejit.errors import TracerConversionError
from tracejit.frontend import arrayconv
from tracejit.frontend.arraylike import is_traced
from tracejit.frontend.context import current_trace
from tracejit.frontend.hostcall import host_call
from tracejit.frontend.pybuiltins import isscalar
from tracejit.frontend.refusals import forget_refused

_SCALARS = (bool, int, float, complex, np.generic)


class Vectorize:
    """``np.vectorize`` as converted code sees it (see the module docstring)."""

    def __init__(self, pyfunc: Any = np._NoValue, *args: Any, **kwargs: Any):
        self._args, self._kwargs = args, kwargs
        pyfunc = getattr(pyfunc, "__tj_original__", pyfunc)  # (the user's own function, not its converted copy)
        self._real = None if pyfunc is np._NoValue else np.vectorize(pyfunc, *args, **kwargs)

    @classmethod
    def of(cls, real: np.vectorize) -> Vectorize:
        """The stand-in of a ``np.vectorize`` object the user made outside (``@np.vectorize`` on a global)."""
        made = cls()
        made._real = real
        return made

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """The vectorized function's call (a host call on traced values)."""
        if self._real is None:  # @np.vectorize(otypes=[float]) def f(...): the decorator's call
            return Vectorize(args[0], *self._args, **self._kwargs)
        if current_trace() is not None and any(arrayconv.holds_traced(a) for a in (*args, *kwargs.values())):
            return host_call(self._real, args, kwargs, "np.vectorize runs a Python function per element",
                             "numpy.vectorize")
        return self._real(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


class Concatenator:
    """``np.r_`` (``columns=False``) or ``np.c_`` as converted code sees it (see the module docstring)."""

    def __init__(self, real: Any, columns: bool):
        self._real, self._columns = real, columns

    def __getitem__(self, key: Any) -> Any:
        items = key if isinstance(key, tuple) else (key,)
        if current_trace() is None or not any(arrayconv.holds_traced(v) for v in items):
            return self._real[key]
        if any(isinstance(v, (slice, str, list, tuple)) for v in items):
            return host_call(operator.getitem, (self._real, key), {}, "np.r_/np.c_ with slices or directives",
                             "numpy.r_" if not self._columns else "numpy.c_")
        kinds, arrays = [], []
        for v in items:
            if isinstance(v, _SCALARS) and not is_traced(v):
                kinds.append(v)
                arrays.append(np.asarray(v))
            else:
                v = v if is_traced(v) else np.asarray(v)
                kinds.append(v.dtype)
                arrays.append(v)
        dtype = np.result_type(*kinds)
        shaped = [self._shaped(a.astype(dtype) if a.dtype != dtype else a) for a in arrays]
        return np.concatenate(shaped, axis=-1 if self._columns else 0)

    def _shaped(self, a: Any) -> Any:
        if not self._columns:
            return np.reshape(a, (1,)) if np.ndim(a) == 0 else a
        return np.reshape(a, (1, 1)) if np.ndim(a) == 0 else np.reshape(a, (-1, 1)) if np.ndim(a) == 1 else a


def retrying(func: Callable) -> Callable:
    """``func`` (a NumPy function), its list arguments holding traced values converted as
    ``np.asarray`` converts them where NumPy's own conversion refuses them."""

    @functools.wraps(func)
    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except TracerConversionError:
            lists = [isinstance(a, (list, tuple)) and arrayconv.holds_traced(a) for a in args]
            if current_trace() is None or not any(lists):
                raise
        forget_refused()
        args = tuple(arrayconv.asarray(a) if is_list else a for a, is_list in zip(args, lists))
        return func(*args, **kwargs)

    return call


OBJECTS = {"vectorize": Vectorize, "r_": Concatenator(np.r_, False), "c_": Concatenator(np.c_, True),
           "isscalar": isscalar}  # (np.isscalar of a traced value: of eager's, frontend/pybuiltins.py)
BY_ORIGINAL = {id(np.vectorize): Vectorize, id(np.r_): OBJECTS["r_"], id(np.c_): OBJECTS["c_"],
               id(np.isscalar): isscalar}
