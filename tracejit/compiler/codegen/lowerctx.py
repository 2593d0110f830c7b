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


def scalar_type(dtype: np.dtype) -> ir.Type:
    """Register type of one element (bool is i1 in registers)."""
    dt = np.dtype(dtype)
    if dt.kind == "b":
        return I1
    if dt.kind in "iu":
        return ir.IntType(dt.itemsize * 8)
    if dt == np.float32:
        return F32
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
    return f"i{ty.width}"


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
