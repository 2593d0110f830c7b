"""Algebraic identities, each a rule ``(graph, node) -> replacement node or None``.

Every rule is exact: the rewritten graph gives the same bits as NumPy for every input,
NaN, infinities and signed zeros included, or the rule does not fire. Hence:
- ``x + 0`` only for integers, or for floats when the zero is ``-0.0`` (``-0.0 + 0.0``
  is ``+0.0``); ``x - 0`` for ``+0.0`` and integers;
- ``x * 0 -> 0`` only for integers and booleans (``nan * 0`` is NaN, ``-3.0 * 0`` is -0.0);
- ``x / c -> x * (1/c)`` only when ``c`` is a power of two whose reciprocal is a normal
  number (then both round the same exact quotient);
- no ``exp(log(x)) -> x``, ``log(exp(x)) -> x`` or ``sqrt(x)**2 -> x``: none is exact in
  floating point (``exp(log(3.0))`` is 3.0000000000000004), so the table has no such rule.
"""
from __future__ import annotations

import math

import numpy as np

from tracejit.compiler.graph import Graph
from tracejit.compiler.ops import get_op


def scalar_constant(graph: Graph, nid: int) -> np.generic | None:
    """The value of a one-element constant (possibly broadcast), as a NumPy scalar, else None."""
    while graph.op(nid) == "broadcast_to":
        (nid,) = graph.operands(nid)
    if graph.op(nid) == "constant" and graph.data(nid)["value"].size == 1:
        return graph.data(nid)["value"].reshape(())[()]
    return None


def _is(value, target: float, negative_zero: bool | None = None) -> bool:
    """``value == target`` (and, for a zero, its sign when ``negative_zero`` is given)."""
    if value is None or value != target:
        return False
    if negative_zero is None or np.asarray(value).dtype.kind != "f":
        return True
    return bool(np.signbit(value)) == negative_zero


def nested(graph: Graph, nid: int, op: str) -> tuple[int, int] | None:
    """(inner node, x) when ``nid`` is ``op(op(x))`` of one-operand ops, else None."""
    if graph.op(nid) != op:
        return None
    (inner,) = graph.operands(nid)
    if graph.op(inner) != op:
        return None
    (x,) = graph.operands(inner)
    return inner, x


def _same(graph: Graph, a: int, b: int) -> bool:
    return graph.aval(a) == graph.aval(b)


def _exact_int(graph: Graph, nid: int) -> bool:
    return graph.aval(nid).dtype.kind in "iub"


def _identity_operand(graph: Graph, nid: int) -> int | None:
    """``x + 0``, ``0 + x``, ``x - 0``, ``x * 1``, ``1 * x``, ``x / 1`` -> x (exactly; see module)."""
    op, operands = graph.op(nid), graph.operands(nid)
    if op not in ("add", "subtract", "multiply", "divide") or len(operands) != 2:
        return None
    x, c = operands
    candidates = [(x, scalar_constant(graph, c))]
    if op in ("add", "multiply"):
        candidates.append((c, scalar_constant(graph, x)))
    for keep, value in candidates:
        if value is None or not _same(graph, keep, nid):
            continue
        integer = _exact_int(graph, nid)
        if op == "add" and _is(value, 0, None if integer else True):
            return keep
        if op == "subtract" and _is(value, 0, None if integer else False):
            return keep
        if op in ("multiply", "divide") and _is(value, 1):
            return keep
    return None


def _multiply_by_zero(graph: Graph, nid: int) -> int | None:
    """Integer or boolean ``x * 0`` -> a zero constant broadcast to the result."""
    if graph.op(nid) != "multiply" or not _exact_int(graph, nid):
        return None
    if not any(_is(scalar_constant(graph, u), 0) for u in graph.operands(nid)):
        return None
    aval = graph.aval(nid)
    zero = graph.add_constant(np.zeros((), aval.dtype), loc=graph.loc(nid))
    return graph.add("broadcast_to", [zero], {"shape": tuple(aval.shape)}, loc=graph.loc(nid))


def _double_negation(graph: Graph, nid: int) -> int | None:
    """``-(-x)`` -> x (exact, two's complement wrap-around included); ``~~b`` for booleans."""
    op = graph.op(nid)
    found = nested(graph, nid, op) if op in ("negative", "logical_not") else None
    if found is None:
        return None
    x = found[1]
    if op == "logical_not" and graph.aval(x).dtype != np.bool_:
        return None
    return x if _same(graph, x, nid) else None


def _transpose_of_transpose(graph: Graph, nid: int) -> int | None:
    """``transpose(transpose(x, p), q)`` -> one transpose (the identity, if they cancel)."""
    found = nested(graph, nid, "transpose")
    if found is None:
        return None
    inner, x = found
    p, q = graph.attrs(inner)["perm"], graph.attrs(nid)["perm"]
    perm = tuple(p[i] for i in q)
    if perm == tuple(range(len(perm))):
        return x
    return graph.add("transpose", [x], {"perm": perm}, loc=graph.loc(nid))


def _scalar_broadcast_operand(graph: Graph, nid: int) -> int | None:
    """An elementwise op reading ``broadcast_to(scalar constant)`` reads the scalar itself
    (elementwise ops broadcast implicitly), when the result stays the same."""
    if get_op(graph.op(nid)).kind != "elementwise":
        return None
    operands = graph.operands(nid)
    new = list(operands)
    for i, u in enumerate(operands):
        if graph.op(u) != "broadcast_to":
            continue
        (src,) = graph.operands(u)
        if graph.op(src) == "constant" and graph.data(src)["value"].size == 1 and graph.aval(src).shape == ():
            new[i] = src
    if new == operands:
        return None
    out = graph.add(graph.op(nid), new, dict(graph.attrs(nid)), loc=graph.loc(nid))
    if graph.aval(out) == graph.aval(nid):
        return out
    graph.remove(out)
    return None


def _divide_by_power_of_two(graph: Graph, nid: int) -> int | None:
    """Float ``x / 2**k`` -> ``x * 2**-k`` when ``2**-k`` is a normal number (exact)."""
    if graph.op(nid) != "divide" or graph.aval(nid).dtype.kind != "f":
        return None
    x, c = graph.operands(nid)
    value = scalar_constant(graph, c)
    if value is None or not _same(graph, x, nid) or np.asarray(value).dtype != graph.aval(nid).dtype:
        return None
    v = float(value)
    if not math.isfinite(v) or v == 0:
        return None
    mantissa, exponent = math.frexp(abs(v))
    dtype = graph.aval(nid).dtype
    inverse = dtype.type(1.0) / dtype.type(v)
    if mantissa != 0.5 or not np.isfinite(inverse) or abs(inverse) < np.finfo(dtype).tiny:
        return None
    const = graph.add_constant(np.asarray(inverse, dtype), loc=graph.loc(nid))
    return graph.add("multiply", [x, const], loc=graph.loc(nid))


RULES = {
    "identity_operand": _identity_operand,
    "multiply_by_zero": _multiply_by_zero,
    "double_negation": _double_negation,
    "transpose_of_transpose": _transpose_of_transpose,
    "scalar_broadcast_operand": _scalar_broadcast_operand,
    "divide_by_power_of_two": _divide_by_power_of_two,
}
