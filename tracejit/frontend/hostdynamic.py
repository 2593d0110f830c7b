"""Host calls whose result size depends on the values: ``np.linalg.lstsq``'s residuals
(empty when the matrix is rank-deficient), ``np.unique(x, axis=0)``, a user function
returning arrays of other shapes for other data.

``frontend/hostcall.py`` runs a host call's function on placeholder fillings while
tracing; where the fillings give results of the same structure but leaves of other shapes
or dtypes, :func:`dynamic_call` records the call with those leaves *stashed*: the function
is wrapped (:class:`Stashing`) so that at run time each such leaf is put in a process-wide
table under a fresh int64 ticket, and the compiled program carries only the ticket (a
static 0-d result). The other leaves stay ordinary traced arrays (``lstsq``'s solution,
rank and singular values), used and fused as usual. In the trace, a stashed leaf is a
:class:`HostResult`, which may be

* returned: the caller gets the function's own array (``api.py`` takes it from the table);
* indexed by one integer (``result[k]``, ``k`` traced or not; a host call as below), or
* reduced (``sum``, ``mean``, ``max``, ``min``, ``prod``, ``any``, ``all``, ``std``,
  ``var``, ``argmax``, ``argmin``, ``ptp``, ``median``, ``.size``, ``np.linalg.norm``, with
  static arguments): one more host call, ordered after the first by its ticket operand,
  reads the array from the table and reduces it with NumPy; its result's shape and dtype
  come from the reduction of the placeholder results (they must agree, as for any host call).

Anything else (arithmetic with an array, indexing, ``.shape``, ``len()``, a loop or
branch holding the call) raises UnsupportedError naming the user's line. Every ticket of
a call is an output of the program, and the table's entries are dropped when the call
returns (``api.py``), whether or not they were returned. (An exception raised inside the
program after a stashing host call leaves its entry behind; the table holds at most
:data:`LIMIT` entries, the oldest dropped first.)
"""
from __future__ import annotations

import itertools
import threading
import warnings
import weakref
from collections import OrderedDict
from typing import Any, Callable, NoReturn

import numpy as np

from tracejit.errors import UnsupportedError, at, user_error
from tracejit.frontend.context import user_location
from tracejit.frontend.core import Trace, Tracer
from tracejit.frontend.tree import TreeDef, flatten, unflatten

LIMIT = 4096  # table entries kept at most (entries left by calls that raised: the oldest go first)
_table: OrderedDict = OrderedDict()
_lock = threading.Lock()
_next = itertools.count(1)
_of_trace: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # trace -> its ticket tracers
_ALLOWED = ("return it, index it by one integer, or reduce it (sum, mean, max, min, prod, any, all, std, var, "
            "argmax, argmin, ptp, median, .size, np.linalg.norm)")


def _stash(value: Any) -> np.ndarray:
    """Put ``value`` in the table (a view copied); its ticket (a 0-d int64 array)."""
    if isinstance(value, np.ndarray) and value.base is not None:
        value = value.copy()  # (a view may be of an operand: the program's buffer, reused after the call)
    ticket = next(_next)
    with _lock:
        _table[ticket] = value
        while len(_table) > LIMIT:
            _table.popitem(last=False)
    return np.asarray(ticket, np.int64)


def take(ticket: Any) -> Any:
    """The value stashed under ``ticket`` (a 0-d array or int); it stays until :func:`release`."""
    with _lock:
        return _table[int(ticket)]


def release(outs: list, indices: list[int]) -> None:
    """Drop the entries of the tickets among the program's outputs ``outs`` at ``indices``."""
    with _lock:
        for i in indices:
            _table.pop(int(outs[i]), None)


def pending() -> int:
    """The number of entries in the table (none once every call has returned)."""
    return len(_table)


def tickets(trace: Trace) -> list[Tracer]:
    """The tickets of the stashing host calls recorded in ``trace``."""
    return list(_of_trace.get(trace, ()))


class Stashing:
    """The host call's function, its data-sized leaves (by position) replaced by tickets."""

    def __init__(self, func: Callable, tree: TreeDef, dynamic: list[int], name: str):
        self.func, self.tree, self.dynamic, self.name = func, tree, dynamic, name
        self.tracing = True  # while hostcall.py evaluates it on placeholders: nothing stashed

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """The function's result with its data-sized leaves stashed."""
        leaves, tree = flatten(self.func(*args, **kwargs))
        if tree != self.tree:
            return unflatten(tree, leaves)  # (hostcall.py reports the other structure)
        for i in self.dynamic:
            leaves[i] = np.zeros((), np.int64) if self.tracing else _stash(leaves[i])
        return unflatten(tree, leaves)


def _key(leaf: Any) -> tuple:
    if isinstance(leaf, (np.ndarray, np.generic, bool, int, float, complex)):
        return np.shape(leaf), np.asarray(leaf).dtype.str, type(leaf).__name__
    return ("object", repr(leaf))


def dynamic_call(record: Callable, func: Callable, args: tuple, kwargs: dict, reason: str, name: str,
                 results: list, loc: str | None, trace: Trace) -> Any:
    """Record ``func(*args, **kwargs)`` with the leaves whose shape or dtype differ between
    the placeholder ``results`` stashed (``record``: ``hostcall.host_call``); refused when
    the results differ otherwise (structure, a non-array leaf)."""
    refused = UnsupportedError(f"{name}: the structure of its result depends on the values of its arguments "
                               f"(a host call needs it when tracing) ({reason}){at(loc)}")
    flat = [flatten(r) for r in results]
    tree = flat[0][1]
    if any(t != tree for _, t in flat[1:]):
        raise refused
    dynamic = []
    for i in range(len(flat[0][0])):
        keys = {_key(leaves[i]) for leaves, _ in flat}
        if len(keys) > 1:
            if any(k[0] == "object" for k in keys):
                raise refused
            dynamic.append(i)
    if trace.parent is not None:
        raise UnsupportedError(f"{name}: the shape of its result depends on the values of its arguments, which "
                               f"tracejit allows for a host call only outside loops and branches ({reason}){at(loc)}")
    wrapped = Stashing(func, tree, dynamic, name)
    try:
        traced = record(wrapped, args, kwargs, reason, name)
    finally:
        wrapped.tracing = False
    leaves, out_tree = flatten(traced)
    for i in dynamic:
        _of_trace.setdefault(trace, []).append(leaves[i])
        leaves[i] = HostResult(leaves[i], [leaves_[i] for leaves_, _ in flat], name, loc, record)
    return unflatten(out_tree, leaves)


class Reduction:
    """A reduction of a stashed array, run as a host call with the ticket as its operand."""

    def __init__(self, func: Callable, sample: Any, args: tuple, kwargs: dict):
        self.func, self.sample, self.args, self.kwargs = func, sample, args, kwargs
        self.tracing = True  # while hostcall.py evaluates it on placeholders: of the sample

    def __call__(self, ticket: Any) -> Any:
        """``func`` of the array stashed under ``ticket``."""
        try:
            return self.func(self.sample if self.tracing else take(ticket), *self.args, **self.kwargs)
        except Exception as e:  # as eagerly (a max of an empty result): the user's error
            raise user_error(e) from None


class Element:
    """``stashed[k]`` run as a host call with the ticket and ``k`` as its operands."""

    def __init__(self, sample: Any):
        self.sample = sample
        self.tracing = True  # while hostcall.py evaluates it on placeholders: the sample's first

    def __call__(self, ticket: Any, key: Any) -> Any:
        """Element (row) ``key`` of the array stashed under ``ticket``."""
        if self.tracing:
            return self.sample[0]
        try:
            return take(ticket)[key]
        except IndexError as e:  # as eagerly: the user's index (the host call names the line)
            raise user_error(e) from None


class HostResult(np.lib.mixins.NDArrayOperatorsMixin):
    """A host call's result leaf whose size depends on the values: returned or reduced only."""

    __array_priority__ = 2000

    def __init__(self, ticket: Tracer, samples: list, name: str, loc: str | None, record: Callable):
        self.ticket, self.samples, self.name, self.loc, self.record = ticket, samples, name, loc, record

    def refuse(self, what: str, loc: str | None = None) -> Exception:
        """The error for a use of this result that needs its shape."""
        return UnsupportedError(f"{what}: the result of {self.name}, a host call{at(self.loc)}, has a shape that "
                                f"depends on the values; {_ALLOWED}{at(loc or user_location())}")

    @property
    def dtype(self) -> np.dtype:
        """The result's dtype, where every placeholder result had the same one."""
        kinds = {np.asarray(s).dtype for s in self.samples}
        if len(kinds) > 1:
            raise self.refuse("its dtype")
        return kinds.pop()

    @property
    def ndim(self) -> int:
        """The result's number of dimensions, where every placeholder result had the same."""
        dims = {np.ndim(s) for s in self.samples}
        if len(dims) > 1:
            raise self.refuse(".ndim")
        return dims.pop()

    @property
    def shape(self) -> NoReturn:
        """Refused: the shape depends on the data."""
        raise self.refuse(".shape")

    @property
    def size(self) -> Any:
        """The number of elements (traced)."""
        return self.reduce(np.size, (), {}, user_location())

    def reduce(self, func: Callable, args: tuple, kwargs: dict, loc: str | None) -> Any:
        """``func(result, *args, **kwargs)`` as a host call on the stashed array."""
        what = getattr(func, "__name__", "reduction")
        statics = list(args) + list(kwargs.values())
        if any(isinstance(v, (Tracer, HostResult)) for v in flatten(statics)[0]):
            raise self.refuse(f"numpy.{what} with traced arguments", loc)
        keys, good, error = set(), [], None
        for sample in self.samples:  # (some placeholder results may be empty: a max of them raises)
            try:
                with np.errstate(all="ignore"), warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    keys.add(repr([_key(v) for v in flatten(func(sample, *args, **kwargs))[0]]))
                good.append(sample)
            except Exception as e:  # noqa: BLE001 - as eagerly on every sample: an axis out of range, say
                error = e
        if not good:
            raise user_error(error) from error
        if len(keys) > 1:
            raise self.refuse(f"numpy.{what} of it (its result's shape depends on the values too)", loc)
        reduction = Reduction(func, good[0], args, kwargs)
        try:
            return self.record(reduction, (self.ticket,), {}, f"numpy.{what} of a data-sized host result",
                               f"numpy.{what}")
        finally:
            reduction.tracing = False

    def __array_ufunc__(self, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Any:
        loc = user_location()
        if method == "reduce" and len(inputs) == 1 and inputs[0] is self and kwargs.get("out") is None:
            return self.reduce(ufunc.reduce, (), {k: v for k, v in kwargs.items() if k != "out"}, loc)
        raise self.refuse(f"numpy.{ufunc.__name__}" + ("" if method == "__call__" else f".{method}"), loc)

    def __array_function__(self, func: Callable, types: tuple, args: tuple, kwargs: dict) -> Any:
        loc = user_location()
        if func in _REDUCTIONS and args and args[0] is self and kwargs.get("out") is None:
            return self.reduce(func, args[1:], kwargs, loc)
        raise self.refuse(f"numpy.{getattr(func, '__name__', func)}", loc)

    def __getattr__(self, name: str) -> Any:
        if name in _METHODS:
            func = _METHODS[name]
            return lambda *args, **kwargs: self.reduce(func, args, kwargs, user_location())
        if not name.startswith("_") and hasattr(np.ndarray, name):
            raise self.refuse(f".{name}")
        raise user_error(AttributeError(f"'HostResult' object has no attribute {name!r}"))

    def __len__(self) -> NoReturn:
        raise self.refuse("len()")

    def __iter__(self) -> NoReturn:
        raise self.refuse("iteration")

    def __bool__(self) -> NoReturn:
        raise self.refuse("its truth value")

    def __array__(self, dtype: Any = None, copy: Any = None) -> NoReturn:
        raise self.refuse("using it as an array operand")

    def __getitem__(self, key: Any) -> Any:
        """``result[k]`` for one integer ``k`` (traced or not): a host call on the stashed array
        (a static shape: the element or row, as in every placeholder result)."""
        loc = user_location()
        if isinstance(key, tuple) and len(key) == 1:
            key = key[0]
        integer = isinstance(key, (int, np.integer)) and not isinstance(key, (bool, np.bool_)) \
            or isinstance(key, Tracer) and key.ndim == 0 and key.dtype.kind in "iu"
        good = [s for s in self.samples if np.ndim(s) and len(s)]
        if not integer or not good:
            raise self.refuse("indexing it other than by one integer", loc)
        if len({(np.shape(s)[1:], np.asarray(s).dtype) for s in good}) > 1:
            raise self.refuse("indexing it (its rows' shape depends on the values)", loc)
        element = Element(good[0])
        try:
            return self.record(element, (self.ticket, key), {}, "an element of a data-sized host result",
                               f"{self.name}(...)[k]")
        finally:
            element.tracing = False

    def __setitem__(self, key: Any, value: Any) -> NoReturn:
        raise self.refuse("assigning into it")

    def __repr__(self) -> str:
        return f"HostResult<{self.name}>"


_METHODS = {"sum": np.sum, "mean": np.mean, "max": np.max, "min": np.min, "prod": np.prod, "any": np.any,
            "all": np.all, "std": np.std, "var": np.var, "argmax": np.argmax, "argmin": np.argmin, "ptp": np.ptp}
_REDUCTIONS = set(_METHODS.values()) | {np.amax, np.amin, np.median, np.size, np.linalg.norm, np.count_nonzero,
                                        np.nansum, np.nanmean, np.nanmax, np.nanmin}
