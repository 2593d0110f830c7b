"""Python's ``sorted`` of traced values, as the converted code sees it (beside
``frontend/minmax.py``'s ``max`` and ``min``).

``sorted(items, key=, reverse=)`` returns a new list of the items themselves in Python's
stable order. Traced, where each item lands depends on the data: item ``i``'s position is
the count of items whose key is less than its own (greater, ``reverse=True``) plus the
count of equal ones before it, and each position of the list is the item there, chosen by
``where`` among all of them (of arrays, the item itself: ``frontend/chosen.py``). The items
must share one type (as for ``max``), keys are numbers or one-element values. That count
is Python's order only for keys that are totally ordered: Python's sort of NaN keys
depends on its algorithm, so a NaN key raises UnsupportedError after the call. Lists
without traced items are Python's own.
"""
from __future__ import annotations

import builtins

import numpy as np

from tracejit.errors import UnsupportedError, at, user_error
from tracejit.frontend import checks
from tracejit.frontend.chosen import make_chosen
from tracejit.frontend.context import current_trace, user_location
from tracejit.frontend.minmax import SELECTING, item_type, typed
from tracejit.frontend.numpy.elementwise import where
from tracejit.frontend.operands import is_tracer
from tracejit.frontend.pysorted import sort_values

MAX_ITEMS = 32  # the positions take n**2 comparisons: longer traced lists are refused


def traced_sorted(iterable: object, /, *, key: object = None, reverse: bool = False) -> list:
    """``sorted`` whose comparisons may be of traced values (module docstring)."""
    if current_trace() is None or (is_tracer(iterable) and iterable.ndim == 0):
        return builtins.sorted(iterable, key=key, reverse=reverse)
    if key is None and is_tracer(iterable) and iterable.ndim == 1:
        return sort_values(iterable, reverse)  # (an array's items are new scalars: sorted as one array)
    items = list(iterable)
    if key is None and len(items) > MAX_ITEMS and all(_is_number(v) for v in items):
        return sort_values(items, reverse)  # (numbers: no item identity to keep)
    keys = items if key is None else [key(v) for v in items]
    if not any(is_tracer(v) for v in items + keys):
        return [v for _, v in builtins.sorted(zip(keys, items), key=lambda kv: kv[0], reverse=reverse)] \
            if key is not None else builtins.sorted(items, reverse=reverse)
    loc = user_location()
    types = [item_type(v) for v in items]
    if any(t is None or t != types[0] for t in types) or any(item_type(k) is None for k in keys):
        raise user_error(UnsupportedError(
            f"builtin sorted() of traced values of different types, or not numbers or arrays{at(loc)}: Python "
            "returns the items themselves, so the result's types would depend on the traced values"))
    if len(items) > MAX_ITEMS:
        raise user_error(UnsupportedError(f"builtin sorted() of more than {MAX_ITEMS} traced items{at(loc)}: "
                                          "stack them into an array and use np.sort"))
    for k in keys:
        if is_tracer(k) and k.size != 1:
            raise user_error(ValueError(f"The truth value of an array with more than one element is ambiguous. "
                                        f"Use a.any() or a.all(){at(loc)}"))
    flat = [np.reshape(k, ()) if is_tracer(k) else k for k in keys]
    for k in flat:
        if is_tracer(k) and k.dtype.kind in "fc":
            checks.record(np.isnan(k), UnsupportedError,
                          f"builtin sorted() of a NaN key{at(loc)}: Python's order of NaNs depends on its algorithm")
    n = len(items)
    positions = []
    for i in range(n):
        ahead = [(np.greater if reverse else np.less)(flat[j], flat[i]) for j in range(n) if j != i]
        ahead += [np.equal(flat[j], flat[i]) for j in range(i)]
        positions.append(sum(np.asarray(c).astype(np.int64) if not is_tracer(c) else c.astype(np.int64)
                             for c in ahead) if ahead else np.int64(0))
    return [_at_position(p, items, positions, types[0]) for p in range(n)]


def _is_number(v: object) -> bool:
    kind = item_type(v)
    return kind is not None and (kind[0] == "python number" or kind[2])


def _at_position(p: int, items: list, positions: list, kind: tuple) -> object:
    """The item whose position is ``p``."""
    here = [np.equal(pos, p) for pos in positions]
    chosen, index = items[0], 0
    for i in range(1, len(items)):
        if not is_tracer(here[i]):
            chosen, index = (items[i], i) if here[i] else (chosen, index)
            continue
        chosen, index = where(here[i], items[i], chosen), where(here[i], i, index)
    if not is_tracer(chosen):
        return chosen
    typed(chosen, kind, frozenset())
    if kind[0] == "python number":
        return chosen
    if is_tracer(index) and not kind[2]:  # arrays: the list holds the items themselves
        make_chosen(chosen, items, index)
    return chosen


BUILTINS = {**SELECTING, "sorted": traced_sorted}
"""What the converted code's ``max``, ``min`` and ``sorted`` are."""
