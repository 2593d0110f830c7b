"""Run-time checks of a traced function: errors NumPy raises from values, not shapes.

A gather of traced indices raises ``IndexError`` when an index is out of range, and a
max/min of an empty boolean selection raises ``ValueError``; whether either happens
depends on the data. While tracing, each such condition becomes 0-d values of the graph
-- a boolean flag (:func:`record`), or the least and greatest index (:func:`record_range`,
compared with the bound in Python, so the compiled check does not depend on the size
and programs of other sizes share its code) -- which the traced function returns as
hidden extra outputs (the checks of a loop or branch packed into one code,
``frontend/controlchecks.py``); the runtime raises the recorded exception after the call
(:func:`raise_failed`), before any argument is written back. Native code stays safe
meanwhile: gathers clamp their indices, so the call itself never reads out of bounds.

Eager NumPy stops at the failing line, leaving the arguments as the lines before it (and a
failing ``np.put``'s writes before its bad index) wrote them. So a check of the function's
own trace also records the versions the written arguments have at that point (its
*snapshot*, more hidden outputs); when it fails, those are written back before it raises.
When every check is a range check of an argument index array itself (:func:`prechecked`),
the checks run before the call instead and need no snapshot: a failing one raises
:class:`PrecheckFailed`, on which the jitted function runs the user's function eagerly
with the untouched arguments, so the error and the writes before it are eager NumPy's own.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, NamedTuple

import numpy as np

from tracejit.errors import user_error

if TYPE_CHECKING:  # (type hints only: these modules build on this one)
    from tracejit.frontend.core import Trace


Case = tuple[type, str]  # an error to raise: its class and message


class Pending(NamedTuple):
    """A check recorded while tracing: its traced 0-d values -- a bool flag, the least
    and greatest index (with ``bound``), or a code (``coded``: 0 when nothing failed,
    else ``k`` when ``cases[k - 1]`` failed first: the checks of a loop or branch packed
    by ``frontend/controlchecks.py``) -- and the errors it raises."""

    values: tuple
    bound: int | None
    cases: tuple[Case, ...]
    coded: bool = False
    arg: int | None = None  # a range check of this input array itself (see :func:`raise_prechecked`)
    snapshot: tuple = ()  # (argument index, traced version) of the arguments written so far


@dataclass(frozen=True)
class Check:
    """An exception to raise after the call: when output ``index`` (a 0-d bool) is true;
    with a ``bound``, when output ``index`` (the least index) is below ``-bound`` or
    output ``high`` (the greatest) is at least ``bound``; when ``coded``, the case whose
    number output ``index`` holds (0: none)."""

    index: int
    cases: tuple[Case, ...]
    high: int | None = None
    bound: int | None = None
    coded: bool = False
    arg: int | None = None  # a range check of input array ``arg``: also checkable before the call
    snapshot: tuple = ()  # (argument index, output index): the arguments as eager leaves them when it fails

    def failure(self, outs: object) -> Case | None:
        """The error this check raises, from the outputs of the call (None: it passed)."""
        if self.coded:
            code = int(outs[self.index])
            return self.cases[code - 1] if code else None
        if self.bound is None:
            failed = bool(outs[self.index])
        else:
            failed = int(outs[self.index]) < -self.bound or int(outs[self.high]) >= self.bound
        return self.cases[0] if failed else None


def record(flag: object, error: type, message: str) -> None:
    """Raise ``error(message)`` after the call if traced 0-d bool ``flag`` is true (a flag
    that is false whatever the arguments is not recorded: no output, no code)."""
    trace = flag._trace
    if never_true(trace, flag):
        return
    _checks(trace).append(Pending((flag,), None, ((error, message),), snapshot=_snapshot(trace)))


def warn(flag: object, category: type, message: str) -> None:
    """Warn ``category(message)`` after the call if traced 0-d bool ``flag`` is true (the
    call's results stand: NumPy's ``RuntimeWarning: All-NaN slice encountered``)."""
    if never_true(flag._trace, flag):
        return
    _checks(flag._trace).append(Pending((flag,), None, ((category, message),)))


_FOLDED = frozenset({"equal", "not_equal", "less", "less_equal", "greater", "greater_equal", "logical_not",
                     "isfinite", "isnan", "isinf", "floor", "ceil", "negative", "convert"})


def never_true(trace: Trace, flag: object) -> bool:
    """Whether the 0-d bool ``flag`` is false whatever the arguments: a ``logical_and`` one of
    whose operands is, a ``logical_or`` all of whose are, or a comparison of constants (the
    checks of ``0.9 ** step``: ``0.9 == 0 and step < 0``, recorded once per Adam update)."""
    graph = trace.graph
    memo: dict[int, object] = {}

    def value(node: int, depth: int = 0):  # its 0-d value when it is a constant expression, else None
        if node in memo:
            return memo[node]
        data, found = graph.data(node), None
        op = data["op"]
        if depth > 8 or tuple(graph.aval(node).shape) != ():
            return None
        if op == "constant":
            found = np.asarray(data["value"])[()]
        elif op in ("logical_and", "logical_or"):
            known = [value(o, depth + 1) for o in graph.operands(node)]
            if op == "logical_and" and any(v is not None and not v for v in known):
                found = np.False_
            elif None not in known:
                found = np.bool_(all(known) if op == "logical_and" else any(known))
        elif op in _FOLDED:
            known = [value(o, depth + 1) for o in graph.operands(node)]
            if None not in known:
                with np.errstate(all="ignore"):
                    found = (np.asarray(known[0]).astype(graph.attrs(node)["dtype"])[()] if op == "convert"
                             else getattr(np, op)(*known))
        memo[node] = found
        return found

    found = value(trace.node_of(flag))
    return found is not None and not bool(found)


def _snapshot(trace) -> tuple:
    """The written arguments' current versions (argument index, graph node), at the top level."""
    if trace.parent is not None:  # (a loop body's or branch's checks are packed: controlchecks.py)
        return ()
    return tuple((st.arg, st.node) for st in getattr(trace, "arg_storages", {}).values() if st.written)


def record_range(index: object, bound: int, message: str) -> None:
    """Raise ``IndexError(message)`` after the call if traced integer array ``index`` has
    an element outside ``[-bound, bound)``."""
    if index.size:  # one pass: the greatest of i and -1 - i is at least ``bound`` exactly when one fails
        folded = np.max(np.where(index < 0, ~index, index)) if index.dtype.kind == "i" else np.max(index)
        trace = index._trace
        snapshot = _snapshot(trace)  # (arguments written before: checked after the call, then written back)
        _checks(trace).append(Pending((~folded, folded), bound, ((IndexError, message),),
                                      arg=input_index(index), snapshot=snapshot))


def input_index(x: object) -> int | None:
    """The input index of a top-level trace's input array ``x`` (None for any other value)."""
    trace = x._trace
    if trace.parent is not None:
        return None
    graph = trace.graph
    node = trace.node_of(x)
    while graph.data(node)["op"] == "reshape":  # (np.put's raveled indices: the same elements)
        node = graph.operands(node)[0]
    return graph.attrs(node)["index"] if graph.data(node)["op"] == "input" else None


def record_code(trace: Trace, code: object, cases: tuple[Case, ...]) -> None:
    """Record in ``trace`` the packed checks of a loop or branch: traced 0-d ``code``
    names the case that failed first (``frontend/controlchecks.py``)."""
    _checks(trace).append(Pending((code,), None, tuple(cases), True))


def _checks(trace) -> list:
    if not hasattr(trace, "checks"):
        trace.checks = []
    return trace.checks


def pending(trace: Trace) -> list[Pending]:
    """Every check recorded in ``trace``, in the order recorded."""
    return list(getattr(trace, "checks", ()))


class PrecheckFailed(Exception):
    """A check run before the call failed (``error``: the error it recorded): the caller runs
    the function eagerly instead, which raises NumPy's own error after NumPy's own writes."""

    def __init__(self, error: BaseException):
        super().__init__(str(error))
        self.error = error


def prechecked(checks: list) -> bool:
    """Whether every check is a range check of an input array, so that all of them can run
    before the call (:func:`raise_prechecked`): arguments may then be updated in place."""
    return all(c.arg is not None and c.bound is not None and not c.coded for c in checks)


def raise_prechecked(checks: list[Check], arrays: list) -> None:
    """Raise :class:`PrecheckFailed`, before the call, for the first of ``checks`` (all
    :func:`prechecked`) that the input arrays fail: an index outside ``[-bound, bound)``."""
    for check in checks:
        index = arrays[check.arg]
        if np.size(index) and (np.max(index) >= check.bound or np.min(index) < -check.bound):
            error, message = check.cases[0]
            raise PrecheckFailed(user_error(error(message)))


def raise_failed(checks: list[Check], outs: object, write_back: Callable | None = None) -> None:
    """Raise the first recorded error whose check failed (first giving ``write_back`` its
    snapshot: the arguments as eager NumPy leaves them there); warn those of warnings."""
    for check in checks:
        failure = check.failure(outs)
        if failure is not None:
            error, message = failure
            if issubclass(error, Warning):  # (checks.warn: the call goes on)
                warnings.warn(message, error, stacklevel=4)
                continue
            if check.snapshot and write_back is not None:
                write_back(check.snapshot)
            raise user_error(error(message))
