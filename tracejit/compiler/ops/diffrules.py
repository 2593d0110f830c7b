"""Building differentiation rules (``OpDef.jvp``/``OpDef.vjp``) from less.

An elementwise op needs only its *partial derivatives*: ``partials(b, operands, out, **attrs)``
returns, per operand, the node (broadcastable to the output) of d out / d operand, a Python
number for a constant one, or None for zero. :func:`from_partials` turns that into both
rules: forward ``sum_i partial_i * tangent_i``, reverse ``unbroadcast(ct * partial_i)``.
A linear op (views, sums, concatenation...) applies itself to tangents: :func:`linear_jvp`.
Nothing here imports the transform: rules build nodes through the builder ``b`` they get
(``compiler/autodiff/builder.py``).
"""
from __future__ import annotations

from typing import Any, Callable


def from_partials(partials: Callable[..., tuple]) -> dict[str, Callable[..., Any]]:
    """``jvp`` and ``vjp`` rules (as keyword arguments of ``OpDef``) of an elementwise op
    whose partial derivatives ``partials`` builds."""
    def in_loop_dtype(b, operands, out):
        # an operand of another dtype (an int64 count dividing a float sum) is converted first,
        # as the op's loop does, so partials never compute in integers
        return [b.convert(u, b.dtype(out)) for u in operands]

    def jvp(b, tangents, operands, out, **attrs):
        ps = partials(b, in_loop_dtype(b, operands, out), out, **attrs)
        total = None
        for t, p in zip(tangents, ps):
            if t is not None and p is not None:
                total = b.add(total, b.mul(t, p))
        return total

    def vjp(b, ct, operands, out, **attrs):
        ps = partials(b, in_loop_dtype(b, operands, out), out, **attrs)
        return tuple(None if p is None or not b.needs(u) else b.unbroadcast(b.mul(ct, p), b.shape(u), b.dtype(u))
                     for u, p in zip(operands, ps))

    return {"jvp": jvp, "vjp": vjp}


def _zero_jvp(b, tangents, operands, out, **attrs):
    return None


def _zero_vjp(b, ct, operands, out, **attrs):
    return (None,) * len(operands)


# Rules of a piecewise-constant op (floor, sign...): zero derivative everywhere
ZERO_RULES: dict[str, Callable[..., Any]] = {"jvp": _zero_jvp, "vjp": _zero_vjp}


def linear_jvp(b: Any, tangents: list, operands: list, out: int, **attrs: Any) -> int | None:
    """The forward rule of an op linear in its operands: the op applied to their tangents
    (zero tangents materialized only where another operand's is not zero)."""
    if all(t is None for t in tangents):
        return None
    args = [t if t is not None else b.zeros(b.shape(u), b.dtype(u)) for t, u in zip(tangents, operands)]
    return b.op(b.graph.op(out), *args, **attrs)


def where_jvp(b: Any, tangents: list, operands: list, out: int, **attrs: Any) -> int | None:
    """where(c, x, y): where(c, tx, ty), a zero tangent as a 0-d zero."""
    _, tx, ty = tangents
    if tx is None and ty is None:
        return None
    zero = b.const(0.0, out)
    return b.op("where", operands[0], zero if tx is None else tx, zero if ty is None else ty)


def where_vjp(b: Any, ct: int, operands: list, out: int, **attrs: Any) -> tuple:
    """where(c, x, y): the cotangent goes to x where c holds, to y elsewhere."""
    c, x, y = operands
    zero = b.const(0.0, ct)
    return (None, b.unbroadcast(b.op("where", c, ct, zero), b.shape(x), b.dtype(x)) if b.needs(x) else None,
            b.unbroadcast(b.op("where", c, zero, ct), b.shape(y), b.dtype(y)) if b.needs(y) else None)


def convert_jvp(b: Any, tangents: list, operands: list, out: int, dtype: Any) -> int | None:
    """astype: the tangent converted (an integer result is not differentiable)."""
    return None if tangents[0] is None or b.dtype(out).kind != "f" else b.convert(tangents[0], dtype)


def convert_vjp(b: Any, ct: int, operands: list, out: int, dtype: Any) -> tuple:
    """astype: the cotangent converted back (None for an integer or bool operand)."""
    (x,) = operands
    return (b.convert(ct, b.dtype(x)) if b.dtype(x).kind == "f" else None,)


def identity_jvp(b: Any, tangents: list, operands: list, out: int, **attrs: Any) -> int | None:
    """copy: the tangent itself."""
    return tangents[0]


def identity_vjp(b: Any, ct: int, operands: list, out: int, **attrs: Any) -> tuple:
    """copy: the cotangent itself."""
    return (ct,)
