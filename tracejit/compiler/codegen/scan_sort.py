"""Scan and sort kernels in LLVM IR (``kernelize/scan_sort.py``, ``schedule/scan_sort.py``), one line at a time.

The kernel loops over its lines ``[begin, end)`` (whole parallel chunks); a line's
offsets in ``src`` and ``dst`` come from its index split over the other dims.

* **Scans** (``cumsum``, ``cumprod``) carry one accumulator along the line, strictly in
  order, with the plain (never fast-math) lowering of ``add``/``multiply``: the first
  element is stored as it is (``-0.0`` stays ``-0.0``) and each later one is combined
  with the running value, exactly as NumPy's ``ufunc.accumulate`` does, so float
  results match bit for bit.
* **Sorts** copy the line into the first half of their chunk's scratch block (with its
  positions, for ``argsort``), then merge runs of width 1, 2, 4, ... alternating between
  the block's two halves (the passes are unrolled here, since the line length is
  static), and copy the last half out. Merges are branch-free and stable: a pair of
  equal runs is merged from both ends at once (two independent chains of dependent
  loads and compares, about 1.6x faster than one), the front taking the right run's
  head only when it is strictly smaller, the back taking the left run's tail only when
  it is strictly larger; the odd run at the end of a pass merges from the front alone.
  (Ordering short runs by insertion first was slower here: its branches mispredict.)
  NumPy sorts NaNs last: the copy-in puts them, in order, straight at the end of the
  half the last pass writes, and the merges sort only the numbers before them with a
  plain ``<`` (``-0.0`` equal to ``0.0``); a NaN-aware compare in the merge loop made
  sorts 1.6x slower.
"""
from __future__ import annotations

import numpy as np
from llvmlite import ir

from tracejit.compiler.codegen.loops import alloca, for_range, i64, loop_hints
from tracejit.compiler.codegen.lowerctx import I8, I64, LowerCtx, memory_type, scalar_type
from tracejit.compiler.codegen.lowerings import lowering
from tracejit.compiler.kir import AlongAxis
from tracejit.compiler.ops.scan_sort import SCANS

INDEX = np.dtype(np.int64)


class AlongAxisEmitter:
    def __init__(self, b: ir.IRBuilder, ptrs: dict[int, ir.Value], a: AlongAxis, begin: ir.Value,
                 end: ir.Value):
        self.b, self.a, self.ptrs = b, a, ptrs
        self.begin, self.end = begin, end
        self.ctx = LowerCtx(b, 1, a.dtype)

    # -- memory -------------------------------------------------------------------------------
    def _ptr(self, bid: int, offset: ir.Value, dtype: np.dtype) -> ir.Value:
        return self.b.gep(self.ptrs[bid], [offset], inbounds=True, source_etype=memory_type(dtype))

    def load(self, bid: int, offset: ir.Value, dtype: np.dtype) -> ir.Value:
        """Element ``offset`` of buffer ``bid`` as a register value (a bool byte becomes i1)."""
        dtype = np.dtype(dtype)
        value = self.b.load(self._ptr(bid, offset, dtype), typ=memory_type(dtype), align=dtype.itemsize)
        return self.b.icmp_unsigned("!=", value, ir.Constant(I8, 0)) if dtype.kind == "b" else value

    def store(self, bid: int, offset: ir.Value, value: ir.Value, dtype: np.dtype) -> None:
        """Store ``value`` as element ``offset`` of buffer ``bid`` (an i1 bool as a byte)."""
        dtype = np.dtype(dtype)
        if dtype.kind == "b":
            value = self.b.zext(value, I8)
        self.b.store(value, self._ptr(bid, offset, dtype), align=dtype.itemsize)

    def _at(self, base: ir.Value, i: ir.Value, stride: int) -> ir.Value:
        return self.b.add(base, self.b.mul(i, i64(stride))) if stride != 1 else self.b.add(base, i)

    # -- the line loop ------------------------------------------------------------------------
    def _line_offsets(self, line: ir.Value, dims: int) -> tuple[ir.Value, ir.Value]:
        """Offsets in ``src`` and ``dst`` of index ``line`` of the first ``dims`` other dims."""
        b, a = self.b, self.a
        src, dst = i64(a.src.offset), i64(a.dst.offset)
        rest = line
        for d in reversed(range(dims)):
            if d:
                idx, rest = b.urem(rest, i64(a.rows[d])), b.udiv(rest, i64(a.rows[d]))
            else:
                idx = rest
            src = self._at(src, idx, a.src.strides[d])
            dst = self._at(dst, idx, a.dst.strides[d])
        return src, dst

    def emit(self) -> None:
        """Emit the scan or sort of every line in tasks ``begin``..``end`` at the builder's position."""
        b, a = self.b, self.a
        if a.op not in SCANS:
            chunk = b.udiv(self.begin, i64(a.chunk)) if a.chunk else i64(0)
            self.block = b.mul(chunk, i64(a.block))
        with for_range(b, self.begin, self.end, name="task") as task:
            if a.lanes > 1:
                self._scan_group(task)
            else:
                src, dst = self._line_offsets(task, len(a.rows))
                if a.op in SCANS:
                    self._scan(src, dst)
                else:
                    self._sort(src, dst)

    # -- scans --------------------------------------------------------------------------------
    def _scan(self, src: ir.Value, dst: ir.Value) -> None:
        b, a = self.b, self.a
        combine = lowering(SCANS[a.op])
        first = self.load(a.src.buffer, src, a.dtype)
        self.store(a.dst.buffer, dst, first, a.dtype)
        acc = alloca(b, scalar_type(a.dtype), name="acc")
        b.store(first, acc)
        with for_range(b, 1, a.n, name="k") as k:
            x = self.load(a.src.buffer, self._at(src, k, a.src.strides[-1]), a.dtype)
            value = combine(self.ctx, b.load(acc), x)
            b.store(value, acc)
            self.store(a.dst.buffer, self._at(dst, k, a.dst.strides[-1]), value, a.dtype)

    def _scan_group(self, task: ir.Value) -> None:
        """Scan ``lanes`` adjacent lines (contiguous along the last other dim) at once,
        each in its own vector lane and strictly in order along the axis, so every lane
        computes exactly what :meth:`_scan` computes for its line; a short last group
        runs its lines one by one."""
        b, a = self.b, self.a
        lanes = a.lanes
        outer, group = b.udiv(task, i64(a.groups)), b.urem(task, i64(a.groups))
        src, dst = self._line_offsets(outer, len(a.rows) - 1)
        first = b.mul(group, i64(lanes))
        src, dst = b.add(src, first), b.add(dst, first)  # the last other dim is contiguous
        full = b.icmp_signed("<=", b.add(first, i64(lanes)), i64(a.rows[-1]))
        with b.if_else(full) as (vector, scalar):
            with vector:
                vctx = LowerCtx(b, lanes, a.dtype)
                combine = lowering(SCANS[a.op])
                vty = ir.VectorType(memory_type(a.dtype), lanes)
                align = a.dtype.itemsize

                def vload(offset):
                    return b.load(self._ptr(a.src.buffer, offset, a.dtype), typ=vty, align=align)

                def vstore(offset, value):
                    b.store(value, self._ptr(a.dst.buffer, offset, a.dtype), align=align)

                acc = alloca(b, vty, name="vacc")
                value = vload(src)
                b.store(value, acc)
                vstore(dst, value)
                with for_range(b, 1, a.n, name="vk") as k:
                    value = combine(vctx, b.load(acc), vload(self._at(src, k, a.src.strides[-1])))
                    b.store(value, acc)
                    vstore(self._at(dst, k, a.dst.strides[-1]), value)
            with scalar:
                with for_range(b, first, i64(a.rows[-1]), name="tail") as j:
                    offset = b.sub(j, first)
                    self._scan(b.add(src, offset), b.add(dst, offset))

    # -- sorts --------------------------------------------------------------------------------
    def less(self, x: ir.Value, y: ir.Value) -> ir.Value:
        """``x`` sorts strictly before ``y`` (numbers: NaNs never reach the merges)."""
        return self.ctx.cmp("<", x, y)  # (NaNs are set apart before merging: _copy_in)

    def _key(self, i: ir.Value) -> ir.Value:
        return self.load(self.a.keys, self.b.add(self.block, i), self.a.dtype)

    def _set_key(self, i: ir.Value, value: ir.Value) -> None:
        self.store(self.a.keys, self.b.add(self.block, i), value, self.a.dtype)

    def _pos(self, i: ir.Value) -> ir.Value:
        return self.load(self.a.index, self.b.add(self.block, i), INDEX)

    def _set_pos(self, i: ir.Value, value: ir.Value) -> None:
        self.store(self.a.index, self.b.add(self.block, i), value, INDEX)

    def _loop(self, start, stop, step: int = 1, name: str = "i"):
        """A loop LLVM should neither vectorize nor unroll: a merge is a serial chain, and
        either would only multiply the code of every pass (sort compile time 583 -> 223 ms
        for rows of 1000, same speed)."""
        return for_range(self.b, start, stop, step, name=name,
                         hints=loop_hints(self.b.module, vectorize=False, unroll=False))

    def _min(self, x: ir.Value, y: ir.Value) -> ir.Value:
        return self.b.select(self.b.icmp_signed("<", x, y), x, y)

    def _sort(self, src: ir.Value, dst: ir.Value) -> None:
        b, a = self.b, self.a
        argsort = a.index is not None
        passes, width = 0, 1
        while width < a.n:
            passes, width = passes + 1, 2 * width
        final = 0 if passes % 2 == 0 else a.n  # the half the last pass writes
        m = self._copy_in(src, final)  # the first m keys are numbers: NaNs wait at the end
        half = 0  # the half of the block holding the sorted runs
        width = 1
        while width < a.n:
            # pairs of full runs of the first m keys, then what is left (may be nothing)
            paired = b.mul(b.udiv(m, i64(2 * width)), i64(2 * width))
            with self._loop(0, paired, step=2 * width, name=f"merge{width}") as lo:
                self._merge_pair(half, a.n - half, lo, width)
            self._merge(half, a.n - half, paired, self._min(b.add(paired, i64(width)), m), m)
            half, width = a.n - half, 2 * width
        with self._loop(0, a.n, name="out") as i:
            at = b.add(i, i64(half))
            value = self._pos(at) if argsort else self._key(at)
            self.store(a.dst.buffer, self._at(dst, i, a.dst.strides[-1]), value, INDEX if argsort else a.dtype)

    def _copy_in(self, src: ir.Value, final: int) -> ir.Value:
        """Copy the line into the block's first half (with positions, for argsort) and
        return how many keys the merges sort. Floats: the numbers, in order; the NaNs go
        straight to the end of the ``final`` half, in order (NumPy sorts them last,
        and a stable sort keeps their order), so merges compare with a plain ``<``."""
        b, a = self.b, self.a
        argsort = a.index is not None
        if a.dtype.kind != "f":
            with self._loop(0, a.n, name="in") as i:
                self._set_key(i, self.load(a.src.buffer, self._at(src, i, a.src.strides[-1]), a.dtype))
                if argsort:
                    self._set_pos(i, i)
            return i64(a.n)
        nans = alloca(b, I64, name="nans")
        b.store(i64(0), nans)
        with self._loop(0, a.n, name="count") as i:
            x = self.load(a.src.buffer, self._at(src, i, a.src.strides[-1]), a.dtype)
            b.store(b.add(b.load(nans), b.zext(self.ctx.isnan(x), I64)), nans)
        m = b.sub(i64(a.n), b.load(nans))
        self._copy_nans_last(src, b.add(m, i64(final)), 1, argsort, "in")
        return m

    def _copy_nans_last(self, src: ir.Value, tail: ir.Value, step: int, positions: bool, name: str) -> None:
        """Copy the float line ``src`` into the block: its numbers in order from position 0,
        each NaN at ``tail``, which then moves by ``step`` (+1: the NaNs in order after the
        numbers, sort's copy-in; -1: from the block's end backwards, selection's); with the
        line positions where ``positions`` (the arg- ops)."""
        b, a = self.b, self.a
        numbers, nan_at = alloca(b, I64, i64(0), name="numbers"), alloca(b, I64, tail, name="nan_at")
        with self._loop(0, a.n, name=name) as i:
            x = self.load(a.src.buffer, self._at(src, i, a.src.strides[-1]), a.dtype)
            nan = self.ctx.isnan(x)
            t, u = b.load(numbers), b.load(nan_at)
            at = b.select(nan, u, t)
            self._set_key(at, x)
            if positions:
                self._set_pos(at, i)
            moved = b.zext(nan, I64)
            b.store(b.add(t, b.sub(i64(1), moved)), numbers)
            b.store(b.add(u, moved) if step > 0 else b.sub(u, moved), nan_at)

    def _take(self, src: int, dst: int, first: ir.Value, second: ir.Value, k: ir.Value,
              take_second: ir.Value) -> ir.Value:
        """Store ``second`` or ``first`` (block positions in half ``src``) at ``k`` of half
        ``dst``; returns ``take_second`` as 0/1."""
        b = self.b
        s1, s2 = b.add(first, i64(src)), b.add(second, i64(src))
        k1, k2 = self._key(s1), self._key(s2)
        take = take_second(k1, k2)
        at = b.add(k, i64(dst))
        self._set_key(at, b.select(take, k2, k1))
        if self.a.index is not None:
            self._set_pos(at, b.select(take, self._pos(s2), self._pos(s1)))
        return b.zext(take, I64)

    def _merge_pair(self, src: int, dst: int, lo: ir.Value, width: int) -> None:
        """Merge the runs ``[lo, lo + width)`` and ``[lo + width, lo + 2 width)`` from both
        ends at once (two independent chains of loads and compares): the front takes the
        ``width`` first elements of the stable merge (the right head only when strictly
        smaller), the back the ``width`` last (the left tail only when strictly larger).
        With equal runs neither side can step past the end of a run."""
        b = self.b
        one = i64(1)
        slots = [alloca(b, I64, name=n) for n in ("fl", "fr", "bl", "br")]
        for slot, value in zip(slots, (lo, b.add(lo, i64(width)), b.add(lo, i64(width - 1)),
                                       b.add(lo, i64(2 * width - 1)))):
            b.store(value, slot)
        fl, fr, bl, br = slots
        with self._loop(0, width, name="pair") as step:
            left, right = b.load(fl), b.load(fr)
            took = self._take(src, dst, left, right, b.add(lo, step), lambda kl, kr: self.less(kr, kl))
            b.store(b.add(right, took), fr)
            b.store(b.add(left, b.sub(one, took)), fl)
            left, right = b.load(bl), b.load(br)
            back = b.sub(i64(2 * width - 1), step)
            took = self._take(src, dst, right, left, b.add(lo, back), lambda kr, kl: self.less(kr, kl))
            b.store(b.sub(left, took), bl)
            b.store(b.sub(right, b.sub(one, took)), br)

    def _merge(self, src: int, dst: int, lo: ir.Value, mid: ir.Value, hi: ir.Value) -> None:
        """Merge the sorted runs ``[lo, mid)`` and ``[mid, hi)`` of half ``src`` (an
        element offset in the block) into ``[lo, hi)`` of half ``dst``, branch-free."""
        b, argsort = self.b, self.a.index is not None
        fn = b.function
        i_slot, j_slot, k_slot = (alloca(b, I64, name=n) for n in ("mi", "mj", "mk"))
        b.store(lo, i_slot)
        b.store(mid, j_slot)
        b.store(b.add(lo, i64(dst)), k_slot)
        head, body, done = (fn.append_basic_block(f"merge.{s}") for s in ("head", "body", "done"))
        b.branch(head)
        b.position_at_end(head)
        i, j = b.load(i_slot), b.load(j_slot)
        b.cbranch(b.and_(b.icmp_signed("<", i, mid), b.icmp_signed("<", j, hi)), body, done)
        b.position_at_end(body)
        si, sj = b.add(i, i64(src)), b.add(j, i64(src))
        ki, kj = self._key(si), self._key(sj)
        right = self.less(kj, ki)
        k = b.load(k_slot)
        self._set_key(k, b.select(right, kj, ki))
        if argsort:
            self._set_pos(k, b.select(right, self._pos(sj), self._pos(si)))
        step = b.zext(right, I64)
        b.store(b.add(j, step), j_slot)
        b.store(b.add(i, b.sub(i64(1), step)), i_slot)
        b.store(b.add(k, i64(1)), k_slot)
        b.branch(head)
        b.position_at_end(done)
        for first, last in ((i_slot, mid), (j_slot, hi)):  # what is left of either run
            with self._loop(b.load(first), last, name="rest") as t:
                k = b.load(k_slot)
                s = b.add(t, i64(src))
                self._set_key(k, self._key(s))
                if argsort:
                    self._set_pos(k, self._pos(s))
                b.store(b.add(k, i64(1)), k_slot)

