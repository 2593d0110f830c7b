"""Python lists appended in a rolled loop (``losses.append(loss)``, converted to
``losses = __tj_ag__.list_append(losses, loss)``): carried as one stacked array of the
loop's trip count rows, row ``i`` written by step ``i``; after the loop the list holds its
elements before the loop followed by the rows (traced values), so ``np.array(losses)``,
``np.stack(losses)``, ``sum(losses)``, ``losses[-1]`` and iterating it work as in Python
(the list object is the same, extended after the loop).
"""
from __future__ import annotations

import weakref
from typing import Any, NamedTuple

import numpy as np

from tracejit.frontend.autograph.sequences import NotRollable
from tracejit.frontend.context import current_trace
from tracejit.frontend.core import Tracer
from tracejit.frontend.operands import python_kind


class Row(NamedTuple):
    """What a step appends: its shape and dtype."""

    shape: tuple
    dtype: np.dtype


class Recorder:
    """A list in a rolled loop's body: takes one append per step (into row ``index`` of ``buffer``)."""

    def __init__(self, initial: list, index: Any, buffer: Tracer | None):
        self.initial, self.index, self.buffer = initial, index, buffer
        self.appended: list = []

    def append(self, value: Any) -> "Recorder":
        """``list.append`` of one step: written into the step's row (recorded on the first trace)."""
        self.appended.append(value)
        if self.buffer is not None and len(self.appended) == 1:
            self.buffer[self.index] = value
        return self

    def check(self, name: str) -> Row | None:
        """The row this step appended (None: none); refuses anything but one append per step."""
        if len(self.appended) > 1:
            raise NotRollable(f"the body appends to the list {name!r} more than once")
        if not self.appended:
            if self.buffer is not None:
                raise NotRollable(f"the body appends to the list {name!r} in some steps only")
            return None
        value = self.appended[0]
        kind = python_kind(value)
        if isinstance(value, Tracer):
            dtype = np.dtype(kind) if kind is float or kind is int else value.dtype
            return Row(tuple(value.shape), dtype)
        if isinstance(value, (bool, int, float, np.generic, np.ndarray)):
            arr = np.asarray(value)
            return Row(arr.shape, arr.dtype)
        raise NotRollable(f"the body appends a {type(value).__name__} to the list {name!r}")

    def __getattr__(self, name: str):
        raise NotRollable(f"the loop body uses the list it appends to (.{name})")

    def __len__(self) -> int:
        raise NotRollable("the loop body uses the list it appends to (len)")

    def __iter__(self):
        raise NotRollable("the loop body uses the list it appends to (iteration)")

    def __getitem__(self, key: Any):
        raise NotRollable("the loop body uses the list it appends to (indexing)")


def buffer(steps: int, row: Row) -> Tracer:
    """The stacked array a loop of ``steps`` steps carries for a list (zeros, rows written by the steps)."""
    trace = current_trace()
    zero = Tracer(trace, trace.constant(np.zeros((), row.dtype)))
    return trace.apply("broadcast_to", [zero], {"shape": (steps,) + tuple(row.shape)})


def extend(initial: list, stacked: Tracer, steps: int) -> list:
    """The list after the loop (the same list object): its elements before it, then one row per step."""
    rows = [stacked[k] for k in range(steps)]
    known = _ROWS.setdefault(_root(current_trace()), {})
    for k, row in enumerate(rows):
        known[id(row)] = (row, stacked, k)
    initial.extend(rows)
    return initial


_ROWS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # root trace -> id(row) -> (row, stacked, index)


def _root(trace: object) -> object:
    while trace.parent is not None:
        trace = trace.parent
    return trace


def whole(values: object) -> Tracer | None:
    """The stacked array ``values`` holds every row of, in order (a list after a rolled loop
    converted whole: ``np.array(losses)``), else None."""
    trace = current_trace()
    if trace is None or not isinstance(values, (list, tuple)) or len(values) < 2:
        return None
    known = _ROWS.get(_root(trace))
    if not known:
        return None
    first = known.get(id(values[0]))
    if first is None or first[0] is not values[0] or first[2] != 0 or first[1].shape[0] != len(values):
        return None
    stacked = first[1]
    for k, v in enumerate(values):
        hit = known.get(id(v))
        if hit is None or hit[0] is not v or hit[1] is not stacked or hit[2] != k:
            return None
    return stacked
