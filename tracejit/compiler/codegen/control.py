"""Code of a control kernel (``Kernel.control``): native loops and branches over
sub-programs generated into the same module.

A control kernel is a function ``void ctl(ptr table, parallel_for)`` called by the
driver with the outer program's buffer table. Each sub-program gets a table of its own
(on the stack): its constants, size table and arena come from outer buffers once; its
carried values and results are filled in before each call of its driver. A ``while``
keeps its carried values where the last step wrote them: the first step reads the
initial buffers, each step writes the results or the spare buffers, whichever the
current values are not in, so no step copies; at the end the values are copied into
the results unless they are there already. A carried value the body updates in place
(``Control.in_place``: ``out[t] = m`` stores one row into the carried buffer) starts as
a copy of its initial value in its result buffer and stays there: no step copies it,
and the caller's buffer is never written. A 0-d carried value instead lives in two
stack slots (current and next, copied after each step): once the sub-programs are
inlined, it is a register. A ``cond`` runs one branch's driver with
the results as its outputs.
"""
from __future__ import annotations

from typing import Callable

from llvmlite import ir

from tracejit.compiler.codegen.generic_loop import emit_generic_loop
from tracejit.compiler.codegen.host import emit_host
from tracejit.compiler.codegen.lapack import emit_lapack
from tracejit.compiler.codegen.loops import i64, opaque, pointer_at
from tracejit.compiler.codegen.lowerctx import I64
from tracejit.compiler.codegen.sizes import SizeReader
from tracejit.compiler.kir import Kernel, SubCall

PTR = ir.PointerType()
I8 = ir.IntType(8)


def _memcpy(b: ir.IRBuilder, dst: ir.Value, src: ir.Value, nbytes: ir.Value) -> None:
    fn = b.module.declare_intrinsic("llvm.memcpy", [PTR, PTR, I64])
    b.call(fn, [dst, src, nbytes, ir.Constant(ir.IntType(1), 0)])


class _SubTable:
    """The table of one sub-program, its fixed entries stored once."""

    def __init__(self, b: ir.IRBuilder, sub: SubCall, outer: Callable[[int], ir.Value], entry: ir.Function):
        program = sub.program
        n = len(program.buffers)
        self.sub, self.entry = sub, entry
        self.table = b.alloca(ir.ArrayType(PTR, n + 1), name=f"{program.name}_table")
        sizes_ptr = outer(sub.sizes)
        sizes = SizeReader(b, sizes_ptr, hoist=False)
        constants = dict(sub.constants)
        offsets = program.plan.offsets if program.plan is not None else {}
        arena = outer(sub.arena) if sub.arena is not None else None
        self.carried: list[tuple[int, int]] = []  # (sub buffer, carried value index)
        self.results: list[tuple[int, tuple[int, ...]]] = []  # (sub buffer, result indices)
        for buf in program.buffers:
            if buf.kind == "constant":
                self._set(b, buf.id, outer(constants[buf.id]))
            elif buf.kind == "temp":
                if buf.id in offsets:
                    self._set(b, buf.id, b.gep(arena, [sizes(offsets[buf.id])], inbounds=True, source_etype=I8))
            elif buf.kind == "input":
                if buf.index < sub.carries:
                    self.carried.append((buf.id, buf.index))
                else:
                    self._set(b, buf.id, outer(sub.captured[buf.index - sub.carries]))
            elif buf.kind == "output":
                self.results.append((buf.id, buf.outputs))
        self._set(b, n, sizes_ptr)

    def _set(self, b: ir.IRBuilder, i: int, value: ir.Value) -> None:
        b.store(value, b.gep(self.table, [i64(0), i64(i)], inbounds=True))

    def preset(self, b: ir.IRBuilder, carried: dict[int, ir.Value], results: dict[int, ir.Value]) -> None:
        """Store once the carried values' and results' pointers that stay the same every
        call (by index: a 0-d value's stack slot, an array updated in place)."""
        for bid, index in self.carried:
            if index in carried:
                self._set(b, bid, carried[index])
        for bid, outs in self.results:
            if outs[0] in results:
                self._set(b, bid, results[outs[0]])

    def call(self, b: ir.IRBuilder, parallel_for: ir.Value, carried: list, results: list, nbytes: list,
             fixed: frozenset = frozenset(), fixed_results: frozenset = frozenset()) -> None:
        """Run the sub-program on ``carried`` values, writing ``results`` (pointers); the
        entries of the indices in ``fixed``/``fixed_results`` were stored by :meth:`preset`."""
        for bid, index in self.carried:
            if index not in fixed:
                self._set(b, bid, carried[index])
        for bid, outs in self.results:
            if outs[0] not in fixed_results:
                self._set(b, bid, results[outs[0]])
        b.call(self.entry, [opaque(b, self.table), parallel_for])
        for bid, outs in self.results:  # one value returned as several results
            for j in outs[1:]:
                _memcpy(b, results[j], results[outs[0]], nbytes[j])


def emit_control(module: ir.Module, kernel: Kernel, name: str, n_buffers: int, parallel_ty: ir.Type,
                 emit_program: Callable) -> ir.Function:
    """The function running control kernel ``kernel`` of a program with ``n_buffers``
    buffers; ``emit_program(module, program, prefix)`` emits a sub-program's driver."""
    c = kernel.control
    if c.kind == "gfor":
        return emit_generic_loop(module, kernel, name, n_buffers, parallel_ty, emit_program)
    if c.kind == "host":
        return emit_host(module, kernel, name, parallel_ty)
    if c.kind == "lapack":
        return emit_lapack(module, kernel, name, n_buffers, parallel_ty)
    entries = [emit_program(module, sub.program, f"{name}_{i}") for i, sub in enumerate(c.subs)]
    for entry in entries:  # called once each: inlined, a loop's carried scalars stay in registers
        if "noinline" not in entry.attributes:  # (not a long straight-line driver, see codegen/module.py)
            entry.attributes.add("alwaysinline")
    fn = ir.Function(module, ir.FunctionType(ir.VoidType(), [PTR, parallel_ty]), name)
    fn.attributes.add("nounwind")
    table, parallel_for = fn.args
    b = ir.IRBuilder(fn.append_basic_block("entry"))

    def outer(bid: int) -> ir.Value:
        return pointer_at(b, table, bid)

    sizes = SizeReader(b, outer(n_buffers), hoist=False)
    subs = [_SubTable(b, sub, outer, entry) for sub, entry in zip(c.subs, entries)]
    results = [outer(bid) for bid in c.results]
    nbytes = [sizes(n) for n in c.nbytes]
    if c.kind == "cond":
        pred = b.load(outer(c.pred), typ=I8)
        with b.if_else(b.icmp_unsigned("!=", pred, ir.Constant(I8, 0))) as (then, otherwise):
            with then:
                subs[0].call(b, parallel_for, [], results, nbytes)
            with otherwise:
                subs[1].call(b, parallel_for, [], results, nbytes)
        b.ret_void()
        return fn
    cond, body = subs
    spare = [outer(bid) for bid in c.spare]
    flag = b.alloca(I8, name="holds")  # (a stack slot, not the outer buffer: a register once inlined)
    scalar = c.scalar
    owned = c.owned or (False,) * len(c.inits)
    in_place = c.in_place or (False,) * len(c.inits)
    current, slots = [], {}
    for i, bid in enumerate(c.inits):
        if scalar[i]:  # two stack slots: after inlining, the value lives in a register
            here, there = (b.alloca(ir.ArrayType(I8, scalar[i]), name=f"scalar{i}_{k}") for k in (0, 1))
            here.align = there.align = 16
            _memcpy(b, here, outer(bid), i64(scalar[i]))
            slots[i] = (here, here if in_place[i] else there)
            current.append(None)
            continue
        slot = b.alloca(PTR, name=f"carry{i}")
        if owned[i]:  # the body writes it: it starts as a copy in the result, never the caller's buffer
            if c.results[i] != bid:  # (unless the loop works in its initial value's buffer)
                _memcpy(b, results[i], outer(bid), nbytes[i])
            b.store(results[i], slot)
        else:
            b.store(outer(bid), slot)
        current.append(slot)
    # the table entries that are the same every step are stored once, before the loop
    fixed = frozenset(i for i, slot in enumerate(current) if slot is None or in_place[i])
    cond.preset(b, {i: slots[i][0] if i in slots else results[i] for i in fixed}, {0: flag})
    body.preset(b, {i: slots[i][0] if i in slots else results[i] for i in fixed},
                {i: slots[i][1] if i in slots else results[i] for i in fixed})
    test = fn.append_basic_block("test")
    step = fn.append_basic_block("step")
    done = fn.append_basic_block("done")
    b.branch(test)
    b.position_at_end(test)
    now = [slots[i][0] if slot is None else b.load(slot, typ=PTR) for i, slot in enumerate(current)]
    cond.call(b, parallel_for, now, [flag], [i64(1)], fixed, frozenset({0}))
    holds = b.icmp_unsigned("!=", b.load(flag, typ=I8), ir.Constant(I8, 0))
    b.cbranch(holds, step, done)
    b.position_at_end(step)
    following = [slots[i][1] if slot is None else cur if in_place[i] else
                 b.select(b.icmp_unsigned("==", cur, res), other, res)
                 for i, (slot, cur, res, other) in enumerate(zip(current, now, results, spare))]
    body.call(b, parallel_for, now, following, nbytes, fixed, fixed)
    for i, (slot, value) in enumerate(zip(current, following)):
        if slot is None:
            if not in_place[i]:
                _memcpy(b, slots[i][0], slots[i][1], i64(scalar[i]))
        else:
            b.store(value, slot)
    b.branch(test)
    b.position_at_end(done)
    for i, (cur, res, n) in enumerate(zip(now, results, nbytes)):
        if current[i] is None:
            _memcpy(b, res, cur, i64(scalar[i]))
            continue
        with b.if_then(b.icmp_unsigned("!=", cur, res)):
            _memcpy(b, res, cur, n)
    b.ret_void()
    return fn
