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

Semantics are those of ``jax.lax``: the carried values keep their structure, shapes and
dtypes (the body must return the same; Python numbers it returns take the carried
dtype); a branch pair returns the same structure, shapes and dtypes. A complex value is
carried as its two real parts (``frontend/complexvalue.py``). Outside a trace
(``f.eager``, ``tj.config.disable_jit``) they run as plain Python loops and branches.
"""
from __future__ import annotations

from typing import Any, Callable, NamedTuple

import numpy as np

from tracejit.compiler.dtypes import AVal
from tracejit.compiler.ops.control import SubGraph
from tracejit.errors import UnsupportedError, at, user_error
from tracejit.frontend.creation import creating_traced_arrays, current_trace
from tracejit.frontend.trace import Trace, user_location
from tracejit.frontend.tree import TreeDef, flatten, unflatten


class _Parts(NamedTuple):
    """A complex value as its real and imaginary parts (carried as two real values)."""

    re: Any
    im: Any


def _split_complex(value):
    """``value`` with every complex leaf (traced or concrete) replaced by its :class:`_Parts`."""
    from tracejit.frontend.complexvalue import ComplexTracer, is_complex
    leaves, tree = flatten(value)
    out = []
    for leaf in leaves:
        if isinstance(leaf, ComplexTracer):
            leaf = _Parts(leaf.re_part, leaf.im_part)
        elif is_complex(leaf):
            v = np.asarray(leaf)
            scalar = not isinstance(leaf, np.ndarray)
            leaf = _Parts(*((p[()] if scalar else np.ascontiguousarray(p)) for p in (v.real, v.imag)))
        out.append(leaf)
    return unflatten(tree, out)


def _join_complex(value):
    """The inverse of :func:`_split_complex` on traced values: parts become complex values."""
    if isinstance(value, _Parts):
        from tracejit.frontend.complexvalue import make
        return make(value.re, value.im)
    if isinstance(value, dict):
        return {k: _join_complex(v) for k, v in value.items()}
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return type(value)(*(_join_complex(v) for v in value))
    if isinstance(value, (tuple, list)):
        return type(value)(_join_complex(v) for v in value)
    return value


def _tracer_cls():
    from tracejit.frontend.tracer import Tracer
    return Tracer


def _as_traced(trace: Trace, leaf, what: str, loc):
    """``leaf`` (a traced value, array or Python number) as a value of ``trace``."""
    Tracer = _tracer_cls()
    if isinstance(leaf, Tracer):
        return leaf if leaf._home is trace else Tracer(trace, trace.node_of(leaf, loc), scalar=leaf._scalar)
    if isinstance(leaf, (bool, int, float, np.ndarray, np.generic)):  # (complex ones are split before)
        out = Tracer(trace, trace.constant(np.asarray(leaf), loc), scalar=not isinstance(leaf, np.ndarray))
        if type(leaf) in (int, float):  # a Python number: promoted weakly, as eagerly
            out._weak = type(leaf)
        return out
    raise UnsupportedError(f"{what}: a {type(leaf).__name__} cannot be carried (arrays and numbers only){at(loc)}")


def _coerce(trace: Trace, leaf, expected: AVal | None, what: str, loc) -> int:
    """The node of a result ``leaf`` of a sub-trace; Python numbers (and values computed
    only from Python numbers) take the ``expected`` dtype, as carried values keep theirs."""
    Tracer = _tracer_cls()
    weak = isinstance(leaf, (bool, int, float)) or (isinstance(leaf, Tracer) and leaf._weak is not None)
    if isinstance(leaf, (bool, int, float)) and expected is not None:
        leaf = np.asarray(leaf, dtype=expected.dtype)
    node = trace.node_of(_as_traced(trace, leaf, what, loc), loc)
    if weak and expected is not None and trace.graph.aval(node).dtype != expected.dtype:
        node = trace.graph.add("convert", [node], attrs={"dtype": expected.dtype}, loc=loc)
    return node


def _trace_sub(parent: Trace, name: str, fun: Callable, tree: TreeDef, args: list, loc, expected=None,
               star: bool = False) -> tuple[SubGraph, list[int], TreeDef, list[AVal], list[bool]]:
    """Trace ``fun`` once on stand-ins for ``args`` (values of ``parent``): its graph, the
    parent nodes it captured (its inputs after the arguments), its result structure,
    result avals and which results are scalars."""
    sub = Trace(name, parent=parent, n_args=len(args))
    Tracer = _tracer_cls()
    stand_ins = []
    for i, a in enumerate(args):
        t = Tracer(sub, sub.graph.add_input(i, f"{name}{i}", a.aval, loc=loc), scalar=a._scalar)
        t._weak = a._weak  # a Python number stays one (NumPy 2 promotes it weakly)
        stand_ins.append(t)
    structured = _join_complex(unflatten(tree, stand_ins))
    try:
        with creating_traced_arrays(sub):
            result = fun(*structured) if star else fun(structured)
        leaves, out_tree = flatten(_split_complex(result))
        if expected is not None and len(leaves) != len(expected):
            expected = None  # the structure check below says what is wrong
        nodes = [_coerce(sub, leaf, None if expected is None else expected[i], f"{name} result", loc)
                 for i, leaf in enumerate(leaves)]
    finally:
        sub.closed = True
    graph = sub.graph
    for i, node in enumerate(nodes):
        if graph.op(node) in ("input", "constant"):  # results are fresh arrays
            node = graph.add("copy", [node], loc=loc)
        graph.add_output(i, node)
    scalars = [isinstance(leaf, (bool, int, float, np.generic)) or getattr(leaf, "_scalar", False) for leaf in leaves]
    avals = [graph.aval(graph.operands(o)[0]) for o in graph.outputs]
    return SubGraph(graph), list(sub.captured), out_tree, avals, scalars


def _describe(avals: list[AVal]) -> str:
    return ", ".join(str(a) for a in avals)


def _check_same(what: str, tree: TreeDef, avals: list[AVal], want_tree: TreeDef, want: list[AVal], loc) -> None:
    if tree != want_tree:
        raise user_error(TypeError(f"{what}: structure {tree} differs from {want_tree}{at(loc)}"))
    if list(avals) != list(want):
        raise user_error(TypeError(f"{what}: shapes and dtypes [{_describe(avals)}] differ from "
                                   f"[{_describe(want)}]{at(loc)}"))


def while_loop(cond_fun: Callable[[Any], Any], body_fun: Callable[[Any], Any], init_val: Any) -> Any:
    """``val = init_val; while cond_fun(val): val = body_fun(val); return val``, compiled
    to a native loop when traced (``cond_fun`` returns a 0-d bool-like value; ``body_fun``
    returns a value of ``init_val``'s structure, shapes and dtypes)."""
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
    cond, cond_captured, cond_tree, cond_avals, _ = _trace_sub(trace, "cond", cond_fun, tree, carried, loc)
    if cond_tree.kind != "leaf" or cond_avals[0].shape != ():
        raise user_error(TypeError(f"tj.while_loop: cond_fun must return one 0-d value, "
                                   f"not [{_describe(cond_avals)}]{at(loc)}"))
    if cond_avals[0].dtype != np.bool_:  # truth of a number: != 0
        g = cond.graph
        (out,) = g.outputs
        (value,) = g.operands(out)
        zero = g.add_constant(np.zeros((), cond_avals[0].dtype), loc=loc)
        truth = g.add("not_equal", [value, zero], loc=loc)
        g.remove(out)  # a new output node: the old one says the number's dtype
        g.add_output(0, truth)
        cond = SubGraph(g)
    body, body_captured, body_tree, body_avals, _ = _trace_sub(trace, "body", body_fun, tree, carried, loc,
                                                               expected=avals)
    _check_same("tj.while_loop: body_fun's result", body_tree, body_avals, tree, avals, loc)
    operands = [trace.node_of(c, loc) for c in carried] + cond_captured + body_captured
    node = trace.graph.add("while", operands, attrs={"cond": cond, "body": body, "n_carry": len(carried),
                                                     "n_cond": len(cond_captured)}, loc=loc)
    return _join_complex(unflatten(tree, _results(trace, node, avals, [c._scalar for c in carried], loc)))


def _results(trace: Trace, node: int, avals: list[AVal], scalars: list[bool], loc) -> list:
    Tracer = _tracer_cls()
    return [Tracer(trace, trace.graph.add("loop_out", [node], attrs={"index": i, "shape": a.shape, "dtype": a.dtype},
                                          loc=loc), scalar=s and a.shape == ())
            for i, (a, s) in enumerate(zip(avals, scalars))]


def fori_loop(lower, upper, body_fun: Callable[[Any, Any], Any], init_val: Any) -> Any:
    """``val = init_val; for i in range(lower, upper): val = body_fun(i, val); return val``,
    compiled to a native loop when traced (``lower``/``upper`` may be traced integers)."""
    trace = current_trace()
    if trace is None:
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
    start = Tracer(trace, trace.node_of(lower.astype(np.int64) if isinstance(lower, Tracer) else np.int64(lower), loc),
                   scalar=True)
    start._weak = int  # the body's index is a Python int, as range() gives it eagerly

    def cond_fun(state):
        return state[0] < upper

    def body(state):
        i, val = state
        return i + 1, body_fun(i, val)

    return while_loop(cond_fun, body, (start, init_val))[1]


def cond(pred, true_fun: Callable, false_fun: Callable, *operands) -> Any:
    """``true_fun(*operands) if pred else false_fun(*operands)``; with a traced ``pred``,
    both branches are traced once and compiled to a native branch (they must return
    the same structure, shapes and dtypes). A concrete ``pred`` just calls one branch."""
    Tracer = _tracer_cls()
    trace = current_trace()
    if trace is None or not isinstance(pred, Tracer):
        return true_fun(*operands) if bool(pred) else false_fun(*operands)
    loc = user_location()
    if pred.shape != ():
        raise user_error(TypeError(f"tj.cond: pred must be a 0-d value, not {pred.aval}{at(loc)}"))
    truth = pred if pred.dtype == np.bool_ else pred != 0
    leaves, tree = flatten(_split_complex(tuple(operands)))
    args = [_as_traced(trace, leaf, "tj.cond operand", loc) for leaf in leaves]
    true, true_captured, true_tree, true_avals, scalars = _trace_sub(trace, "true", true_fun, tree, args, loc,
                                                                      star=True)
    false, false_captured, false_tree, false_avals, _ = _trace_sub(trace, "false", false_fun, tree, args, loc,
                                                                    expected=true_avals, star=True)
    _check_same("tj.cond: false_fun's result", false_tree, false_avals, true_tree, true_avals, loc)
    operands = [trace.node_of(a, loc) for a in args]  # each branch's inputs: the operands, then its captures
    node = trace.graph.add("cond", [trace.node_of(truth, loc)] + operands + true_captured + operands + false_captured,
                           attrs={"true": true, "false": false, "n_true": len(args) + len(true_captured)}, loc=loc)
    return _join_complex(unflatten(true_tree, _results(trace, node, true_avals, scalars, loc)))
