"""Python's ``sorted`` on traced numbers, as the converted code sees it (``sorted(omega)[:3]``,
``sorted(energies)``).

Python would compare the items one by one, needing each comparison's truth value; the items
are stacked instead and sorted by ``np.sort`` (stable, as Python's sort; ``reverse=True``
reverses it, equal items being equal values). The result is a list of the same length whose
items have the items' common type: the same dtype and scalar-ness, or the same kind of
Python number (a traced Python float stays one). Items of different types, a ``key=`` on
traced items, and arrays of more than one element are refused (``UnsupportedError``) or raise
Python's error. Calls without traced items are Python's own.
"""
from __future__ import annotations

import builtins
from typing import Any

import numpy as np

from tracejit.errors import UnsupportedError, at, user_error
from tracejit.frontend.context import current_trace, user_location
from tracejit.frontend.core import as_python_scalar
from tracejit.frontend.minmax import item_type
from tracejit.frontend.operands import is_tracer


def sorted_(iterable: Any, /, *, key: Any = None, reverse: bool = False) -> list:
    """Python's ``sorted``; on traced numbers, by ``np.sort`` (see the module docstring)."""
    if current_trace() is not None and is_tracer(iterable) and iterable.ndim == 1 and key is None:
        ordered = np.sort(iterable)  # (a traced array: sorted as one, not element by element)
        ordered = ordered[::-1] if reverse else ordered
        return [ordered[i] for i in range(iterable.shape[0])]
    items = list(iterable) if current_trace() is not None else None
    if items is None or not any(is_tracer(v) for v in items):
        return builtins.sorted(iterable if items is None else items, key=key, reverse=reverse)
    loc = user_location()
    if key is not None:
        raise user_error(UnsupportedError(f"builtin sorted() with key= of traced items{at(loc)}: sort an array "
                                          "of the keys with np.argsort and index by it"))
    types = [item_type(v) for v in items]
    if any(t is None or t != types[0] for t in types):
        raise user_error(UnsupportedError(f"builtin sorted() of traced items of different types{at(loc)}: "
                                          "use np.sort on an array of them"))
    if any(is_tracer(v) and v.size != 1 for v in items):
        raise user_error(ValueError(f"The truth value of an array with more than one element is ambiguous. "
                                    f"Use a.any() or a.all(){at(loc)}"))
    ordered = np.sort(np.stack([np.reshape(v, ()) for v in items]))
    if reverse:
        ordered = ordered[::-1]
    return [_typed(ordered[i], types[0], items) for i in range(len(items))]


def _typed(value: Any, kind: tuple, items: list) -> Any:
    if kind[0] != "python number":
        value._scalar = kind[2]
        return value
    value._weak = kind[1] if kind[1] is not bool else None
    value._scalar = True
    origins = frozenset().union(*(getattr(v, "_origins", None) or frozenset() for v in items if is_tracer(v)))
    value._origins = origins
    if origins or kind[1] is bool:
        as_python_scalar(value)
    return value


BUILTINS = {"sorted": sorted_}
"""What the converted code's ``sorted`` is."""
