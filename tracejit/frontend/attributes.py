"""What real and complex traced values share: ``np.shape``/``np.ndim``/``np.size``
(attributes only; registered by ``numpy/shape.py`` and ``complex/functions.py``), the
decorator filling a table of NumPy-function handlers and the Python operators as ufunc
calls (``len()``, iteration and conversions: ``arraylike.py``)."""
from __future__ import annotations

import math
import operator

import numpy as np


def shape(a: object) -> object:
    """``np.shape`` of a traced value: its shape."""
    return a.shape


def ndim(a: object) -> object:
    """``np.ndim`` of a traced value: its number of dimensions."""
    return a.ndim


def size(a: object, axis: int | tuple[int, ...] | None = None) -> object:
    """``np.size`` of a traced value: its number of elements (along ``axis``: the product of those)."""
    if axis is None:
        return a.size
    axes = axis if isinstance(axis, tuple) else (operator.index(axis),)  # NumPy's own errors below
    return math.prod(a.shape[ax] for ax in np.lib.array_utils.normalize_axis_tuple(axes, a.ndim))


def registrar(handlers: dict) -> object:
    """``implements(*numpy_functions)``: a decorator registering its function in
    ``handlers`` as the handler of each NumPy function (real and complex dispatch tables)."""
    def implements(*numpy_functions):
        def deco(handler):
            for f in numpy_functions:
                handlers[f] = handler
            return handler
        return deco
    return implements


ARITHMETIC = (("add", np.add), ("sub", np.subtract), ("mul", np.multiply), ("truediv", np.true_divide),
              ("floordiv", np.floor_divide), ("mod", np.remainder))
COMPARISONS = (("eq", np.equal), ("ne", np.not_equal), ("lt", np.less), ("le", np.less_equal),
               ("gt", np.greater), ("ge", np.greater_equal))


def install_operators(cls: type, apply: object, binary: object = ARITHMETIC) -> None:
    """``cls``'s binary operators as ufunc calls ``apply(ufunc, operands)``: ``binary``
    with their reflected and in-place forms (in place through ``self._inplace``), and
    the comparisons."""
    def call(ufunc, reflected: bool = False):
        if reflected:
            return lambda self, other: apply(ufunc, (other, self))
        return lambda self, other: apply(ufunc, (self, other))

    for name, ufunc in binary:
        setattr(cls, f"__{name}__", call(ufunc))
        setattr(cls, f"__r{name}__", call(ufunc, reflected=True))
        setattr(cls, f"__i{name}__", (lambda uf: lambda self, other: self._inplace(uf, other))(ufunc))
    for name, ufunc in COMPARISONS:
        setattr(cls, f"__{name}__", call(ufunc))
