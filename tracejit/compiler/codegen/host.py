"""Code of a host-call kernel (``Control.kind == "host"``, ``kernelize/host.py``).

``void host(ptr table, parallel_for)`` builds on its stack the array of its operands'
and results' buffer addresses and calls the callback whose address the constant
buffer ``Control.callback`` holds: ``int32 cb(ptr pointers)`` (``runtime/hostcalls.py``).
It zeroes the call's ordering token (the last result) itself. It runs on the calling
thread, between the kernels before and after it; its result
(nonzero: the callback failed and stored the error) is read by the runtime, not here.

Before calling out, it parks the thread pool (``park_workers``): the callback (NumPy, its
BLAS) gets the cores that idle workers would otherwise spin on.
"""
from __future__ import annotations

from llvmlite import ir

from tracejit.compiler.codegen.loops import i64, opaque, pointer_at
from tracejit.compiler.codegen.lowerctx import I64
from tracejit.compiler.kir import Kernel

PTR = ir.PointerType()
CALLBACK = ir.FunctionType(ir.IntType(32), [PTR])


def emit_host(module: ir.Module, kernel: Kernel, name: str, parallel_ty: ir.Type) -> ir.Function:
    """The function running host-call kernel ``kernel``."""
    c = kernel.control
    fn = ir.Function(module, ir.FunctionType(ir.VoidType(), [PTR, parallel_ty]), name)
    fn.attributes.add("noinline")
    table, _ = fn.args
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    buffers = list(c.inits) + list(c.results)
    pointers = b.alloca(ir.ArrayType(PTR, max(1, len(buffers))), name="pointers")
    loaded = [pointer_at(b, table, bid) for bid in buffers]
    for i, pointer in enumerate(loaded):
        b.store(pointer, b.gep(pointers, [i64(0), i64(i)], inbounds=True))
    if c.results:
        zero_token(b, loaded[-1])
    address = b.load(pointer_at(b, table, c.callback), typ=I64)
    callee = b.inttoptr(address, ir.PointerType(CALLBACK))
    park_workers(b, fn.args[1])
    b.call(callee, [opaque(b, pointers)])
    b.ret_void()
    return fn


def zero_token(b: ir.IRBuilder, token: ir.Value) -> None:
    """Store 0 in the call's ordering token (its last result, one byte; NULL: no memory), which
    the callback never views: cheaper here than a ``memset`` from Python on every call."""
    with b.if_then(b.icmp_unsigned("!=", token, ir.Constant(PTR, None)), likely=True):
        b.store(ir.Constant(ir.IntType(8), 0), token)


def park_workers(b: ir.IRBuilder, parallel_for: ir.Value) -> None:
    """Tell the thread pool's idle workers to sleep now rather than spin (``parallel_for(NULL,
    ...)``, ``runtime/poolcode.py``): before a LAPACK or host call, whose own threads (OpenBLAS's)
    need the cores, and when a program returns. A program run without the pool has a NULL
    ``parallel_for``: nothing to park."""
    ty = parallel_for.type
    with b.if_then(b.icmp_unsigned("!=", parallel_for, ir.Constant(ty, None)), likely=True):
        params = ty.pointee.args
        b.call(parallel_for, [ir.Constant(params[0], None), ir.Constant(params[1], None), i64(0), i64(0)])
