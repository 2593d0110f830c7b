"""Flattening nested tuples, lists and dicts into leaves and back."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class TreeDef:
    """The structure of a nest: ``kind`` is 'leaf', 'tuple', 'list', 'dict' or
    'namedtuple' (``keys`` then holds the class; for a namedtuple carrying extra attributes, as SciPy's
    result objects do (``ttest_ind(...).df``), ``keys`` is the class, the number of fields, the names of
    the extra attributes that are leaves and the (name, value) pairs of the others, kept as they are)."""

    kind: str
    children: tuple["TreeDef", ...] = ()
    keys: tuple = ()

    @property
    def num_leaves(self) -> int:
        """The number of leaves of the tree this node describes."""
        return 1 if self.kind == "leaf" else sum(c.num_leaves for c in self.children)


LEAF = TreeDef("leaf")


def is_namedtuple(v: object) -> bool:
    """Whether ``v`` is a namedtuple (a tuple with ``_fields``)."""
    return isinstance(v, tuple) and hasattr(type(v), "_fields")


def _is_leaf_value(v: object) -> bool:
    return isinstance(v, (bool, int, float, complex, np.generic)) or hasattr(v, "__array_function__")


def _walk_bunch(v: tuple, extras: dict, leaves: list) -> TreeDef:
    fields = tuple(_walk(x, leaves) for x in v)
    names = tuple(k for k, x in extras.items() if _is_leaf_value(x))
    statics = tuple((k, x) for k, x in extras.items() if not _is_leaf_value(x))
    children = fields + tuple(_walk(extras[k], leaves) for k in names)
    return TreeDef("namedtuple", children, (type(v), len(v), names, statics))


def _walk(v, leaves: list) -> TreeDef:
    if is_namedtuple(v):
        extras = getattr(v, "__dict__", None)
        if extras:
            return _walk_bunch(v, extras, leaves)
        return TreeDef("namedtuple", tuple(_walk(x, leaves) for x in v), (type(v),))
    if type(v) in (tuple, list):
        return TreeDef(type(v).__name__, tuple(_walk(x, leaves) for x in v))
    if type(v) is dict:
        keys = tuple(v.keys())
        return TreeDef("dict", tuple(_walk(v[k], leaves) for k in keys), keys)
    leaves.append(v)
    return LEAF


def flatten(value: Any) -> tuple[list, TreeDef]:
    """Leaves of ``value`` in order, and its structure."""
    leaves: list = []
    return leaves, _walk(value, leaves)


def _build(t: TreeDef, it) -> Any:
    if t.kind == "leaf":
        return next(it)
    children = [_build(c, it) for c in t.children]
    if t.kind == "tuple":
        return tuple(children)
    if t.kind == "list":
        return children
    if t.kind == "namedtuple" and len(t.keys) > 1:
        cls, n, names, statics = t.keys
        obj = tuple.__new__(cls, children[:n])
        obj.__dict__.update(zip(names, children[n:]))
        obj.__dict__.update(statics)
        return obj
    if t.kind == "namedtuple":
        return t.keys[0](*children)
    return dict(zip(t.keys, children))


def unflatten(treedef: TreeDef, leaves: object) -> Any:
    """Rebuild the nest described by ``treedef`` from ``leaves``.

    (A module-level recursive helper: a nested recursive closure would form a reference
    cycle that keeps the leaves, and so large result buffers, alive until the cyclic GC.)
    """
    return _build(treedef, iter(leaves))
