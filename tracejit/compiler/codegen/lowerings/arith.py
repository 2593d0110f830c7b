"""Lowerings of the arithmetic, comparison, logical and bitwise ops (declared in
``compiler/ops/arith.py``), with NumPy's integer semantics.

Integer division and remainder by zero give 0 and ``MIN // -1`` wraps, as NumPy's
loops do, without LLVM's undefined behaviour; shifts by the bit width or more give
0 (or -1 for negative arithmetic right shifts), as NumPy's ``npy_lshift``/``npy_rshift``.
"""
from __future__ import annotations

import numpy as np
from llvmlite import ir

from tracejit.compiler import mathlib
from tracejit.compiler.codegen.lowerings.table import register_lowering


def _by_kind(f=None, i=None, b=None):
    """A lowering from per-kind IRBuilder method names (unsigned ints use ``i``)."""
    def lower(ctx, *args):
        name = {"f": f, "i": i, "u": i, "b": b}[ctx.kind]
        if name is None:
            raise TypeError(f"no {ctx.dtype} lowering")
        if ctx.kind == "f":  # fast-math flags only when the user opted in (tj.jit(fastmath=True))
            return getattr(ctx.b, name)(*args, flags=ctx.fast)
        return getattr(ctx.b, name)(*args)
    return lower


register_lowering("add", _by_kind("fadd", "add", "or_"))
register_lowering("subtract", _by_kind("fsub", "sub"))
register_lowering("multiply", _by_kind("fmul", "mul", "and_"))
register_lowering("divide", _by_kind("fdiv"))
register_lowering("positive", lambda ctx, x: x)
register_lowering("conjugate", lambda ctx, x: x)


def _negative(ctx, x):
    return ctx.b.fneg(x) if ctx.kind == "f" else ctx.b.sub(ctx.const(0), x)


register_lowering("negative", _negative)


def _absolute(ctx, x):
    if ctx.kind == "f":
        return ctx.intrinsic("fabs", [x])
    if ctx.kind == "i":
        return ctx.select(ctx.cmp("<", x, ctx.const(0)), ctx.b.sub(ctx.const(0), x), x)
    return x


register_lowering("absolute", _absolute)
register_lowering("fabs", lambda ctx, x: ctx.intrinsic("fabs", [x]))


def _sign(ctx, x):
    one, zero = ctx.const(1), ctx.const(0)
    pos = ctx.select(ctx.cmp(">", x, zero), one, zero)
    if ctx.kind == "u":
        return pos
    out = ctx.select(ctx.cmp("<", x, zero), ctx.const(-1), pos)
    if ctx.kind == "f":  # NaN stays NaN
        out = ctx.select(ctx.isnan(x), x, out)
    return out


register_lowering("sign", _sign)
register_lowering("square", lambda ctx, x: _by_kind("fmul", "mul", "and_")(ctx, x, x))


def _reciprocal(ctx, x):
    if ctx.kind == "f":
        return ctx.b.fdiv(ctx.const(1), x)
    # NumPy computes 1.0 / x in double and C-casts back.
    f64 = np.dtype(np.float64)
    q = ctx.b.fdiv(ctx.at(f64).const(1.0), ctx.convert(x, ctx.dtype, f64))
    return ctx.convert(q, f64, ctx.dtype)


register_lowering("reciprocal", _reciprocal)


# -- division family ---------------------------------------------------------------------

def _int_min(ctx):
    return ctx.const(-(1 << (ctx.bits - 1)))


def _safe_divisor(ctx, a, b):
    """(divisor with 0 and the MIN/-1 case replaced by 1, zero mask, overflow mask)."""
    zero = ctx.cmp("==", b, ctx.const(0))
    bad = zero
    overflow = None
    if ctx.kind == "i":
        overflow = ctx.b.and_(ctx.cmp("==", a, _int_min(ctx)), ctx.cmp("==", b, ctx.const(-1)))
        bad = ctx.b.or_(zero, overflow)
    return ctx.select(bad, ctx.const(1), b), zero, overflow


def _float_divmod(ctx, a, b):
    """Python's float floor division and modulo (``a == (a // b) * b + a % b``)."""
    bl, zero = ctx.b, ctx.const(0)
    mod = bl.frem(a, b)
    div = bl.fdiv(bl.fsub(a, mod), b)
    fix = bl.and_(ctx.cmp("!=", mod, zero),
                  bl.xor(ctx.cmp("<", b, zero), ctx.cmp("<", mod, zero)))
    mod = ctx.select(fix, bl.fadd(mod, b), ctx.select(ctx.cmp("==", mod, zero),
                                                       ctx.intrinsic("copysign", [zero, b]), mod))
    div = ctx.select(fix, bl.fsub(div, ctx.const(1)), div)
    floor = ctx.intrinsic("floor", [div])
    floor = ctx.select(ctx.cmp(">", bl.fsub(div, floor), ctx.const(0.5)), bl.fadd(floor, ctx.const(1)), floor)
    quotient = bl.fdiv(a, b)
    floor = ctx.select(ctx.cmp("==", div, zero), ctx.intrinsic("copysign", [zero, quotient]), floor)
    bzero = ctx.cmp("==", b, zero)
    return ctx.select(bzero, quotient, floor), mod


def _int_divmod(ctx, a, b):
    """Python-style (floored) integer quotient and remainder, NumPy's results for b == 0
    (both 0) and MIN // -1 (MIN, remainder 0), without LLVM's undefined behaviour."""
    safe, zero, overflow = _safe_divisor(ctx, a, b)
    if ctx.kind == "u":
        q, r = ctx.b.udiv(a, safe), ctx.b.urem(a, safe)
        return ctx.select(zero, ctx.const(0), q), ctx.select(zero, ctx.const(0), r)
    q, r = ctx.b.sdiv(a, safe), ctx.b.srem(a, safe)
    adjust = ctx.b.and_(ctx.cmp("!=", r, ctx.const(0)), ctx.cmp("<", ctx.b.xor(r, safe), ctx.const(0)))
    q = ctx.select(overflow, _int_min(ctx), ctx.b.sub(q, ctx.b.zext(adjust, q.type)))
    r = ctx.select(adjust, ctx.b.add(r, safe), r)
    return ctx.select(zero, ctx.const(0), q), ctx.select(ctx.b.or_(zero, overflow), ctx.const(0), r)


def _floor_divide(ctx, a, b):
    return (_float_divmod if ctx.kind == "f" else _int_divmod)(ctx, a, b)[0]


def _remainder(ctx, a, b):
    return (_float_divmod if ctx.kind == "f" else _int_divmod)(ctx, a, b)[1]


def _fmod(ctx, a, b):
    if ctx.kind == "f":
        return ctx.b.frem(a, b)
    safe, zero, overflow = _safe_divisor(ctx, a, b)
    r = ctx.b.urem(a, safe) if ctx.kind == "u" else ctx.b.srem(a, safe)
    bad = zero if overflow is None else ctx.b.or_(zero, overflow)
    return ctx.select(bad, ctx.const(0), r)


register_lowering("floor_divide", _floor_divide)
register_lowering("remainder", _remainder)
register_lowering("fmod", _fmod)


def _any_lane(ctx, mask):
    """i1: some lane of ``mask`` is set."""
    if ctx.width == 1:
        return mask
    return ctx.b.icmp_unsigned("!=", ctx.b.bitcast(mask, ir.IntType(ctx.width)),
                               ir.Constant(ir.IntType(ctx.width), 0))


def _int_power(ctx, a, b):
    """Square-and-multiply, looping while some lane's exponent has bits left."""
    bl = ctx.b
    one, zero = ctx.const(1), ctx.const(0)
    pre = bl.block
    head = bl.append_basic_block("ipow.head")
    body = bl.append_basic_block("ipow.body")
    done = bl.append_basic_block("ipow.done")
    bl.branch(head)
    bl.position_at_end(head)
    result, base, exp = (bl.phi(a.type) for _ in range(3))
    for phi, init in ((result, one), (base, a), (exp, b)):
        phi.add_incoming(init, pre)
    bl.cbranch(_any_lane(ctx, bl.icmp_unsigned("!=", exp, zero)), body, done)
    bl.position_at_end(body)
    take = bl.icmp_unsigned("!=", bl.and_(exp, one), zero)
    result.add_incoming(ctx.select(take, bl.mul(result, base), result), body)
    base.add_incoming(bl.mul(base, base), body)
    exp.add_incoming(bl.lshr(exp, one), body)
    bl.branch(head)
    bl.position_at_end(done)
    return result


def _power(ctx, a, b):
    if ctx.kind == "f":
        return mathlib.emit("power", ctx, a, b)
    one = ctx.const(1)
    result = _int_power(ctx, a, b)
    if ctx.kind == "i":  # NumPy raises for negative exponents; give 1/a**|b| truncated instead
        negative = ctx.cmp("<", b, ctx.const(0))
        odd = ctx.b.icmp_unsigned("!=", ctx.b.and_(b, one), ctx.const(0))
        minus_one = ctx.select(odd, ctx.const(-1), one)
        neg = ctx.select(ctx.cmp("==", a, one), one,
                         ctx.select(ctx.cmp("==", a, ctx.const(-1)), minus_one, ctx.const(0)))
        result = ctx.select(negative, neg, result)
    return result


register_lowering("power", _power)


def _extremum(pick_first_op: str, float_name: str):
    def lower(ctx, a, b):
        if ctx.kind == "b":
            return ctx.b.or_(a, b) if pick_first_op == ">" else ctx.b.and_(a, b)
        first = ctx.cmp(pick_first_op, a, b)
        if ctx.kind == "f":  # NaN propagates
            first = ctx.b.or_(first, ctx.isnan(a))
        return ctx.select(first, a, b)
    lower.__name__ = float_name
    return lower


register_lowering("maximum", _extremum(">", "maximum"))
register_lowering("minimum", _extremum("<", "minimum"))


def _fextremum(intrinsic: str, pick_first_op: str):
    def lower(ctx, a, b):
        if ctx.kind == "f":
            return ctx.intrinsic(intrinsic, [a, b])
        return _extremum(pick_first_op, intrinsic)(ctx, a, b)
    return lower


register_lowering("fmax", _fextremum("maxnum", ">"))
register_lowering("fmin", _fextremum("minnum", "<"))


# -- comparisons and logic -----------------------------------------------------------------

for _name, _op in [("equal", "=="), ("not_equal", "!="), ("less", "<"), ("less_equal", "<="),
                   ("greater", ">"), ("greater_equal", ">=")]:
    register_lowering(_name, (lambda op: lambda ctx, a, b: ctx.cmp(op, a, b))(_op))

register_lowering("logical_and", lambda ctx, a, b: ctx.b.and_(ctx.truthy(a), ctx.truthy(b)))
register_lowering("logical_or", lambda ctx, a, b: ctx.b.or_(ctx.truthy(a), ctx.truthy(b)))
register_lowering("logical_xor", lambda ctx, a, b: ctx.b.xor(ctx.truthy(a), ctx.truthy(b)))
register_lowering("logical_not", lambda ctx, a: ctx.b.not_(ctx.truthy(a)))
register_lowering("bitwise_and", lambda ctx, a, b: ctx.b.and_(a, b))
register_lowering("bitwise_or", lambda ctx, a, b: ctx.b.or_(a, b))
register_lowering("bitwise_xor", lambda ctx, a, b: ctx.b.xor(a, b))
register_lowering("invert", lambda ctx, a: ctx.b.not_(a))


def _shift_ok(ctx, b):
    return ctx.b.icmp_unsigned("<", b, ctx.const(ctx.bits))


def _left_shift(ctx, a, b):
    ok = _shift_ok(ctx, b)
    return ctx.select(ok, ctx.b.shl(a, ctx.select(ok, b, ctx.const(0))), ctx.const(0))


def _right_shift(ctx, a, b):
    ok = _shift_ok(ctx, b)
    safe = ctx.select(ok, b, ctx.const(0))
    if ctx.kind == "u":
        return ctx.select(ok, ctx.b.lshr(a, safe), ctx.const(0))
    fill = ctx.select(ctx.cmp("<", a, ctx.const(0)), ctx.const(-1), ctx.const(0))
    return ctx.select(ok, ctx.b.ashr(a, safe), fill)


register_lowering("left_shift", _left_shift)
register_lowering("right_shift", _right_shift)
