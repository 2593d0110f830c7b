"""Flushing subnormals for the duration of a call (``tj.jit(flush_denormals=True)``).

Arithmetic on float subnormals is slow on x86 (a microcode assist per operation, tens to
hundreds of cycles). XLA's CPU code runs with the flush-to-zero (FTZ: a subnormal result
becomes a signed zero) and denormals-are-zero (DAZ: a subnormal operand reads as a signed
zero) modes on; ``flush_denormals=True`` does the same. The modes are per thread (x86's
MXCSR, aarch64's FPCR), so they are set where code runs, not for the process: the driver of
a program saves the thread's control word, sets FTZ and DAZ, runs the kernels and restores
the word it saved before returning; every task wrapper the thread pool's workers run does
the same around its part. Other code of the thread -- NumPy after the call, other jitted
functions -- sees the modes it had. Code running inside the call sees them set: LAPACK
routines it calls, and host calls (NumPy called back from the compiled code) too.

Only the x86-64 SSE/AVX and aarch64 floating point units are switched (x87 arithmetic,
long double, has no such mode); on any other host the option changes nothing.
"""
from __future__ import annotations

import llvmlite.binding as llvm
from llvmlite import ir

I32, I64 = ir.IntType(32), ir.IntType(64)
MXCSR_FTZ_DAZ = (1 << 15) | (1 << 6)  # x86 MXCSR: FZ (bit 15) and DAZ (bit 6)
FPCR_FZ = 1 << 24  # aarch64 FPCR: FZ (flushes subnormal inputs and results)


def _arch(module: ir.Module) -> str:
    triple = module.triple or llvm.get_process_triple()
    if triple.startswith(("x86_64", "amd64")):
        return "x86"
    if triple.startswith(("aarch64", "arm64")):
        return "aarch64"
    return ""


def _intrinsic(module: ir.Module, name: str, ty: ir.FunctionType) -> ir.Function:
    existing = module.globals.get(name)
    return existing if existing is not None else ir.Function(module, ty, name)


def flush_begin(b: ir.IRBuilder) -> ir.Value | None:
    """Set FTZ and DAZ in this thread; returns what :func:`flush_end` restores (None: not supported here)."""
    module = b.module
    arch = _arch(module)
    if arch == "x86":
        ptr = ir.PointerType()
        saved = b.alloca(I32, name="mxcsr_saved")
        new = b.alloca(I32, name="mxcsr_new")
        b.call(_intrinsic(module, "llvm.x86.sse.stmxcsr", ir.FunctionType(ir.VoidType(), [ptr])), [saved])
        b.store(b.or_(b.load(saved), ir.Constant(I32, MXCSR_FTZ_DAZ)), new)
        b.call(_intrinsic(module, "llvm.x86.sse.ldmxcsr", ir.FunctionType(ir.VoidType(), [ptr])), [new])
        return saved
    if arch == "aarch64":
        saved = b.call(_intrinsic(module, "llvm.aarch64.get.fpcr", ir.FunctionType(I64, [])), [])
        setter = _intrinsic(module, "llvm.aarch64.set.fpcr", ir.FunctionType(ir.VoidType(), [I64]))
        b.call(setter, [b.or_(saved, ir.Constant(I64, FPCR_FZ))])
        return saved
    return None


def flush_end(b: ir.IRBuilder, saved: ir.Value | None) -> None:
    """Restore the control word :func:`flush_begin` saved."""
    if saved is None:
        return
    module = b.module
    if _arch(module) == "x86":
        ldmxcsr = _intrinsic(module, "llvm.x86.sse.ldmxcsr", ir.FunctionType(ir.VoidType(), [ir.PointerType()]))
        b.call(ldmxcsr, [saved])
    else:
        b.call(_intrinsic(module, "llvm.aarch64.set.fpcr", ir.FunctionType(ir.VoidType(), [I64])), [saved])
