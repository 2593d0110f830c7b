"""Checking a host call's result at run time against the layout traced for it (``frontend/hostcall.py``).

A host call's result types were found at trace time (``frontend/hostplaceholders.py``);
at run time each result must have that structure (tuple, namedtuple, SciPy result
"bunch", dict...) and each array leaf that shape and dtype (a dtype is cast only where
``can_cast(..., "safe")``), else the call raises tracejit's refusal naming the function:
its result types depend on the values. This runs once per host call per program run, so
the check is compiled once per host call into a *reader*: closures that take the result
apart along the traced structure (type, length, keys; a bunch's static attributes
compared) and hand out the array leaves, without building and comparing a ``TreeDef``
(``tree.flatten``: ~10 us for ``ttest_ind``'s result) -- and a leaf that is already an
array or NumPy scalar of the traced shape and dtype is taken as it is (no ``np.asarray``).
A result the reader refuses goes through the generic check, which names the difference.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from tracejit.errors import UnsupportedError, at, user_error
from tracejit.frontend.tree import TreeDef, flatten

_VALUES = (int, float, complex, np.ndarray, np.generic)  # a bunch's attributes that are leaves (tree.py)
_MISSING = object()
Reader = Callable[[Any, list], bool]  # (value, leaves to append to) -> whether the structure matched


class ResultSpec:
    """One array leaf of a host call's result: its traced shape and dtype, and how it is shown."""

    def __init__(self, shape: tuple, dtype: np.dtype, scalar: bool, kind: type | None):
        self.shape, self.dtype, self.scalar, self.kind = shape, dtype, scalar, kind
        self.view = False  # read-only at trace time: a view of an argument (writes into it are refused)
        self.scalar_type = self.dtype.type if self.shape == () else None  # a NumPy scalar taken as it is


def _leaf(value: Any, leaves: list) -> bool:
    if isinstance(value, (tuple, list, dict)):  # (a nest where a leaf was traced: the generic check says so)
        return False
    leaves.append(value)
    return True


def _sequence(kind: type, subs: list[Reader]) -> Reader:
    n = len(subs)
    if all(sub is _leaf for sub in subs):
        def read(value: Any, leaves: list) -> bool:
            if type(value) is not kind or len(value) != n:
                return False
            leaves.extend(value)
            return True
        return read

    def read_nested(value: Any, leaves: list) -> bool:
        if type(value) is not kind or len(value) != n:
            return False
        return all(sub(x, leaves) for sub, x in zip(subs, value))
    return read_nested


def _namedtuple(cls: type, subs: list[Reader]) -> Reader:
    n = len(subs)

    def read(value: Any, leaves: list) -> bool:
        if type(value) is not cls or len(value) != n or getattr(value, "__dict__", None):
            return False
        return all(sub(x, leaves) for sub, x in zip(subs, value))
    return read


def _bunch(tree: TreeDef, subs: list[Reader]) -> Reader:
    cls, names, fixed = tree.keys
    n_items, n_attrs = len(subs) - len(names), len(names) + len(fixed)
    items = subs[:n_items]
    flat = all(sub is _leaf for sub in items)  # (the attributes that are leaves are values: leaves too)

    def read(value: Any, leaves: list) -> bool:
        attrs = getattr(value, "__dict__", None)
        if type(value) is not cls or len(value) != n_items or not attrs or len(attrs) != n_attrs:
            return False
        for key, x in fixed:  # (static attributes: what the traced result was rebuilt with)
            y = attrs.get(key, _MISSING)
            if y is not x and (y is _MISSING or isinstance(y, _VALUES) or not y == x):
                return False
        if flat:
            for x in value:
                if isinstance(x, (tuple, list, dict)):
                    return False
            leaves.extend(value)
        elif not all(sub(x, leaves) for sub, x in zip(items, value)):
            return False
        for key in names:
            x = attrs.get(key, _MISSING)
            if not isinstance(x, _VALUES):
                return False
            leaves.append(x)
        return True
    return read


def _dict(keys: tuple, subs: list[Reader]) -> Reader:
    n = len(keys)
    pairs = list(zip(keys, subs))

    def read(value: Any, leaves: list) -> bool:
        if type(value) is not dict or len(value) != n:
            return False
        for key, sub in pairs:
            x = value.get(key, _MISSING)
            if x is _MISSING or not sub(x, leaves):
                return False
        return True
    return read


def reader(tree: TreeDef) -> Reader:
    """The reader of results structured as ``tree`` (see the module)."""
    subs = [reader(child) for child in tree.children]
    if tree.kind == "leaf":
        return _leaf
    if tree.kind in ("tuple", "list"):
        return _sequence(tuple if tree.kind == "tuple" else list, subs)
    if tree.kind == "namedtuple":
        return _namedtuple(tree.keys[0], subs)
    if tree.kind == "bunch":
        return _bunch(tree, subs)
    if tree.kind == "dict":
        return _dict(tree.keys, subs)
    return lambda value, leaves: False  # (a kind this module does not know: the generic check)


class ResultCheck:
    """The run-time check of one host call's results (see the module)."""

    def __init__(self, name: str, loc: str | None, out_tree: TreeDef, out_leaves: list, results: list[ResultSpec]):
        self.name, self.loc = name, loc
        self.out_tree, self.out_leaves, self.results = out_tree, out_leaves, results
        self.read = reader(out_tree)
        self.positions = [i for i, leaf in enumerate(out_leaves) if isinstance(leaf, ResultSpec)]
        self.n_leaves = len(out_leaves)

    def __call__(self, result: Any) -> list:
        """The array leaves of ``result``, each of its traced shape and dtype."""
        leaves: list = []
        if not self.read(result, leaves) or len(leaves) != self.n_leaves:
            return self._generic(result)
        out = []
        for i, want in zip(self.positions, self.results):
            value = leaves[i]
            t = type(value)
            if t is want.scalar_type or t is np.ndarray and value.dtype == want.dtype and value.shape == want.shape:
                out.append(value)
            else:
                out.append(self._convert(value, want))
        return out

    def _generic(self, result: Any) -> list:
        """The check through ``tree.flatten``, which names what differs."""
        leaves, tree = flatten(result)
        if tree != self.out_tree:
            raise mismatch(self.name, self.loc, f"a result of another structure ({type(result).__name__})")
        return [self._convert(value, want) for value, want in
                zip((leaves[i] for i in self.positions), self.results)]

    def _convert(self, value: Any, want: ResultSpec) -> np.ndarray:
        arr = np.asarray(value)
        if arr.shape != want.shape:
            raise mismatch(self.name, self.loc, f"shape {arr.shape}, traced as {want.shape}")
        if arr.dtype != want.dtype:
            if not np.can_cast(arr.dtype, want.dtype, "safe"):
                raise mismatch(self.name, self.loc, f"dtype {arr.dtype}, traced as {want.dtype}")
            arr = arr.astype(want.dtype)
        return arr


def mismatch(name: str, loc: str | None, what: str) -> Exception:
    """A result unlike the traced one: the function's result types depend on the values, which a
    host call, typed at trace time, cannot follow (SciPy's ``ttest_1samp(x).df`` is float64 where
    ``x`` holds a NaN, int64 otherwise): tracejit's refusal, not an internal error."""
    return user_error(UnsupportedError(f"{name} (run by tracejit as a host call{at(loc)}) returned "
                                       f"{what}: its result's shape or dtype depends on its input values"))
