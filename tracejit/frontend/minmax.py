"""Python's ``max`` and ``min`` on traced values, as the converted code sees them.

Python's ``max(a, b, ...)`` (``max(iterable)``, with ``key=`` and ``default=``) returns
one of its items unchanged: the first, replaced by a later one only when that one is
strictly greater (``item > best``; NaN never replaces and is never replaced). On traced
items Python would need each comparison's truth value; these select with ``where``
instead. The result then has the type of the item chosen, so the items must all have
one type (the same dtype, shape and scalar-vs-array-ness, or the same kind of Python
number): with types that differ, the result's type would depend on the values, which
is refused (``UnsupportedError``) unless the items are Python-number arguments, which
then become static, or Python floats beside float64 0-d values (Python ints beside int64
ones): the value and its dtype as an array are the same whichever Python returns, and the
result is the NumPy type (``max(0.0, x)`` is a float64 even where Python would return the
0.0 itself: a later operation with a float32 array gives float64 where Python's 0.0 would
give float32, the rule a traced ``if`` of a Python number and a NumPy value follows too).
Calls without traced items are Python's own. Of arrays (not NumPy scalars), the result is
the chosen item itself, as in Python: writes to either show in the other (``frontend/chosen.py``).
"""
from __future__ import annotations

import builtins

import numpy as np

from tracejit.errors import StaticNeeded, UnsupportedError, at, user_error
from tracejit.frontend.chosen import make_chosen
from tracejit.frontend.context import current_trace, user_location
from tracejit.frontend.core import as_python_scalar
from tracejit.frontend.numpy.elementwise import where
from tracejit.frontend.operands import is_tracer, python_kind

_INT64 = np.iinfo(np.int64)
_NO_DEFAULT = object()


def item_type(v: object) -> tuple | None:
    """What an item's type is for Python's result: its Python-number kind, or its dtype,
    shape and whether it is a NumPy scalar (None: neither a number nor an array)."""
    kind = python_kind(v)
    if kind is not None:
        return ("python number", kind)
    if is_tracer(v):
        return (v.dtype, v.shape, bool(v._scalar))
    if isinstance(v, np.generic):
        return (v.dtype, (), True)
    if isinstance(v, np.ndarray):
        return (v.dtype, v.shape, False)
    return None


def _describe(t: tuple) -> str:
    if t[0] == "python number":
        return f"a Python {t[1].__name__}"
    dtype, shape, scalar = t
    return f"a NumPy {dtype} scalar" if scalar else f"a {len(shape)}-d {dtype} array"


def _origins(items) -> frozenset:
    """The Python-scalar arguments the traced items come from, when every traced item
    comes from such (making them static makes the items concrete); else empty."""
    origins = frozenset()
    for v in items:
        if is_tracer(v):
            if not v._origins:
                return frozenset()
            origins |= v._origins
    return origins


def _select(name: str, items: list, keys: list, strictly_better, loc):
    """The item Python's ``max``/``min`` returns, chosen with ``where``."""
    types = [item_type(v) for v in items]
    origins = _origins(items)
    common = None if origins else _exact_common(items, types)
    if common is not None:
        types = [common] * len(types)
    if any(t != types[0] for t in types):
        if origins:
            raise StaticNeeded(origins, f"builtin {name}() of values of different types", loc)
        shown = sorted({_describe(t) for t in types})
        raise user_error(UnsupportedError(
            f"builtin {name}() of {' and '.join(shown)}{at(loc)}: Python returns one of them unchanged, so the "
            f"result's type would depend on the traced values. Use np.{name}imum(a, b) (NumPy's promotion), "
            f"or give the items one type (e.g. {name}(x, np.float64(0.5)) for a float64 scalar x, or "
            "x.astype(...) of a traced one)"))
    kind = types[0]
    for v in items:
        if is_tracer(v) and v.size != 1:
            raise user_error(ValueError(f"The truth value of an array with more than one element is "
                                        f"ambiguous. Use a.any() or a.all(){at(loc)}"))
        if type(v) is int and not _INT64.min <= v <= _INT64.max:
            if origins:
                raise StaticNeeded(origins, f"builtin {name}() with an int beyond int64", loc)
            raise user_error(UnsupportedError(f"builtin {name}() of a traced Python int and an int beyond int64"
                                              f"{at(loc)}: tracejit computes such values as int64"))
    best, best_key, index = items[0], keys[0], 0
    for j, (v, k) in enumerate(zip(items[1:], keys[1:]), 1):
        better = strictly_better(k, best_key)
        if not is_tracer(better):  # two concrete items: Python's choice
            best, best_key, index = (v, k, j) if better else (best, best_key, index)
            continue
        best = where(better, v, best)
        best_key = best if keys is items else where(better, k, best_key)
        index = where(better, j, index)
    if is_tracer(index) and kind[0] != "python number" and not kind[2]:  # arrays: the result is the item
        make_chosen(best, items, index)
    return typed(best, kind, origins)


_SAME_KIND = {np.dtype(np.float64): float, np.dtype(np.int64): int}  # NumPy's type of the Python number


def _exact_common(items: list, types: list) -> tuple | None:
    """The one NumPy type of the items beside Python numbers whose own NumPy type it is
    (``max(0.0, x)`` of a float64 scalar ``x``, ``min(n, 0)`` of an int64 one), else None.
    Python returns the number itself or the NumPy value; either way the value, and the
    dtype it has as an array, are those of the NumPy type, which the result takes (as a
    traced ``if`` of a Python number and a NumPy value does, ``autograph/state.py``)."""
    numpy_types = {t for t in types if t[0] != "python number"}
    if len(numpy_types) != 1 or len(numpy_types) == len(set(types)):
        return None
    (common,) = numpy_types
    dtype, shape, _ = common
    if shape != () or dtype not in _SAME_KIND:
        return None
    for v, t in zip(items, types):
        if t[0] == "python number" and (t[1] is not _SAME_KIND[dtype]
                                         or (type(v) is int and not _INT64.min <= v <= _INT64.max)):
            return None
    return common


def typed(result: object, kind: tuple, origins: frozenset) -> object:
    """``result`` (of ``where``) given the items' common type."""
    if kind[0] == "python number":
        result._weak = kind[1] if kind[1] is not bool else None
        result._scalar = True
        result._origins = origins
        if origins or kind[1] is bool:  # behaves as the Python number (no array methods)
            as_python_scalar(result)
        return result
    result._scalar = kind[2]
    return result


def _selecting(original, strictly_better):
    name = original.__name__

    def chosen(*args, key=None, default=_NO_DEFAULT):
        if current_trace() is None or not args:
            return _call(original, args, key, default)
        if len(args) == 1:
            items = list(args[0]) if not is_tracer(args[0]) or args[0].ndim else None
            if items is None:  # iterating a 0-d value raises as NumPy's does
                return _call(original, args, key, default)
        elif default is not _NO_DEFAULT:
            return _call(original, args, key, default)  # Python's TypeError
        else:
            items = list(args)
        keys = items if key is None else [key(v) for v in items]
        if not any(is_tracer(v) for v in items + keys):
            return _call(original, (items,), None if key is None else _KeyOf(items, keys), default)
        if len(items) == 1:
            return items[0]
        loc = user_location()
        if any(item_type(v) is None for v in items):
            if key is None:  # not numbers or arrays (complex values, sequences): Python's comparisons
                return _call(original, (items,), None, default)
            raise user_error(UnsupportedError(f"builtin {name}() with key= of items that are not numbers or "
                                              f"arrays while tracing{at(loc)}"))
        if any(item_type(v) is None or (is_tracer(v) and v.ndim) for v in keys if keys is not items):
            raise user_error(UnsupportedError(f"builtin {name}() with a key= giving traced values that are not "
                                              f"numbers{at(loc)}: use np.arg{name} on an array of the keys"))
        return _select(name, items, keys, strictly_better, loc)
    chosen.__name__, chosen.__qualname__, chosen.__doc__ = original.__name__, original.__name__, original.__doc__
    chosen.__wrapped__ = original
    return chosen


class _KeyOf:
    """A ``key=`` answering with keys already computed (each key is computed once, as in Python)."""

    def __init__(self, items: list, keys: list):
        self._keys = {id(v): k for v, k in zip(items, keys)}

    def __call__(self, v):
        return self._keys[id(v)]


def _call(original, args: tuple, key, default):
    kwargs = {} if default is _NO_DEFAULT else {"default": default}
    if key is not None:
        kwargs["key"] = key
    return original(*args, **kwargs)


SELECTING = {"max": _selecting(builtins.max, lambda v, best: v > best),
             "min": _selecting(builtins.min, lambda v, best: v < best)}
"""What the converted code's ``max`` and ``min`` are."""
