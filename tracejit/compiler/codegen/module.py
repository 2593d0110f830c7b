"""A whole program as one LLVM module: one function per kernel and a driver.

Kernel ABI: ``void kernel(ptr noalias b0, ..., ptr noalias bn, i64 begin, i64 end)``,
one pointer per buffer the kernel touches; ``[begin, end)`` bounds its outermost loop
(``Kernel.parallel_extent``). The driver ``void entry(ptr bufs)`` reads every buffer
pointer from one array and runs the kernels in order, so a call costs one foreign call.
"""
from __future__ import annotations

from dataclasses import dataclass

import llvmlite.binding as llvm
from llvmlite import ir

from tracejit.compiler.codegen.lowerctx import I64
from tracejit.compiler.codegen.loops import i64
from tracejit.compiler.codegen.nest import NestEmitter
from tracejit.compiler.kernel import Kernel, Program
from tracejit.compiler.target import target_machine

PTR = ir.PointerType()


@dataclass(frozen=True)
class ModuleSymbols:
    """Names of the functions in a generated module."""

    entry: str
    kernels: tuple[str, ...]


def _kernel_function(module: ir.Module, kernel: Kernel, name: str) -> ir.Function:
    bufs = kernel.buffers()
    fnty = ir.FunctionType(ir.VoidType(), [PTR] * len(bufs) + [I64, I64])
    fn = ir.Function(module, fnty, name)
    fn.attributes.add("nounwind")
    for arg, bid in zip(fn.args, bufs):
        arg.name = f"b{bid}"
        arg.add_attribute("noalias")
    begin, end = fn.args[-2], fn.args[-1]
    begin.name, end.name = "begin", "end"
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    ptrs = dict(zip(bufs, fn.args))
    ranged = kernel.parallel_extent > 0
    for nest, sched in zip(kernel.nests, kernel.schedules):
        NestEmitter(b, ptrs, nest, sched, begin if ranged else None, end if ranged else None).emit()
    b.ret_void()
    return fn


def build_module(program: Program, prefix: str) -> tuple[ir.Module, ModuleSymbols]:
    """The LLVM module of ``program``; function names start with ``prefix`` (unique per process)."""
    module = ir.Module(name=prefix)
    module.triple = llvm.get_process_triple()
    module.data_layout = str(target_machine().target_data)
    kernels = [(k, _kernel_function(module, k, f"{prefix}_{k.name}")) for k in program.kernels]
    entry = ir.Function(module, ir.FunctionType(ir.VoidType(), [PTR]), f"{prefix}_entry")
    entry.attributes.add("nounwind")
    b = ir.IRBuilder(entry.append_basic_block("entry"))
    table = entry.args[0]
    for kernel, fn in kernels:
        args = [b.load(b.gep(table, [i64(bid)], inbounds=True, source_etype=PTR), typ=PTR)
                for bid in kernel.buffers()]
        b.call(fn, args + [i64(0), i64(kernel.parallel_extent)])
    b.ret_void()
    return module, ModuleSymbols(entry.name, tuple(fn.name for _, fn in kernels))
