"""A traced value that *is* one of several arrays, which one decided by the data: the
result of Python's ``max``/``min`` of traced arrays (``frontend/minmax.py``).

Python's ``max(x, y)`` returns ``x`` or ``y`` itself, not a copy. When the items are
arrays (0-d arrays, or one-element ones; NumPy scalars are immutable and need none of
this), the result and the item it is stay one object: a later in-place write to that
item changes the result, and an in-place write to the result (``m += 1``) changes the
item. Traced, which item it is depends on the data, so the result gets a
:class:`ChosenStorage` (``frontend/versions.py``'s storage, with the writes routed): a
read after a write to any item selects again, with ``where``, among the items' current
versions; a write into the result (or a view of it) writes every item where it is the
chosen one (``where(index == k, new, item_k)``), leaving the others as they were.
"""
from __future__ import annotations

from tracejit.errors import UnsupportedError, at
from tracejit.frontend.context import user_location
from tracejit.frontend.core import Tracer
from tracejit.frontend.numpy.writes import write
from tracejit.frontend.operands import is_tracer
from tracejit.frontend.versions import Storage, storage_of


class ChosenStorage(Storage):
    """The storage of a value that is the item ``index`` of ``items`` (traced arrays)."""

    __slots__ = ("items", "conds", "seen", "raw", "own")

    def __init__(self, trace: object, items: list, conds: list, node: int, shape: tuple):
        self.trace, self.arg, self.shape = trace, None, shape
        self.initial = self.raw = node
        self.items = items  # the arrays (tracers, or concrete arrays nothing writes) it may be
        self.conds = conds  # per item: the graph node of "it is this one" (bool, 0-d)
        self.seen = self._versions()
        self.own = 0
        self.read_only = None  # (Storage's: writes into a chosen item are checked on that item)

    def _versions(self) -> tuple:
        return tuple(storage_of(v).version if is_tracer(v) else 0 for v in self.items)

    @property
    def node(self) -> int:
        """The current value: the chosen item's current version (selected again after a write)."""
        seen = self._versions()
        if seen != self.seen:
            trace = self.trace
            nodes = [trace.node_of(v) for v in self.items]
            acc = nodes[0]
            for cond, node in zip(self.conds[1:], nodes[1:]):
                acc = trace.graph.add("where", [cond, node, acc], loc=user_location())
            self.raw, self.seen = acc, seen
        return self.raw

    @node.setter
    def node(self, new: int) -> None:
        loc = user_location()
        trace = self.trace
        for cond, item in zip(self.conds, self.items):
            if not is_tracer(item):
                raise UnsupportedError(f"a write into the result of builtin max()/min() that may be a concrete "
                                       f"(untraced) array{at(loc)}: write into a copy")
            kept = trace.node_of(item)
            write(item, Tracer(trace, trace.graph.add("where", [cond, new, kept], loc=loc)), loc)
        self.raw, self.seen = new, self._versions()

    @property
    def version(self) -> int:
        """A number that grows with every write to the value or to any of its items."""
        return self.own + sum(self._versions())

    @version.setter
    def version(self, value: int) -> None:
        self.own += value - self.version


def make_chosen(result: Tracer, items: list, index: object) -> None:
    """Make ``result`` (a fresh ``where`` selection of ``items``) the item ``index`` (a
    traced int) of ``items`` itself: reads follow writes into the items, writes go to them."""
    trace = result._home
    conds = [trace.node_of(index == k) for k in range(len(items))]
    st = ChosenStorage(trace, list(items), conds, result._node, tuple(result.shape))
    result._storage, result._path, result._version = st, (), st.version
