"""A whole program as one LLVM module: one function per kernel and a driver.

The program is generic (``compiler/generic_sizes.py``): its sizes are read from a size table.
Kernel ABI: ``void kernel(ptr noalias b0, ..., ptr noalias bn, ptr sizes, i64 begin,
i64 end)``, one pointer per buffer the kernel touches and the size table; ``[begin,
end)`` bounds its outermost loop (``Kernel.parallel_extent``). A kernel function that
can be split also gets a task wrapper ``void task(ptr args, i64 begin, i64 end)`` reading
its arguments from the block ``args`` the driver fills before handing it to the thread
pool (one wrapper per function, not per call: an unrolled loop's thousands of calls
share a few).
The driver ``void entry(ptr bufs, parallel_for)`` runs the kernels in order, handing
those whose chunk length (a size) is not 0 to the runtime's ``parallel_for(task, bufs,
extent, grain)``; a call of a compiled function is one foreign call, and no address or
size of the concrete program is baked into the code.
"""
from __future__ import annotations

import dataclasses
import weakref
from collections.abc import Callable

from llvmlite import ir

from tracejit.compiler.codegen.call import emit_call_wrapper
from tracejit.compiler.codegen.control import emit_control
from tracejit.compiler.codegen.denormals import flush_begin, flush_end
from tracejit.compiler.codegen.gemm import GemmEmitter
from tracejit.compiler.codegen.gemv import GemvEmitter
from tracejit.compiler.codegen.halfcalls import define_half_libcalls
from tracejit.compiler.codegen.host import park_workers
from tracejit.compiler.codegen.loops import for_range, i64, loop_hints, opaque, pointer_at
from tracejit.compiler.codegen.lowerctx import I64, memory_type
from tracejit.compiler.codegen.nest import NestEmitter
from tracejit.compiler.codegen.quicksort import QuickSortEmitter
from tracejit.compiler.codegen.select import SelectEmitter
from tracejit.compiler.codegen.sizes import SizeReader
from tracejit.compiler.codegen.split import Part, split_module
from tracejit.compiler.codegen.symbols import ModuleSymbols, symbol_names
from tracejit.compiler.codegen.targeting import bind_target, target_of
from tracejit.compiler.fingerprint import program_fingerprint
from tracejit.compiler.generic_sizes import GenericProgram, Param
from tracejit.compiler.kir import Access, Kernel, Nest, ScatterAccess, map_accesses, with_store
from tracejit.compiler.ops.scan_sort import SELECTS
from tracejit.compiler.target import Target, host_target

PTR = ir.PointerType()
FAST_MATH = ("reassoc", "contract", "nsz", "arcp")  # tj.jit(fastmath=True): no nnan/ninf
TASK = ir.FunctionType(ir.VoidType(), [PTR, I64, I64])
# Kernels from which the driver and call wrapper are compiled without optimization: an
# unrolled loop's driver is tens of thousands of straight-line calls, which O3 and
# instruction selection took seconds over (cholesky 48: 8 s of LLVM -> 1.3 s)
LARGE_DRIVER = 64
PARALLEL_FOR = ir.FunctionType(ir.VoidType(), [ir.PointerType(TASK), PTR, I64, I64])
# per module: kernel functions by local form, and task wrappers by function name, shared by
# all its programs (a loop's segments and branches run the kernels they have in common once)
_EMITTED: weakref.WeakKeyDictionary[ir.Module, tuple[dict[str, ir.Function], dict[str, ir.Function]]] = \
    weakref.WeakKeyDictionary()
# modules of tj.jit(flush_denormals=True) programs: their driver and task wrappers set FTZ/DAZ (denormals.py)
_FLUSHING: weakref.WeakSet[ir.Module] = weakref.WeakSet()


def _operands(kernel: Kernel) -> list[int]:
    """The kernel's buffers in the order its function takes them: a matrix product's by
    role (A, B, C, B's packing block, then the epilogue's), so that products of one shape
    share a function whatever their buffers' ids; other kernels' sorted."""
    g = kernel.gemm
    if g is None:
        return kernel.buffers()
    roles = [g.a.buffer, g.b_buffer(), g.c.buffer] + ([] if g.b_block is None else [g.b_block])
    return list(dict.fromkeys(roles + kernel.buffers()))


def _arguments(kernel: Kernel, scratch: dict) -> list[int]:
    """Buffers passed to the kernel function (scratch buffers live on its stack)."""
    return [bid for bid in _operands(kernel) if bid not in scratch]


def _call_args(b: ir.IRBuilder, table, kernel: Kernel, scratch: dict, n_buffers: int, base: int = 0) -> list:
    """The kernel's buffer pointers, read from the table ``table``, and its part of the
    size table (from slot ``base``: see :func:`_localize`)."""
    sizes = pointer_at(b, table, n_buffers)
    if base:
        sizes = b.gep(sizes, [i64(base)], inbounds=True, source_etype=I64)
    return [pointer_at(b, table, bid) for bid in _arguments(kernel, scratch)] + [sizes]


def _scalar(kernel: Kernel) -> bool:
    """Whether ``kernel`` is nests over no loops (a few instructions, cheaper than a call)."""
    return kernel.gemm is None and kernel.along is None and all(nest.shape == () for nest in kernel.nests)


def _task_function(module: ir.Module, fn: ir.Function, name: str) -> ir.Function:
    """``task(args, begin, end)``: ``fn`` on the pointers in the block ``args`` (its
    buffers', then its part of the size table), one wrapper per kernel function (kernels
    sharing a function share it; the driver fills the block before each call)."""
    task = ir.Function(module, TASK, f"{name}_task")
    task.attributes.add("nounwind")
    args, begin, end = task.args
    b = ir.IRBuilder(task.append_basic_block("entry"))
    n_ptrs = len(fn.args) - 2
    saved = flush_begin(b) if module in _FLUSHING else None  # (a worker's modes, restored after its part)
    b.call(fn, [pointer_at(b, args, i) for i in range(n_ptrs)] + [begin, end])
    flush_end(b, saved)
    b.ret_void()
    return task


def _kernel_function(module: ir.Module, kernel: Kernel, name: str, fast: tuple[str, ...],
                     scratch: dict, shared: set[int]) -> ir.Function:
    """The kernel's function; buffers in ``shared`` (a temporary written in place of
    another, see compiler/schedule/memplan.py) may alias each other, so they are not ``noalias``."""
    bufs = _arguments(kernel, scratch)
    fnty = ir.FunctionType(ir.VoidType(), [PTR] * (len(bufs) + 1) + [I64, I64])
    fn = ir.Function(module, fnty, name)
    fn.attributes.add("nounwind")
    for arg, bid in zip(fn.args, bufs):
        arg.name = f"b{bid}"
        if bid not in shared:
            arg.add_attribute("noalias")
    table, begin, end = fn.args[-3], fn.args[-2], fn.args[-1]
    table.name, begin.name, end.name = "sizes", "begin", "end"
    table.add_attribute("noalias")
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    sizes = SizeReader(b, table)
    ptrs = dict(zip(bufs, fn.args))
    for bid in kernel.buffers():
        if bid in scratch:  # one row of a temporary, per call (so per task)
            buf = scratch[bid]
            slot = b.alloca(memory_type(buf.dtype), size=i64(buf.shape[0]), name=f"scratch{bid}")
            slot.align = 64
            ptrs[bid] = opaque(b, slot)
    ranged = _ranged(kernel)
    streaming = any(s.stream for s in kernel.schedules)
    if kernel.gemm is not None and kernel.gemm.gemv and not isinstance(kernel.gemm.m, Param):
        GemvEmitter(b, ptrs, kernel.gemm, begin, end).emit()
    elif kernel.gemm is not None:
        GemmEmitter(b, ptrs, kernel.gemm, begin, end, sizes).emit()
    elif kernel.along is not None:
        emitter = SelectEmitter if kernel.along.op in SELECTS else QuickSortEmitter
        emitter(b, ptrs, kernel.along, begin, end).emit()
    elif kernel.row_fused:  # one outer loop; every stage runs at each outer index
        with for_range(b, begin, end, name="row", hints=loop_hints(module, unroll=False)) as row:
            stop = b.add(row, i64(1))
            for nest, sched in zip(kernel.nests, kernel.schedules):
                NestEmitter(b, ptrs, nest, sched, row, stop, fast, sizes).emit()
    else:
        for nest, sched in zip(kernel.nests, kernel.schedules):
            NestEmitter(b, ptrs, nest, sched, begin if ranged else None, end if ranged else None, fast,
                        sizes).emit()
    if streaming:  # non-temporal stores are weakly ordered: drain them before returning
        _store_fence(b)
    b.ret_void()
    return fn


def _ranged(kernel: Kernel) -> bool:
    """Whether the kernel's outermost loop runs over ``[begin, end)`` (it can be split)."""
    extent = kernel.parallel_extent
    return isinstance(extent, Param) or extent > 0


def _store_fence(b: ir.IRBuilder) -> None:
    """Order earlier non-temporal stores before anything later, as the module's target
    says (``Target.nontemporal``): ``sfence`` on x86 (a ``lock``-prefixed instruction,
    LLVM's seq_cst fence there, does not order them), a seq_cst ``fence`` elsewhere
    (aarch64: ``dmb ish`` orders ``stnp``); a target without such stores streams none."""
    how = target_of(b.module).nontemporal
    if how == "sfence":
        fn = b.module.globals.get("llvm.x86.sse.sfence") or ir.Function(
            b.module, ir.FunctionType(ir.VoidType(), []), "llvm.x86.sse.sfence")
        b.call(fn, [])
    elif how == "fence":
        b.fence("seq_cst")
    else:
        raise ValueError(f"target {target_of(b.module).name} has no non-temporal stores to order")


def _shared(kernel: Kernel, in_place: dict[int, int]) -> set[int]:
    """The kernel's buffers that share memory: a temporary it writes in place of one it reads."""
    used = set(kernel.buffers())
    return {b for new, old in in_place.items() if new in used and old in used for b in (new, old)}


def _localize(kernel: Kernel, base: int, scratch: dict, shared: set[int]) -> tuple[str, Kernel, dict, set]:
    """The kernel as code sees it: buffers renumbered in argument order, size slots
    counted from its first one (``base``), name and nodes dropped. Kernels whose local
    forms print the same run one function (an unrolled loop's writes are a few
    functions, not thousands), each call with its own part of the size table."""
    if kernel.along is not None:
        return f"library {id(kernel)}", kernel, scratch, shared
    local_id = {bid: i for i, bid in enumerate(_operands(kernel))}

    def local(value):
        return Param(value.slot - base) if isinstance(value, Param) else value

    def fix(a: Access) -> Access:
        return Access(local_id.get(a.buffer, a.buffer), a.dtype, local(a.offset), a.strides)

    if kernel.gemm is not None:  # a loop body's products of one shape run one function (GRU: 6 -> 2)
        return _localize_gemm(kernel, local_id, fix, local, scratch, shared)
    nests = []
    for nest in kernel.nests:
        memo: dict = {}
        value = map_accesses(nest.value, fix, memo, local)
        epilogue = None if nest.epilogue is None else map_accesses(nest.epilogue, fix, {}, local)
        shape = tuple(local(n) for n in nest.shape)
        store = with_store(nest.store, fix(nest.store), lambda i: map_accesses(i, fix, memo, local))
        if isinstance(store, ScatterAccess):
            store = dataclasses.replace(store, extents=tuple(local(n) for n in store.extents))
        nests.append(Nest(shape, nest.n_reduced, nest.reduce, value, store, epilogue))
    out = dataclasses.replace(kernel, name="", nodes=[], nests=nests)
    out.parallel_grain = local(kernel.parallel_grain)
    return _local_key(out, local_id, scratch, shared)


def _localize_gemm(kernel: Kernel, local_id: dict[int, int], fix: Callable, local: Callable, scratch: dict,
                   shared: set[int]) -> tuple[str, Kernel, dict, set]:
    """:func:`_localize` for a matrix product: its operands, packed and block buffers renumbered."""
    g = kernel.gemm
    epilogue = None if g.epilogue is None else map_accesses(g.epilogue, fix, {}, local)
    gemm = dataclasses.replace(g, a=fix(g.a), b=fix(g.b), c=fix(g.c), epilogue=epilogue, m=local(g.m),
                               packed_b=None if g.packed_b is None else local_id[g.packed_b],
                               b_block=None if g.b_block is None else local_id[g.b_block])
    out = dataclasses.replace(kernel, name="", nodes=[], gemm=gemm)
    out.parallel_grain = local(kernel.parallel_grain)
    return _local_key(out, local_id, scratch, shared)


def _local_key(out: Kernel, local_id: dict[int, int], scratch: dict, shared: set[int]) -> tuple[str, Kernel, dict, set]:
    """The text naming a localized kernel's code, with the kernel and its scratch and shared buffers renumbered."""
    local_scratch = {local_id[b]: buf for b, buf in scratch.items() if b in local_id}
    local_shared = {local_id[b] for b in shared if b in local_id}
    text = program_fingerprint(GenericProgram("", [], [out], 0, [])) + f"\n{sorted(local_scratch)}"
    text += "".join(f"\n{i}:{buf.shape}{buf.dtype.str}" for i, buf in sorted(local_scratch.items()))
    return text + f"\nshared {sorted(local_shared)}", out, local_scratch, local_shared


def build_module(program: GenericProgram, prefix: str, target: Target | None = None,
                 flush_denormals: bool = False) -> tuple[ir.Module, ModuleSymbols]:
    """The LLVM module of ``program`` for ``target`` (default: the one the program was
    scheduled for, ``program.target``, else the host); function names start with ``prefix``
    (unique per process). The call wrapper, which reads NumPy's array objects, is emitted
    only for the host's triple (an exported module has the driver ``names.entry``). With
    ``flush_denormals`` its calls run with FTZ/DAZ set (``codegen/denormals.py``)."""
    target = target or program.target or host_target()
    if program.target is not None and program.target != target:
        raise ValueError(f"program scheduled for {program.target.name}, not {target.name}")
    names = symbol_names(program, prefix)
    module = ir.Module(name=prefix)
    bind_target(module, target)
    if flush_denormals:
        _FLUSHING.add(module)
    entry = emit_program(module, program, prefix, park=True)
    if target.half_libcalls and "half" in str(module):  # (printed for cross targets only)
        define_half_libcalls(module)
    if target.triple == host_target().triple:
        call = emit_call_wrapper(module, program, names.call, entry)
        if len(program.kernels) > LARGE_DRIVER:  # like the driver: straight-line, long, run once a call
            call.attributes.add("noinline")
            call.attributes.add("optnone")
    return module, names


def build_parts(program: GenericProgram, prefix: str, parts: int, flush_denormals: bool = False) -> list[Part]:
    """:func:`build_module` for the host as at most ``parts`` parts compiled apart
    (``codegen/split.py``): the driver and call wrapper in the first."""
    module, names = build_module(program, prefix, flush_denormals=flush_denormals)
    return split_module(module, {names.entry, names.call}, parts)


def emit_program(module: ir.Module, program: GenericProgram, prefix: str, park: bool = False) -> ir.Function:
    """Emit ``program``'s kernels and its driver into ``module``; returns the driver
    (a loop's or branch's sub-programs are emitted the same way, ``codegen/control.py``); with
    ``park``, a top-level driver parks the thread pool on return (``codegen/host.py``)."""
    names = symbol_names(program, prefix)
    fast = FAST_MATH if program.fastmath else ()
    scratch = {buf.id: buf for buf in program.buffers if buf.kind == "scratch"}
    in_place = program.plan.in_place if program.plan is not None else {}
    n = len(program.buffers)
    functions, tasks = _EMITTED.setdefault(module, ({}, {}))
    kernels = []  # (kernel, its function, its first size slot)
    for k, name, base in zip(program.kernels, names.kernels, program.first_slots):
        if k.control is not None:
            fn = emit_control(module, k, name, n, ir.PointerType(PARALLEL_FOR), emit_program)
            kernels.append((k, fn, base, name))
            continue
        key, local, local_scratch, local_shared = _localize(k, base, scratch, _shared(k, in_place))
        fn = functions.get(key)
        if fn is None:
            fn = functions[key] = _kernel_function(module, local, name, fast, local_scratch, local_shared)
            if _ranged(k):  # called serially and by its task wrapper: one copy of the code, not
                fn.attributes.add("noinline")  # two inlined (a third less to compile, same speed)
        elif "noinline" not in fn.attributes and not _scalar(k):
            fn.attributes.add("noinline")  # shared by several calls: one copy of the code (a 0-d
            # kernel's few instructions are inlined: in a loop body, its values stay in registers)
        kernels.append((k, fn, base, name))
    entry = ir.Function(module, ir.FunctionType(ir.VoidType(), [PTR, ir.PointerType(PARALLEL_FOR)]),
                        names.entry)
    entry.attributes.add("nounwind")
    if len(kernels) > LARGE_DRIVER:  # straight-line calls: nothing to optimize, much to compile
        entry.attributes.add("noinline")
        entry.attributes.add("optnone")
    b = ir.IRBuilder(entry.append_basic_block("entry"))
    table, parallel_for = entry.args
    saved = flush_begin(b) if park and module in _FLUSHING else None  # (the top-level driver: the caller's modes)
    sizes = SizeReader(b, pointer_at(b, table, n), hoist=False)
    widest = max((len(fn.args) - 2 for k, fn, _, _ in kernels if k.control is None and _ranged(k)), default=0)
    block = b.alloca(ir.ArrayType(PTR, widest), name="task_args") if widest else None
    for kernel, fn, base, name in kernels:
        if kernel.control is not None:
            b.call(fn, [table, parallel_for])
            continue
        args = _call_args(b, table, kernel, scratch, n, base)
        if not _ranged(kernel):
            b.call(fn, args + [i64(0), i64(0)])
            continue
        extent, grain = sizes(kernel.parallel_extent), sizes(kernel.parallel_grain)
        split = b.icmp_signed("!=", grain, i64(0))
        with b.if_else(split) as (parallel, serial):
            with parallel:
                task = tasks.get(fn.name) or tasks.setdefault(fn.name, _task_function(module, fn, fn.name))
                for i, value in enumerate(args):
                    b.store(value, b.gep(block, [i64(0), i64(i)], inbounds=True))
                b.call(parallel_for, [task, opaque(b, block), extent, grain])
            with serial:
                b.call(fn, args + [i64(0), extent])
    if park and any(k.control is not None or _ranged(k) for k, _, _, _ in kernels):
        park_workers(b, parallel_for)  # a returning program leaves the cores to its caller
    flush_end(b, saved)
    b.ret_void()
    return entry
