"""Code of a generalized loop's control kernel (``Control.kind == "gfor"``, ``frontend/probe.py``).

For each segment ``[start, end)`` a native loop over the index ``i`` runs the segment's
body program, whose size table it first computes on the stack: slot ``k`` is
``base[k] + slope[k] * i`` (two constant buffers of the outer program). The arena offsets
of the body's temporaries are read from that table at each step. Carried values are
double-buffered as in a ``while`` (``codegen/control.py``): each step writes whichever of
the results and the spare buffers does not hold the current values, and at the end the
values are copied into the results unless they are there already. A carried value a body
writes (``Control.owned``) starts as a copy of its initial value in its result buffer; a
segment whose body updates it in place (``Control.steps``) keeps it where it is, as a ``while`` does.
"""
from __future__ import annotations

from typing import Callable

from llvmlite import ir

from tracejit.compiler.codegen.loops import for_range, i64, opaque, pointer_at
from tracejit.compiler.codegen.lowerctx import I64
from tracejit.compiler.codegen.sizes import SizeReader
from tracejit.compiler.kir import Kernel

PTR = ir.PointerType()
I8 = ir.IntType(8)


def _memcpy(b: ir.IRBuilder, dst: ir.Value, src: ir.Value, nbytes: ir.Value) -> None:
    fn = b.module.declare_intrinsic("llvm.memcpy", [PTR, PTR, I64])
    b.call(fn, [dst, src, nbytes, ir.Constant(ir.IntType(1), 0)])


def _set(b: ir.IRBuilder, table: ir.Value, i: int, value: ir.Value) -> None:
    b.store(value, b.gep(table, [i64(0), i64(i)], inbounds=True))


def emit_generic_loop(module: ir.Module, kernel: Kernel, name: str, n_buffers: int, parallel_ty: ir.Type,
                      emit_program: Callable) -> ir.Function:
    """The function running ``gfor`` control kernel ``kernel`` (arguments as ``codegen.control.emit_control``)."""
    c = kernel.control
    entries = [emit_program(module, sub.program, f"{name}_{i}") for i, sub in enumerate(c.subs)]
    fn = ir.Function(module, ir.FunctionType(ir.VoidType(), [PTR, parallel_ty]), name)
    fn.attributes.add("nounwind")
    outer_table, parallel_for = fn.args
    b = ir.IRBuilder(fn.append_basic_block("entry"))

    def outer(bid: int) -> ir.Value:
        return pointer_at(b, outer_table, bid)

    sizes = SizeReader(b, outer(n_buffers), hoist=False)
    results = [outer(bid) for bid in c.results]
    spare = [outer(bid) for bid in c.spare]
    nbytes = [sizes(n) for n in c.nbytes]
    owned = c.owned or (False,) * len(c.inits)
    current = []
    for i, bid in enumerate(c.inits):
        slot = b.alloca(PTR, name=f"carry{i}")
        if owned[i]:  # a body writes it: it starts as a copy in the result, never the caller's buffer
            if c.results[i] != bid:
                _memcpy(b, results[i], outer(bid), nbytes[i])
            b.store(results[i], slot)
        else:
            b.store(outer(bid), slot)
        current.append(slot)
    for sub, entry, (start, end, slopes_bid, n_slots, here) in zip(c.subs, entries, c.steps):
        program = sub.program
        n = len(program.buffers)
        table = b.alloca(ir.ArrayType(PTR, n + 1), name=f"{program.name}_table")
        values = b.alloca(ir.ArrayType(I64, n_slots), name=f"{program.name}_sizes")
        values_ptr = b.gep(values, [i64(0), i64(0)], inbounds=True)
        base, slopes = outer(sub.sizes), outer(slopes_bid)
        constants = dict(sub.constants)
        offsets = program.plan.offsets if program.plan is not None else {}
        arena = outer(sub.arena) if sub.arena is not None else None
        carried, outs, temps = [], [], []
        for buf in program.buffers:
            if buf.kind == "constant":
                _set(b, table, buf.id, outer(constants[buf.id]))
            elif buf.kind == "temp" and buf.id in offsets:
                temps.append((buf.id, offsets[buf.id]))
            elif buf.kind == "input":
                if buf.index < sub.carries:
                    carried.append((buf.id, buf.index))
                else:
                    _set(b, table, buf.id, outer(sub.captured[buf.index - sub.carries]))
            elif buf.kind == "output":
                outs.append((buf.id, buf.outputs))
        _set(b, table, n, opaque(b, values_ptr))
        table_ptr = opaque(b, table)
        with for_range(b, sizes(start), sizes(end), name="gi") as i:
            with for_range(b, 0, n_slots, name="slot") as k:
                at = [k]
                rate = b.load(b.gep(slopes, at, inbounds=True, source_etype=I64), typ=I64)
                value = b.add(b.load(b.gep(base, at, inbounds=True, source_etype=I64), typ=I64), b.mul(rate, i))
                b.store(value, b.gep(values_ptr, at, inbounds=True, source_etype=I64))
            step_sizes = SizeReader(b, values_ptr, hoist=False)
            for bid, offset in temps:
                _set(b, table, bid, b.gep(arena, [step_sizes(offset)], inbounds=True, source_etype=I8))
            now = [b.load(slot, typ=PTR) for slot in current]
            following = [cur if here[j] else b.select(b.icmp_unsigned("==", cur, res), other, res)
                         for j, (cur, res, other) in enumerate(zip(now, results, spare))]
            for bid, index in carried:
                _set(b, table, bid, now[index])
            for bid, indices in outs:
                _set(b, table, bid, following[indices[0]])
            b.call(entry, [table_ptr, parallel_for])
            for bid, indices in outs:  # one value returned as several results
                for j in indices[1:]:
                    _memcpy(b, following[j], following[indices[0]], nbytes[j])
            for slot, value in zip(current, following):
                b.store(value, slot)
    for slot, res, count in zip(current, results, nbytes):
        cur = b.load(slot, typ=PTR)
        with b.if_then(b.icmp_unsigned("!=", cur, res)):
            _memcpy(b, res, cur, count)
    b.ret_void()
    return fn
