"""A whole program as one LLVM module: one function per kernel and a driver.

Kernel ABI: ``void kernel(ptr noalias b0, ..., ptr noalias bn, i64 begin, i64 end)``,
one pointer per buffer the kernel touches; ``[begin, end)`` bounds its outermost loop
(``Kernel.parallel_extent``). A parallel kernel also gets a task wrapper
``void task(ptr bufs, i64 begin, i64 end)`` that reads its buffer pointers from the table.
The driver ``void entry(ptr bufs, parallel_for)`` runs the kernels in order, handing
parallel ones to the runtime's ``parallel_for(task, bufs, extent, grain)``; a call of a
compiled function is one foreign call, and no address is baked into the code.
"""
from __future__ import annotations

from dataclasses import dataclass

import llvmlite.binding as llvm
from llvmlite import ir

from tracejit.compiler.codegen.lowerctx import I64, memory_type
from tracejit.compiler.codegen.loops import for_range, i64, loop_hints
from tracejit.compiler.codegen.gemm import GemmEmitter
from tracejit.compiler.codegen.nest import NestEmitter
from tracejit.compiler.codegen.symbols import ARRAY_DATA_OFFSET, ModuleSymbols, call_slots, symbol_names
from tracejit.compiler.kernel import Kernel, Program
from tracejit.compiler.target import target_machine

PTR = ir.PointerType()
FAST_MATH = ("reassoc", "contract", "nsz", "arcp")  # tj.jit(fastmath=True): no nnan/ninf
TASK = ir.FunctionType(ir.VoidType(), [PTR, I64, I64])
PARALLEL_FOR = ir.FunctionType(ir.VoidType(), [ir.PointerType(TASK), PTR, I64, I64])


def _opaque(b: ir.IRBuilder, typed: ir.Value) -> ir.Value:
    """An opaque ``ptr`` to what ``typed`` points at (llvmlite keeps allocas typed and its
    bitcast to ``ptr`` is a no-op; a round trip through a slot, which SROA removes, is not)."""
    holder = b.alloca(PTR)
    b.store(typed, holder)
    return b.load(holder, typ=PTR)


def _arguments(kernel: Kernel, scratch: dict) -> list[int]:
    """Buffers passed to the kernel function (scratch buffers live on its stack)."""
    return [bid for bid in kernel.buffers() if bid not in scratch]


def _load_buffers(b: ir.IRBuilder, table, kernel: Kernel, scratch: dict) -> list:
    return [b.load(b.gep(table, [i64(bid)], inbounds=True, source_etype=PTR), typ=PTR)
            for bid in _arguments(kernel, scratch)]


def _task_function(module: ir.Module, kernel: Kernel, fn: ir.Function, scratch: dict) -> ir.Function:
    task = ir.Function(module, TASK, f"{fn.name}_task")
    task.attributes.add("nounwind")
    table, begin, end = task.args
    b = ir.IRBuilder(task.append_basic_block("entry"))
    b.call(fn, _load_buffers(b, table, kernel, scratch) + [begin, end])
    b.ret_void()
    return task


def _kernel_function(module: ir.Module, kernel: Kernel, name: str, fast: tuple[str, ...],
                     scratch: dict, shared: set[int]) -> ir.Function:
    """The kernel's function; buffers in ``shared`` (a temporary written in place of
    another, see compiler/memplan.py) may alias each other, so they are not ``noalias``."""
    bufs = _arguments(kernel, scratch)
    fnty = ir.FunctionType(ir.VoidType(), [PTR] * len(bufs) + [I64, I64])
    fn = ir.Function(module, fnty, name)
    fn.attributes.add("nounwind")
    for arg, bid in zip(fn.args, bufs):
        arg.name = f"b{bid}"
        if bid not in shared:
            arg.add_attribute("noalias")
    begin, end = fn.args[-2], fn.args[-1]
    begin.name, end.name = "begin", "end"
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    ptrs = dict(zip(bufs, fn.args))
    for bid in kernel.buffers():
        if bid in scratch:  # one row of a temporary, per call (so per task)
            buf = scratch[bid]
            slot = b.alloca(memory_type(buf.dtype), size=i64(buf.shape[0]), name=f"scratch{bid}")
            slot.align = 64
            ptrs[bid] = _opaque(b, slot)
    ranged = kernel.parallel_extent > 0
    streaming = any(s.stream for s in kernel.schedules)
    if kernel.gemm is not None:
        GemmEmitter(b, ptrs, kernel.gemm, begin, end).emit()
    elif kernel.row_fused:  # one outer loop; every stage runs at each outer index
        with for_range(b, begin, end, name="row", hints=loop_hints(module, unroll=False)) as row:
            stop = b.add(row, i64(1))
            for nest, sched in zip(kernel.nests, kernel.schedules):
                NestEmitter(b, ptrs, nest, sched, row, stop, fast).emit()
    else:
        for nest, sched in zip(kernel.nests, kernel.schedules):
            NestEmitter(b, ptrs, nest, sched, begin if ranged else None, end if ranged else None, fast).emit()
    if streaming:  # non-temporal stores are weakly ordered: drain them before returning
        _store_fence(b)
    b.ret_void()
    return fn


def _store_fence(b: ir.IRBuilder) -> None:
    """Order earlier non-temporal stores before anything later: ``sfence`` on x86 (a
    ``lock``-prefixed instruction, LLVM's seq_cst fence there, does not order them)."""
    if llvm.get_process_triple().startswith(("x86_64", "i686", "i386")):
        fn = b.module.globals.get("llvm.x86.sse.sfence") or ir.Function(
            b.module, ir.FunctionType(ir.VoidType(), []), "llvm.x86.sse.sfence")
        b.call(fn, [])
    else:
        b.fence("seq_cst")


def _shared(kernel: Kernel, in_place: dict[int, int]) -> set[int]:
    """The kernel's buffers that share memory: a temporary it writes in place of one it reads."""
    used = set(kernel.buffers())
    return {b for new, old in in_place.items() if new in used and old in used for b in (new, old)}


def build_module(program: Program, prefix: str) -> tuple[ir.Module, ModuleSymbols]:
    """The LLVM module of ``program``; function names start with ``prefix`` (unique per process)."""
    names = symbol_names(program, prefix)
    module = ir.Module(name=prefix)
    module.triple = llvm.get_process_triple()
    module.data_layout = str(target_machine().target_data)
    fast = FAST_MATH if program.fastmath else ()
    scratch = {buf.id: buf for buf in program.buffers if buf.kind == "scratch"}
    in_place = program.plan.in_place if program.plan is not None else {}
    kernels = [(k, _kernel_function(module, k, name, fast, scratch, _shared(k, in_place)))
               for k, name in zip(program.kernels, names.kernels)]
    entry = ir.Function(module, ir.FunctionType(ir.VoidType(), [PTR, ir.PointerType(PARALLEL_FOR)]),
                        names.entry)
    entry.attributes.add("nounwind")
    b = ir.IRBuilder(entry.append_basic_block("entry"))
    table, parallel_for = entry.args
    for kernel, fn in kernels:
        if kernel.parallel_grain:
            task = _task_function(module, kernel, fn, scratch)
            b.call(parallel_for, [task, table, i64(kernel.parallel_extent), i64(kernel.parallel_grain)])
        else:
            b.call(fn, _load_buffers(b, table, kernel, scratch) + [i64(0), i64(kernel.parallel_extent)])
    b.ret_void()
    _call_function(module, program, names, entry)
    return module, names


def _call_function(module: ir.Module, program: Program, names: ModuleSymbols, entry: ir.Function) -> None:
    """``void call(ptr array_0, ..., ptr template, ptr arena, parallel_for)``: the driver
    called with the addresses of the array objects (:func:`call_slots` order) instead of a
    table of data pointers. It copies the table of constants (``template``), reads each
    array's data pointer from its object (``ARRAY_DATA_OFFSET``; the runtime checks that
    offset once before using this), points temporaries into ``arena`` and calls the
    driver: one foreign call with no per-array work in Python."""
    slots = call_slots(program)
    n = len(program.buffers)
    fnty = ir.FunctionType(ir.VoidType(), [PTR] * (len(slots) + 2) + [ir.PointerType(PARALLEL_FOR)])
    fn = ir.Function(module, fnty, names.call)
    fn.attributes.add("nounwind")
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    *objs, template, arena, parallel_for = fn.args
    table = b.alloca(ir.ArrayType(PTR, max(n, 1)), name="table")
    table.align = 8

    def slot(i: int) -> ir.Value:
        return b.gep(table, [i64(0), i64(i)], inbounds=True)

    for i in range(n):
        b.store(b.load(b.gep(template, [i64(i)], inbounds=True, source_etype=PTR), typ=PTR), slot(i))
    for bid, obj in zip(slots, objs):
        data = b.gep(obj, [i64(ARRAY_DATA_OFFSET)], inbounds=True, source_etype=ir.IntType(8))
        b.store(b.load(data, typ=PTR), slot(bid))
    offsets = program.plan.offsets if program.plan is not None else {}
    for bid, offset in offsets.items():
        b.store(b.gep(arena, [i64(offset)], inbounds=True, source_etype=ir.IntType(8)), slot(bid))
    b.call(entry, [_opaque(b, table), parallel_for])
    b.ret_void()
