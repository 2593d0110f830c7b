"""LLVM IR of a binary search (:class:`tracejit.compiler.kir.Search`, ``compiler/ops/search.py``).

All vector lanes search together: the halving steps depend only on the sorted array's
length ``n`` (a run-time size in generic code), so one loop of ``ceil(log2(n))`` steps
serves every lane. Each step loads the probed element lane by lane, compares it with the
lane's value (floats in NumPy's NaN-last order) and moves the lane's base when the
element goes before the value (branchless; the array is read only at ``[0, n)``).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from llvmlite import ir

from tracejit.compiler.codegen.loops import i64
from tracejit.compiler.codegen.lowerctx import I32, LowerCtx, memory_type, vector_of
from tracejit.compiler.codegen.lowerings import lowering
from tracejit.compiler.kir import Search

if TYPE_CHECKING:  # (type hints only: the emitter calls this module)
    from tracejit.compiler.codegen.expr import ExprEmitter


def emit_search(em: ExprEmitter, e: Search) -> ir.Value:
    """The int64 position of each lane's value in the sorted sequence of ``e``."""
    b, width = em.b, em.width
    dt = np.dtype(e.access.dtype)
    value = em.emit(e.indices[0])
    n = em.sizes(e.extents[0])
    first, _ = em._lane_offsets(e.access)  # the affine part does not move over the nest
    ints = LowerCtx(b, width, np.dtype(np.int64))
    compare = lowering("less_equal" if e.right else "less")
    mty = memory_type(dt)

    def element(position: ir.Value) -> ir.Value:
        offsets = b.add(ints.splat(first), b.mul(position, ints.const(e.strides[0])))
        if width == 1:
            return em._from_memory(b.load(em._ptr(e.access, offsets), typ=mty, align=dt.itemsize), dt)
        out = ir.Constant(vector_of(mty, width), ir.Undefined)
        for lane in range(width):
            off = b.extract_element(offsets, ir.Constant(I32, lane))
            out = b.insert_element(out, b.load(em._ptr(e.access, off), typ=mty, align=dt.itemsize),
                                   ir.Constant(I32, lane))
        return em._from_memory(out, dt)

    def goes_before(position: ir.Value) -> ir.Value:
        x = element(position)
        if dt.kind != "f":
            return compare(em.ctx(dt, np.dtype(np.bool_)), x, value)
        nan_value = b.fcmp_unordered("uno", value, value)
        if e.right:  # x <= value in NaN-last order: value is NaN, or x <= value (false for a NaN x)
            return b.or_(nan_value, b.fcmp_ordered("<=", x, value))
        return b.or_(b.fcmp_ordered("<", x, value), b.and_(nan_value, b.fcmp_ordered("ord", x, x)))

    fn = b.function
    head, body, done = (fn.append_basic_block(f"search.{part}") for part in ("head", "body", "done"))
    pre = b.block
    b.branch(head)
    b.position_at_end(head)
    left = b.phi(ir.IntType(64), name="left")
    base = b.phi(ints.ty(), name="base")
    left.add_incoming(n, pre)
    base.add_incoming(ints.const(0), pre)
    b.cbranch(b.icmp_signed(">", left, i64(1)), body, done)
    b.position_at_end(body)
    half = b.lshr(left, i64(1))
    probe = b.add(base, ints.splat(half))
    moved = b.select(goes_before(probe), probe, base)
    left.add_incoming(b.sub(left, half), b.block)
    base.add_incoming(moved, b.block)
    b.branch(head)
    b.position_at_end(done)
    return b.add(base, b.zext(goes_before(base), ints.ty()))
