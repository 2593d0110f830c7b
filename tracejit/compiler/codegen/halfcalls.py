"""float16 conversions defined in the module, for targets whose C runtime may lack them.

Without half-precision hardware (rv64gc, wasm32) LLVM converts ``half`` by calling
``__extendhfsf2`` and ``__truncsfhf2``; libgcc has them on riscv64 only since GCC 13. A
module for such a target (``Target.half_libcalls``) defines both itself, weak and hidden
(a runtime that has them, or another exported module, is not contradicted), in integer
and float32 arithmetic that never converts ``half``, so they cannot call themselves.
They round as the hardware does: to nearest even, overflow to infinity, subnormals
exact; a NaN keeps its sign and the top of its payload and comes out quiet.
"""
from __future__ import annotations

from llvmlite import ir

I16, I32 = ir.IntType(16), ir.IntType(32)
F32, HALF = ir.FloatType(), ir.HalfType()
EXTEND, TRUNCATE = "__extendhfsf2", "__truncsfhf2"


def _function(module: ir.Module, name: str, fnty: ir.FunctionType) -> tuple[ir.Function, ir.IRBuilder]:
    fn = module.globals.get(name) or ir.Function(module, fnty, name)
    fn.linkage = "weak"
    fn.visibility = "hidden"
    fn.attributes.add("nounwind")
    return fn, ir.IRBuilder(fn.append_basic_block("entry"))


def _c(value: int) -> ir.Constant:
    return ir.Constant(I32, value)


def _extend(module: ir.Module) -> None:
    """float(h): exact (a subnormal h is its 10-bit integer times 2**-24, both exact in float32)."""
    fn, b = _function(module, EXTEND, ir.FunctionType(F32, [HALF]))
    h = b.zext(b.bitcast(fn.args[0], I16), I32)
    sign = b.shl(b.and_(h, _c(0x8000)), _c(16))
    exp, mant = b.and_(b.lshr(h, _c(10)), _c(0x1F)), b.and_(h, _c(0x3FF))
    normal = b.or_(b.shl(b.add(exp, _c(112)), _c(23)), b.shl(mant, _c(13)))
    quiet = b.select(b.icmp_unsigned("!=", mant, _c(0)), _c(0x400000), _c(0))
    special = b.or_(b.or_(_c(0x7F800000), b.shl(mant, _c(13))), quiet)
    tiny = b.bitcast(b.fmul(b.uitofp(mant, F32), ir.Constant(F32, 2.0 ** -24)), I32)
    bits = b.select(b.icmp_unsigned("==", exp, _c(0)), tiny,
                    b.select(b.icmp_unsigned("==", exp, _c(0x1F)), special, normal))
    b.ret(b.bitcast(b.or_(bits, sign), F32))


def _truncate(module: ir.Module) -> None:
    """half(f) rounded to nearest even: normals by adding the rounding bias to the bits (a
    carry rounds up into the exponent, and past 65504 into infinity); results below 2**-14
    by a float32 addition of 0.5, which aligns the value's bits with half's subnormals and
    rounds them to nearest even in hardware."""
    fn, b = _function(module, TRUNCATE, ir.FunctionType(HALF, [F32]))
    u = b.bitcast(fn.args[0], I32)
    sign = b.trunc(b.lshr(b.and_(u, _c(0x80000000)), _c(16)), I16)
    a = b.and_(u, _c(0x7FFFFFFF))
    nan = b.or_(_c(0x7E00), b.and_(b.lshr(a, _c(13)), _c(0x3FF)))
    big = b.select(b.icmp_unsigned(">", a, _c(0x7F800000)), nan, _c(0x7C00))  # >= 65536: inf or NaN
    odd = b.and_(b.lshr(a, _c(13)), _c(1))
    normal = b.lshr(b.add(b.add(a, _c(((15 - 127) << 23) + 0xFFF)), odd), _c(13))
    magic = ir.Constant(F32, 0.5)
    tiny = b.sub(b.bitcast(b.fadd(b.bitcast(a, F32), magic), I32), _c(0x3F000000))
    bits = b.select(b.icmp_unsigned(">=", a, _c(0x47800000)), big,
                    b.select(b.icmp_unsigned("<", a, _c(113 << 23)), tiny, normal))
    b.ret(b.bitcast(b.or_(b.trunc(bits, I16), sign), HALF))


def define_half_libcalls(module: ir.Module) -> None:
    """Define ``__extendhfsf2`` and ``__truncsfhf2`` in ``module`` (see the module docstring)."""
    _extend(module)
    _truncate(module)
