"""What converted code calls (``__tj_ag__.if_stmt`` & co., ``frontend/autograph/runtime.py``).

Each operator runs the plain Python statement or expression it replaces when its test
is a Python value, so that code on Python values behaves exactly as written. On a traced
test (a traced value that does not stand for a Python scalar argument: those become
static as before, ``frontend/core.py``) it builds control flow: ``if`` and conditional
expressions become ``tj.cond``, ``while`` becomes ``tj.while_loop`` over the statement's
state variables (``frontend/autograph/state.py``), ``and``/``or``/``not`` logical ops.
"""
from __future__ import annotations

import operator
from typing import Any, Callable

import numpy as np

from tracejit.errors import UnsupportedError, at
from tracejit.frontend.arraylike import is_traced
from tracejit.frontend.autograph.stacked import Rows, Slot
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


def and_(a: Any, b_fn: Callable[[], Any], test: bool = False, pure: bool = False) -> Any:
    """``a and b_fn()``: Python's (short-circuit, returning an operand) unless ``a`` is
    traced; then a ``tj.cond`` (``b_fn()`` runs only where ``a`` holds: ``i < n and x[i] > 0``
    never reads ``x[n]``; a small pure one becomes a select). ``test``: only the truth of the
    result is used (an ``if``/``while`` test, under ``not``), so operands of different types
    (``if adj[u, v] and seen[v]:``) are compared as booleans. ``pure``: ``b_fn`` is a comparison of
    names and constants, evaluated whatever ``a`` is (a select: ``0 <= ny < rows`` makes no branch)."""
    if not is_test_traced(a):
        return a and b_fn()
    a = _as_bool(truth(a)) if test else truth(a)
    if pure:
        b_fn = _selected(a, b_fn(), np.logical_and)
        if is_traced(b_fn):
            return b_fn
    return ifexp_traced(a, (lambda: _as_bool(b_fn())) if test else b_fn, lambda: a)


def or_(a: Any, b_fn: Callable[[], Any], test: bool = False, pure: bool = False) -> Any:
    """``a or b_fn()``: Python's (short-circuit, returning an operand) unless ``a`` is
    traced; then a ``tj.cond`` (``b_fn()`` runs only where ``a`` does not hold). ``test``:
    as for :func:`and_`."""
    if not is_test_traced(a):
        return a or b_fn()
    a = _as_bool(truth(a)) if test else truth(a)
    if pure:
        b_fn = _selected(a, b_fn(), np.logical_or)
        if is_traced(b_fn):
            return b_fn
    return ifexp_traced(a, lambda: a, (lambda: _as_bool(b_fn())) if test else b_fn)


def _selected(a: Any, b: Any, op: Callable) -> Any:
    """``op(a, b)`` where ``b`` (a pure comparison, evaluated whatever ``a`` is) is a traced 0-d
    bool as ``a``: ``a and b`` is then ``logical_and``, with no branch; else ``lambda: b``."""
    if is_traced(b) and b.shape == () and b.dtype == np.bool_ and a.dtype == np.bool_:
        return op(a, b)
    return lambda: b


def _as_bool(value: Any) -> Any:
    """The truth of an operand of a test's ``and``/``or`` (a traced value as a bool one)."""
    if not is_traced(value):
        return bool(value)
    value = truth(value)
    return value if value.dtype == np.bool_ else np.not_equal(value, 0)


_COMPARE = {"Eq": operator.eq, "NotEq": operator.ne, "Lt": operator.lt, "LtE": operator.le, "Gt": operator.gt,
            "GtE": operator.ge, "Is": operator.is_, "IsNot": operator.is_not,
            "In": lambda a, b: a in b, "NotIn": lambda a, b: a not in b}


def compare(left: Any, ops: tuple, *rights: Callable[[], Any]) -> Any:
    """A chained comparison ``left op0 rights[0]() op1 rights[1]() ...``: Python's ``and`` of the
    pairwise comparisons (``0 <= i < n`` with a traced ``i`` is a traced ``and``, not ``bool()``)."""
    right = rights[0]()
    result = _COMPARE[ops[0]](left, right)
    if len(ops) == 1:
        return result
    return and_(result, lambda: compare(right, ops[1:], *rights[1:]))


def not_(a: Any) -> Any:
    """``not a``; ``np.logical_not`` of a traced ``a``."""
    if not is_test_traced(a):
        return not a
    return as_python_scalar(np.logical_not(truth(a)))  # a Python bool, as `not` gives


def list_append(lst: Any, value: Any) -> Any:
    """``lst.append(value)``, returning ``lst`` (converted code assigns it back: a list
    appended in a loop or branch is part of its state; a rolled loop's :class:`Slot` gives a new one)."""
    if isinstance(lst, Slot):
        return lst.append(value)
    lst.append(value)
    return lst


def call_builtin(fn: Callable, *args: Any, **kwargs: Any) -> Any:
    """``fn(*args, **kwargs)`` for a call written as ``len(...)``, ``int(...)``...: the
    builtin's tracing-aware replacement (``frontend/pybuiltins.py``) when it has one."""
    if args and isinstance(args[0], Rows):  # (len(losses), sum(losses) of a list a traced `break` ended)
        args = (args[0].array(),) + args[1:]
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
