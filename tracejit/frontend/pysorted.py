"""Python's ``sorted`` of a traced 1-D array or of many traced numbers, without ``key=``
(``sorted(omega)[:3]``, ``sorted(energies)``), for ``frontend/sortedbuiltin.py``.

Python would compare the items one by one, needing each comparison's truth value; the items
are stacked instead and sorted by ``np.sort`` (stable, as Python's sort; ``reverse=True``
reverses it, equal items being equal values). The result is a list of the same length whose
items have the items' common type: the same dtype and scalar-ness, or the same kind of
Python number (a traced Python float stays one). Items of different types are refused
(``UnsupportedError``), and so is a NaN, after the call. With ``reverse=True`` equal values
come in reverse order, which only shows for ``-0.0`` beside ``0.0``.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from tracejit.errors import UnsupportedError, at, user_error
from tracejit.frontend import checks
from tracejit.frontend.context import user_location
from tracejit.frontend.minmax import item_type, typed
from tracejit.frontend.operands import is_tracer


def sort_values(iterable: Any, reverse: bool = False) -> list:
    """Python's ``sorted`` (no key) of a traced 1-D array or a list of traced numbers, by ``np.sort``
    (see the module docstring); a NaN raises UnsupportedError after the call, as Python's order of
    NaNs depends on its algorithm."""
    loc = user_location()
    if is_tracer(iterable):
        _refuse_nans(iterable, loc)
        ordered = np.sort(iterable, kind="stable")  # (a traced array: sorted as one, not element by element)
        ordered = ordered[::-1] if reverse else ordered
        return [ordered[i] for i in range(iterable.shape[0])]
    items = list(iterable)
    types = [item_type(v) for v in items]
    if any(t is None or t != types[0] for t in types):
        raise user_error(UnsupportedError(f"builtin sorted() of traced items of different types{at(loc)}: "
                                          "use np.sort on an array of them"))
    stacked = np.stack([np.reshape(v, ()) for v in items])
    _refuse_nans(stacked, loc)
    ordered = np.sort(stacked, kind="stable")
    if reverse:
        ordered = ordered[::-1]
    return [_typed(ordered[i], types[0], items) for i in range(len(items))]


def _refuse_nans(values: Any, loc: Any) -> None:
    if is_tracer(values) and values.dtype.kind in "fc":
        checks.record(np.isnan(values).any(), UnsupportedError,
                      f"builtin sorted() of a NaN key{at(loc)}: Python's order of NaNs depends on its algorithm")


def _typed(value: Any, kind: tuple, items: list) -> Any:
    origins = frozenset().union(*(getattr(v, "_origins", None) or frozenset() for v in items if is_tracer(v)))
    return typed(value, kind, origins if kind[0] == "python number" else frozenset())
