"""Structured control flow: ``tj.while_loop``, ``tj.fori_loop`` and ``tj.cond``.

A Python ``for``/``if`` on traced values cannot be traced (the trace would need their
values), and unrolling a loop whose trip count depends on data is impossible. These
functions take the loop body, condition or branches as functions and trace each once,
into a graph of its own (a sub-trace whose parent is the enclosing trace): their
arguments are the loop's carried values (or the branch operands); any value of an
enclosing trace they read becomes a captured input (``Trace._capture``). The enclosing
graph gets one ``while``/``cond`` node (``compiler/ops/control.py``), compiled to a
native loop or branch over compiled sub-programs, with the carried values kept in
buffers between steps.

Results are those of the eager Python loop or branch. As in ``jax.lax``, the carried
values keep their structure, shapes and dtypes (a type that would depend on the trip
count or the branch taken is refused; a ``fori_loop`` with concrete bounds runs
retyping first steps before its loop), Python numbers stay weak, run-time checks and
errors of the program raise when the code that would raise runs
(``frontend/controlchecks.py``) and writes into carried values and operands reach the
caller's arrays (``frontend/controlwrites.py``). A complex value is carried as its two
real parts (``frontend/complex/value.py``). Outside a trace (``f.eager``,
``tj.config.disable_jit``) they run as plain Python loops and branches.
"""
from __future__ import annotations

import dataclasses
from typing import Any, Callable, NamedTuple

import numpy as np

from tracejit.compiler.dtypes import AVal
from tracejit.compiler.graph import SubGraph
from tracejit.errors import UnsupportedError, at, user_error
from tracejit.frontend import checks, controlchecks, controlwrites
from tracejit.frontend.affine import set_range, value_range
from tracejit.frontend.argchecks import check_callable, check_integer, check_predicate
from tracejit.frontend.arraylike import complex_support
from tracejit.frontend.context import creating_traced_arrays, current_trace, user_location
from tracejit.frontend.controlchecks import SubCheck, deferrable, error_class
from tracejit.frontend.core import Trace, Tracer, as_python_scalar, run_time_int
from tracejit.frontend.hostcall import after_control
from tracejit.frontend.operands import python_kind
from tracejit.frontend.tree import LEAF, TreeDef, flatten, unflatten


class _Parts(NamedTuple):
    """A complex value as its real and imaginary parts (carried as two real values)."""

    re: Any
    im: Any


def _split_complex(value):
    """``value`` with every complex leaf (traced or concrete) replaced by its :class:`_Parts`."""
    leaves, tree = flatten(value)
    out = []
    for leaf in leaves:
        pair = complex_support().split(leaf)
        out.append(leaf if pair is None else _Parts(*pair))
    return unflatten(tree, out)


def _join_complex(value):
    """The inverse of :func:`_split_complex` on traced values: parts become complex values."""
    if isinstance(value, _Parts):
        return complex_support().join(value.re, value.im)
    if isinstance(value, dict):
        return {k: _join_complex(v) for k, v in value.items()}
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return type(value)(*(_join_complex(v) for v in value))
    if isinstance(value, (tuple, list)):
        return type(value)(_join_complex(v) for v in value)
    return value


def _tracer_cls():
    return Tracer


def _as_traced(trace: Trace, leaf, what: str, loc):
    """``leaf`` (a traced value, array or Python number) as a value of ``trace``."""
    Tracer = _tracer_cls()
    if isinstance(leaf, Tracer):
        if leaf._home is trace:
            return leaf
        return _as_python(Tracer(trace, trace.node_of(leaf, loc), scalar=leaf._scalar), python_kind(leaf))
    if isinstance(leaf, (bool, int, float, np.ndarray, np.generic)):  # (complex ones are split before)
        out = Tracer(trace, trace.constant(np.asarray(leaf), loc), scalar=not isinstance(leaf, np.ndarray))
        return _as_python(out, python_kind(leaf))  # a Python number: promoted weakly, as eagerly
    raise UnsupportedError(f"{what}: a {type(leaf).__name__} cannot be carried (arrays and numbers only){at(loc)}")


def _as_python(t, kind: type | None):
    """``t`` (a new traced value) made the Python number of type ``kind`` (``int``,
    ``float``: weak in promotion; ``bool``: a Python bool), or left a NumPy value (None)."""
    if kind is bool:
        return as_python_scalar(t)
    t._weak = kind
    return t


def _coerce(trace: Trace, leaf, what: str, loc) -> int:
    """The node of a result ``leaf`` of a sub-trace. A Python number keeps its own type
    (int64, float64): eagerly a body returning ``1`` for a float32 carry carries a Python
    int from then on, so its type would depend on the trip count (refused by the caller)."""
    return trace.node_of(_as_traced(trace, leaf, what, loc), loc)


def _with_output(sub: SubGraph, index: int, make) -> SubGraph:
    """``sub`` with output ``index`` replaced by ``make(graph, node)`` (a node added to its graph)."""
    g = sub.graph
    out = g.outputs[index]
    (value,) = g.operands(out)
    new = make(g, value)
    g.remove(out)  # a new output node: the old one's shape and dtype are the old value's
    g.add_output(index, new)
    return SubGraph(g)


class _Traced(NamedTuple):
    """A traced body, condition or branch."""

    sub: SubGraph
    captured: list[int]  # the parent nodes it captured (its inputs after the arguments)
    tree: TreeDef  # its result's structure
    avals: list[AVal]  # its results' shapes and dtypes
    scalars: list[bool]  # which results are scalars
    weak: list  # each result's Python type when it is a (traced) Python number, else None
    checks: list[SubCheck]  # run-time checks it recorded (frontend/controlchecks.py)
    writes: controlwrites.Writes  # what it wrote into its arguments (frontend/controlwrites.py)


def _trace_sub(parent: Trace, name: str, fun: Callable, tree: TreeDef, args: list, loc,
               star: bool = False) -> _Traced:
    """Trace ``fun`` once on stand-ins for ``args`` (values of ``parent``)."""
    sub = Trace(name, parent=parent, n_args=len(args))
    Tracer = _tracer_cls()
    stand_ins = []
    for i, a in enumerate(args):
        t = Tracer(sub, sub.graph.add_input(i, f"{name}{i}", a.aval, loc=loc), scalar=a._scalar)
        stand_ins.append(_as_python(t, python_kind(a)))  # a Python number stays one
    structured = _join_complex(unflatten(tree, stand_ins))
    try:
        with creating_traced_arrays(sub):
            result = fun(*structured) if star else fun(structured)
        leaves, out_tree = flatten(_split_complex(result))
        nodes = [_coerce(sub, leaf, f"{name} result", loc) for leaf in leaves]
        recorded = controlchecks.collect(sub, loc)
        writes = controlwrites.observe(stand_ins, leaves)
    finally:
        sub.closed = True
    graph = sub.graph
    for i, node in enumerate(nodes):
        if graph.op(node) in ("input", "constant"):  # results are fresh arrays
            node = graph.add("copy", [node], loc=loc)
        graph.add_output(i, node)
    scalars = [isinstance(leaf, (bool, int, float, np.generic)) or getattr(leaf, "_scalar", False) for leaf in leaves]
    avals = [graph.aval(graph.operands(o)[0]) for o in graph.outputs]
    weak = [python_kind(leaf) for leaf in leaves]
    return _Traced(SubGraph(graph), list(sub.captured), out_tree, avals, scalars, weak, recorded, writes)


def _describe(avals: list[AVal]) -> str:
    return ", ".join(str(a) for a in avals)


class CarryChanged(UnsupportedError, TypeError):
    """A loop body returned carried values of another structure, shapes or dtypes than it
    was given: eagerly their type would depend on the trip count (a ``fori_loop`` with
    concrete bounds runs such steps before its loop)."""


class BranchesDiffer(UnsupportedError, TypeError):
    """The branches of a ``cond`` return values of different structures, shapes or
    dtypes: eagerly the result's type would depend on the data."""


def _real_tree(tree: TreeDef) -> TreeDef:
    """``tree`` with each complex value (a pair of parts) as one leaf."""
    if tree.kind == "namedtuple" and tree.keys == (_Parts,):
        return LEAF
    return dataclasses.replace(tree, children=tuple(_real_tree(c) for c in tree.children))


def _structure(tree: TreeDef) -> str:
    """``tree`` as Python writes such a nest, ``v`` for each leaf: ``((v, [v]), v)``."""
    inner = [_structure(c) for c in tree.children]
    if tree.kind == "leaf":
        return "v"
    if tree.kind == "list":
        return f"[{', '.join(inner)}]"
    if tree.kind == "dict":
        return "{" + ", ".join(f"{k!r}: {c}" for k, c in zip(tree.keys, inner)) + "}"
    return f"({', '.join(inner)}{',' if len(inner) == 1 else ''})"


def _check_same(what: str, tree: TreeDef, avals: list[AVal], want_tree: TreeDef, want: list[AVal], loc,
                error: type) -> None:
    if tree != want_tree:
        if _real_tree(tree) == _real_tree(want_tree):  # a real value became complex, or back
            raise error(f"{what}: a value changed between real and complex{at(loc)}")
        raise error(f"{what}: structure {_structure(tree)} differs from {_structure(want_tree)} (v: an array or "
                    f"number){at(loc)}")
    if list(avals) != list(want):
        raise error(f"{what}: shapes and dtypes [{_describe(avals)}] differ from [{_describe(want)}]{at(loc)}")


def while_loop(cond_fun: Callable[[Any], Any], body_fun: Callable[[Any], Any], init_val: Any) -> Any:
    """``val = init_val; while cond_fun(val): val = body_fun(val); return val``, compiled
    to a native loop when traced (``cond_fun`` returns a 0-d bool-like value; ``body_fun``
    returns a value of ``init_val``'s structure, shapes and dtypes); outside a trace, a Python loop.

    >>> import numpy as np, tracejit as tj
    >>> double_until = tj.jit(lambda x: tj.while_loop(lambda v: v.sum() < 100, lambda v: v * 2, x))
    >>> print(double_until(np.ones(3)))
    [64. 64. 64.]
    """
    return _while_loop(cond_fun, body_fun, init_val, kinds=False)


def _while_loop(cond_fun: Callable, body_fun: Callable, init_val: Any, kinds: bool) -> Any:
    """``while_loop``; with ``kinds`` a 0-d carry the body turns from a NumPy scalar into a
    0-d array, or back, raises ``CarryChanged`` (``fori_loop`` with concrete bounds then
    runs the first step before the loop, so the result has eager's kind; tracejit's own
    loops and ``tj.while_loop`` keep the initial value's kind, as jax.lax's loops do)."""
    check_callable(cond_fun, "tj.while_loop: cond_fun")
    check_callable(body_fun, "tj.while_loop: body_fun")
    trace = current_trace()
    if trace is None:
        val = init_val
        while bool(cond_fun(val)):
            val = body_fun(val)
        return val
    loc = user_location()
    leaves, tree = flatten(_split_complex(init_val))
    carried = [_as_traced(trace, leaf, "tj.while_loop carried value", loc) for leaf in leaves]
    avals = [c.aval for c in carried]
    cond = _trace_sub(trace, "cond", cond_fun, tree, carried, loc)
    if cond.tree.kind != "leaf" or cond.avals[0].shape != ():
        raise user_error(TypeError(f"tj.while_loop: cond_fun must return one 0-d value, "
                                   f"not [{_describe(cond.avals)}]{at(loc)}"))
    if cond.checks:  # carried by the body (only a body's checks are)
        return _test_in_body(cond_fun, body_fun, _join_complex(unflatten(tree, carried)))
    try:
        body = _trace_sub(trace, "body", body_fun, tree, carried, loc)
    except Exception as e:  # noqa: BLE001 - the user's error: raised if the body runs
        if not deferrable(e):
            raise
        return _never_runs(trace, cond_fun, _join_complex(unflatten(tree, carried)), e)
    # a value whose dtype the body changes (a Python int that becomes a float) would have
    # a type depending on the trip count: refused (fori_loop runs a first step before)
    _check_same("tj.while_loop: body_fun's result", body.tree, body.avals, tree, avals, loc, CarryChanged)
    if kinds and any(a.shape == () and s != c._scalar for a, s, c in zip(avals, body.scalars, carried)):
        # a NumPy scalar the body makes a 0-d array (np.asarray), or back: which one the loop
        # leaves would depend on the trip count as well
        raise CarryChanged(f"tj.fori_loop: body_fun's result: a NumPy scalar became a 0-d array, or back{at(loc)}")
    targets = controlwrites.check_loop(body.writes, cond.writes, leaves, body.captured, trace, loc)
    cond_graph = cond.sub.graph
    if cond.avals[0].dtype != np.bool_:  # truth of a number: != 0
        zero = np.zeros((), cond.avals[0].dtype)
        _with_output(cond.sub, 0, lambda g, v: g.add("not_equal", [v, g.add_constant(zero, loc=loc)], loc=loc))
    inits = controlchecks.carry_checks(cond_graph, body.sub.graph, len(carried), body.checks, loc)
    carried_nodes = [trace.node_of(c, loc) for c in carried] + [trace.constant(v, loc) for v in inits]
    node = trace.graph.add("while", carried_nodes + cond.captured + body.captured,
                           attrs={"cond": SubGraph(cond_graph), "body": SubGraph(body.sub.graph),
                                  "n_carry": len(carried_nodes), "n_cond": len(cond.captured)}, loc=loc)
    # a carried Python number stays one while the body keeps it one
    weak = [w if python_kind(c) is not None else None for c, w in zip(carried, body.weak)]
    n = len(carried)
    extra = [AVal(v.shape, v.dtype) for v in inits]
    outs = _results(trace, node, avals + extra, [c._scalar for c in carried] + [False] * len(inits), loc,
                    weak + [None] * len(inits))
    after_control(trace, [cond_graph, body.sub.graph], outs)  # later host calls run after it
    _record(trace, body.checks, outs[n:])
    controlwrites.write_back([t for _, t in targets], [outs[j] for j, _ in targets], loc)
    for j, target in targets:  # as eagerly, the loop returns the array its body wrote in place (so a
        outs[j] = target       # loop around this one sees its carried array written and returned)
    return _join_complex(unflatten(tree, outs[:n]))


def _record(trace: Trace, recorded: list[SubCheck], values: list) -> None:
    """Record in ``trace`` the packed checks of a loop or branch, given its code there."""
    for c, value in zip(recorded, values):
        checks.record_code(trace, value, c.cases)


def _truth(value):
    """A loop condition's value as a 0-d bool (traced, or a concrete NumPy bool)."""
    if isinstance(value, _tracer_cls()):
        return value if value.dtype == np.bool_ else value != 0
    return np.bool_(bool(value))


def _test_in_body(cond_fun: Callable, body_fun: Callable, state) -> Any:
    """The loop with its test run once before it (here, so its checks are the caller's)
    and then at the end of each step (in the body, which carries its checks)."""
    first = _truth(cond_fun(state))

    def body(s):
        value = body_fun(s[0])
        return value, _truth(cond_fun(value))

    return while_loop(lambda s: s[1], body, (state, first))[0]


def _never_runs(trace: Trace, cond_fun: Callable, state, error: BaseException) -> Any:
    """A loop whose body fails to trace (an error the program raises eagerly when the body
    runs): the call raises it if the first test holds; else the loop returns ``state``."""
    first = _truth(cond_fun(state))
    if not isinstance(first, _tracer_cls()):
        if first:
            raise error
        return state
    checks.record(first, *error_class(error))
    return state


def _results(trace: Trace, node: int, avals: list[AVal], scalars: list[bool], loc, weak: list) -> list:
    Tracer = _tracer_cls()
    out = []
    for i, (a, s, w) in enumerate(zip(avals, scalars, weak)):
        t = Tracer(trace, trace.graph.add("loop_out", [node], attrs={"index": i, "shape": a.shape, "dtype": a.dtype},
                                          loc=loc), scalar=s and a.shape == ())
        out.append(_as_python(t, w if a.shape == () else None))
    return out


MAX_PEELED = 3  # first steps of a fori_loop run before its loop, while they change carried dtypes


def fori_loop(lower: object, upper: object, body_fun: Callable[[Any, Any], Any], init_val: Any) -> Any:
    """``val = init_val; for i in range(lower, upper): val = body_fun(i, val); return val``,
    compiled to a native loop when traced (``lower``/``upper`` may be traced integers).
    With concrete bounds, a first step that changes a carried value's dtype or shape
    (an int array plus a float, a value broadcast up) runs before the loop, as eagerly.

    >>> import numpy as np, tracejit as tj
    >>> @tj.jit
    ... def triangle(x, n):  # n: a traced bound, one compiled loop for every n
    ...     return tj.fori_loop(0, n, lambda i, acc: acc + i * x, np.zeros_like(x))
    >>> print(triangle(np.ones(2), 4), triangle(np.ones(2), 5))
    [6. 6.] [10. 10.]
    """
    check_callable(body_fun, "tj.fori_loop: body_fun")
    trace = current_trace()
    if trace is None:
        check_integer(lower, "tj.fori_loop: lower")
        check_integer(upper, "tj.fori_loop: upper")
        val = init_val
        for i in range(int(lower), int(upper)):
            val = body_fun(i, val)
        return val
    Tracer = _tracer_cls()
    loc = user_location()
    for name, bound in (("lower", lower), ("upper", upper)):
        kind = np.asarray(bound).dtype.kind if not isinstance(bound, Tracer) else bound.dtype.kind
        if kind not in "iu" or np.ndim(bound) != 0:
            raise user_error(TypeError(f"tj.fori_loop: {name} must be an integer scalar{at(loc)}"))
    concrete = not isinstance(lower, Tracer) and not isinstance(upper, Tracer)
    if concrete and int(lower) >= int(upper):
        return init_val  # no step: the value as it is, as range() gives
    for peeled in range(MAX_PEELED + 1):
        try:
            return _fori(trace, lower, upper, body_fun, init_val, loc)
        except CarryChanged:
            if not concrete or int(lower) >= int(upper) or peeled == MAX_PEELED:
                raise
        init_val = body_fun(int(lower), init_val)
        lower = int(lower) + 1
        if lower >= int(upper):
            return init_val
    raise AssertionError("unreachable")


def _fori(trace: Trace, lower, upper, body_fun: Callable, init_val: Any, loc) -> Any:
    """``fori_loop`` as a ``while_loop`` over ``(i, value)``."""
    Tracer = _tracer_cls()
    if isinstance(lower, Tracer) and lower.dtype != np.int64:
        lower = trace.apply("convert", [lower], {"dtype": np.dtype(np.int64)}, scalar=True)
    start = Tracer(trace, trace.node_of(lower if isinstance(lower, Tracer) else np.int64(lower), loc), scalar=True)
    start._weak = int  # the body's index is a Python int, as range() gives it eagerly
    stop = upper if isinstance(upper, Tracer) else run_time_int(trace, int(upper))

    def cond_fun(state):
        return state[0] < stop

    def body(state):
        i, val = state
        low, high = value_range(lower), value_range(upper)  # bounds, or a traced bound's known range
        if low is not None and high is not None:  # bounds checks on ``x[i]`` fold away (frontend/affine.py)
            set_range(i, low[0], high[1] - 1, exact=not isinstance(lower, Tracer) and not isinstance(upper, Tracer))
        return i + 1, body_fun(i, val)

    concrete = not isinstance(lower, Tracer) and not isinstance(upper, Tracer)
    return _while_loop(cond_fun, body, (start, init_val), kinds=concrete)[1]


def cond(pred: object, true_fun: Callable, false_fun: Callable, *operands: object) -> Any:
    """``true_fun(*operands) if pred else false_fun(*operands)``; with a traced ``pred``,
    both branches are traced once and compiled to a native branch (they must return
    the same structure, shapes and dtypes; a Python number takes the other branch's
    dtype where NumPy's promotion would give it, two Python numbers the wider type).
    With a Python ``pred`` only the branch taken runs.

    >>> import numpy as np, tracejit as tj
    >>> f = tj.jit(lambda x: tj.cond(x.sum() > 0, lambda v: v * 2, lambda v: v - 1, x))
    >>> print(f(np.ones(2)), f(-np.ones(2)))
    [2. 2.] [-2. -2.]
    """
    check_callable(true_fun, "tj.cond: true_fun")
    check_callable(false_fun, "tj.cond: false_fun")
    Tracer = _tracer_cls()
    trace = current_trace()
    if trace is None or not isinstance(pred, Tracer):
        check_predicate(pred, "tj.cond: pred")
        return true_fun(*operands) if bool(pred) else false_fun(*operands)
    loc = user_location()
    if pred.shape != ():
        raise user_error(TypeError(f"tj.cond: pred must be a 0-d value, not {pred.aval}{at(loc)}"))
    truth = pred if pred.dtype == np.bool_ else pred != 0
    leaves, tree = flatten(_split_complex(tuple(operands)))
    args = [_as_traced(trace, leaf, "tj.cond operand", loc) for leaf in leaves]
    true, false = _trace_branches(trace, true_fun, false_fun, tree, args, loc)
    true_sub, false_sub, avals = true.sub, false.sub, list(true.avals)
    _check_same("tj.cond: false_fun's result", false.tree, false.avals, true.tree, avals, loc, BranchesDiffer)
    weak = [t if t is not None and f is not None else None for t, f in zip(true.weak, false.weak)]
    targets = controlwrites.branch_outputs(true_sub.graph, true.writes, false_sub.graph, false.writes, leaves,
                                           true.captured + false.captured, trace, loc)
    g = true_sub.graph
    written = [g.aval(g.operands(o)[0]) for o in g.outputs[len(avals):]]  # the operands written back
    check_avals, packed = controlchecks.branch_outputs(true_sub.graph, true.checks, false_sub.graph, false.checks,
                                                       loc)
    extra = written + check_avals
    operands = [trace.node_of(a, loc) for a in args]  # each branch's inputs: the operands, then its captures
    node = trace.graph.add("cond", [trace.node_of(truth, loc)] + operands + true.captured + operands + false.captured,
                           attrs={"true": SubGraph(true_sub.graph), "false": SubGraph(false_sub.graph),
                                  "n_true": len(args) + len(true.captured)}, loc=loc)
    n = len(avals)
    outs = _results(trace, node, avals + extra, true.scalars + [False] * len(extra), loc, weak + [None] * len(extra))
    after_control(trace, [true_sub.graph, false_sub.graph], outs)  # later host calls run after it
    _record(trace, packed, outs[n + len(written):])
    controlwrites.write_back(targets, outs[n:n + len(written)], loc)
    # as eagerly, a result that both branches return as the operand they write is that array
    # (so a loop whose body is this branch sees its carried array written and returned)
    written_ops = [j for j, (tw, fw) in enumerate(zip(true.writes.written, false.writes.written)) if tw or fw]
    for r, (tj_, fj) in enumerate(zip(true.writes.in_place[:n], false.writes.in_place[:n])):
        if tj_ is not None and tj_ == fj and tj_ in written_ops and targets[written_ops.index(tj_)] is not None:
            outs[r] = targets[written_ops.index(tj_)]
    return _join_complex(unflatten(true.tree, outs[:n]))


def _trace_branches(trace: Trace, true_fun: Callable, false_fun: Callable, tree: TreeDef, args: list,
                    loc) -> tuple[_Traced, _Traced]:
    """Both branches traced; one that fails to trace with an error of the program (raised
    eagerly only when it is taken) becomes a branch returning zeros that raises it."""
    errors = []
    traced = []
    for name, fun in (("true", true_fun), ("false", false_fun)):
        try:
            traced.append(_trace_sub(trace, name, fun, tree, args, loc, star=True))
            errors.append(None)
        except Exception as e:  # noqa: BLE001 - the user's error, if it is one: raised when taken
            if not deferrable(e):
                raise
            traced.append(None)
            errors.append(e)
    if errors[0] is not None and errors[1] is not None:
        raise errors[0]
    for k, (name, error) in enumerate(zip(("true", "false"), errors)):
        if error is not None:
            other = traced[1 - k]
            traced[k] = _trace_sub(trace, name, _failing(error, other), tree, args, loc, star=True)
    return traced[0], traced[1]


def _failing(error: BaseException, other: _Traced) -> Callable:
    """A branch that records ``error`` as always raised and returns zeros like ``other``."""
    def branch(*operands):
        sub = current_trace()
        flag = _tracer_cls()(sub, sub.constant(np.ones((), np.bool_)), scalar=True)
        checks.record(flag, *error_class(error))
        zeros = [w(0) if w is not None else a.dtype.type(0) if s and a.shape == () else np.zeros(a.shape, a.dtype)
                 for a, w, s in zip(other.avals, other.weak, other.scalars)]  # (a NumPy scalar stays one)
        return unflatten(other.tree, zeros)
    return branch


# the pieces frontend/probe.py builds its generalized loops from
trace_sub = _trace_sub
as_traced = _as_traced
split_complex = _split_complex
join_complex = _join_complex
loop_results = _results
