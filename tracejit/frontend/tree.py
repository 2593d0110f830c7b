"""Flattening nested tuples, lists and dicts into leaves and back."""
from __future__ import annotations

from dataclasses import dataclass
from operator import itemgetter
from typing import Any, Callable

import numpy as np


@dataclass(frozen=True)
class TreeDef:
    """The structure of a nest: ``kind`` is 'leaf', 'tuple', 'list', 'dict',
    'namedtuple' (``keys`` then holds the class) or 'bunch' (a namedtuple with instance
    attributes, SciPy's results: ``keys`` holds the class, the names of the attributes that
    are leaves, and the other attributes' (name, value) pairs)."""

    kind: str
    children: tuple["TreeDef", ...] = ()
    keys: tuple = ()

    @property
    def num_leaves(self) -> int:
        """The number of leaves of the tree this node describes."""
        return 1 if self.kind == "leaf" else sum(c.num_leaves for c in self.children)


LEAF = TreeDef("leaf")
_VALUES = (int, float, complex, np.ndarray, np.generic)  # attributes of a tuple bunch that are leaves


def is_namedtuple(v: object) -> bool:
    """Whether ``v`` is a namedtuple (a tuple with ``_fields``)."""
    return isinstance(v, tuple) and hasattr(type(v), "_fields")


def _walk(v, leaves: list) -> TreeDef:
    if is_namedtuple(v):
        attrs = getattr(v, "__dict__", None)
        if attrs:  # SciPy's results ("tuple bunches": extra fields, private attributes) are rebuilt as copies
            names = tuple(k for k, x in attrs.items() if isinstance(x, _VALUES))
            fixed = tuple((k, x) for k, x in attrs.items() if k not in names)
            items = tuple(v) + tuple(attrs[k] for k in names)
            return TreeDef("bunch", tuple(_walk(x, leaves) for x in items), (type(v), names, fixed))
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
    if t.kind == "namedtuple":
        return t.keys[0](*children)
    if t.kind == "bunch":
        cls, names, fixed = t.keys
        n = len(children) - len(names)
        value = tuple.__new__(cls, children[:n])
        value.__dict__.update(fixed)
        value.__dict__.update(zip(names, children[n:]))
        return value
    return dict(zip(t.keys, children))


def unflatten(treedef: TreeDef, leaves: object) -> Any:
    """Rebuild the nest described by ``treedef`` from ``leaves``.

    (A module-level recursive helper: a nested recursive closure would form a reference
    cycle that keeps the leaves, and so large result buffers, alive until the cyclic GC.)
    """
    return _build(treedef, iter(leaves))


def builder(treedef: TreeDef) -> Callable[[list], Any]:
    """``build(leaves)``: the nest ``treedef`` describes, from a list of its leaves, made by
    closures prepared once per signature (no walk of the definition at each call: the
    results of a jitted function, rebuilt at every call)."""
    return _builder(treedef, 0)[0]


def _builder(t: TreeDef, start: int) -> tuple[Callable, int]:
    """The builder of the subtree ``t`` whose leaves start at ``start``, and where they end."""
    if t.kind == "leaf":
        return itemgetter(start), start + 1
    end = start + t.num_leaves
    if t.kind == "bunch":
        return (lambda leaves: _build(t, iter(leaves[start:end]))), end
    if all(c.kind == "leaf" for c in t.children):  # leaves only: one slice
        if t.kind == "tuple":
            return (lambda leaves: tuple(leaves[start:end])), end
        if t.kind == "list":
            return (lambda leaves: list(leaves[start:end])), end
        if t.kind == "namedtuple":
            cls = t.keys[0]
            return (lambda leaves: cls(*leaves[start:end])), end
        keys = t.keys
        return (lambda leaves: dict(zip(keys, leaves[start:end]))), end
    parts, at = [], start
    for child in t.children:
        part, at = _builder(child, at)
        parts.append(part)
    if t.kind == "tuple":
        return (lambda leaves: tuple([p(leaves) for p in parts])), end
    if t.kind == "list":
        return (lambda leaves: [p(leaves) for p in parts]), end
    if t.kind == "namedtuple":
        cls = t.keys[0]
        return (lambda leaves: cls(*[p(leaves) for p in parts])), end
    keys = t.keys
    return (lambda leaves: dict(zip(keys, [p(leaves) for p in parts]))), end
