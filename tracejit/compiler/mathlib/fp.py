"""Float arithmetic for the math library: one object per dtype that emits LLVM IR
for scalars or ``<W x T>`` vectors alike, with the bit tricks the algorithms need
(exponent extraction, scaling by 2**k) and error-free transformations (TwoSum, TwoProd)
for double-double steps."""
from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt
from llvmlite import ir

from tracejit.compiler.codegen.lowerctx import LowerCtx, type_suffix
from tracejit.compiler.codegen.targeting import target_of

Value = ir.Value  # what FP's methods take and give: a scalar or a <W x T> vector of the dtype's (or a mask)
# targets whose LLVM backend turns llvm.minnum/maxnum, or llvm.roundeven, into a libm call per
# lane (armv7's NEON and VFP have neither instruction: vminnm and vrintn are ARMv8; wasm32's
# f32x4.min propagates NaN, unlike minNum): there compare-and-select and an add/subtract of
# 2**mant instead, which give the same bits (see ``clamp`` and ``rint``)
SELECT_MINMAX = ("armv7", "wasm32")
SOFT_ROUNDEVEN = ("armv7",)


class FP:
    """Arithmetic at one float dtype on the builder and lane count of ``ctx``."""

    def __init__(self, ctx: LowerCtx, dtype: npt.DTypeLike = np.float64):
        self.ctx = ctx.at(np.dtype(dtype))
        self.b = ctx.b
        self.dtype = np.dtype(dtype)
        self.bits = self.dtype.itemsize * 8
        self.mant = 52 if self.bits == 64 else 23
        self.bias = 1023 if self.bits == 64 else 127
        self.uint = self.ctx.at(np.dtype(f"int{self.bits}"))  # same-width integers
        self.i32 = self.ctx.at(np.dtype(np.int32))
        target = target_of(ctx.b.module)
        self.has_fma = target.fma  # the module's target's, not the host's
        self.select_minmax = target.triple.startswith(SELECT_MINMAX)
        self.soft_roundeven = target.triple.startswith(SOFT_ROUNDEVEN)

    # -- constants and basic arithmetic -----------------------------------------------------
    def c(self, value: float) -> Value:
        """A constant of the dtype, at the lane count."""
        return self.ctx.const(value)

    def add(self, a: Value, b: Value) -> Value:
        """a + b."""
        return self.b.fadd(a, b)

    def sub(self, a: Value, b: Value) -> Value:
        """a - b."""
        return self.b.fsub(a, b)

    def mul(self, a: Value, b: Value) -> Value:
        """a * b."""
        return self.b.fmul(a, b)

    def div(self, a: Value, b: Value) -> Value:
        """a / b."""
        return self.b.fdiv(a, b)

    def neg(self, a: Value) -> Value:
        """-a."""
        return self.b.fneg(a)

    def fma(self, a: Value, b: Value, c: Value) -> Value:
        """a * b + c: rounded once (``llvm.fma``) on targets with FMA, else a multiply and an
        add, rounded twice (:meth:`two_prod` does not rely on it there)."""
        if self.has_fma:
            return self.ctx.intrinsic("fma", [a, b, c])
        return self.add(self.mul(a, b), c)

    def abs(self, a: Value) -> Value:
        """|a|."""
        return self.ctx.intrinsic("fabs", [a])

    def copysign(self, mag: Value, sign: Value) -> Value:
        """|mag| with the sign of ``sign``."""
        return self.ctx.intrinsic("copysign", [mag, sign])

    def rint(self, a: Value) -> Value:
        """Round to nearest, ties to even (on targets without the instruction: ``|a| + 2**mant
        - 2**mant`` with ``a``'s sign where ``|a| < 2**mant``, rounded by the addition in the
        default mode; ``a + 0`` elsewhere: integers, infinities, NaN quieted, as roundeven)."""
        if not self.soft_roundeven:
            return self.ctx.intrinsic("roundeven", [a])
        big = self.c(2.0 ** self.mant)
        mag = self.abs(a)
        rounded = self.copysign(self.sub(self.add(mag, big), big), a)
        return self.ctx.select(self.b.fcmp_ordered("<", mag, big), rounded, self.add(a, self.c(0.0)))

    def rint_bits(self, a: Value, scale: float) -> tuple[Value, Value]:
        """(k, t): k = rint(a * scale) as a float, and t whose bits hold k in their low
        bits (two's complement), from one fused multiply-add with 1.5 * 2**mant and one
        subtraction: no rounding or conversion instruction. Needs |a * scale| < 2**(mant-1)."""
        magic = self.c(1.5 * 2.0 ** self.mant)
        t = self.fma(a, self.c(scale), magic)
        return self.sub(t, magic), t

    def floor(self, a: Value) -> Value:
        """Round down."""
        return self.ctx.intrinsic("floor", [a])

    def sqrt(self, a: Value) -> Value:
        """Square root, correctly rounded."""
        return self.ctx.intrinsic("sqrt", [a])

    def poly_estrin(self, t: Value, coeffs: Sequence[float], t2: Value | None = None) -> Value:
        """sum(coeffs[i] * t**i) by Estrin's scheme: pairs c[i] + c[i+1]*t, then pairs of
        those with t**2, t**4, ...: more operations than Horner's rule but a dependency
        chain of log2(n) steps instead of n, for latency-bound code. ``t2``: t*t if known."""
        terms = [self.fma(self.c(coeffs[i + 1]), t, self.c(coeffs[i])) if i + 1 < len(coeffs)
                 else self.c(coeffs[i]) for i in range(0, len(coeffs), 2)]
        power = self.mul(t, t) if t2 is None else t2
        while len(terms) > 1:
            terms = [self.fma(terms[i + 1], power, terms[i]) if i + 1 < len(terms) else terms[i]
                     for i in range(0, len(terms), 2)]
            if len(terms) > 1:
                power = self.mul(power, power)
        return terms[0]

    def poly(self, t: Value, coeffs: Sequence[float]) -> Value:
        """sum(coeffs[i] * t**i) by Horner's rule with fused multiply-adds."""
        acc = self.c(coeffs[-1])
        for coef in reversed(coeffs[:-1]):
            acc = self.fma(acc, t, self.c(coef))
        return acc

    # -- comparisons and selection -----------------------------------------------------------
    def cmp(self, op: str, a: Value, b: Value) -> Value:
        """``a op b`` (false where either is NaN)."""
        return self.b.fcmp_ordered(op, a, b)

    def cmp_unordered(self, op: str, a: Value, b: Value) -> Value:
        """``a op b`` or either is NaN."""
        return self.b.fcmp_unordered(op, a, b)

    def lt(self, a: Value, b: Value) -> Value:
        """a < b."""
        return self.cmp("<", a, b)

    def gt(self, a: Value, b: Value) -> Value:
        """a > b."""
        return self.cmp(">", a, b)

    def eq(self, a: Value, b: Value) -> Value:
        """a == b."""
        return self.cmp("==", a, b)

    def isnan(self, a: Value) -> Value:
        """a is NaN."""
        return self.b.fcmp_unordered("uno", a, a)

    def isfinite(self, a: Value) -> Value:
        """a is neither infinite nor NaN."""
        return self.cmp("<", self.abs(a), self.c(np.inf))

    def sel(self, cond: Value, a: Value, b: Value) -> Value:
        """``a`` where ``cond`` else ``b``, lane by lane."""
        return self.b.select(cond, a, b)

    def where(self, cond: Value, value: Value | float, otherwise: Value) -> Value:
        """Override lanes: ``value`` where ``cond`` else ``otherwise`` (sel with constants)."""
        value = self.c(value) if isinstance(value, (int, float)) else value
        return self.b.select(cond, value, otherwise)

    def and_(self, *masks: Value) -> Value:
        """All of ``masks``, lane by lane."""
        out = masks[0]
        for m in masks[1:]:
            out = self.b.and_(out, m)
        return out

    def or_(self, *masks: Value) -> Value:
        """Any of ``masks``, lane by lane."""
        out = masks[0]
        for m in masks[1:]:
            out = self.b.or_(out, m)
        return out

    def not_(self, mask: Value) -> Value:
        """Not ``mask``, lane by lane."""
        return self.b.not_(mask)

    # -- integers and bits ------------------------------------------------------------------------
    def to_i32(self, a: Value) -> Value:
        """Truncating conversion of integral, in-range floats to int32."""
        return self.b.fptosi(a, self.i32.ty())

    def clamp(self, a: Value, lo: float, hi: float) -> Value:
        """``a`` limited to [lo, hi], NaN mapped into the range too (minnum/maxnum against
        constants: one instruction each on x86, unlike compare-and-select)."""
        if self.select_minmax:  # the same values: NaN < hi is false, so NaN gives hi (lo, hi nonzero)
            low = self.ctx.select(self.b.fcmp_ordered("<", a, self.c(hi)), a, self.c(hi))
            return self.ctx.select(self.b.fcmp_ordered(">", low, self.c(lo)), low, self.c(lo))
        return self.ctx.intrinsic("maxnum", [self.ctx.intrinsic("minnum", [a, self.c(hi)]), self.c(lo)])

    def from_i32(self, i: Value) -> Value:
        """int32 lanes converted to the float type."""
        return self.b.sitofp(i, self.ctx.ty())

    def widen(self, i: Value) -> Value:
        """int32 -> same-width integer of the float type."""
        return i if self.bits == 32 else self.b.sext(i, self.uint.ty())

    def narrow(self, i: Value) -> Value:
        """Same-width integer of the float type -> int32."""
        return i if self.bits == 32 else self.b.trunc(i, self.i32.ty())

    def to_bits(self, a: Value) -> Value:
        """The bits of ``a`` as same-width integers."""
        return self.b.bitcast(a, self.uint.ty())

    def from_bits(self, i: Value) -> Value:
        """Same-width integers reinterpreted as floats."""
        return self.b.bitcast(i, self.ctx.ty())

    def ic(self, value: int) -> Value:
        """Same-width integer constant."""
        return self.uint.const(value)

    def pow2(self, k: Value) -> Value:
        """2**k for int32 ``k`` in the normal exponent range."""
        biased = self.b.add(self.widen(k), self.ic(self.bias))
        return self.from_bits(self.b.shl(biased, self.ic(self.mant)))

    def scale(self, x: Value, k: Value) -> Value:
        """x * 2**k for int32 ``k`` over twice the exponent range, rounding once."""
        half = self.b.ashr(k, self.i32.const(1))
        return self.mul(self.mul(x, self.pow2(half)), self.pow2(self.b.sub(k, half)))

    def frexp_sqrt2(self, a: Value) -> tuple[Value, Value]:
        """(m, e) with a = m * 2**e and m in [sqrt(1/2), sqrt(2)), for finite a > 0
        (subnormals included); e is a float."""
        b = self.b
        tiny = self.lt(a, self.c(np.finfo(self.dtype).tiny))
        a = self.sel(tiny, self.mul(a, self.c(2.0 ** 64)), a)
        bits = self.to_bits(a)
        e = b.sub(b.lshr(bits, self.ic(self.mant)), self.ic(self.bias))
        mbits = b.or_(b.and_(bits, self.ic((1 << self.mant) - 1)), self.ic(self.bias << self.mant))
        m = self.from_bits(mbits)
        big = self.gt(m, self.c(np.sqrt(2.0)))
        m = self.sel(big, self.mul(m, self.c(0.5)), m)
        ef = b.sitofp(e, self.ctx.ty())
        ef = self.add(ef, self.sel(big, self.c(1.0), self.c(0.0)))
        ef = self.sub(ef, self.sel(tiny, self.c(64.0), self.c(0.0)))
        return m, ef

    # -- error-free transformations -------------------------------------------------------------
    def two_sum(self, a: Value, b: Value) -> tuple[Value, Value]:
        """(s, e) with s = fl(a + b) and a + b = s + e exactly."""
        s = self.add(a, b)
        bb = self.sub(s, a)
        e = self.add(self.sub(a, self.sub(s, bb)), self.sub(b, bb))
        return s, e

    def fast_two_sum(self, a: Value, b: Value) -> tuple[Value, Value]:
        """(s, e) as two_sum, assuming |a| >= |b|."""
        s = self.add(a, b)
        return s, self.sub(b, self.sub(s, a))

    def two_prod(self, a: Value, b: Value) -> tuple[Value, Value]:
        """(p, e) with p = fl(a * b) and a * b = p + e exactly: e from one FMA, or on a
        target without FMA by Dekker's product of Veltkamp halves (exact unless a or b
        exceeds 2**(emax - s), s = 27 bits for float64 and 12 for float32, or e underflows)."""
        p = self.mul(a, b)
        if self.has_fma:
            return p, self.fma(a, b, self.neg(p))
        (ah, al), (bh, bl) = self._split(a), self._split(b)
        e = self.add(self.add(self.sub(self.mul(ah, bh), p), self.mul(ah, bl)), self.mul(al, bh))
        return p, self.add(e, self.mul(al, bl))

    def residual(self, c: Value, a: Value, b: Value) -> Value:
        """c - a*b rounded once, for c close to a*b (a quotient's remainder): one FMA, or
        on a target without FMA c minus Dekker's exact product (c - p is exact there)."""
        if self.has_fma:
            return self.fma(self.neg(a), b, c)
        p, e = self.two_prod(a, b)
        return self.sub(self.sub(c, p), e)

    def _split(self, a: Value) -> tuple[Value, Value]:
        """Veltkamp's split: (hi, lo), a = hi + lo exactly, each of half the mantissa."""
        c = self.mul(self.c(2.0 ** (27 if self.bits == 64 else 12) + 1.0), a)
        hi = self.sub(c, self.sub(c, a))
        return hi, self.sub(a, hi)

    def guarded(self, name: str, fast: ir.Value, needs_slow: ir.Value,
                slow: Callable[..., ir.Value], *args: ir.Value) -> ir.Value:
        """``fast``, unless some lane of ``needs_slow`` is set: then ``slow(FP, *args)``
        for the whole vector, computed by an out-of-line function (emitted once per
        module, cold, never inlined) so that the rare path costs the hot loop neither
        instructions nor registers. ``fast`` may hold garbage in the lanes that need the
        slow path; ``needs_slow`` must depend on the inputs only."""
        fn = self._outlined(name, fast.type, slow, [a.type for a in args])
        b = self.b
        before = b.block
        cold = b.append_basic_block(f"{name}.cold")
        done = b.append_basic_block(f"{name}.done")
        b.cbranch(self.any(needs_slow), cold, done).set_weights([1, 4096])
        b.position_at_end(cold)
        value = b.call(fn, list(args), cconv="fastcc")
        b.branch(done)
        b.position_at_end(done)
        phi = b.phi(fast.type)
        phi.add_incoming(fast, before)
        phi.add_incoming(value, cold)
        return phi

    def _outlined(self, name: str, ret: ir.Type, body: Callable[..., ir.Value],
                  arg_types: list[ir.Type]) -> ir.Function:
        module = self.b.module
        full = f"tracejit.{name}." + ".".join(type_suffix(t) for t in arg_types)
        try:
            return module.get_global(full)
        except KeyError:
            pass
        fn = ir.Function(module, ir.FunctionType(ret, arg_types), full)
        fn.linkage = "internal"
        fn.calling_convention = "fastcc"
        for attr in ("noinline", "cold", "nounwind"):
            fn.attributes.add(attr)
        builder = ir.IRBuilder(fn.append_basic_block("entry"))
        inner = FP(LowerCtx(builder, self.ctx.width, self.dtype), self.dtype)
        builder.ret(body(inner, *fn.args))
        return fn

    def any(self, mask: Value) -> Value:
        """i1: some lane of ``mask`` is set."""
        if self.ctx.width == 1:
            return mask
        width = ir.IntType(self.ctx.width)
        return self.b.icmp_unsigned("!=", self.b.bitcast(mask, width), ir.Constant(width, 0))
