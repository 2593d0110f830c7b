"""Small rewrite rules, each a function ``(graph, node) -> replacement node or None``.

The table removes no-op views and conversions, merges chained reshapes, turns powers
with a constant exponent into cheaper ops, recognizes sigmoid, and applies the exact
algebraic identities of :mod:`algebra` (x+0, x*1, integer x*0, double negation,
transpose of transpose, broadcast scalar constants, division by a power of two) and
turns the head of a sort into a partial sort, partitions of one array into one (:mod:`partial_sort`),
and moves transposes past reductions and elementwise ops (:mod:`transposes`).
"""
from __future__ import annotations

from typing import Callable

from tracejit.compiler.graph import Graph
from tracejit.compiler.passes.algebra import RULES as ALGEBRA
from tracejit.compiler.passes.algebra import nested, scalar_constant
from tracejit.compiler.passes.partial_sort import head_of_sort, merged_partitions
from tracejit.compiler.passes.transposes import RULES as TRANSPOSES

Rule = Callable[[Graph, int], "int | None"]


def _identity_view(graph: Graph, nid: int) -> int | None:
    op, attrs = graph.op(nid), graph.attrs(nid)
    if op not in ("reshape", "broadcast_to", "transpose", "slice", "convert"):
        return None
    (src,) = graph.operands(nid)
    if graph.aval(src) != graph.aval(nid):
        return None
    if op == "transpose" and attrs["perm"] != tuple(range(len(attrs["perm"]))):
        return None
    if op == "slice" and (any(attrs["starts"]) or any(s != 1 for s in attrs["steps"])):
        return None
    return src


def _reshape_of_reshape(graph: Graph, nid: int) -> int | None:
    found = nested(graph, nid, "reshape")
    if found is None:
        return None
    return graph.add("reshape", [found[1]], dict(graph.attrs(nid)), loc=graph.loc(nid))


# x ** c -> what NumPy's own scalar-exponent fast paths compute (bit-identical), plus
# x ** 3 -> x * x * x (exact for integers, within 1 ulp of pow for floats).
_POWERS = {2: ("square",), 0.5: ("sqrt",), -1: ("reciprocal",), 3: ("square", "multiply")}


def _constant_power(graph: Graph, nid: int) -> int | None:
    if graph.op(nid) != "power":
        return None
    base, exponent = graph.operands(nid)
    value = scalar_constant(graph, exponent)
    dtype = graph.aval(nid).dtype
    if value is None or graph.aval(base) != graph.aval(nid) or value not in _POWERS:
        return None
    if dtype.kind != "f" and value in (0.5, -1):
        return None
    if dtype.kind == "f" and dtype.itemsize == 2 and len(_POWERS[value]) > 1:
        return None  # float16 rounds after each op: x*x*x is not NumPy's powf(x, 3) rounded once
    loc = graph.loc(nid)
    ops = _POWERS[value]
    out = graph.add(ops[0], [base], loc=loc)
    if len(ops) == 2:
        out = graph.add(ops[1], [out, base], loc=loc)
    return out


def _is_one(graph: Graph, nid: int) -> bool:
    return scalar_constant(graph, nid) == 1


def _sigmoid(graph: Graph, nid: int) -> int | None:
    """1 / (1 + exp(-x)) (as divide or reciprocal) -> sigmoid(x)."""
    op, operands = graph.op(nid), graph.operands(nid)
    if op == "divide" and _is_one(graph, operands[0]):
        denominator = operands[1]
    elif op == "reciprocal":
        denominator = operands[0]
    else:
        return None
    if graph.op(denominator) != "add":
        return None
    a, b = graph.operands(denominator)
    e = b if _is_one(graph, a) else a if _is_one(graph, b) else None
    if e is None or graph.op(e) != "exp" or graph.op(graph.operands(e)[0]) != "negative":
        return None
    x = graph.operands(graph.operands(e)[0])[0]
    if graph.aval(x).shape != graph.aval(nid).shape or graph.aval(x).dtype.kind != "f":
        return None  # integer negation wraps (unsigned, MIN): not a sigmoid
    if graph.aval(x).dtype.itemsize == 2:
        return None  # float16 rounds exp, the sum and the quotient each: one sigmoid would not
    new = graph.add("sigmoid", [x], loc=graph.loc(nid))
    return new if graph.aval(new) == graph.aval(nid) else None


def _whole_step(shape: tuple, op: str, attrs: dict) -> bool:
    """Whether view step ``op`` of an array of ``shape`` selects all of it, unchanged."""
    if op == "reshape":
        return tuple(attrs["shape"]) == tuple(shape)
    if op == "transpose":
        return tuple(attrs["perm"]) == tuple(range(len(shape)))
    return False


def _whole_update(graph: Graph, nid: int) -> int | None:
    """``update(base, value, path=())`` replaces every element: it is ``value`` (a masked
    write ``a[mask] = v`` is ``update(a, where(mask, v, a))``, ``acc += x`` is
    ``update(acc, acc + x)``), so the value fuses on into its readers. Only for arrays
    created in the function or carried by a loop (a body's ``donated`` input), not
    arguments (unless the value is a loop's result), and not for an input or constant
    value (outputs get their own buffers).
    A path of views that select the whole array as it is (a reshape to its own shape)
    counts as no path."""
    if graph.op(nid) != "update" or not all(_whole_step(graph.aval(nid).shape, op, dict(attrs))
                                            for op, attrs in graph.attrs(nid)["path"]):
        return None
    base, value = graph.operands(nid)
    while graph.op(base) == "update":
        base = graph.operands(base)[0]
    carried = graph.data(base).get("donated") is not None and not graph.data(base).get("argument")
    if graph.op(base) == "input" and not carried and graph.op(value) != "loop_out":
        return None  # an argument's new value: stored once (it is written back anyway), later reads
        # (often broadcast, as in n-body) load it; a loop's result is in a buffer already (storing it
        # again would copy the whole array once more)
    if graph.aval(value) != graph.aval(nid) or graph.op(value) in ("input", "constant"):
        return None
    return value


def _update_with_own_region(graph: Graph, nid: int) -> int | None:
    """``update(base, region, path)`` where ``region`` is ``base`` seen through ``path``
    itself writes every element back unchanged: it is ``base`` (``a[s] /= d`` writes the
    view and then assigns the view to ``a[s]``, a second write of the same values)."""
    if graph.op(nid) != "update":
        return None
    base, node = graph.operands(nid)
    for op, attrs in reversed(graph.attrs(nid)["path"]):
        if graph.op(node) != op or dict(graph.attrs(node)) != dict(attrs) or len(graph.operands(node)) != 1:
            return None
        node = graph.operands(node)[0]
    return base if node == base else None


def _same_array(graph: Graph, nid: int) -> int:
    """``nid`` through reshapes to its own shape."""
    while graph.op(nid) == "reshape" and graph.aval(graph.operands(nid)[0]) == graph.aval(nid):
        nid = graph.operands(nid)[0]
    return nid


def _stores_own_region(graph: Graph, nid: int) -> int | None:
    """A ``scatter`` of one index or a ``dynamic_update`` storing ``base``'s own region at
    the same place (``a[i] += v`` updates the row in place, then assigns the row to
    ``a[i]``: the second write copies the row onto itself) is ``base``. Both ops read the
    start as the slice did (wrapped, then clamped)."""
    op = graph.op(nid)
    if op not in ("scatter", "dynamic_update") or graph.attrs(nid).get("combine"):  # (ufunc.at: base + region)
        return None
    base, value, *starts = graph.operands(nid)
    region = value
    if op == "scatter":  # one 0-d index: the value is the region without its axis
        axis = graph.attrs(nid)["axis"]
        if len(starts) != 1 or graph.aval(starts[0]).shape != () or graph.op(value) != "reshape":
            return None
        region = graph.operands(value)[0]
        dims, steps = (axis,), (1,)
        if graph.op(region) != "dynamic_slice" or tuple(graph.attrs(region)["sizes"]) != (1,):
            return None
    else:
        dims, steps = tuple(graph.attrs(nid)["dims"]), tuple(graph.attrs(nid)["steps"])
    if graph.op(region) != "dynamic_slice" or graph.operands(region)[1:] != starts:
        return None
    attrs = graph.attrs(region)
    if (tuple(attrs["dims"]), tuple(attrs["steps"])) != (dims, steps):
        return None
    return base if _same_array(graph, graph.operands(region)[0]) == _same_array(graph, base) else None


def _reduce_over_nothing(graph: Graph, nid: int) -> int | None:
    """``min``/``max`` over no axes (a bounds check's extent of a scalar index) is its operand."""
    if graph.op(nid) not in ("min", "max") or tuple(graph.attrs(nid).get("axes", (0,))) != ():
        return None
    (src,) = graph.operands(nid)
    return src if graph.aval(src) == graph.aval(nid) else None


RULES: dict[str, Rule] = {
    "identity_view": _identity_view,
    "update_with_own_region": _update_with_own_region,
    "stores_own_region": _stores_own_region,
    "reduce_over_nothing": _reduce_over_nothing,
    "whole_update": _whole_update,
    "reshape_of_reshape": _reshape_of_reshape,
    "constant_power": _constant_power,
    "sigmoid": _sigmoid,
    "head_of_sort": head_of_sort,
    "merged_partitions": merged_partitions,
    **ALGEBRA,
    **TRANSPOSES,
}


def simplify(graph: Graph, rules: dict[str, Rule] | None = None) -> bool:
    """Apply ``rules`` (default: :data:`RULES`) once over the graph in topological order."""
    changed = False
    for nid in graph.topo_order():
        if nid not in graph:
            continue
        for rule in (rules or RULES).values():
            new = rule(graph, nid)
            if new is not None and new != nid and graph.aval(new) == graph.aval(nid):  # never a reshaped value
                graph.replace_uses(nid, new)
                graph.remove(nid)
                changed = True
                break
    return changed
