"""Emitting a kernel expression at one iteration point: scalar code, or ``W`` lanes
along the vectorized dimension (contiguous loads become vector loads, broadcast loads a
splat, strided loads one load per lane)."""
from __future__ import annotations

from collections.abc import Callable

import numpy as np
from llvmlite import ir

from tracejit.compiler.codegen.loops import i64
from tracejit.compiler.codegen.lowerctx import I8, I32, LowerCtx, memory_type, vector_of
from tracejit.compiler.codegen.lowerings import lowering
from tracejit.compiler.codegen.search import emit_search
from tracejit.compiler.kir import (
    Acc,
    Access,
    Apply,
    Const,
    Convert,
    Expr,
    Gather,
    Iota,
    Load,
    ScatterAccess,
    Search,
    nodes,
)


def invariant(e: Expr) -> bool:
    """Whether ``e`` has one value at every point of its nest (its loads read one element)."""
    for x in nodes([e]):
        if isinstance(x, Acc) or isinstance(x, (Load, Iota)) and any(x.access.strides):
            return False
    return True


class ExprEmitter:
    """Emits expressions and stores at the point ``idx`` (one i64 per nest dim).

    With ``width`` > 1, lane ``k`` is the point where dim ``vdim`` is ``idx[vdim] + k``.
    """

    def __init__(self, b: ir.IRBuilder, ptrs: dict[int, ir.Value], idx: list, width: int = 1,
                 vdim: int | None = None, fast: tuple[str, ...] = (),
                 sizes: Callable[[int], ir.Value] = i64):
        self.b, self.ptrs, self.idx, self.fast = b, ptrs, idx, fast
        self.sizes = sizes  # access offsets may be run-time sizes (codegen/sizes.py)
        self.acc: ir.Value | None = None  # what an Acc leaf (in an epilogue) evaluates to
        self.width = width if vdim is not None else 1
        self.vdim = vdim
        self.memo: dict[int, ir.Value] = {}

    def ctx(self, dtype: np.dtype, out_dtype: np.dtype | None = None) -> LowerCtx:
        """A :class:`LowerCtx` at ``dtype`` with this emitter's builder, width and fast-math flags."""
        return LowerCtx(self.b, self.width, dtype, out_dtype, fast=self.fast)

    # -- addressing -----------------------------------------------------------------------
    def _offset(self, acc: Access, skip_vdim: bool = False, shift: ir.Value | None = None) -> ir.Value:
        b = self.b
        total = self.sizes(acc.offset)
        if shift is not None:  # a loop-invariant offset computed at run time (a dynamic slice)
            total = b.add(total, shift)
        for d, stride in enumerate(acc.strides):
            if stride == 0 or (skip_vdim and d == self.vdim):
                continue
            if self.idx[d] is None:
                raise AssertionError(f"access uses loop dim {d} outside its loop")
            term = self.idx[d] if stride == 1 else b.mul(self.idx[d], i64(stride))
            total = b.add(total, term)
        return total

    def _ptr(self, acc: Access, offset: ir.Value) -> ir.Value:
        return self.b.gep(self.ptrs[acc.buffer], [offset], inbounds=True,
                          source_etype=memory_type(acc.dtype))

    def _lane_offsets(self, acc: Access, shift: ir.Value | None = None):
        """(offset of lane 0, stride between lanes) for a vector access."""
        stride = acc.strides[self.vdim] if self.vdim is not None else 0
        return self._offset(acc, shift=shift), stride

    # -- loads and stores ---------------------------------------------------------------------
    def load(self, acc: Access, shift: ir.Value | None = None) -> ir.Value:
        """The value of ``acc`` (moved by the run-time offset ``shift``) at the current
        point, one element per lane (bools as i1)."""
        b, dt = self.b, np.dtype(acc.dtype)
        mty, align = memory_type(dt), dt.itemsize
        if self.width == 1:
            value = b.load(self._ptr(acc, self._offset(acc, shift=shift)), typ=mty, align=align)
        else:
            base, stride = self._lane_offsets(acc, shift)
            if stride == 1:
                value = b.load(self._ptr(acc, base), typ=vector_of(mty, self.width), align=align)
            elif stride == 0:
                scalar = self._from_memory(b.load(self._ptr(acc, base), typ=mty, align=align), dt)
                return self.ctx(dt).splat(scalar)
            else:
                value = ir.Constant(vector_of(mty, self.width), ir.Undefined)
                for lane in range(self.width):
                    off = b.add(base, i64(lane * stride))
                    elem = b.load(self._ptr(acc, off), typ=mty, align=align)
                    value = b.insert_element(value, elem, ir.Constant(I32, lane))
        return self._from_memory(value, dt)

    def _from_memory(self, value: ir.Value, dt: np.dtype) -> ir.Value:
        if dt.kind != "b":
            return value
        zero = ir.Constant(value.type, 0) if not isinstance(value.type, ir.VectorType) else \
            ir.Constant(value.type, [ir.Constant(I8, 0)] * value.type.count)
        return self.b.icmp_unsigned("!=", value, zero)

    def store(self, acc: Access, value: ir.Value, stream: int = 0) -> None:
        """Store ``value`` at the point; ``stream`` > 0: contiguous vector stores are
        non-temporal with that (proven) alignment (compiler/schedule/streaming.py)."""
        b, dt = self.b, np.dtype(acc.dtype)
        align = dt.itemsize
        if isinstance(acc, ScatterAccess) and acc.combine:  # np.ufunc.at: read, combine, store
            self._combine_store(acc, value)
            return
        if dt.kind == "b":
            value = b.zext(value, vector_of(I8, self.width))
        shift = None
        if isinstance(acc, ScatterAccess):
            shift = self._invariant_shift(acc.indices, acc.index_strides, acc.extents)
        if isinstance(acc, ScatterAccess) and shift is None:  # computed addresses, lanes stored in order
            offsets = self._computed_offsets(acc, acc.indices, acc.index_strides, acc.extents)
            lanes = [(value, offsets)] if self.width == 1 else [
                (b.extract_element(value, ir.Constant(I32, k)), b.extract_element(offsets, ir.Constant(I32, k)))
                for k in range(self.width)]
            for elem, off in lanes:
                b.store(elem, self._ptr(acc, off), align=align)
            return
        if self.width == 1:
            b.store(value, self._ptr(acc, self._offset(acc, shift=shift)), align=align)
            return
        base, stride = self._lane_offsets(acc, shift)
        if stride == 1:
            st = b.store(value, self._ptr(acc, base), align=max(align, stream))
            if stream:
                st.set_metadata("nontemporal", b.module.add_metadata([ir.Constant(I32, 1)]))
            return
        for lane in range(self.width):
            elem = b.extract_element(value, ir.Constant(I32, lane))
            b.store(elem, self._ptr(acc, b.add(base, i64(lane * stride))), align=align)

    def _combine_store(self, acc: ScatterAccess, value: ir.Value) -> None:
        """Each lane in order: the element at its computed address, converted to the value's
        dtype, combined with the lane's value by ``acc.combine``, converted back and stored."""
        b, dt, loop = self.b, np.dtype(acc.dtype), np.dtype(acc.combine_dtype)
        mty = memory_type(dt)
        offsets = self._computed_offsets(acc, acc.indices, acc.index_strides, acc.extents)
        combine, scalar = lowering(acc.combine), LowerCtx(b, 1, loop, loop, fast=self.fast)
        for lane in range(self.width):
            elem = value if self.width == 1 else b.extract_element(value, ir.Constant(I32, lane))
            off = offsets if self.width == 1 else b.extract_element(offsets, ir.Constant(I32, lane))
            ptr = self._ptr(acc, off)
            old = self._from_memory(b.load(ptr, typ=mty, align=dt.itemsize), dt)
            new = combine(scalar, LowerCtx(b, 1, dt).convert(old, dt, loop), elem)
            new = scalar.convert(new, loop, dt)
            b.store(b.zext(new, I8) if dt.kind == "b" else new, ptr, align=dt.itemsize)

    def _computed_offsets(self, acc: Access, indices, strides, extents) -> ir.Value:
        """Per lane: the affine offset of ``acc`` plus each index (wrapped when negative,
        clamped into its extent, so the address stays in the buffer) times its stride."""
        b = self.b
        ctx = LowerCtx(b, self.width, np.dtype(np.int64))
        base, stride = self._lane_offsets(acc)
        offsets = ctx.splat(base)
        if self.width > 1 and stride:
            offsets = b.add(offsets, ir.Constant(ctx.ty(), [i64(k * stride) for k in range(self.width)]))
        for index, st, n in zip(indices, strides, extents):
            if st == 0:
                continue  # a dim of one element: the only valid index is 0
            i = self.emit(index)
            n = ctx.splat(self.sizes(n))  # a run-time size in generic code
            i = b.select(b.icmp_signed("<", i, ctx.const(0)), b.add(i, n), i)
            i = b.select(b.icmp_unsigned(">=", i, n), b.sub(n, ctx.const(1)), i)  # negatives too
            offsets = b.add(offsets, i if st == 1 else b.mul(i, ctx.const(st)))
        return offsets

    def _invariant_shift(self, indices, strides, extents) -> ir.Value | None:
        """When every index is the same at every point of the nest (a traced scalar: ``x[i]``,
        a dynamic slice's start), the one scalar offset they add (each wrapped and clamped
        as :meth:`_computed_offsets` does), so the access stays an ordinary (vector)
        load or store; else None."""
        if not all(invariant(i) for i in indices):
            return None
        b = self.b
        scalar = ExprEmitter(b, self.ptrs, self.idx, 1, None, self.fast, self.sizes)
        total = i64(0)
        for index, st, n in zip(indices, strides, extents):
            if st == 0:
                continue
            i, n = scalar.emit(index), self.sizes(n)
            i = b.select(b.icmp_signed("<", i, i64(0)), b.add(i, n), i)
            i = b.select(b.icmp_unsigned(">=", i, n), b.sub(n, i64(1)), i)
            total = b.add(total, i if st == 1 else b.mul(i, i64(st)))
        return total

    def gather(self, e: Gather) -> ir.Value:
        """A load at a computed (clamped) offset: an ordinary load moved by one scalar
        offset when the indices do not vary over the nest, else lane by lane."""
        shift = self._invariant_shift(e.indices, e.strides, e.extents)
        if shift is not None:
            return self.load(e.access, shift)
        b, dt = self.b, np.dtype(e.dtype)
        mty, align = memory_type(dt), dt.itemsize
        offsets = self._computed_offsets(e.access, e.indices, e.strides, e.extents)
        if self.width == 1:
            return self._from_memory(b.load(self._ptr(e.access, offsets), typ=mty, align=align), dt)
        value = ir.Constant(vector_of(mty, self.width), ir.Undefined)
        for lane in range(self.width):
            off = b.extract_element(offsets, ir.Constant(I32, lane))
            elem = b.load(self._ptr(e.access, off), typ=mty, align=align)
            value = b.insert_element(value, elem, ir.Constant(I32, lane))
        return self._from_memory(value, dt)

    def iota(self, e: Iota) -> ir.Value:
        """``start + step * index`` at the point: int64 arithmetic then a truncation for
        integers; ``fadd(start, fmul(float(index), step))`` in the dtype for floats."""
        b, dt = self.b, np.dtype(e.dtype)
        base, stride = self._lane_offsets(e.access)
        i64ctx = LowerCtx(b, self.width, np.dtype(np.int64))
        index = i64ctx.splat(base)
        if self.width > 1:
            index = b.add(index, ir.Constant(i64ctx.ty(), [i64(k * stride) for k in range(self.width)]))
        ctx = self.ctx(dt)
        if dt.kind in "iu":
            value = b.add(i64ctx.const(int(e.start)), b.mul(index, i64ctx.const(int(e.step))))
            return value if dt.itemsize == 8 else b.trunc(value, ctx.ty())
        scaled = b.fmul(b.sitofp(index, ctx.ty()), ctx.const(e.step))
        return b.fadd(ctx.const(e.start), scaled)

    # -- expressions ------------------------------------------------------------------------------
    def emit(self, e: Expr) -> ir.Value:
        """The value of ``e`` at the current point; each node is emitted once (memoized by identity)."""
        key = id(e)
        if key not in self.memo:
            self.memo[key] = self._emit(e)
        return self.memo[key]

    def _emit(self, e: Expr) -> ir.Value:
        if isinstance(e, Search):
            return emit_search(self, e)
        if isinstance(e, Gather):
            return self.gather(e)
        if isinstance(e, Load):
            return self.load(e.access)
        if isinstance(e, Const):
            return self.ctx(e.dtype).const(e.value)
        if isinstance(e, Iota):
            return self.iota(e)
        if isinstance(e, Acc):
            if self.acc is None:
                raise AssertionError("an epilogue was emitted without its accumulator")
            return self.acc
        if isinstance(e, Convert):
            return self.ctx(e.arg.dtype).convert(self.emit(e.arg), e.arg.dtype, e.dtype)
        if isinstance(e, Apply):
            args = [self.emit(a) for a in e.args]
            return lowering(e.op)(self.ctx(e.in_dtype, e.dtype), *args)
        raise TypeError(f"unknown kernel expression {e!r}")
