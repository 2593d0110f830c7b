"""Flattening nested tuples, lists and dicts into leaves and back."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class TreeDef:
    """The structure of a nest: ``kind`` is 'leaf', 'tuple', 'list' or 'dict'."""

    kind: str
    children: tuple["TreeDef", ...] = ()
    keys: tuple = ()

    @property
    def num_leaves(self) -> int:
        return 1 if self.kind == "leaf" else sum(c.num_leaves for c in self.children)


LEAF = TreeDef("leaf")


def flatten(value: Any) -> tuple[list, TreeDef]:
    """Leaves of ``value`` in order, and its structure."""
    leaves: list = []

    def walk(v) -> TreeDef:
        if type(v) in (tuple, list):
            return TreeDef(type(v).__name__, tuple(walk(x) for x in v))
        if type(v) is dict:
            keys = tuple(v.keys())
            return TreeDef("dict", tuple(walk(v[k]) for k in keys), keys)
        leaves.append(v)
        return LEAF

    return leaves, walk(value)


def unflatten(treedef: TreeDef, leaves) -> Any:
    """Rebuild the nest described by ``treedef`` from ``leaves``."""
    it = iter(leaves)

    def build(t: TreeDef):
        if t.kind == "leaf":
            return next(it)
        children = [build(c) for c in t.children]
        if t.kind == "tuple":
            return tuple(children)
        if t.kind == "list":
            return children
        return dict(zip(t.keys, children))

    return build(treedef)
