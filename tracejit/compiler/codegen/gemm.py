"""The GEMM kernel: cache-blocked, register-blocked matrix product in LLVM IR.

Per task (one batch index and one block of ``mc`` rows of C): for each ``kc`` slice of
K, pack that block of A into ``mr``-row slivers on the stack (zero rows past M), then for
every sliver of packed B and every ``mr`` rows, run the micro-kernel: ``mr x nr``
accumulators kept in registers across the K loop, one broadcast of A and ``nr / W``
vector loads of B per step feeding ``mr * nr / W`` fused multiply-adds. Full tiles store
with vector loads/stores (adding to C after the first K slice); edge tiles (past M or N)
store element by element. On the last K slice the epilogue (bias, activation, ...), if any,
is applied to each value before it is stored.
"""
from __future__ import annotations

from llvmlite import ir

from tracejit.compiler.codegen.expr import ExprEmitter
from tracejit.compiler.codegen.loops import for_range, i64
from tracejit.compiler.codegen.lowerctx import I32, I64, LowerCtx, scalar_type
from tracejit.compiler.kernel import Gemm


class GemmEmitter:
    def __init__(self, b: ir.IRBuilder, ptrs: dict[int, ir.Value], g: Gemm, begin, end):
        self.b, self.g, self.ptrs = b, g, ptrs
        self.a, self.bp, self.c = ptrs[g.a.buffer], ptrs[g.packed_b], ptrs[g.c.buffer]
        self.begin, self.end = begin, end
        self.t = scalar_type(g.dtype)
        self.lanes = g.nr // 2
        self.vt = ir.VectorType(self.t, self.lanes)
        self.ctx = LowerCtx(b, self.lanes, g.dtype)
        self.align = g.dtype.itemsize

    def _gep(self, base, offset):
        return self.b.gep(base, [offset], inbounds=True, source_etype=self.t)

    def _min(self, x, y):
        return self.b.select(self.b.icmp_signed("<", x, y), x, y)

    def emit(self) -> None:
        b, g = self.b, self.g
        with b.goto_entry_block():
            size = ir.Constant(I64, g.mc * g.kc)
            self.ap = b.alloca(self.t, size=size, name="packed_a")
            self.ap.align = 64
        with for_range(b, self.begin, self.end, name="task") as task:
            batch = b.sdiv(task, i64(g.row_blocks))
            i0 = b.mul(b.srem(task, i64(g.row_blocks)), i64(g.mc))
            rows = self._min(i64(g.mc), b.sub(i64(g.m), i0))
            a_base = b.add(i64(g.a.offset), b.mul(batch, i64(g.a.strides[0])))
            c_base = b.add(i64(g.c.offset), b.mul(batch, i64(g.c.strides[0])))
            per_batch = g.slivers * g.k * g.nr
            bp_base = b.mul(batch, i64(per_batch)) if g.b_batched else i64(0)
            with for_range(b, 0, g.k, g.kc, name="pc") as pc:
                kc = self._min(i64(g.kc), b.sub(i64(g.k), pc))
                self._pack_a(a_base, i0, rows, pc, kc)
                first = b.icmp_signed("==", pc, i64(0))
                last = b.icmp_signed(">=", b.add(pc, kc), i64(g.k))
                with for_range(b, 0, g.slivers, name="jr") as s:
                    j0 = b.mul(s, i64(g.nr))
                    cols = self._min(i64(g.nr), b.sub(i64(g.n), j0))
                    bsliver = b.add(bp_base, b.add(b.mul(s, i64(g.k * g.nr)), b.mul(pc, i64(g.nr))))
                    with for_range(b, 0, rows, g.mr, name="ir") as ir_:
                        acc = self._micro(b.mul(ir_, kc), bsliver, kc)
                        nrows = self._min(i64(g.mr), b.sub(rows, ir_))
                        row0 = b.add(i0, ir_)
                        self._store(acc, c_base, row0, j0, nrows, cols, first, last, batch)

    def _pack_a(self, a_base, i0, rows, pc, kc) -> None:
        """Ap[sliver][k][r] = A[i0 + sliver*mr + r, pc + k] (0 past M)."""
        b, g = self.b, self.g
        sm, sk = g.a.strides[1], g.a.strides[2]
        zero = ir.Constant(self.t, 0)
        with for_range(b, 0, rows, g.mr, name="pa_i") as ir_:
            dst0 = b.mul(ir_, kc)
            with for_range(b, 0, kc, name="pa_k") as kk:
                col = b.mul(b.add(pc, kk), i64(sk))
                for r in range(g.mr):
                    row = b.add(ir_, i64(r))
                    inside = b.icmp_signed("<", row, rows)
                    safe_row = b.select(inside, row, i64(0))
                    src = b.add(a_base, b.add(b.mul(b.add(i0, safe_row), i64(sm)), col))
                    value = b.load(self._gep(self.a, src), typ=self.t, align=self.align)
                    dst = b.add(dst0, b.add(b.mul(kk, i64(g.mr)), i64(r)))  # sliver base + k*mr + r
                    b.store(b.select(inside, value, zero), self._gep(self.ap, dst), align=self.align)

    def _micro(self, a_off, b_off, kc) -> list[list[ir.Value]]:
        """mr x (nr / lanes) vector accumulators of sum_k Ap[.., k, r] * Bp[.., k, :]."""
        b, g = self.b, self.g
        nv = g.nr // self.lanes
        fn = b.function
        head, body, done = (fn.append_basic_block(f"mk.{n}") for n in ("head", "body", "done"))
        pre = b.block
        b.branch(head)
        b.position_at_end(head)
        k = b.phi(I64, name="k")
        k.add_incoming(i64(0), pre)
        zero = ir.Constant(self.vt, [ir.Constant(self.t, 0)] * self.lanes)
        acc = [[b.phi(self.vt) for _ in range(nv)] for _ in range(g.mr)]
        for row in acc:
            for phi in row:
                phi.add_incoming(zero, pre)
        b.cbranch(b.icmp_signed("<", k, kc), body, done)
        b.position_at_end(body)
        bk = b.add(b_off, b.mul(k, i64(g.nr)))
        bvec = [b.load(self._gep(self.bp, b.add(bk, i64(v * self.lanes))), typ=self.vt, align=self.align)
                for v in range(nv)]
        ak = b.add(a_off, b.mul(k, i64(g.mr)))
        new = []
        for r in range(g.mr):
            a = b.load(self._gep(self.ap, b.add(ak, i64(r))), typ=self.t, align=self.align)
            av = self.ctx.splat(a)
            new.append([self.ctx.intrinsic("fma", [av, bvec[v], acc[r][v]]) for v in range(nv)])
        for r in range(g.mr):
            for v in range(nv):
                acc[r][v].add_incoming(new[r][v], b.block)
        nk = b.add(k, i64(1))
        k.add_incoming(nk, b.block)
        b.branch(head)
        b.position_at_end(done)
        return acc

    def _finish(self, value, batch, row, col, width: int, last):
        """``value`` through the epilogue on the last K slice (unchanged before)."""
        if self.g.epilogue is None:
            return value
        em = ExprEmitter(self.b, self.ptrs, [batch, row, col], width, 2 if width > 1 else None)
        em.acc = value
        out = em.emit(self.g.epilogue)
        return self.b.select(last, out, value)

    def _store(self, acc, c_base, row0, j0, nrows, cols, first, last, batch) -> None:
        b, g = self.b, self.g
        sm = g.c.strides[1]
        full = b.and_(b.icmp_signed("==", nrows, i64(g.mr)), b.icmp_signed("==", cols, i64(g.nr)))
        with b.if_else(full) as (then, otherwise):
            with then:
                for r in range(g.mr):
                    base = b.add(c_base, b.add(b.mul(b.add(row0, i64(r)), i64(sm)), j0))
                    for v, value in enumerate(acc[r]):
                        ptr = self._gep(self.c, b.add(base, i64(v * self.lanes)))
                        old = b.load(ptr, typ=self.vt, align=self.align)
                        value = b.select(first, value, b.fadd(old, value))
                        col = b.add(j0, i64(v * self.lanes))
                        value = self._finish(value, batch, b.add(row0, i64(r)), col, self.lanes, last)
                        b.store(value, ptr, align=self.align)
            with otherwise:
                for r in range(g.mr):
                    with b.if_then(b.icmp_signed("<", i64(r), nrows)):
                        base = b.add(c_base, b.add(b.mul(b.add(row0, i64(r)), i64(sm)), j0))
                        for v, vec in enumerate(acc[r]):
                            for lane in range(self.lanes):
                                col = v * self.lanes + lane
                                with b.if_then(b.icmp_signed("<", i64(col), cols)):
                                    ptr = self._gep(self.c, b.add(base, i64(col)))
                                    value = b.extract_element(vec, ir.Constant(I32, lane))
                                    old = b.load(ptr, typ=self.t, align=self.align)
                                    value = b.select(first, value, b.fadd(old, value))
                                    value = self._finish(value, batch, b.add(row0, i64(r)),
                                                         b.add(j0, i64(col)), 1, last)
                                    b.store(value, ptr, align=self.align)

