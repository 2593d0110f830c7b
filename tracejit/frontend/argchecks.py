"""Checks of the arguments given to tracejit's public entry points: an error for a bad
argument names that argument and says what was expected.

* ``tj.jit``'s ``static_argnums``/``static_argnames`` (:func:`static_parameters`), checked
  when the function is jitted: indices in range of the positional parameters (negative ones
  count from the last, as in JAX), names of parameters;
* a function or integer an entry point takes (:func:`check_callable`, :func:`check_integer`);
* a call whose trace failed with a TypeError on a value that is neither an array nor a
  number (``f(None, y)``): :func:`bad_argument` names the argument (such values are static,
  fixed in the trace, so the failure comes from the function using one as an array).
"""
from __future__ import annotations

import inspect
import operator
import re
from typing import Any, Callable, Iterable

import numpy as np

from tracejit.errors import user_error
from tracejit.frontend.randomness import is_generator
from tracejit.frontend.tree import flatten

_POSITIONAL = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)


def _fun_name(fun: Callable) -> str:
    return getattr(fun, "__qualname__", None) or getattr(fun, "__name__", None) or repr(fun)


def _described(pysig: inspect.Signature) -> str:
    names = [str(p) for p in pysig.parameters.values()]
    return f"({', '.join(names)})" if names else "(no parameters)"


def check_callable(value: Any, what: str) -> None:
    """Raise a TypeError naming ``what`` unless ``value`` is callable."""
    if not callable(value):
        raise user_error(TypeError(f"{what} must be a callable (a function), not {type(value).__name__} "
                                   f"{_short(value)}"))


def check_predicate(value: Any, what: str) -> None:
    """Raise a TypeError naming ``what`` unless ``value`` is a bool or a number (Python or NumPy, 0-d)."""
    if not isinstance(value, (bool, int, float, np.bool_, np.number)) and not (
            isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype.kind in "biuf"):
        raise user_error(TypeError(f"{what} must be a bool or a number (0-d), not {type(value).__name__} "
                                   f"{_short(value)}"))


def check_integer(value: Any, what: str) -> None:
    """Raise a TypeError naming ``what`` unless ``value`` is an integer scalar (Python or NumPy)."""
    if isinstance(value, (bool, np.bool_)) or not (isinstance(value, (int, np.integer)) or (
            isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype.kind in "iu")):
        raise user_error(TypeError(f"{what} must be an integer scalar, not {type(value).__name__} {_short(value)}"))


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _as_indices(value: int | Iterable[int], what: str) -> tuple[int, ...]:
    items = (value,) if not isinstance(value, Iterable) or isinstance(value, (str, bytes)) else tuple(value)
    out = []
    for item in items:
        if isinstance(item, (bool, np.bool_)):
            raise user_error(TypeError(f"{what} must be an int or a sequence of ints, not {item!r}"))
        try:
            out.append(operator.index(item))
        except TypeError:
            raise user_error(TypeError(f"{what} must be an int or a sequence of ints, "
                                       f"not {type(item).__name__} {_short(item)}")) from None
    return tuple(out)


def static_parameters(fun: Callable, pysig: inspect.Signature, static_argnames: str | Iterable[str],
                      static_argnums: int | Iterable[int]) -> frozenset[str]:
    """The names of the parameters of ``fun`` that ``tj.jit``'s ``static_argnames`` and
    ``static_argnums`` make static; a ValueError (TypeError for a wrong type) naming the
    option, the function and its parameters for a name or index that is not one."""
    names = (static_argnames,) if isinstance(static_argnames, str) else tuple(static_argnames)
    for name in names:
        if not isinstance(name, str):
            raise user_error(TypeError(f"static_argnames of {_fun_name(fun)} must be parameter names (str), "
                                       f"not {type(name).__name__} {_short(name)}"))
    unknown = sorted(set(names) - set(pysig.parameters))
    if unknown:
        raise user_error(ValueError(f"static_argnames {unknown} are not parameters of {_fun_name(fun)}, "
                                    f"whose parameters are {_described(pysig)}"))
    params = list(pysig.parameters.values())
    positional = [p.name for p in params if p.kind in _POSITIONAL]
    var_positional = any(p.kind is inspect.Parameter.VAR_POSITIONAL for p in params)
    static = set(names)
    for num in _as_indices(static_argnums, f"static_argnums of {_fun_name(fun)}"):
        if not -len(positional) <= num < len(positional):
            extra = (" (an index into *args cannot be static: tracejit makes parameters static by name)"
                     if var_positional else "")
            raise user_error(ValueError(
                f"static_argnums={num} is out of range for {_fun_name(fun)}, which takes {len(positional)} "
                f"positional parameter(s) {_described(pysig)}: use an index in [{-len(positional)}, "
                f"{len(positional)}){extra}"))
        static.add(positional[num])
    return frozenset(static)


def _mentioned(value: Any, message: str) -> bool:
    """Whether ``message`` (a TypeError's) speaks of ``value``'s type."""
    kind = type(value).__name__
    if re.search(rf"\b{re.escape(kind)}\b", message) or "not supported for the input types" in message:
        return True  # (the type named, or a ufunc that has no loop for it: np.sin('abc'))
    if isinstance(value, str):
        return bool(re.search(r"<U\d|\bstr\b", message))
    if isinstance(value, bytes):
        return bool(re.search(r"\|S\d|\bbytes\b", message))
    return "dtype object" in message or "dtype('O')" in message


def _traced_kind(leaf: Any) -> bool:
    """Whether ``leaf`` is a value tracejit traces (an array, a number) rather than fixes."""
    return isinstance(leaf, (np.ndarray, np.generic, int, float, complex, bool)) or is_generator(leaf)


def bad_argument(error: BaseException, fun: Callable, pysig: inspect.Signature, static: frozenset,
                 args: tuple, kwargs: dict) -> TypeError | None:
    """A TypeError naming the argument(s) of a call of jitted ``fun`` that are neither arrays
    nor numbers (nor pytrees of those), not declared static, and whose type the trace's
    TypeError ``error`` speaks of; None when there is none (``error`` is raised as it is)."""
    if not isinstance(error, TypeError):
        return None
    message = str(error)
    try:
        bound = pysig.bind(*args, **kwargs)
    except TypeError:
        return None
    found = []
    for name, value in bound.arguments.items():
        if name in static:
            continue
        leaves, tree = flatten(value)
        for i, leaf in enumerate(leaves):
            if not _traced_kind(leaf) and _mentioned(leaf, message):
                found.append((name if tree.kind == "leaf" else f"{name}[{i}]", leaf))
    if not found:
        return None
    what = "; ".join(f"argument '{name}' is " + ("None" if leaf is None else f"a {type(leaf).__name__}, {_short(leaf)}")
                     for name, leaf in found)
    return user_error(TypeError(
        f"{_fun_name(fun)}: {what}, where an array, a number or a pytree (tuple, list, dict) of those was "
        f"expected. tracejit traces those; other values are fixed in the trace as static values, and the "
        f"function used this one as an array: {type(error).__name__}: {message}"))


def check_argnums(fun: Callable, transform: str, argnums: tuple[int, ...], args: tuple) -> list[tuple[int, str]]:
    """Each of ``argnums`` with how errors name it (``argument 1 ('y')``), for a call of
    ``tj.<transform>(fun)`` with positional ``args``; a ValueError naming ``argnums``, the
    function and its parameters for an index out of their range."""
    try:
        names = [p.name for p in inspect.signature(fun).parameters.values() if p.kind in _POSITIONAL]
    except (TypeError, ValueError):
        names = []
    out = []
    for i in argnums:
        if not -len(args) <= i < len(args):
            raise user_error(ValueError(
                f"tj.{transform}({_fun_name(fun)}): argnums={i} is out of range: the call passes {len(args)} "
                f"positional argument(s) (argnums index the positional arguments, "
                f"in [{-len(args)}, {len(args)}))"))
        j = i % len(args)
        out.append((i, f"argument {i} ('{names[j]}')" if j < len(names) else f"argument {i}"))
    return out


def raise_if_bad_argument(error: BaseException, fun: Callable, pysig: inspect.Signature, static: frozenset,
                          args: tuple, kwargs: dict) -> None:
    """Raise :func:`bad_argument`'s TypeError (``error`` chained) when there is one."""
    bad = bad_argument(error, fun, pysig, static, args, kwargs)
    if bad is not None:
        raise bad from error
