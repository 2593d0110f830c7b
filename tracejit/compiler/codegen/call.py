"""The call wrapper: the driver called with the array objects themselves.

``i32 call(ptr array_0, ..., ptr context)`` receives the addresses of the input and
output array objects (:func:`call_slots` order), so Python does no per-array work, and a
context of four pointers: the table template (``template``: the constants' addresses,
then the size table's), the arena, the thread pool's ``parallel_for`` and ``expected``
(the ndarray type, then one dtype object per input, then each input's number of
dimensions). When every input is C-contiguous in the program, it first checks each input
object natively: its type is ``ndarray``, its dtype object and number of dimensions the
expected ones, its dims those in the size table and it is C-contiguous and aligned; an
input expected with one dimension fewer than its buffer is the complex array whose
float pair view the buffer is (``runtime/executable.py``: ``complex_boundary``), whose
dims are the buffer's but the last (the pair axis); on any mismatch it returns 1 having done nothing (the caller
then takes the general path). Otherwise it copies the template, reads each array's data
pointer, points the temporaries into ``arena`` (offsets from the size table), runs the
driver and returns 0. Programs with strided inputs skip the checks (their callers have
checked the layout).
"""
from __future__ import annotations

from llvmlite import ir

from tracejit.compiler.codegen.loops import i64, opaque, pointer_at
from tracejit.compiler.codegen.sizes import SizeReader
from tracejit.compiler.codegen.symbols import ARRAY_FIELDS, C_CONTIGUOUS_ALIGNED, call_slots
from tracejit.compiler.generic_sizes import GenericProgram

PTR = ir.PointerType()
I8, I32, I64 = ir.IntType(8), ir.IntType(32), ir.IntType(64)


def emit_call_wrapper(module: ir.Module, program: GenericProgram, name: str, entry: ir.Function) -> ir.Function:
    """Emit the wrapper (see the module docstring) calling the driver ``entry``."""
    slots = call_slots(program)
    inputs = sorted((b for b in program.buffers if b.kind == "input"), key=lambda b: b.index)
    parallel_ty = entry.args[1].type
    fn = ir.Function(module, ir.FunctionType(I32, [PTR] * (len(slots) + 1)), name)
    fn.attributes.add("nounwind")
    *objs, context = fn.args
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    mismatch = fn.append_basic_block("mismatch")

    def context_field(i: int, ty: ir.Type = PTR) -> ir.Value:
        return b.load(b.gep(context, [i64(i)], inbounds=True, source_etype=PTR), typ=ty)

    template, arena, parallel_for, expected = (context_field(0), context_field(1),
                                               context_field(2, parallel_ty), context_field(3))

    def field(obj: ir.Value, name: str, ty: ir.Type) -> ir.Value:
        return b.load(b.gep(obj, [i64(ARRAY_FIELDS[name])], inbounds=True, source_etype=I8), typ=ty)

    def expect(ok: ir.Value) -> None:
        good = fn.append_basic_block("checked")
        b.cbranch(ok, good, mismatch)
        b.position_at_end(good)

    def wanted(i: int) -> ir.Value:
        return pointer_at(b, expected, i)

    n = len(program.buffers)
    sizes = SizeReader(b, pointer_at(b, template, n), hoist=False)
    if program.checks_inputs:
        for k, (buf, obj) in enumerate(zip(inputs, objs)):
            expect(b.icmp_unsigned("==", field(obj, "type", PTR), wanted(0)))
            expect(b.icmp_unsigned("==", field(obj, "descr", PTR), wanted(1 + k)))
            rank = len(buf.shape)
            nd = b.load(b.gep(expected, [i64(1 + len(inputs) + k)], inbounds=True, source_etype=I64), typ=I64)
            expect(b.icmp_signed("==", b.sext(field(obj, "nd", I32), I64), nd))
            flags = field(obj, "flags", I32)
            need = ir.Constant(I32, C_CONTIGUOUS_ALIGNED)
            expect(b.icmp_signed("==", b.and_(flags, need), need))
            dims = field(obj, "dims", PTR)
            for d, extent in enumerate(buf.shape):
                if d == rank - 1:  # a complex array has no pair axis: the buffer's last
                    last, after = fn.append_basic_block("last_dim"), fn.append_basic_block("dims_checked")
                    b.cbranch(b.icmp_signed("==", nd, i64(rank)), last, after)
                    b.position_at_end(last)
                dim = b.load(b.gep(dims, [i64(d)], inbounds=True, source_etype=I64), typ=I64)
                expect(b.icmp_signed("==", dim, sizes(extent)))
                if d == rank - 1:
                    b.branch(after)
                    b.position_at_end(after)
    table = b.alloca(ir.ArrayType(PTR, n + 1), name="table")
    table.align = 8

    def slot(i: int) -> ir.Value:
        return b.gep(table, [i64(0), i64(i)], inbounds=True)

    for i in range(n + 1):
        b.store(pointer_at(b, template, i), slot(i))
    for bid, obj in zip(slots, objs):
        b.store(field(obj, "data", PTR), slot(bid))
    offsets = program.plan.offsets if program.plan is not None else {}
    for bid, offset in offsets.items():
        b.store(b.gep(arena, [sizes(offset)], inbounds=True, source_etype=I8), slot(bid))
    b.call(entry, [opaque(b, table), parallel_for])
    b.ret(ir.Constant(I32, 0))
    b.position_at_end(mismatch)
    b.ret(ir.Constant(I32, 1))
    return fn
