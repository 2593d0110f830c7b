"""The toolbox op lowerings are written against.

A :class:`LowerCtx` wraps an ``IRBuilder`` together with the lane count of the values
being computed (1 for scalar code, W for ``<W x T>`` vectors) and the dtype an op is
applied at. Lowerings only call its methods, so one lowering serves scalar loops,
vector loops and every dtype.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from llvmlite import ir

I1 = ir.IntType(1)
I8 = ir.IntType(8)
I32 = ir.IntType(32)
I64 = ir.IntType(64)
F32 = ir.FloatType()
F64 = ir.DoubleType()
F16 = ir.HalfType()
HALF = np.dtype(np.float16)


def scalar_type(dtype: np.dtype) -> ir.Type:
    """Register type of one element (bool is i1 in registers)."""
    dt = np.dtype(dtype)
    if dt.kind == "b":
        return I1
    if dt.kind in "iu":
        return ir.IntType(dt.itemsize * 8)
    if dt == np.float32:
        return F32
    if dt == np.float16:
        return F16
    if dt == np.float64:
        return F64
    raise TypeError(f"no LLVM type for dtype {dt}")


def memory_type(dtype: np.dtype) -> ir.Type:
    """Type of one element in memory (bool is one byte, as in NumPy)."""
    return I8 if np.dtype(dtype).kind == "b" else scalar_type(dtype)


def vector_of(ty: ir.Type, width: int) -> ir.Type:
    """``ty`` itself for one lane, else the vector type ``<width x ty>``."""
    return ty if width == 1 else ir.VectorType(ty, width)


def int_value(value: int, bits: int) -> int:
    """Two's-complement signed value of ``value`` in ``bits`` bits (for unsigned constants)."""
    value &= (1 << bits) - 1
    return value - (1 << bits) if value >= 1 << (bits - 1) else value


def scalar_constant(value: int | float | np.generic, dtype: np.dtype) -> ir.Constant:
    """``value`` as a register constant of ``dtype`` (unsigned ints as their signed bits)."""
    dt = np.dtype(dtype)
    ty = scalar_type(dt)
    if dt.kind == "b":
        return ir.Constant(ty, int(bool(value)))
    if dt.kind in "iu":
        return ir.Constant(ty, int_value(int(value), dt.itemsize * 8))
    return ir.Constant(ty, float(dt.type(value)))


def type_suffix(ty: ir.Type) -> str:
    """LLVM's overload suffix of ``ty``: f32, i64, v8f32..."""
    if isinstance(ty, ir.VectorType):
        return f"v{ty.count}{type_suffix(ty.element)}"
    if ty == F32:
        return "f32"
    if ty == F64:
        return "f64"
    if ty == F16:
        return "f16"
    return f"i{ty.width}"


def float_to_half(b: ir.IRBuilder, value: ir.Value) -> ir.Value:
    """float32 (scalar or vector) ``value`` rounded to float16 (``vcvtps2ph``). An
    ``llvm.arithmetic.fence`` first keeps the backend from folding the rounding into the
    op before it: ``fptrunc(copysign(x, y))`` of a float64 ``y`` became a libcall
    (``__truncdfhf2``) that the JIT cannot resolve, and a float64 -> float32 -> float16
    chain must round twice, as NumPy does."""
    ty = value.type
    half = ir.VectorType(F16, ty.count) if isinstance(ty, ir.VectorType) else F16
    fence = declare(b.module, f"llvm.arithmetic.fence.{type_suffix(ty)}", ir.FunctionType(ty, [ty]))
    return b.fptrunc(b.call(fence, [value]), half)


def declare(module: ir.Module, name: str, fnty: ir.FunctionType) -> ir.Function:
    """The function ``name`` in ``module``, declared on first use."""
    try:
        return module.get_global(name)
    except KeyError:
        return ir.Function(module, fnty, name)


class LowerCtx:
    """Builder + lane count + the dtype an op is applied at."""

    def __init__(self, builder: ir.IRBuilder, width: int, dtype: np.dtype,
                 out_dtype: np.dtype | None = None, fast: tuple[str, ...] = ()):
        self.b = builder
        self.width = width
        self.dtype = np.dtype(dtype)
        self.out_dtype = np.dtype(out_dtype) if out_dtype is not None else self.dtype
        self.fast = fast  # LLVM fast-math flags for user-level float arithmetic (opt-in)

    # -- types and constants ---------------------------------------------------------
    @property
    def module(self) -> ir.Module:
        """The module the builder emits into."""
        return self.b.module

    @property
    def kind(self) -> str:
        """'f' float, 'i' signed int, 'u' unsigned int, 'b' bool."""
        return self.dtype.kind

    @property
    def bits(self) -> int:
        """Register width of one element of the ctx dtype (1 for bool)."""
        return 1 if self.kind == "b" else self.dtype.itemsize * 8

    def at(self, dtype: np.dtype) -> "LowerCtx":
        """The same builder and lane count, at another dtype."""
        return LowerCtx(self.b, self.width, dtype, fast=self.fast)

    def ty(self, dtype: np.dtype | None = None) -> ir.Type:
        """Register type of ``dtype`` (default: the op's dtype) at the ctx lane count."""
        return vector_of(scalar_type(self.dtype if dtype is None else dtype), self.width)

    def const(self, value: int | float | np.generic, dtype: np.dtype | None = None) -> ir.Constant:
        """``value`` as a constant of ``dtype`` (default: the op's dtype), splat to all lanes."""
        c = scalar_constant(value, self.dtype if dtype is None else dtype)
        if self.width == 1:
            return c
        return ir.Constant(ir.VectorType(c.type, self.width), [c] * self.width)

    def splat(self, scalar: ir.Value) -> ir.Value:
        """Broadcast a scalar register to all lanes (no-op for scalar code)."""
        if self.width == 1:
            return scalar
        vty = ir.VectorType(scalar.type, self.width)
        v = self.b.insert_element(ir.Constant(vty, ir.Undefined), scalar, ir.Constant(I32, 0))
        mask = ir.Constant(ir.VectorType(I32, self.width), [0] * self.width)
        return self.b.shuffle_vector(v, ir.Constant(vty, ir.Undefined), mask)

    # -- calls ---------------------------------------------------------------------
    def intrinsic(self, name: str, args: Sequence[ir.Value], ret: ir.Type | None = None,
                  extra: Sequence[ir.Value] = (),
                  overload_ret: bool = False) -> ir.Value:
        """Call ``llvm.<name>`` overloaded on the type of the first argument (and on the
        result type first, with ``overload_ret``)."""
        ty = args[0].type
        fnty = ir.FunctionType(ret or ty, [a.type for a in args] + [e.type for e in extra])
        suffix = type_suffix(ty)
        if overload_ret:
            suffix = f"{type_suffix(ret)}.{suffix}"
        fn = declare(self.module, f"llvm.{name}.{suffix}", fnty)
        return self.b.call(fn, list(args) + list(extra))

    # -- comparisons and selection ------------------------------------------------------
    def cmp(self, op: str, a: ir.Value, b: ir.Value) -> ir.Value:
        """NumPy comparison at the ctx dtype: ordered for floats except ``!=``."""
        if self.kind == "f":
            if op == "!=":
                return self.b.fcmp_unordered("!=", a, b)
            return self.b.fcmp_ordered(op, a, b)
        if self.kind == "i":
            return self.b.icmp_signed(op, a, b)
        return self.b.icmp_unsigned(op, a, b)

    def isnan(self, a: ir.Value) -> ir.Value:
        """i1 per lane: true where ``a`` is NaN."""
        return self.b.fcmp_unordered("uno", a, a)

    def select(self, cond: ir.Value, a: ir.Value, b: ir.Value) -> ir.Value:
        """``a`` where ``cond`` is true, else ``b``, per lane."""
        return self.b.select(cond, a, b)

    def truthy(self, a: ir.Value) -> ir.Value:
        """NumPy's truth value of each element as i1 (NaN is true)."""
        if self.kind == "b":
            return a
        if self.kind == "f":
            return self.b.fcmp_unordered("!=", a, self.const(0))
        return self.b.icmp_unsigned("!=", a, self.const(0))

    # -- conversions -----------------------------------------------------------------
    def convert(self, value: ir.Value, src: np.dtype, dst: np.dtype) -> ir.Value:
        """NumPy ``astype`` (unsafe casting) from ``src`` to ``dst`` dtype."""
        src, dst = np.dtype(src), np.dtype(dst)
        if src == dst:
            return value
        if HALF in (src, dst) and dst.kind != "b":
            return self._convert_half(value, src, dst)
        b = self.b
        dty = self.ty(dst)
        if dst.kind == "b":
            return self.at(src).truthy(value)
        if src.kind == "b":
            return b.uitofp(value, dty) if dst.kind == "f" else b.zext(value, dty)
        if src.kind == "f" and dst.kind == "f":
            return b.fpext(value, dty) if dst.itemsize > src.itemsize else b.fptrunc(value, dty)
        if src.kind in "iu" and dst.kind == "f":
            return b.sitofp(value, dty) if src.kind == "i" else b.uitofp(value, dty)
        if src.kind in "iu" and dst.kind in "iu":
            sbits, dbits = src.itemsize * 8, dst.itemsize * 8
            if dbits < sbits:
                return b.trunc(value, dty)
            if dbits > sbits:
                return b.sext(value, dty) if src.kind == "i" else b.zext(value, dty)
            return value
        return self._float_to_int(value, src, dst)

    def _convert_half(self, value: ir.Value, src: np.dtype, dst: np.dtype) -> ir.Value:
        """Casts to and from float16 through float32, as NumPy's (float16 <-> float32 is
        one exact or correctly rounded step, F16C's vcvtph2ps/vcvtps2ph; ints are exact in
        float32 up to float16's range). float64 -> float16 rounds to float32 by round-to-odd
        first, so the second rounding is the one correct rounding NumPy's
        ``npy_double_to_half`` does (no LLVM libcall)."""
        f32 = np.dtype(np.float32)
        if src == HALF and dst.kind == "f":
            return self._keep_signaling(value, src, self.b.fpext(value, self.ty(dst)), dst)
        if src == HALF:
            return self.at(f32).convert(self.b.fpext(value, self.ty(f32)), f32, dst)
        if src == np.float64:
            out = float_to_half(self.b, self._round_to_odd32(value))
        else:
            out = float_to_half(self.b, self.convert(value, src, f32))
        return self._keep_signaling(value, src, out, dst) if src.kind == "f" else out

    def _keep_signaling(self, value: ir.Value, src: np.dtype, out: ir.Value, dst: np.dtype) -> ir.Value:
        """A signaling NaN stays signaling, its payload kept, as NumPy's bit-level float16
        casts do (the hardware's conversions quiet it): the quiet bit cleared again, and a
        payload that would vanish set to 1."""
        b, sbits, dbits = self.b, src.itemsize * 8, dst.itemsize * 8
        sint, dint = self.at(np.dtype(f"int{sbits}")), self.at(np.dtype(f"int{dbits}"))
        squiet, dquiet = 1 << (np.finfo(src).nmant - 1), 1 << (np.finfo(dst).nmant - 1)
        quiet = b.icmp_unsigned("!=", b.and_(b.bitcast(value, sint.ty()), sint.const(squiet)), sint.const(0))
        signaling = b.and_(self.isnan(value), b.not_(quiet))
        bits = b.and_(b.bitcast(out, dint.ty()), dint.const(~dquiet))
        mant = (1 << np.finfo(dst).nmant) - 1
        empty = b.icmp_unsigned("==", b.and_(bits, dint.const(mant)), dint.const(0))
        bits = self.select(empty, b.or_(bits, dint.const(1)), bits)
        return self.select(signaling, b.bitcast(bits, self.ty(dst)), out)

    def _round_to_odd32(self, value: ir.Value) -> ir.Value:
        """float64 -> float32 rounded to odd: truncated towards zero, the last bit set
        when inexact (finite values; inf and NaN pass through)."""
        b, f32, i32 = self.b, np.dtype(np.float32), np.dtype(np.int32)
        near = b.fptrunc(value, self.ty(f32))
        back = b.fpext(near, self.ty(np.float64))
        fabs = self.at(np.float64).intrinsic("fabs", [back])
        inexact = b.fcmp_ordered("one", back, value)
        above = b.fcmp_ordered(">", fabs, self.at(np.float64).intrinsic("fabs", [value]))
        bits = b.bitcast(near, self.ty(i32))
        ictx = self.at(i32)
        bits = b.sub(bits, b.zext(above, self.ty(i32)))  # one step towards zero in magnitude
        bits = self.select(inexact, b.or_(bits, ictx.const(1)), bits)
        return b.bitcast(bits, self.ty(f32))

    def _fptosi_x86(self, value, src, bits: int) -> ir.Value:
        """``fptosi`` to ``bits`` bits, giving the minimum value (x86's 'integer
        indefinite') for NaN and out-of-range inputs instead of LLVM poison."""
        fctx, mid = self.at(src), np.dtype(f"int{bits}")
        lim = 2.0 ** (bits - 1)
        ok = self.b.and_(fctx.cmp(">=", value, fctx.const(-lim)), fctx.cmp("<", value, fctx.const(lim)))
        conv = self.b.fptosi(self.select(ok, value, fctx.const(0)), self.ty(mid))
        return self.select(ok, conv, self.at(mid).const(-(1 << (bits - 1))))

    def _float_to_int(self, value, src, dst) -> ir.Value:
        """Float to integer as NumPy's C casts behave on x86: small targets convert
        through int32, 32-bit unsigned and int64 through int64; uint64 splits at 2**63."""
        bits = dst.itemsize * 8
        if dst.kind == "u" and bits == 64:
            fctx, top = self.at(src), 2.0 ** 63
            big = fctx.cmp(">=", value, fctx.const(top))
            low = self._fptosi_x86(value, src, 64)
            high = self.b.xor(self._fptosi_x86(self.b.fsub(value, fctx.const(top)), src, 64),
                              self.at(np.int64).const(-(1 << 63)))
            return self.select(big, high, low)
        through32 = dst.kind == "i" and bits <= 32 or dst.kind == "u" and bits <= 16
        mid_bits = 32 if through32 else 64
        conv = self._fptosi_x86(value, src, mid_bits)
        return self.at(f"int{mid_bits}").convert(conv, np.dtype(f"int{mid_bits}"), dst)
