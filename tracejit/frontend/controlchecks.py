"""Run-time checks (``frontend/checks.py``) inside loop bodies and branches.

A gather of traced indices or a max of an empty selection records a check in the trace
it runs in; inside a body or branch that is a sub-trace, whose values never reach the
caller by themselves. Its values become extra results: a branch returns its own checks'
values and neutral ones (no error) for the other branch's; a loop carries each value,
starting neutral and combined with the body's at every step (a flag by ``or``, the least
and greatest index by ``minimum``/``maximum``), so the call raises after it returns when
any step would have raised. A loop condition's checks are handled by moving the test
into the body (``frontend/control.py``).

Errors raised *while tracing* a body or branch (an index out of range of a 0-size axis,
a shape mismatch, a name not defined, an attribute a Python object lacks) happen eagerly
only when it runs: such a branch is replaced by one that returns zeros and records a
check that is always set, so the call raises that error exactly when the branch is taken
(a loop likewise when its first test holds).
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from tracejit.compiler.dtypes import AVal
from tracejit.compiler.graph import Graph
from tracejit.errors import TracejitError
from tracejit.frontend.boundary import is_internal
from tracejit.frontend.checks import pending

DEFERRABLE = (IndexError, ValueError, ZeroDivisionError, OverflowError, KeyError, AssertionError, NameError,
              AttributeError)  # (NameError: a side of `a if traced else undefined_name`, raised only when taken)
_STANDS_FOR = (np.ndarray, np.float64, np.complex128, np.int64, np.bool_, float, int, bool, complex)


class SubCheck(NamedTuple):
    """A check recorded in a sub-trace: its value nodes there (a 0-d bool flag, or the
    least and greatest index), the bound and the error to raise."""

    nodes: tuple[int, ...]
    bound: int | None
    error: type
    message: str


def collect(sub: object) -> list[SubCheck]:
    """The checks recorded in sub-trace ``sub`` (still open), as nodes of its graph."""
    return [SubCheck(tuple(sub.node_of(v) for v in values), bound, error, message)
            for values, bound, error, message in pending(sub)]


def deferrable(error: BaseException) -> bool:
    """Whether ``error``, raised while tracing a body or branch, is the user's program
    failing (raised eagerly only if that code runs), not tracejit refusing it or a bug
    in tracejit (``frontend/boundary.py``)."""
    if isinstance(error, AttributeError) and type(getattr(error, "obj", None)).__module__.startswith("tracejit."):
        name = getattr(error, "name", None) or ""  # an attribute a traced value lacks: the program's error only
        if any(hasattr(t, name) for t in _STANDS_FOR):  # if what it stands for lacks it too
            return False
    return isinstance(error, DEFERRABLE) and not isinstance(error, TracejitError) and not is_internal(error)


def error_class(error: BaseException) -> type:
    """A class that rebuilds ``error`` from its message (its own or a builtin base)."""
    message = str(error)
    for cls in type(error).__mro__:
        try:
            if str(cls(message)) == message:
                return cls
        except Exception:  # noqa: BLE001 - constructors with other signatures
            continue
    return RuntimeError


def _roles(check: SubCheck) -> tuple[str, ...]:
    return ("flag",) if len(check.nodes) == 1 else ("low", "high")


def _neutral(aval: AVal, role: str) -> np.ndarray:
    """The value that never fails a check (and is the identity of its combination)."""
    dt = aval.dtype
    if role == "flag" or dt.kind == "b":
        return np.zeros((), dt) if role != "low" else np.ones((), dt)
    if dt.kind == "f":
        return np.array(np.inf if role == "low" else -np.inf, dt)
    info = np.iinfo(dt)
    return np.array(info.max if role == "low" else info.min, dt)


def _fresh(g: Graph, value: np.ndarray, loc) -> int:
    return g.add("copy", [g.add_constant(value, loc=loc)], loc=loc)


def _append_outputs(g: Graph, nodes: list[int]) -> None:
    first = len(g.outputs)
    for k, node in enumerate(nodes):
        if g.op(node) in ("input", "constant"):
            node = g.add("copy", [node], loc=g.loc(node))
        g.add_output(first + k, node)


def check_avals(g: Graph, checks: list[SubCheck]) -> list[AVal]:
    """The shapes and dtypes of the values of ``checks`` (nodes of ``g``)."""
    return [g.aval(n) for c in checks for n in c.nodes]


def branch_outputs(true: Graph, true_checks: list[SubCheck], false: Graph, false_checks: list[SubCheck],
                   loc: str | None) -> list[AVal]:
    """Append to both branches' outputs the values of every check (the true branch's,
    then the false branch's; neutral in the branch that did not record it)."""
    t_avals, f_avals = check_avals(true, true_checks), check_avals(false, false_checks)
    t_roles = [r for c in true_checks for r in _roles(c)]
    f_roles = [r for c in false_checks for r in _roles(c)]
    _append_outputs(true, [n for c in true_checks for n in c.nodes]
                    + [_fresh(true, _neutral(a, r), loc) for a, r in zip(f_avals, f_roles)])
    _append_outputs(false, [_fresh(false, _neutral(a, r), loc) for a, r in zip(t_avals, t_roles)]
                    + [n for c in false_checks for n in c.nodes])
    return t_avals + f_avals


_COMBINE = {"flag": "bitwise_or", "low": "minimum", "high": "maximum"}


def carry_checks(cond: Graph, body: Graph, n_carry: int, checks: list[SubCheck], loc: str | None) -> list[np.ndarray]:
    """Make the body's check values extra carried values (after the ``n_carry`` first):
    each step combines the carried one with its own. Returns their initial (neutral)
    values; the captured inputs of both graphs move up past the new carried ones."""
    avals = check_avals(body, checks)
    roles = [r for c in checks for r in _roles(c)]
    for g in (cond, body):
        for nid in g.inputs:
            if g.attrs(nid)["index"] >= n_carry:
                g.attrs(nid)["index"] += len(avals)
    values = [n for c in checks for n in c.nodes]
    combined = []
    for j, (aval, role, value) in enumerate(zip(avals, roles, values)):
        carried = body.add_input(n_carry + j, f"check{j}", aval, loc=loc)
        combined.append(body.add(_COMBINE[role], [carried, value], loc=loc))
    _append_outputs(body, combined)
    return [_neutral(a, r) for a, r in zip(avals, roles)]

