"""A range selection (``x[s:e]`` with bounds read from data, ``frontend/numpy/ranges.py``)
whose reductions loop over the range only.

A :class:`RangeSelection` keeps what each selected element is -- a *recipe*: a function
of a traced position ``k`` giving the element at ``k`` (``data[k]``, ``x[indices[k]]``,
``data[k] * x[indices[k]]``) -- instead of full-length values. Slicing, gathering through
it, elementwise ufuncs of range selections by the same bounds and scalars, and ``astype``
compose recipes (the dtype from NumPy's own resolution: ``ufunc.resolve_dtypes``). A
reduction over its first axis (sum, prod, max, min, any, all, mean, and ``@`` of two of
them) is a ``fori_loop`` from the clamped start to the clamped stop
(``frontend/control.py``) whose body evaluates the recipe at ``k``: it costs
O(stop - start), and a gather inside it is bounds-checked for the selected positions only.
Anything else evaluates the recipe at every position (``values``, the full-length arrays
of a plain :class:`Selection`, with gathers at unselected positions reading element 0)
and goes the mask way.
"""
from __future__ import annotations

from typing import Callable

import numpy as np
from numpy.typing import DTypeLike

from tracejit.errors import TracerConversionError, at
from tracejit.frontend import checks
from tracejit.frontend.context import current_trace, user_location
from tracejit.frontend.core import Tracer, run_time_int
from tracejit.frontend.numpy.elementwise import where
from tracejit.frontend.numpy.selection import Selection, data_dependent
from tracejit.frontend.numpy.selection_reduce import Axes, extreme_identity, float_dtype
from tracejit.frontend.operands import PY_SCALARS, is_tracer, python_kind

_INT64 = np.dtype(np.int64)
_IOTAS: dict[int, np.ndarray] = {}  # one array object per length: one constant node per trace
_LOOPED = {"sum": np.add, "prod": np.multiply, "max": np.maximum, "min": np.minimum,
           "any": np.logical_or, "all": np.logical_and}
_ACCUMULATION = {"sum": 0, "prod": 1, "any": False, "all": True}


def iota(trace: object, n: int) -> Tracer:
    """``arange(n)`` (int64) as a constant of ``trace`` (one node per length)."""
    line = _IOTAS.get(n)
    if line is None:
        line = _IOTAS[n] = np.arange(n, dtype=np.int64)
        line.flags.writeable = False
    return Tracer(trace, trace.constant(line))


def range_mask(trace: object, n: int, bounds: tuple) -> object:
    """``start <= arange(n) < stop`` for normalized ``bounds``."""
    line = iota(trace, n)
    return np.logical_and(np.greater_equal(line, bounds[0]), np.less(line, bounds[1]))


class RangeSelection(Selection):
    """A selection of the positions ``[start, stop)`` of a first axis of length ``n``, each
    element given by ``recipe(k)`` (``k`` a traced int64 position, or None: all positions)."""

    def __init__(self, n: int, bounds: tuple, recipe: Callable, dtype: np.dtype, trailing: tuple):
        self.n, self.bounds, self.recipe = n, bounds, recipe
        self._dtype, self.trailing = np.dtype(dtype), tuple(trailing)
        self._cache: tuple = (None, None, None)  # (trace, mask, values) last evaluated
        self._home = current_trace()  # (where it is evaluated once no trace is active: returned)

    dtype = property(lambda self: self._dtype)

    def _evaluated(self, which: int) -> object:
        """The mask (0) or the values (1), evaluated in the current trace (once per trace)."""
        trace = current_trace() or self._home
        if self._cache[0] is not trace:
            self._cache = (trace, None, None)
        if self._cache[1 + which] is None:
            made = range_mask(trace, self.n, self.bounds) if which == 0 else self.recipe(None)
            self._cache = (trace, made, self._cache[2]) if which == 0 else (trace, self._cache[1], made)
        return self._cache[1 + which]

    @property
    def mask(self) -> object:
        """The range mask over the whole first axis (evaluated in the current trace)."""
        return self._evaluated(0)

    key = mask
    mask_shape = property(lambda self: (self.n,))

    @property
    def values(self) -> object:
        """The elements at every position (evaluated in the current trace)."""
        return self._evaluated(1)

    def refuse(self, what: str, loc: str | None) -> Exception:
        """A TracerConversionError (its length is a traced value: a loop over ranges whose
        bounds come from its index may be generalized or unrolled instead)."""
        return data_dependent(what, loc, TracerConversionError)

    def axis_length(self) -> Tracer:
        """The first axis's length as the code reads it at run time (``core.run_time_int``)."""
        return run_time_int(current_trace() or self._home, self.n)

    def _count(self):
        start, stop = (np.clip(b, 0, self.axis_length()) for b in self.bounds)
        return np.maximum(np.subtract(stop, start), 0)

    def derived(self, recipe: Callable, dtype: DTypeLike, trailing: tuple) -> "RangeSelection":
        """A range selection by the same bounds with elements ``recipe(k)``."""
        return RangeSelection(self.n, self.bounds, recipe, dtype, trailing)

    def __getitem__(self, key):
        """``sel[::-1]``: the range reversed (``a[:k] = a[:k][::-1]``), a new recipe; other keys refused."""
        if not (isinstance(key, slice) and key == slice(None, None, -1)):
            return super().__getitem__(key)
        start, stop = (np.clip(b, 0, self.axis_length()) for b in self.bounds)
        last = np.subtract(np.add(start, stop), 1)  # the position k's element comes from: last - k

        def recipe(k):
            if k is not None:
                return self.recipe(np.subtract(last, k))  # (k in the range: so is last - k)
            values = self.values
            trace = current_trace() or self._home
            positions = np.clip(np.subtract(last, iota(trace, self.n)), 0, self.n - 1)
            flipped = trace.apply("gather", [values, positions], {"axis": 0})
            mask = self.mask.reshape((self.n,) + (1,) * len(self.trailing))
            return where(mask, flipped, values)
        return self.derived(recipe, self.dtype, self.trailing)

    # -- elementwise: composed recipes -----------------------------------------------------------
    def __array_ufunc__(self, ufunc, method, *inputs, out=None, **kwargs):
        lazy = method == "__call__" and out is None and not kwargs and ufunc.nout == 1 and ufunc.signature is None
        if lazy and all(_lazy_operand(self, v) for v in inputs):
            try:
                dtype = ufunc.resolve_dtypes(tuple(_dtype_of(v) for v in inputs) + (None,))[-1]
            except (TypeError, ValueError):  # no loop for these dtypes: the mask way raises NumPy's error
                dtype = None
            if dtype is not None:
                def recipe(k, ufunc=ufunc, inputs=inputs):
                    return ufunc(*(v.recipe(k) if isinstance(v, RangeSelection) else v for v in inputs))
                return self.derived(recipe, dtype, self.trailing)
        return super().__array_ufunc__(ufunc, method, *inputs, out=out, **kwargs)

    def astype(self, dtype: DTypeLike, order: str | None = "K", casting: str = "unsafe", subok: bool = True,
               copy: bool | None = True) -> object:
        """``ndarray.astype`` of the selected elements (a new recipe)."""
        return self.derived(lambda k: self.recipe(k).astype(dtype), dtype, self.trailing)

    # -- reductions over the range: loops from start to stop -----------------------------------
    def _looped(self, name: str, axis, dtype: DTypeLike, keepdims: bool, out, kwargs, loc):
        """The reduction ``name`` over ``axis`` as a loop over the range, or None (the mask way)."""
        if out is not None or kwargs:
            return None
        axes = Axes(self, axis, loc)
        if not axes.lead:
            return None
        if name in ("max", "min"):
            dt = self.dtype
            init = extreme_identity(dt, name == "max")
            checks.record(np.equal(self._count(), 0), ValueError,
                          f"zero-size array to reduction operation {'maximum' if name == 'max' else 'minimum'} "
                          f"which has no identity{at(loc)}")
        elif name in ("any", "all"):
            dt, init = np.dtype(np.bool_), _ACCUMULATION[name]
        else:
            dt, init = np.sum(np.zeros(0, self.dtype), dtype=dtype).dtype, _ACCUMULATION[name]
        combine = _LOOPED[name]
        start, stop = (np.clip(b, 0, self.axis_length()) for b in self.bounds)

        def step(k, acc):
            element = self.recipe(k)
            return combine(acc, element if name in ("max", "min") else element.astype(dt)).astype(dt)

        # control -> controlwrites -> numpy.writes runs this package's __init__, which imports
        # this module: control's loops build on the handlers, and this reduction on the loops
        from tracejit.frontend.control import fori_loop  # noqa: PLC0415 - the cycle above

        total = fori_loop(start, stop, step, np.full(self.trailing, init, dt))
        rest = tuple(a - 1 for a in axes.logical if a)
        if rest:
            total = {"any": np.any, "all": np.all, "max": np.max, "min": np.min, "sum": np.sum,
                     "prod": np.prod}[name](total, axis=rest, **({"dtype": dt} if name in ("sum", "prod") else {}))
        return _scalar_if_0d(axes.finish(self, total, keepdims))

    def sum(self, axis: int | tuple[int, ...] | None = None, dtype: DTypeLike = None, out: object = None,
            keepdims: bool = False, **kwargs: object) -> object:
        """``ndarray.sum`` of the selected elements: a loop over the range."""
        result = self._looped("sum", axis, dtype, keepdims, out, kwargs, user_location())
        return super().sum(axis, dtype, out, keepdims, **kwargs) if result is None else result

    def prod(self, axis: int | tuple[int, ...] | None = None, dtype: DTypeLike = None, out: object = None,
             keepdims: bool = False, **kwargs: object) -> object:
        """``ndarray.prod`` of the selected elements: a loop over the range."""
        result = self._looped("prod", axis, dtype, keepdims, out, kwargs, user_location())
        return super().prod(axis, dtype, out, keepdims, **kwargs) if result is None else result

    def max(self, axis: int | tuple[int, ...] | None = None, out: object = None, keepdims: bool = False,
            **kwargs: object) -> object:
        """``ndarray.max`` of the selected elements: a loop over the range."""
        result = self._looped("max", axis, None, keepdims, out, kwargs, user_location())
        return super().max(axis, out, keepdims, **kwargs) if result is None else result

    def min(self, axis: int | tuple[int, ...] | None = None, out: object = None, keepdims: bool = False,
            **kwargs: object) -> object:
        """``ndarray.min`` of the selected elements: a loop over the range."""
        result = self._looped("min", axis, None, keepdims, out, kwargs, user_location())
        return super().min(axis, out, keepdims, **kwargs) if result is None else result

    def any(self, axis: int | tuple[int, ...] | None = None, out: object = None, keepdims: bool = False,
            **kwargs: object) -> object:
        """``ndarray.any`` of the selected elements: a loop over the range."""
        result = self._looped("any", axis, None, keepdims, out, kwargs, user_location())
        return super().any(axis, out, keepdims, **kwargs) if result is None else result

    def all(self, axis: int | tuple[int, ...] | None = None, out: object = None, keepdims: bool = False,
            **kwargs: object) -> object:
        """``ndarray.all`` of the selected elements: a loop over the range."""
        result = self._looped("all", axis, None, keepdims, out, kwargs, user_location())
        return super().all(axis, out, keepdims, **kwargs) if result is None else result

    def mean(self, axis: int | tuple[int, ...] | None = None, dtype: DTypeLike = None, out: object = None,
             keepdims: bool = False, **kwargs: object) -> object:
        """NumPy's mean of the selected elements: a summing loop over the range, over the count."""
        loc = user_location()
        dt = float_dtype(self, dtype)
        total = self._looped("sum", axis, dt, keepdims, out, kwargs, loc)
        if total is None:
            return super().mean(axis, dtype, out, keepdims, **kwargs)
        axes = Axes(self, axis, loc)
        count = np.multiply(self._count(), axes.trailing).astype(dt)
        return _scalar_if_0d(np.true_divide(total, count).astype(dt))


def _scalar_if_0d(result: object) -> object:
    """A 0-d result of a reduction is a NumPy scalar, as NumPy's reductions give."""
    if is_tracer(result) and result.ndim == 0:
        result._scalar = True
    return result


def _lazy_operand(sel: RangeSelection, v: object) -> bool:
    """Whether ``v`` composes into a recipe with ``sel``: a range selection by the same
    bounds and trailing dims, or a scalar."""
    if isinstance(v, RangeSelection):
        return v.matches(sel) and v.trailing == sel.trailing
    if isinstance(v, Selection):
        return False
    return isinstance(v, PY_SCALARS) or ((is_tracer(v) or isinstance(v, (np.ndarray, np.generic))) and np.ndim(v) == 0)


def _dtype_of(v: object) -> object:
    """What ``ufunc.resolve_dtypes`` takes for operand ``v`` (a Python type for a Python number)."""
    kind = python_kind(v)
    if kind is int or kind is float:
        return kind
    if kind is bool:
        return np.dtype(np.bool_)
    return v.dtype


def slice_recipe(base: Tracer) -> Callable:
    """The recipe of ``base[s:e]``: the element at ``k``, or all of ``base``."""
    def recipe(k):
        if k is None:
            return base
        return base._trace.apply("gather", [base, k], {"axis": 0})  # (k is in [0, n): no check)
    return recipe


def gather_recipe(x: Tracer, index: RangeSelection, loc: str | None, getitem: Callable) -> Callable:
    """The recipe of ``x[index]``: ``x`` gathered at the index's element at ``k`` (checked),
    or at every selected one (element 0 at the others)."""
    def recipe(k):
        positions = index.recipe(k)
        if k is None:
            positions = where(index.mask, positions, np.zeros((), positions.dtype))
        return getitem(x, positions)
    return recipe


def lazy_gather(x: Tracer, index: RangeSelection, loc: str | None, getitem: Callable) -> RangeSelection:
    """``x[index]`` for a range selection of integers: a new recipe."""
    if index.dtype.kind not in "iu" or index.ndim != 1:
        raise index.refuse(f"indexing with a selection of {index.ndim} dims of {index.dtype}", loc)
    return index.derived(gather_recipe(x, index, loc, getitem), x.dtype, tuple(x.shape[1:]))

