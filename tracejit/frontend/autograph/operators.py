"""What converted code calls (``__tj_ag__.if_stmt`` & co., ``frontend/autograph/runtime.py``).

Each operator runs the plain Python statement or expression it replaces when its test
is a Python value, so that code on Python values behaves exactly as written. On a traced
test (a traced value that does not stand for a Python scalar argument: those become
static as before, ``frontend/core.py``) it builds control flow: ``if`` and conditional
expressions become ``tj.cond``, ``while`` becomes ``tj.while_loop`` over the statement's
state variables (``frontend/autograph/state.py``), ``and``/``or``/``not`` logical ops.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from tracejit.errors import UnsupportedError, at
from tracejit.frontend.arraylike import is_traced
from tracejit.frontend.autograph.state import if_traced, ifexp_traced, is_test_traced, loop_traced, truth
from tracejit.frontend.autograph.undefined import ReturnUnset, Undefined
from tracejit.frontend.context import user_location
from tracejit.frontend.control import BranchesDiffer, cond
from tracejit.frontend.core import as_python_scalar
from tracejit.frontend.operands import python_kind
from tracejit.frontend.pybuiltins import CONVERTED


def if_stmt(test: Any, body: Callable[[], None], orelse: Callable[[], None], get_state: Callable[[], tuple],
            set_state: Callable[[tuple], None], names: tuple, opts: dict) -> None:
    """``if test: body() else: orelse()``; on a traced ``test`` a ``tj.cond`` over the state."""
    if not is_test_traced(test):
        if test:
            body()
        else:
            orelse()
        return
    if_traced(truth(test), body, orelse, get_state, set_state, names, opts)


def while_stmt(test: Callable[[], Any], body: Callable[[], None], get_state: Callable[[], tuple],
               set_state: Callable[[tuple], None], names: tuple, opts: dict) -> None:
    """``while test(): body()``; once ``test()`` gives a traced value, a ``tj.while_loop``
    over the state from there on."""
    while True:
        value = test()
        if is_test_traced(value):
            loop_traced(test, body, get_state, set_state, names, opts)
            return
        if not value:
            return
        body()


def ifexp(test: Any, true_fn: Callable[[], Any], false_fn: Callable[[], Any], opts: dict) -> Any:
    """``true_fn() if test else false_fn()``; on a traced ``test`` a ``tj.cond``."""
    if not is_test_traced(test):
        return true_fn() if test else false_fn()
    if opts.get("pure"):  # both sides are names or constants: evaluating both is free
        try:
            a, b = true_fn(), false_fn()
        except NameError:  # (a side that raises when taken: traced as a branch, ifexp_traced)
            return ifexp_traced(truth(test), true_fn, false_fn, opts.get("lineno"))
        if is_traced(a) and is_traced(b) and a.aval == b.aval and python_kind(a) is None and python_kind(b) is None:
            return np.where(truth(test), a, b)  # a select, no branches
        true_fn, false_fn = (lambda: a), (lambda: b)
    return ifexp_traced(truth(test), true_fn, false_fn, opts.get("lineno"))


def and_(a: Any, b_fn: Callable[[], Any]) -> Any:
    """``a and b_fn()``: Python's (short-circuit, returning an operand) unless ``a`` is
    traced; then a ``tj.cond`` (``b_fn()`` runs only where ``a`` holds: ``i < n and x[i] > 0``
    never reads ``x[n]``; a small pure one becomes a select)."""
    if not is_test_traced(a):
        return a and b_fn()
    a = truth(a)
    return ifexp_traced(a, b_fn, lambda: a)


def or_(a: Any, b_fn: Callable[[], Any]) -> Any:
    """``a or b_fn()``: Python's (short-circuit, returning an operand) unless ``a`` is
    traced; then a ``tj.cond`` (``b_fn()`` runs only where ``a`` does not hold)."""
    if not is_test_traced(a):
        return a or b_fn()
    a = truth(a)
    return ifexp_traced(a, lambda: a, b_fn)


def not_(a: Any) -> Any:
    """``not a``; ``np.logical_not`` of a traced ``a``."""
    if not is_test_traced(a):
        return not a
    return as_python_scalar(np.logical_not(truth(a)))  # a Python bool, as `not` gives


def list_append(lst: Any, value: Any) -> Any:
    """``lst.append(value)``, returning ``lst`` (converted code assigns it back: a list
    appended in a loop or branch is part of its state)."""
    lst.append(value)
    return lst


def call_builtin(fn: Callable, *args: Any, **kwargs: Any) -> Any:
    """``fn(*args, **kwargs)`` for a call written as ``len(...)``, ``int(...)``...: the
    builtin's tracing-aware replacement (``frontend/pybuiltins.py``) when it has one."""
    try:
        replacement = CONVERTED.get(fn)
    except TypeError:  # an unhashable callable
        replacement = None
    return (replacement or fn)(*args, **kwargs)


def return_value(done: Any, value: Any) -> Any:
    """The result of converted code whose ``return`` statements set ``done`` and ``value``."""
    if isinstance(value, Undefined) and not isinstance(value, ReturnUnset):
        reason = object.__getattribute__(value, "reason")
        raise UnsupportedError(f"a `return` {reason or 'that depends on traced values'}: assign the result to a "
                               f"variable and return it after the loop{at(user_location())}")
    if not is_test_traced(done):
        if not done or isinstance(value, ReturnUnset):
            return None
        return value
    try:
        return cond(done, lambda: value, lambda: None)
    except (BranchesDiffer, UnsupportedError):  # (None against a value: "a NoneType cannot be carried")
        raise UnsupportedError(f"the function returns a value on some paths and None on others, depending on "
                               f"traced values{at(user_location())}") from None
