"""Structured control flow for the IR builder: counted loops, a while loop, and
accumulators kept in entry-block allocas (SROA turns them into SSA registers)."""
from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from llvmlite import ir

from tracejit.compiler.codegen.lowerctx import I64
from tracejit.compiler.generic_sizes import Param

PTR = ir.PointerType()


def i64(value: int) -> ir.Constant:
    """``value`` as an i64 constant (a size parameter is an error: it is only known at run time)."""
    if isinstance(value, Param):  # a run-time size: see codegen/sizes.py
        raise TypeError(f"tracejit: size parameter {value} used as a constant")
    return ir.Constant(I64, value)


_loop_ids = itertools.count()


def loop_hints(module: ir.Module, vectorize: bool | None = None, unroll: bool | None = None) -> ir.MDValue | None:
    """``llvm.loop`` metadata: a self-referential loop ID with the given hints.

    Loops we vectorized ourselves, and their scalar tails, opt out of LLVM's loop
    vectorizer (which would only add code and compile time); tails also opt out of unrolling.
    """
    props = []
    if vectorize is not None:
        props.append(module.add_metadata([ir.MetaDataString(module, "llvm.loop.vectorize.enable"),
                                          ir.Constant(ir.IntType(1), int(vectorize))]))
    if unroll is False:
        props.append(module.add_metadata([ir.MetaDataString(module, "llvm.loop.unroll.disable")]))
    if not props:
        return None
    md = module.add_metadata([ir.MetaDataString(module, f"tracejit.loop.{next(_loop_ids)}"), *props])
    md.operands = (md,) + tuple(md.operands[1:])
    return md


@contextmanager
def for_range(b: ir.IRBuilder, start: int | ir.Value, stop: int | ir.Value, step: int = 1, name: str = "i",
              hints: ir.MDValue | None = None) -> Iterator[ir.Value]:
    """``for i in range(start, stop, step)`` (step > 0); yields ``i`` as an i64 value.
    ``hints`` is ``llvm.loop`` metadata from :func:`loop_hints`."""
    start = i64(start) if isinstance(start, int) else start
    stop = i64(stop) if isinstance(stop, int) else stop
    fn = b.function
    head = fn.append_basic_block(f"{name}.head")
    body = fn.append_basic_block(f"{name}.body")
    done = fn.append_basic_block(f"{name}.done")
    pre = b.block
    b.branch(head)
    b.position_at_end(head)
    index = b.phi(I64, name=name)
    index.add_incoming(start, pre)
    b.cbranch(b.icmp_signed("<", index, stop), body, done)
    b.position_at_end(body)
    yield index
    nxt = b.add(index, i64(step), name=f"{name}.next")
    index.add_incoming(nxt, b.block)
    backedge = b.branch(head)
    if hints is not None:
        backedge.set_metadata("llvm.loop", hints)
    b.position_at_end(done)


def alloca(b: ir.IRBuilder, ty: ir.Type, init: ir.Value | None = None, name: str = "") -> ir.Value:
    """A stack slot in the entry block (so it is promoted to registers), set to ``init``."""
    with b.goto_entry_block():
        if b.block.instructions:
            b.position_before(b.block.instructions[0])
        slot = b.alloca(ty, name=name)
    if init is not None:
        b.store(init, slot)
    return slot


def while_loop(b: ir.IRBuilder, cond_fn: Callable[[], ir.Value], body_fn: Callable[[], object],
               name: str = "w") -> None:
    """``while cond_fn(): body_fn()`` where both emit IR at the builder's position."""
    fn = b.function
    head = fn.append_basic_block(f"{name}.head")
    body = fn.append_basic_block(f"{name}.body")
    done = fn.append_basic_block(f"{name}.done")
    b.branch(head)
    b.position_at_end(head)
    b.cbranch(cond_fn(), body, done)
    b.position_at_end(body)
    body_fn()
    b.branch(head)
    b.position_at_end(done)


def pointer_at(b: ir.IRBuilder, table: ir.Value, i: int) -> ir.Value:
    """Entry ``i`` of ``table``, an array of pointers (a buffer table, a task's argument block)."""
    return b.load(b.gep(table, [i64(i)], inbounds=True, source_etype=PTR), typ=PTR)


def opaque(b: ir.IRBuilder, typed: ir.Value) -> ir.Value:
    """An opaque ``ptr`` to what ``typed`` points at (llvmlite keeps allocas typed and its
    bitcast to ``ptr`` is a no-op; a round trip through a slot, which SROA removes, is not)."""
    holder = b.alloca(PTR)
    b.store(typed, holder)
    return b.load(holder, typ=PTR)
