"""Run-time checks (``frontend/checks.py``) inside loop bodies and branches.

A gather of traced indices or a max of an empty selection records a check in the trace
it runs in; inside a body or branch that is a sub-trace, whose values never reach the
caller by themselves. All the checks a sub-trace recorded are packed into one 0-d
int32 *code* there: 0 when none failed, else the number of the first one (in program
order) that failed, a nested loop's or branch's code shifted past the cases before it.
A branch returns its code (the false branch's numbered after the true branch's cases,
0 when it records none); a loop carries one code, starting at 0, that keeps the first
step's failure (``where(carried != 0, carried, step)``), so the call raises after it
returns the error the first failing step raised eagerly. One value per loop or branch,
however many checks its body holds: nested loops and branches carry a single extra
value, not one per index of the body (a flood fill had 130). A loop condition's checks
are handled by moving the test into the body (``frontend/control.py``).

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
from tracejit.frontend.checks import Case, pending

DEFERRABLE = (IndexError, ValueError, ZeroDivisionError, OverflowError, KeyError, AssertionError, NameError,
              AttributeError)  # (NameError: a side of `a if traced else undefined_name`, raised only when taken)
_STANDS_FOR = (np.ndarray, np.float64, np.complex128, np.int64, np.bool_, float, int, bool, complex)


CODE = np.dtype(np.int32)


class SubCheck(NamedTuple):
    """The checks recorded in a sub-trace, packed: ``node`` (of its graph) is the 0-d
    int32 code, ``cases`` the errors its values 1, 2, ... stand for."""

    node: int
    cases: tuple[Case, ...]


def collect(sub: object, loc: str | None = None) -> list[SubCheck]:
    """The checks recorded in sub-trace ``sub`` (still open), packed into one code (none
    when it recorded no check)."""
    recorded = pending(sub)
    if not recorded:
        return []
    g = sub.graph
    code = _constant(g, 0, loc)
    offsets = np.cumsum([0] + [len(p.cases) for p in recorded])
    for p, offset in reversed(list(zip(recorded, offsets[:-1]))):  # the first failure wins
        nodes = [sub.node_of(v) for v in p.values]
        if p.coded:
            failed = g.add("not_equal", [nodes[0], _constant(g, 0, loc)], loc=loc)
            value = g.add("add", [nodes[0], _constant(g, offset, loc)], loc=loc) if offset else nodes[0]
        else:
            bound = None if p.bound is None else _bound(sub, p.bound, loc)
            failed = _failed(g, nodes, bound, loc)
            value = _constant(g, offset + 1, loc)
        code = g.add("where", [failed, value, code], loc=loc)
    return [SubCheck(code, tuple(case for p in recorded for case in p.cases))]


def _constant(g: Graph, value: int, loc) -> int:
    return g.add_constant(np.array(value, CODE), loc=loc)


def _bound(sub: object, bound: int, loc) -> int:
    """The node of ``sub`` holding the axis size ``bound`` of a range check: a ``size``
    op, read from the size table at run time, not a constant of the code, so one
    compiled loop still serves every size (``compiler/generic_sizes.py``)."""
    return sub.graph.add("size", [], {"value": int(bound)}, loc=loc)


def _failed(g: Graph, nodes: list[int], bound: int | None, loc) -> int:
    """A 0-d bool node: whether a flag, or an index range check against the int64 axis
    size at node ``bound``, failed."""
    if bound is None:
        flag = nodes[0]
        if g.aval(flag).dtype != np.bool_:
            flag = g.add("not_equal", [flag, g.add_constant(np.zeros((), g.aval(flag).dtype), loc=loc)], loc=loc)
        return flag
    low, high = (g.add("convert", [n], {"dtype": np.dtype(np.int64)}, loc=loc)
                 if g.aval(n).dtype != np.int64 else n for n in nodes)
    below = g.add("less", [low, g.add("negative", [bound], loc=loc)], loc=loc)
    beyond = g.add("greater_equal", [high, bound], loc=loc)
    return g.add("logical_or", [below, beyond], loc=loc)


def deferrable(error: BaseException) -> bool:
    """Whether ``error``, raised while tracing a body or branch, is the user's program
    failing (raised eagerly only if that code runs), not tracejit refusing it or a bug
    in tracejit (``frontend/boundary.py``)."""
    if isinstance(error, AttributeError) and type(getattr(error, "obj", None)).__module__.startswith("tracejit."):
        name = getattr(error, "name", None) or ""  # an attribute a traced value lacks: the program's error only
        if any(hasattr(t, name) for t in _STANDS_FOR):  # if what it stands for lacks it too
            return False
    return isinstance(error, DEFERRABLE) and not isinstance(error, TracejitError) and not is_internal(error)


def error_class(error: BaseException) -> tuple[type, str]:
    """A class and a message that rebuild ``error`` (``cls(message)`` prints as ``error``): its own
    class or a builtin base. A KeyError prints its key quoted (``KeyError('W')`` is ``'W'``), so it
    is rebuilt from its argument, not from its text (which gave a LookupError)."""
    text = str(error)
    messages = [text]
    if len(error.args) == 1 and isinstance(error.args[0], str) and error.args[0] != text:
        messages.insert(0, error.args[0])
    for cls in type(error).__mro__:
        for message in messages:
            try:
                if str(cls(message)) == text:
                    return cls, message
            except Exception:  # noqa: BLE001 - constructors with other signatures
                continue
    return RuntimeError, text


def _fresh(g: Graph, value: np.ndarray, loc) -> int:
    return g.add("copy", [g.add_constant(value, loc=loc)], loc=loc)


def _append_outputs(g: Graph, nodes: list[int]) -> None:
    first = len(g.outputs)
    for k, node in enumerate(nodes):
        if g.op(node) in ("input", "constant"):
            node = g.add("copy", [node], loc=g.loc(node))
        g.add_output(first + k, node)


def branch_outputs(true: Graph, true_checks: list[SubCheck], false: Graph, false_checks: list[SubCheck],
                   loc: str | None) -> tuple[list[AVal], list[SubCheck]]:
    """Append to both branches' outputs their code (0 in a branch that records no check;
    the false branch's cases numbered after the true branch's). Returns the avals of the
    extra results and the cond's packed check (its node: the index among them)."""
    if not true_checks and not false_checks:
        return [], []
    true_cases = true_checks[0].cases if true_checks else ()
    false_cases = false_checks[0].cases if false_checks else ()
    _append_outputs(true, [true_checks[0].node if true_checks else _fresh(true, np.zeros((), CODE), loc)])
    if false_checks:
        node = false_checks[0].node
        if true_cases:  # shifted past the true branch's cases, 0 staying 0
            shifted = false.add("add", [node, _constant(false, len(true_cases), loc)], loc=loc)
            failed = false.add("not_equal", [node, _constant(false, 0, loc)], loc=loc)
            node = false.add("where", [failed, shifted, node], loc=loc)
    else:
        node = _fresh(false, np.zeros((), CODE), loc)
    _append_outputs(false, [node])
    return [AVal((), CODE)], [SubCheck(0, true_cases + false_cases)]


def carry_checks(cond: Graph, body: Graph, n_carry: int, checks: list[SubCheck], loc: str | None) -> list[np.ndarray]:
    """Make the body's code an extra carried value (after the ``n_carry`` first): each
    step keeps the carried code if it is set, else takes its own. Returns the initial
    values (0: no failure); the captured inputs of both graphs move up past the new one."""
    if not checks:
        return []
    for g in (cond, body):
        for nid in g.inputs:
            if g.attrs(nid)["index"] >= n_carry:
                g.attrs(nid)["index"] += 1
    carried = body.add_input(n_carry, "checks", AVal((), CODE), loc=loc)
    earlier = body.add("not_equal", [carried, _constant(body, 0, loc)], loc=loc)
    _append_outputs(body, [body.add("where", [earlier, carried, checks[0].node], loc=loc)])
    return [np.zeros((), CODE)]
