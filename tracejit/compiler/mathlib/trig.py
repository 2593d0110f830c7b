"""sin, cos and tan in float64, accurate over the whole range.

Arguments are reduced to r = x - k*pi/2 as a double-double (hi, lo): by Cody-Waite with
a three-part pi/2 while |x| < 2**20, else by Payne-Hanek with the bits of 2/pi (a branch
taken only when some lane needs it). Then sin(r) and cos(r) polynomials on |r| <= pi/4
and the quadrant k mod 4 pick the result.
"""
from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from llvmlite import ir

from tracejit.compiler.codegen.lowerctx import F64, I32
from tracejit.compiler.mathlib import coeffs as C
from tracejit.compiler.mathlib.fp import FP, Value

P1, P2, P3 = C.PIO2_1_2_3
PIO2_HI, PIO2_LO = C.PIO2_HI_LO
TWO_OVER_PI = 2.0 / math.pi
CODY_WAITE_LIMIT = 2.0 ** 20
PH_CHUNKS = 9


def reduce_cody_waite(f: FP, x: Value) -> tuple[Value, Value, Value]:
    """(hi, lo, k): x = k*pi/2 + hi + lo for |x| < 2**20, with k's two's complement in
    the low bits of the same-width integer lanes."""
    k, kbits = f.rint_bits(x, TWO_OVER_PI)
    t = f.fma(f.neg(k), f.c(P1), x)  # exact: k*P1 has few bits
    ph, pl = f.two_prod(k, f.c(P2))
    r, rl = f.two_sum(t, f.neg(ph))
    rl = f.sub(f.sub(rl, pl), f.mul(k, f.c(P3)))
    hi, lo = f.fast_two_sum(r, rl)
    return hi, lo, f.to_bits(kbits)


def _table(f: FP) -> ir.GlobalVariable:
    module = f.b.module
    name = "tracejit.two_over_pi_24"
    try:
        return module.get_global(name)
    except KeyError:
        ty = ir.ArrayType(F64, len(C.TWO_OVER_PI_24))
        g = ir.GlobalVariable(module, ty, name)
        g.initializer = ir.Constant(ty, [ir.Constant(F64, v) for v in C.TWO_OVER_PI_24])
        g.global_constant = True
        g.linkage = "internal"
        return g


def _gather(f: FP, table, index):
    """table[index] per lane (index: int32 lanes)."""
    b = f.b
    if f.ctx.width == 1:
        return b.load(b.gep(table, [ir.Constant(I32, 0), index], inbounds=True))
    out = ir.Constant(f.ctx.ty(), ir.Undefined)
    for lane in range(f.ctx.width):
        i = b.extract_element(index, ir.Constant(I32, lane))
        v = b.load(b.gep(table, [ir.Constant(I32, 0), i], inbounds=True))
        out = b.insert_element(out, v, ir.Constant(I32, lane))
    return out


def _mod4(f: FP, v):
    """v - 4*rint(v/4), in [-2, 2], exact (small terms pass through unchanged; a
    floor-based [0, 4) range would round tiny negative terms away)."""
    return f.sub(v, f.mul(f.c(4.0), f.rint(f.mul(v, f.c(0.25)))))


def _reduce_payne_hanek(f: FP, x):
    """Reduction for finite |x| >= 2**20 (other lanes give garbage, later discarded).

    x * 2/pi mod 4 is summed from products of x with 24-bit chunks of 2/pi: chunks whose
    products are multiples of 4 are skipped, each exact product (TwoProd) is reduced
    mod 4, and the residue kept as a double-double.
    """
    b = f.b
    e2 = f.narrow(b.sub(b.lshr(f.to_bits(f.abs(x)), f.ic(52)), f.ic(1023)))
    e2 = b.select(b.icmp_signed("<", e2, f.i32.const(54)), f.i32.const(54), e2)
    j0 = b.sdiv(b.sub(e2, f.i32.const(54)), f.i32.const(24))
    # x * 2**(-24*(j0+1)) stays near 2**30: exact, and every product below stays normal.
    xs = f.mul(x, f.pow2(b.mul(b.add(j0, f.i32.const(1)), f.i32.const(-24))))
    table = _table(f)
    acc, acc_lo = f.c(0.0), f.c(0.0)
    for i in range(PH_CHUNKS):
        chunk = _gather(f, table, b.add(j0, f.i32.const(i)))
        p, e = f.two_prod(xs, chunk)
        scale = f.c(2.0 ** (-24 * i))
        for term in (f.mul(p, scale), f.mul(e, scale)):
            acc, err = f.two_sum(acc, _mod4(f, term))
            acc_lo = f.add(acc_lo, err)
            acc = _mod4(f, acc)
    k = f.rint(f.add(acc, acc_lo))
    frac_hi, frac_lo = f.fast_two_sum(f.sub(acc, k), acc_lo)  # x*2/pi - k, |.| <= 1/2
    hi, lo = f.two_prod(frac_hi, f.c(PIO2_HI))
    lo = f.add(lo, f.fma(frac_lo, f.c(PIO2_HI), f.mul(frac_hi, f.c(PIO2_LO))))
    hi, lo = f.fast_two_sum(hi, lo)
    kq = f.narrow(b.and_(f.widen(f.to_i32(k)), f.ic(3)))
    return hi, lo, kq


def reduce(f: FP, x: Value) -> tuple[Value, Value, Value]:
    """(hi, lo, k) with x = k*pi/2 + hi + lo for finite x (int32 k; only k mod 4 is used)."""
    b = f.b
    hi, lo, k = reduce_cody_waite(f, f.where(f.not_(f.lt(f.abs(x), f.c(CODY_WAITE_LIMIT))), 0.0, x))
    k = f.narrow(k)
    big = f.cmp(">=", f.abs(x), f.c(CODY_WAITE_LIMIT))
    pre = b.block
    slow = b.append_basic_block("trig.payne_hanek")
    done = b.append_basic_block("trig.reduced")
    b.cbranch(f.any(big), slow, done)
    b.position_at_end(slow)
    phi_, plo_, pk_ = _reduce_payne_hanek(f, f.sel(big, x, f.c(CODY_WAITE_LIMIT)))
    hi2, lo2, k2 = f.sel(big, phi_, hi), f.sel(big, plo_, lo), b.select(big, pk_, k)
    slow_end = b.block
    b.branch(done)
    b.position_at_end(done)
    outs = []
    for fast_v, slow_v in ((hi, hi2), (lo, lo2), (k, k2)):
        phi = b.phi(fast_v.type)
        phi.add_incoming(fast_v, pre)
        phi.add_incoming(slow_v, slow_end)
        outs.append(phi)
    return tuple(outs)


def _sin_cos_reduced(f: FP, hi, lo):
    z = f.mul(hi, hi)
    sin_r = f.add(hi, f.fma(f.mul(hi, z), f.poly(z, C.SIN_S), lo))
    hz = f.mul(z, f.c(0.5))
    w = f.sub(f.c(1.0), hz)
    tail = f.add(f.sub(f.sub(f.c(1.0), w), hz), f.fma(f.mul(z, z), f.poly(z, C.COS_C), f.neg(f.mul(hi, lo))))
    return sin_r, f.add(w, tail)


def by_quadrant(f: FP, s: Value, c: Value, k: Value, want_cos: bool, sign: Value | None = None) -> Value:
    """sin(r + k*pi/2) (or cos) from s = sin(r) and c = cos(r): odd k swaps them and
    bit 1 of k flips the sign (shifted into the sign bit and xor-ed in, with the sign
    bit of the same-width integer lanes ``sign`` when given: sin is odd). ``k``:
    integer lanes of the float's width; only k mod 4 is used."""
    b = f.b
    if want_cos:
        k = b.add(k, f.ic(1))  # cos(x) = sin(x + pi/2)
    top = f.bits - 1
    odd = b.icmp_signed("<", b.shl(k, f.ic(top)), f.ic(0))
    flip = b.shl(k, f.ic(top - 1))
    if sign is not None:
        flip = b.xor(flip, sign)
    flip = b.and_(flip, f.ic(-(1 << top)))
    return f.from_bits(b.xor(f.to_bits(f.sel(odd, c, s)), flip))


def _sin_or_cos_general(f: FP, x, want_cos: bool):
    """Any x: Payne-Hanek for the lanes beyond 2**20, NaN for inf and NaN."""
    finite = f.isfinite(x)
    hi, lo, k = reduce(f, f.where(f.not_(finite), 0.0, x))
    s, c = _sin_cos_reduced(f, hi, lo)
    out = by_quadrant(f, s, c, f.widen(k), want_cos)
    out = f.where(f.not_(finite), np.nan, out)
    out = f.sel(f.isnan(x), x, out)
    if not want_cos:
        out = f.sel(f.eq(x, f.c(0.0)), x, out)  # sin(-0.0) = -0.0
    return out


def sin_or_cos(f: FP, x: Value, want_cos: bool, limit: float,
               of_abs: Callable[[FP, Value], tuple[Value, Value, Value]],
               general: Callable[[FP, Value, bool], Value]) -> Value:
    """sin(x) or cos(x) while every lane has |x| < ``limit``: ``of_abs(f, |x|)`` gives
    (sin r, cos r, k) with |x| = k*pi/2 + r, and sin's sign comes from x (sin is odd,
    cos even; this also gives sin(-0.0) = -0.0). Other vectors (inf and NaN included)
    take ``general(f, x, want_cos)``, out of line."""
    ax = f.abs(x)
    s, c, k = of_abs(f, ax)
    out = by_quadrant(f, s, c, k, want_cos, None if want_cos else f.to_bits(x))
    outside = f.cmp_unordered(">=", ax, f.c(limit))
    name = f"{'cos' if want_cos else 'sin'}{f.bits}"
    return f.guarded(name, out, outside, lambda g, v: general(g, v, want_cos), x)


def _sin_cos_cody_waite(f: FP, ax):
    hi, lo, k = reduce_cody_waite(f, ax)
    return (*_sin_cos_reduced(f, hi, lo), k)


def sin(f: FP, x: Value) -> Value:
    """Sine."""
    return sin_or_cos(f, x, False, CODY_WAITE_LIMIT, _sin_cos_cody_waite, _sin_or_cos_general)


def cos(f: FP, x: Value) -> Value:
    """Cosine."""
    return sin_or_cos(f, x, True, CODY_WAITE_LIMIT, _sin_cos_cody_waite, _sin_or_cos_general)


def tan(f: FP, x: Value) -> Value:
    """Tangent."""
    finite = f.isfinite(x)
    hi, lo, k = reduce(f, f.where(f.not_(finite), 0.0, x))
    s, c = _sin_cos_reduced(f, hi, lo)
    odd = f.b.icmp_signed("==", f.b.and_(k, f.i32.const(1)), f.i32.const(1))
    out = f.sel(odd, f.neg(f.div(c, s)), f.div(s, c))
    out = f.where(f.not_(finite), np.nan, out)
    out = f.sel(f.isnan(x), x, out)
    return f.sel(f.eq(x, f.c(0.0)), x, out)
