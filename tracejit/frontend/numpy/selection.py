"""Boolean selections: ``x[mask]``, ``np.nonzero``, ``np.where(cond)``, ``np.argwhere``
and ``np.flatnonzero``, whose length is the number of True elements: known only when
the function runs.

A :class:`Selection` is lazy: the full-shaped ``values`` it selects from and the
``mask`` (``x``'s shape, or a leading part of it), both traced with static shapes.
What it supports is what needs no static length:

* elementwise ufuncs with scalars or selections by the same mask (a new selection);
* ``np.where``/``np.clip``/``astype``/``copy`` of them (a new selection);
* reductions: sum, prod, mean, var, std, max, min, any, all (``np.sum(x[m])`` too), of all
  the elements or along axes (``X[m].mean(axis=0)``, keepdims), each a reduction of
  ``where(mask, values, identity)`` in the compiled program (``selection_reduce.py``); mean
  divides by the traced count; max/min of an empty selection raise ValueError after
  the call, as NumPy does (``frontend/checks.py``); ``.size`` and ``len()`` (through
  ``frontend/pybuiltins.py``) are traced counts;
* assignment back through the same mask (``x[m] = f(x[m])``, ``x[m] += 1``), compiled
  as ``where(mask, f(x), x)``;
* being returned: values and mask are computed by the compiled program and the
  runtime compacts ``values[mask]`` with NumPy after the call (one pass over them).

Everything that needs the length (``x[m] + y`` for an array ``y``, reshape, ``len()``
called directly, not through converted code) raises UnsupportedError naming the user's line.
"""
from __future__ import annotations

import math
from typing import NoReturn

import numpy as np
from numpy.typing import DTypeLike

from tracejit.errors import UnsupportedError, at, user_error
from tracejit.frontend.context import user_location
from tracejit.frontend.core import Tracer
from tracejit.frontend.dispatch import implements
from tracejit.frontend.numpy import selection_reduce
from tracejit.frontend.numpy.elementwise import where
from tracejit.frontend.numpy.shape import broadcast_to, reshape, stack
from tracejit.frontend.numpy.writes import cast_assigned, write
from tracejit.frontend.operands import PY_SCALARS, Operand, is_tracer

_SUPPORTED = ("reduce it (sum, mean, var, std, max, min, prod, any, all, .size), index it by one integer, "
              "combine it elementwise with "
              "scalars or selections by the same mask, assign it back through the same mask, or "
              "return it")


def data_dependent(what: str, loc: str | None, error: type = UnsupportedError) -> Exception:
    """The error for a use of a selection that needs its (data-dependent) length."""
    return error(f"{what}: a boolean selection (x[mask], np.nonzero, one-argument "
                            f"np.where, np.argwhere, np.flatnonzero) has a data-dependent size; "
                            f"{_SUPPORTED}{at(loc)}")


class Selection(np.lib.mixins.NDArrayOperatorsMixin):
    """``values[mask]`` with its length known only at run time (see the module docstring)."""

    __array_priority__ = 2000
    prefix = 0  # the selection starts with this many elements always selected, the rest a prefix (bincount)

    def __init__(self, values: object, mask: object, key: object = None, bounds: tuple | None = None):
        self.values, self.mask = values, mask
        self.bounds = bounds  # a range's (start, stop), normalized (``frontend/numpy/ranges.py``), else None
        self.key = mask if key is None else key  # the mask as indexed with (0-d: ``mask`` is it as (1,))
        self.trailing = tuple(values.shape[mask.ndim:])  # dims each selected element keeps

    # -- what is static ------------------------------------------------------------------------
    dtype = property(lambda self: self.values.dtype)
    ndim = property(lambda self: 1 + len(self.trailing))
    mask_shape = property(lambda self: tuple(self.mask.shape))

    @property
    def shape(self) -> NoReturn:
        """Refused: a selection's length depends on the data."""
        raise self.refuse("its shape", user_location())

    @property
    def size(self) -> object:
        """The number of selected elements, traced: a Python int, as NumPy's ``.size`` (weak
        in NumPy's promotion: ``x[m].size - a`` keeps ``a``'s dtype)."""
        count = np.multiply(self._count(), math.prod(self.trailing))
        count._weak = int
        return count

    def refuse(self, what: str, loc: str | None) -> Exception:
        """The error for a use of this selection that needs its length."""
        return data_dependent(what, loc)

    def length(self) -> object:
        """The number of selected elements along the first axis (what ``len()`` gives), traced."""
        return self._count()

    def __len__(self):
        raise self.refuse("len() (it must be a Python int; use .size for a traced count)", user_location())

    def __iter__(self):
        raise self.refuse("iteration", user_location())

    def __array__(self, dtype=None, copy=None):
        raise self.refuse("using it as an array operand", user_location())

    def __bool__(self):
        raise self.refuse("its truth value", user_location())

    def __getitem__(self, key):
        loc = user_location()
        if isinstance(key, tuple) and len(key) == 1:
            key = key[0]
        if isinstance(key, (int, np.integer)) and not isinstance(key, (bool, np.bool_)) \
                or is_tracer(key) and key.ndim == 0 and key.dtype.kind in "iu":
            return selection_reduce.element(self, key, loc)  # one element (row): a static shape
        if isinstance(key, slice) and key.start in (None, 0) and key.step in (None, 1) \
                and isinstance(key.stop, (int, np.integer)) and 0 <= key.stop <= self.prefix:
            return self.values[:key.stop]  # (np.bincount(i, minlength=n)[:n]: always its first n counts)
        raise self.refuse("indexing it other than by one integer", loc)

    def __setitem__(self, key, value):
        raise self.refuse("assigning into it (assign through the mask: x[mask] = ...)", user_location())

    def __getattr__(self, name):
        if not name.startswith("_") and hasattr(np.ndarray, name):
            raise self.refuse(f".{name}", user_location())
        raise user_error(AttributeError(f"'Selection' object has no attribute {name!r}"))

    def __repr__(self) -> str:
        return f"Selection<{self.values.dtype}, {self.mask.shape} mask>"

    def like(self, values: object) -> "Selection":
        """A selection of ``values`` by the same mask."""
        return Selection(values, self.mask, self.key, self.bounds)

    def matches(self, other: "Selection") -> bool:
        """Whether ``other`` selects by the same mask (or range) as this selection."""
        if self.bounds is not None and other.bounds is not None:
            return self.mask_shape == other.mask_shape and self.matches_bounds(other.bounds)
        return _same(other.mask, self.mask)

    def matches_bounds(self, bounds: tuple) -> bool:
        """Whether a range by ``bounds`` (normalized) selects what this range selection does."""
        return self.bounds is not None and all(_same(a, b, 16) for a, b in zip(self.bounds, bounds))

    # -- elementwise -----------------------------------------------------------------------------
    def _operand(self, v, loc):
        if isinstance(v, Selection):
            if not self.matches(v) or v.values.shape != self.values.shape:
                raise self.refuse("combining selections by different masks", loc)
            return v.values
        if isinstance(v, PY_SCALARS) or (is_tracer(v) or isinstance(v, (np.ndarray, np.generic))) and np.ndim(v) == 0:
            return v
        raise self.refuse(f"combining it with an array of shape {np.shape(v)}", loc)

    def __array_ufunc__(self, ufunc, method, *inputs, out=None, **kwargs):
        loc = user_location()
        if method == "reduce" and len(inputs) == 1 and inputs[0] is self and ufunc.__name__ in _UFUNC_REDUCTIONS:
            return getattr(self, _UFUNC_REDUCTIONS[ufunc.__name__])(out=out, **kwargs)
        if ufunc is np.matmul and method == "__call__" and len(inputs) == 2 and out is None and not kwargs \
                and all(isinstance(v, Selection) for v in inputs):
            return selection_reduce.dot(inputs[0], inputs[1], loc)
        if method != "__call__" or ufunc.signature is not None:  # matmul is a generalized ufunc
            raise self.refuse(f"numpy.{ufunc.__name__}.{method}", loc)
        if out is not None and not (len(out) == 1 and out[0] is self):  # x[m] += 1: a new selection
            raise self.refuse(f"numpy.{ufunc.__name__} with out=", loc)
        result = ufunc(*(self._operand(v, loc) for v in inputs), **kwargs)
        if out is not None and not isinstance(result, tuple) and result.dtype != self.dtype:
            casting = kwargs.get("casting", "same_kind")  # x[m] += v: stored in x[m]'s dtype
            if not np.can_cast(result.dtype, self.dtype, casting):
                raise user_error(TypeError(f"Cannot cast ufunc '{ufunc.__name__}' output from {result.dtype!r} "
                                           f"to {self.dtype!r} with casting rule {casting!r}{at(loc)}"))
            result = result.astype(self.dtype)
        if isinstance(result, tuple):
            return tuple(self.like(r) for r in result)
        return self.like(result)

    def __array_function__(self, func, types, args, kwargs):
        loc = user_location()
        if func is np.where and len(args) == 3 and not kwargs:  # selections by one mask, scalars
            return next(a for a in args if isinstance(a, Selection)).where(*args)
        if func in (np.dot, np.inner, np.vdot) and len(args) == 2 and not kwargs \
                and all(isinstance(a, Selection) and a.ndim == 1 for a in args):
            return selection_reduce.dot(args[0], args[1], loc)
        name = _FUNCTIONS.get(func)
        if name is None or not args or args[0] is not self or any(isinstance(a, Selection) for a in args[1:]):
            raise self.refuse(f"numpy.{func.__name__}", loc)
        return getattr(self, name)(*args[1:], **kwargs)

    # -- reductions ----------------------------------------------------------------------------------
    def _mask(self):
        """The mask broadcastable against ``values``."""
        m = self.mask
        return reshape(m, m.shape + (1,) * len(self.trailing)) if self.trailing else m

    def filled(self, identity: object) -> object:
        """The values, with ``identity`` where the mask does not select."""
        fill = np.array(identity).astype(self.values.dtype)
        return where(self._mask(), self.values, fill)

    def _count(self):
        if self.bounds is not None:  # a range: its length from its bounds
            n = self.mask.shape[0]
            start, stop = (np.clip(b, 0, n) for b in self.bounds)
            return np.maximum(np.subtract(stop, start), 0)
        return np.sum(self.mask)

    def _args(self, name, out, kwargs, loc):
        if out is not None or kwargs:
            raise UnsupportedError(f"{name} of a boolean selection: out= and keywords other than axis, dtype, "
                                   f"keepdims (and ddof) are not supported{at(loc)}")

    def sum(self, axis: int | tuple[int, ...] | None = None, dtype: DTypeLike = None, out: object = None,
            keepdims: bool = False, **kwargs: object) -> object:
        """``ndarray.sum`` of the selected elements, as NumPy computes it on ``x[mask]``."""
        loc = user_location()
        self._args("sum", out, kwargs, loc)
        return selection_reduce.reduce_plain(self, "sum", axis, keepdims, loc, dtype=dtype)

    def prod(self, axis: int | tuple[int, ...] | None = None, dtype: DTypeLike = None, out: object = None,
             keepdims: bool = False, **kwargs: object) -> object:
        """``ndarray.prod`` of the selected elements, as NumPy computes it on ``x[mask]``."""
        loc = user_location()
        self._args("prod", out, kwargs, loc)
        return selection_reduce.reduce_plain(self, "prod", axis, keepdims, loc, dtype=dtype)

    def any(self, axis: int | tuple[int, ...] | None = None, out: object = None, keepdims: bool = False,
            **kwargs: object) -> object:
        """``ndarray.any`` of the selected elements, as NumPy computes it on ``x[mask]``."""
        loc = user_location()
        self._args("any", out, kwargs, loc)
        return selection_reduce.reduce_plain(self, "any", axis, keepdims, loc)

    def all(self, axis: int | tuple[int, ...] | None = None, out: object = None, keepdims: bool = False,
            **kwargs: object) -> object:
        """``ndarray.all`` of the selected elements, as NumPy computes it on ``x[mask]``."""
        loc = user_location()
        self._args("all", out, kwargs, loc)
        return selection_reduce.reduce_plain(self, "all", axis, keepdims, loc)

    def max(self, axis: int | tuple[int, ...] | None = None, out: object = None, keepdims: bool = False,
            **kwargs: object) -> object:
        """``ndarray.max`` of the selected elements, as NumPy computes it on ``x[mask]``."""
        loc = user_location()
        self._args("max", out, kwargs, loc)
        return selection_reduce.reduce_plain(self, "max", axis, keepdims, loc)

    def min(self, axis: int | tuple[int, ...] | None = None, out: object = None, keepdims: bool = False,
            **kwargs: object) -> object:
        """``ndarray.min`` of the selected elements, as NumPy computes it on ``x[mask]``."""
        loc = user_location()
        self._args("min", out, kwargs, loc)
        return selection_reduce.reduce_plain(self, "min", axis, keepdims, loc)

    def argmax(self, axis: int | None = None, out: object = None, *, keepdims: bool = False) -> object:
        """``ndarray.argmax`` of the selected elements: the index in the selection."""
        loc = user_location()
        self._args("argmax", out, {}, loc)
        return selection_reduce.arg_extreme(self, "argmax", axis, keepdims, loc)

    def argmin(self, axis: int | None = None, out: object = None, *, keepdims: bool = False) -> object:
        """``ndarray.argmin`` of the selected elements: the index in the selection."""
        loc = user_location()
        self._args("argmin", out, {}, loc)
        return selection_reduce.arg_extreme(self, "argmin", axis, keepdims, loc)

    def mean(self, axis: int | tuple[int, ...] | None = None, dtype: DTypeLike = None, out: object = None,
             keepdims: bool = False, **kwargs: object) -> object:
        """NumPy's mean: the sum (in float64 for integers and bools) over the count."""
        loc = user_location()
        self._args("mean", out, kwargs, loc)
        return selection_reduce.mean(self, axis, dtype, keepdims, loc)

    def median(self, axis: int | tuple[int, ...] | None = None, out: object = None, overwrite_input: bool = False,
               keepdims: bool = False) -> object:
        """``np.median`` of all the selected elements (of a 1-d selection: ``axis=0`` too)."""
        loc = user_location()
        if out is not None or keepdims or not (axis is None or self.ndim == 1 and axis in (0, -1)):
            raise self.refuse("numpy.median with axis, out or keepdims", loc)
        return selection_reduce.median(self, loc)

    def var(self, axis: int | tuple[int, ...] | None = None, dtype: DTypeLike = None, out: object = None,
            ddof: int = 0, keepdims: bool = False, **kwargs: object) -> object:
        """NumPy's var: the mean of squared deviations from the mean, over ``count - ddof``."""
        loc = user_location()
        self._args("var", out, kwargs, loc)
        return selection_reduce.var(self, axis, dtype, ddof, keepdims, loc)

    def std(self, axis: int | tuple[int, ...] | None = None, dtype: DTypeLike = None, out: object = None,
            ddof: int = 0, keepdims: bool = False, **kwargs: object) -> object:
        """``ndarray.std`` of the selected elements, as NumPy computes it on ``x[mask]``."""
        return np.sqrt(self.var(axis, dtype, out, ddof, keepdims, **kwargs))

    def astype(self, dtype: DTypeLike, order: str | None = "K", casting: str = "unsafe", subok: bool = True,
               copy: bool | None = True) -> object:
        """``ndarray.astype`` of the selected elements, as NumPy computes it on ``x[mask]``."""
        return self.like(self.values.astype(dtype))

    def copy(self, order: str | None = "C") -> object:
        """``ndarray.copy`` of the selected elements, as NumPy computes it on ``x[mask]``."""
        return self.like(self.values.copy())

    def where(self, condition: Operand, x: Operand, y: Operand) -> object:
        """``np.where`` of selections by the same mask and scalars: a selection."""
        loc = user_location()
        return self.like(where(*(self._operand(v, loc) for v in (condition, x, y))))

    def clip(self, a_min: Operand = None, a_max: Operand = None, **kwargs: object) -> object:
        """``ndarray.clip`` of the selected elements, as NumPy computes it on ``x[mask]``."""
        loc = user_location()
        bounds = [None if v is None else self._operand(v, loc) for v in (a_min, a_max)]
        return self.like(np.clip(self.values, *bounds, **kwargs))

    def count(self) -> object:
        """The number of selected elements (traced)."""
        return self.size


_UFUNC_REDUCTIONS = {"add": "sum", "multiply": "prod", "maximum": "max", "minimum": "min",
                     "logical_and": "all", "logical_or": "any"}
_FUNCTIONS = {np.argmax: "argmax", np.argmin: "argmin",
              np.sum: "sum", np.prod: "prod", np.mean: "mean", np.max: "max", np.amax: "max",
              np.min: "min", np.amin: "min", np.any: "any", np.all: "all", np.var: "var", np.std: "std",
              np.clip: "clip", np.copy: "copy", np.median: "median"}


def _same(a, b, depth: int = 8) -> bool:
    """Whether two masks (or bounds) are the same value: one node, or the same computation of
    the same operands (``x[x > 0] * x[x > 0]`` computes ``x > 0`` twice), or equal ints."""
    if is_tracer(a) and is_tracer(b):
        return _same_node(a._trace.graph, a._trace.node_of(a), b._trace.node_of(b), depth)
    if type(a) is int and type(b) is int:
        return a == b
    return a is b


def _same_node(graph, a: int, b: int, depth: int) -> bool:
    if a == b:
        return True
    if depth == 0 or graph.op(a) != graph.op(b) or graph.op(a) == "input" or graph.aval(a) != graph.aval(b):
        return False
    if graph.op(a) == "constant":
        va, vb = graph.data(a)["value"], graph.data(b)["value"]
        return va.size <= 1 and va.tobytes() == vb.tobytes()
    ua, ub = graph.operands(a), graph.operands(b)
    return (graph.attrs(a) == graph.attrs(b) and len(ua) == len(ub)
            and all(_same_node(graph, u, v, depth - 1) for u, v in zip(ua, ub)))


def select(x: Operand, mask: Operand, loc: str | None) -> Selection:
    """``x[mask]`` for a boolean mask of ``x``'s shape or a leading part of it; a 0-d
    mask selects ``x[None]`` by its one value (as NumPy: 0 or 1 rows of ``x``'s shape)."""
    if tuple(mask.shape) != tuple(x.shape[:mask.ndim]):
        raise user_error(IndexError(f"boolean index of shape {tuple(mask.shape)} does not match the indexed "
                                    f"array of shape {tuple(x.shape)}{at(loc)}"))
    trace = x._trace
    if not is_tracer(mask):
        mask = Tracer(trace, trace.constant(np.asarray(mask)))
    # the values and mask as they are now (NumPy's x[m] is a copy: later writes to x or m don't reach it)
    values, key = Tracer(trace, trace.node_of(x)), Tracer(trace, trace.node_of(mask))
    if mask.ndim == 0:
        return Selection(reshape(values, (1,) + tuple(x.shape)), reshape(key, (1,)), key)
    return Selection(values, key)


def assign_selection(x: Operand, key: Operand, value: Selection, loc: str | None) -> None:
    """``x[key] = value`` where value selects by the same mask: ``where(mask, values, x)``."""
    mask, values = value.key, value.values
    if isinstance(key, np.ndarray):  # the constant node select() made of this same array
        key = type(mask)(x._trace, x._trace.constant(key))
    same = is_tracer(key) and _same(key, mask)
    if same and mask.ndim == 0 and values.shape == (1,) + tuple(x.shape):  # x[m] = f(x[m]), a 0-d m
        values = reshape(values, tuple(x.shape))
    elif not same or values.shape != x.shape or value.trailing:
        raise value.refuse("assigning a selection other than through the mask it was selected "
                             "by, into an array of its values' shape", loc)
    write(x, where(mask, cast_assigned(x._trace, values, x.dtype), x), loc)


# -- nonzero and relatives: selections of index grids --------------------------------------------

def _grid(trace, shape, axis):
    """int64 (intp) indices along ``axis``, broadcast to ``shape``: an arithmetic constant."""
    line = np.arange(shape[axis], dtype=np.intp).reshape([-1 if d == axis else 1 for d in range(len(shape))])
    return broadcast_to(Tracer(trace, trace.constant(line)), shape)


def _truth(a, loc):
    if not is_tracer(a):
        raise UnsupportedError(f"nonzero of a constant array inside a jitted function{at(loc)}")
    if a.dtype != np.bool_:
        return np.not_equal(a, 0)
    return Tracer(a._trace, a._trace.node_of(a))  # as it is now: later writes to a don't reach it


@implements(np.nonzero)
def nonzero(a: Operand) -> Operand:
    """``numpy.nonzero`` of traced arrays, with NumPy's argument rules."""
    loc = user_location()
    if a.ndim == 0:
        raise user_error(ValueError(f"Calling nonzero on 0d arrays is not allowed. Use np.atleast_1d(scalar).nonzero() "
                                    f"instead{at(loc)}"))
    mask = _truth(a, loc)
    return tuple(Selection(_grid(a._trace, a.shape, d), mask) for d in range(a.ndim))


@implements(np.flatnonzero)
def flatnonzero(a: Operand) -> Operand:
    """``numpy.flatnonzero`` of traced arrays, with NumPy's argument rules."""
    loc = user_location()
    mask = _truth(np.ravel(a), loc)
    return Selection(_grid(a._trace, mask.shape, 0), mask)


@implements(np.argwhere)
def argwhere(a: Operand) -> Operand:
    """``numpy.argwhere`` of traced arrays, with NumPy's argument rules."""
    loc = user_location()
    if a.ndim == 0:
        raise UnsupportedError(f"numpy.argwhere of a 0-d array{at(loc)}")
    mask = _truth(a, loc)
    grids = stack([_grid(a._trace, a.shape, d) for d in range(a.ndim)], axis=-1)
    return Selection(grids, mask)

