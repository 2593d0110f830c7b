"""Python lists appended in a rolled loop (``losses.append(loss)``, converted to
``losses = __tj_ag__.list_append(losses, loss)``): carried as one stacked array of the
loop's trip count rows, row ``i`` written by step ``i``; after the loop the list holds its
elements before the loop followed by the rows (traced values), so ``np.array(losses)``,
``np.stack(losses)``, ``sum(losses)``, ``losses[-1]`` and iterating it work as in Python
(the list object is the same, extended after the loop). A loop a traced ``break`` may end early
leaves :class:`Rows` instead (the rows it ran, a selection of data-dependent length).
"""
from __future__ import annotations

import weakref
from typing import Any, NamedTuple

import numpy as np

from tracejit.errors import UnsupportedError, at, user_error
from tracejit.frontend import checks
from tracejit.frontend.autograph.sequences import NotRollable
from tracejit.frontend.context import current_trace, user_location
from tracejit.frontend.core import Tracer
from tracejit.frontend.operands import python_kind
from tracejit.frontend.refusals import root_trace


class Row(NamedTuple):
    """What a step appends: its shape and dtype."""

    shape: tuple
    dtype: np.dtype


def row_of(value: Any) -> Row | None:
    """The row ``value`` is in a stacked list (as NumPy's discovery in ``np.array(list)``), None: not one."""
    kind = python_kind(value)
    if isinstance(value, Tracer):
        dtype = np.dtype(kind) if kind is float or kind is int else value.dtype
        return Row(tuple(value.shape), dtype)
    if isinstance(value, (bool, int, float, np.generic, np.ndarray)):
        arr = np.asarray(value)
        return Row(arr.shape, arr.dtype)
    return None


class Recorder:
    """A list in a rolled loop's body: takes one append per step (into row ``index`` of ``buffer``)."""

    def __init__(self, initial: list, index: Any, buffer: Tracer | None):
        self.initial, self.index, self.buffer = initial, index, buffer
        self.appended: list = []
        self.trace, self.conditional = current_trace(), False

    def append(self, value: Any) -> "Recorder":
        """``list.append`` of one step: written into the step's row (recorded on the first trace)."""
        self.appended.append(value)
        self.conditional = self.conditional or current_trace() is not self.trace  # (in a traced branch: a Slot)
        if self.buffer is not None and len(self.appended) == 1:
            self.buffer[self.index] = value
        return self

    def check(self, name: str) -> Row | None:
        """The row this step appended (None: none); refuses anything but one append per step."""
        if self.conditional:  # (appends under traced conditions: a Slot per step, its row and whether taken)
            rows = {row_of(v) for v in self.appended}
            if len(rows) != 1 or None in rows:
                raise NotRollable(f"the body appends values of different shapes or dtypes to the list {name!r}")
            return rows.pop()
        if len(self.appended) > 1:
            raise NotRollable(f"the body appends to the list {name!r} more than once")
        if not self.appended:
            if self.buffer is not None:
                raise NotRollable(f"the body appends to the list {name!r} in some steps only")
            return None
        row = row_of(self.appended[0])
        if row is None:
            raise NotRollable(f"the body appends a {type(self.appended[0]).__name__} to the list {name!r}")
        return row

    def __getattr__(self, name: str):
        raise NotRollable(f"the loop body uses the list it appends to (.{name})")

    def __len__(self) -> int:
        raise NotRollable("the loop body uses the list it appends to (len)")

    def __iter__(self):
        raise NotRollable("the loop body uses the list it appends to (iteration)")

    def __getitem__(self, key: Any):
        raise NotRollable("the loop body uses the list it appends to (indexing)")


class Slot(NamedTuple):
    """A list in a step that appends under a traced condition: the row appended (zeros if none)
    and how many appends the step made (traced; carried through ``tj.cond`` as a namedtuple)."""

    row: Any
    taken: Any

    def append(self, value: Any) -> "Slot":
        """``list.append`` in the step: the new row, one more append."""
        return Slot(np.astype(value, self.row.dtype) if value.dtype != self.row.dtype else value, self.taken + 1) \
            if isinstance(value, Tracer) else Slot(np.asarray(value, self.row.dtype) + self.row * 0, self.taken + 1)


def empty_slot(row: Row) -> Slot:
    """The slot a step starts from: zeros and no append."""
    trace = current_trace()
    zero = Tracer(trace, trace.constant(np.zeros((), row.dtype)))
    return Slot(trace.apply("broadcast_to", [zero], {"shape": tuple(row.shape)}) if row.shape else zero,
                Tracer(trace, trace.constant(np.int64(0))))


def buffer(steps: int, row: Row) -> Tracer:
    """The stacked array a loop of ``steps`` steps carries for a list (zeros, rows written by the steps)."""
    trace = current_trace()
    zero = Tracer(trace, trace.constant(np.zeros((), row.dtype)))
    return trace.apply("broadcast_to", [zero], {"shape": (steps,) + tuple(row.shape)})


def buffers(steps: int, row: Row, slot: bool) -> list:
    """What a loop carries for a list: its rows, and for a :class:`Slot` each step's appends."""
    return [buffer(steps, row)] + ([buffer(steps, Row((), np.dtype(np.int64)))] if slot else [])


def step_end(rec: Recorder | tuple, value: Any, index: Any, name: str) -> tuple:
    """A list at the end of step ``index`` (``value``, what it is then): the row it appended when
    first seen (:meth:`Recorder.check`), and its buffers (a :class:`Slot`'s row and appends written)."""
    if isinstance(rec, tuple):
        if not isinstance(value, Slot):
            raise NotRollable(f"the body assigns the list {name!r}")
        rows, taken = rec
        rows[index] = value.row
        taken[index] = value.taken
        return None, [rows, taken]
    if value is not rec:
        raise NotRollable(f"the body assigns the list {name!r}")
    return rec.check(name), [rec.buffer] if rec.buffer is not None else []


def extend(initial: list, stacked: Tracer, steps: int) -> list:
    """The list after the loop (the same list object): its elements before it, then one row per step."""
    rows = [stacked[k] for k in range(steps)]
    known = _ROWS.setdefault(root_trace(current_trace()), {})
    for k, row in enumerate(rows):
        known[id(row)] = (row, stacked, k)
    initial.extend(rows)
    return initial


class Rows:
    """A list a rolled loop appended one row per step to, that a traced ``break`` may have ended
    early: ``stacked[:count]``, its length data. ``np.array``/``np.asarray`` of it, ``len()``,
    ``sum()`` and indexing work on that selection; anything else needing its length refuses."""

    def __init__(self, name: str, stacked: Tracer, count: Tracer, where: str, taken: Tracer | None = None):
        self.name, self.stacked, self.count, self.where, self.taken = name, stacked, count, where, taken

    def array(self) -> Any:
        """The rows appended, as a selection of data-dependent length (``np.array(losses)``)."""
        if self.taken is not None:  # (rows of the steps that appended, among those run)
            mask = self.taken if isinstance(self.count, int) else self.taken & (np.arange(len(self.taken)) < self.count)
            return self.stacked[mask]
        return self.stacked[:self.count]

    def refuse(self, what: str) -> UnsupportedError:
        """The error for ``what`` of this list (which needs it as a Python list)."""
        return UnsupportedError(f"{what} of the list {self.name!r}{at(user_location())}: the loop at {self.where} "
                                "appends to it and a traced `break` may end it early, so its length is data; use "
                                f"np.array({self.name}), len({self.name}), sum({self.name}) or {self.name}[k]")

    def __getitem__(self, key: Any) -> Any:
        traced = isinstance(key, Tracer) and key.shape == () and key.dtype.kind in "iu"
        if self.taken is not None or not (traced or isinstance(key, (int, np.integer))) or isinstance(key, bool):
            return self.array()[key]
        index = np.where(key < 0, self.count + key, key) if traced else \
            self.count + int(key) if key < 0 else int(key)
        checks.record(np.logical_or(index < 0, index >= self.count), IndexError,
                      f"list index out of range{at(user_location())}")
        return self.stacked[np.maximum(np.minimum(index, self.stacked.shape[0] - 1), 0)]

    def __getattr__(self, name: str):
        if name.startswith("__"):  # (protocol probes: NumPy's __array_struct__...)
            raise user_error(AttributeError(name))
        raise self.refuse(f".{name}")

    def __len__(self) -> int:
        raise self.refuse("len() outside converted code")

    def __iter__(self):
        raise self.refuse("iteration")

    def __bool__(self) -> bool:
        raise self.refuse("the truth value")


def ended(initial: list, stacked: Tracer, count: Tracer, name: str, where: str, taken: Tracer | None = None) -> Rows:
    """The list after a loop a traced ``break`` may have ended (or that appends under traced
    conditions: ``taken``, the appends of each step): its elements before it (each of the rows'
    shape and dtype, :func:`row_of`), then the first ``count`` rows (those taken)."""
    if taken is not None:
        checks.record(np.any(taken > 1), UnsupportedError, f"a step of the loop at {where} appends to the list "
                      f"{name!r} more than once under traced conditions (not supported)")
        taken = taken > 0
    if initial:
        head = [np.asarray(v) if not isinstance(v, Tracer) else v for v in initial]
        head = np.stack([np.astype(v, stacked.dtype) if v.dtype != stacked.dtype else v for v in head])
        stacked, count = np.concatenate([head, stacked]), count + len(initial)
        taken = None if taken is None else np.concatenate([np.ones(len(initial), bool), taken])
    return Rows(name, stacked, count, where, taken)


_ROWS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # root trace -> id(row) -> (row, stacked, index)



def whole(values: object) -> Tracer | None:
    """The stacked array ``values`` holds every row of, in order (a list after a rolled loop
    converted whole: ``np.array(losses)``), else None."""
    if isinstance(values, Rows):
        return values.array()
    trace = current_trace()
    if trace is None or not isinstance(values, (list, tuple)) or len(values) < 2:
        return None
    known = _ROWS.get(root_trace(trace))
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
