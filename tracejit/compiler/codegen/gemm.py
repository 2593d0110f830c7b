"""The GEMM kernel: cache-blocked, register-blocked matrix product in LLVM IR.

Tasks form a grid over (batch, row range, column range) of C (see
:func:`tracejit.compiler.schedule.matmul.task_grid`). Per task and ``kc`` slice of K, the
``nr``-column slivers of the task's columns of B are packed into a block of a temporary
(one block per parallel chunk of tasks) while they are first used: the first
micro-kernel over a sliver reads B where it lies (prefetching rows ahead), multiplies,
and writes the packed copy that the task's later rows read back from cache. So B is read
from memory once per task, and its packing overlaps the arithmetic instead of being a
pass of its own. A constant B is packed at compile time and read in place. A is read
where it lies (its K axis contiguous, or its M axis for a short-rowed ``x.T``: the planner
copies other layouts first), ``mr`` rows at a time. With a split K, a task sums its K part
into its own partial C.

The micro-kernel keeps ``mr x nr`` accumulators in registers across the K slice: one
broadcast of A and ``nr / W`` vector loads of B per step feeding ``mr * nr / W`` fused
multiply-adds; reading packed B, the K loop runs ``UNROLL`` steps an iteration (then the
rest one by one). Full tiles store with vector loads/stores (adding to C after the first K
slice); edge tiles (past M or N) store element by element. On the last K slice the
epilogue (bias, activation, ...), if any, is applied to each value before it is stored.
"""
from __future__ import annotations

from collections.abc import Callable

from llvmlite import ir

from tracejit.compiler.codegen.expr import ExprEmitter
from tracejit.compiler.codegen.loops import for_range, i64, opaque
from tracejit.compiler.codegen.lowerctx import I32, I64, LowerCtx, declare, scalar_type
from tracejit.compiler.codegen.sizes import SizeReader
from tracejit.compiler.codegen.targeting import target_of
from tracejit.compiler.generic_sizes import Param
from tracejit.compiler.kir import Gemm

PREFETCH_ROWS = 16  # rows of B ahead that the packing micro-kernel prefetches
# K steps per iteration of the micro-kernel reading packed B (1024^3, one thread, ratio to
# NumPy, CPU-time minima: float32 0.94-0.98 -> 0.99-1.04, float64 0.97-0.98 -> 1.02-1.05;
# LLVM leaves the loop rolled. See docs/design.md, issue 21, session 10)
UNROLL = 4


class GemmEmitter:
    def __init__(self, b: ir.IRBuilder, ptrs: dict[int, ir.Value], g: Gemm, begin: ir.Value, end: ir.Value,
                 sizes: SizeReader | None = None):
        self.b, self.g, self.ptrs = b, g, ptrs
        self.sizes = sizes  # reads ``g.m`` when it is a size-table parameter (an export's run-time rows)
        self.a, self.c = ptrs[g.a.buffer], ptrs[g.c.buffer]
        self.src = ptrs[g.b.buffer if g.packed_b is None else g.packed_b]
        self.begin, self.end = begin, end
        self.t = scalar_type(g.dtype)
        self.lanes = min(g.nr, target_of(b.module).vector_bytes // g.dtype.itemsize)  # the target's vectors
        self.nv = g.nr // self.lanes
        self.vt = ir.VectorType(self.t, self.lanes)
        self.ctx = LowerCtx(b, self.lanes, g.dtype)
        self.align = g.dtype.itemsize
        # a target without FMA multiplies and adds (llvm.fma would be a libm call per element)
        self.fma = "fma" if target_of(b.module).fma else "fmuladd"

    def _gep(self, base, offset):
        return self.b.gep(base, [offset], inbounds=True, source_etype=self.t)

    def _times(self, x, stride: int):
        """``x * stride`` (``x`` itself for a unit stride)."""
        return x if stride == 1 else self.b.mul(x, i64(stride))

    def _min(self, x, y):
        return self.b.select(self.b.icmp_signed("<", x, y), x, y)

    def _prefetch(self, base, offset, write: bool, locality: int) -> None:
        """``llvm.prefetch`` of element ``offset`` of ``base`` into the data cache."""
        fn = declare(self.b.module, "llvm.prefetch.p0",
                     ir.FunctionType(ir.VoidType(), [base.type, I32, I32, I32]))
        addr = self.b.gep(base, [offset], source_etype=self.t)
        self.b.call(fn, [addr, ir.Constant(I32, int(write)), ir.Constant(I32, locality), ir.Constant(I32, 1)])

    def _rows(self) -> None:
        """M, M - 1 and the rows of a task as i64 values: constants, or computed from the
        size table where ``g.m`` is a :class:`Param` (``export/gemmrows.py``)."""
        b, g = self.b, self.g
        if not isinstance(g.m, Param):
            self.m, self.m_last, self.rows_per_task = i64(g.m), i64(g.m - 1), i64(g.rows_per_task)
            return
        self.m = self.sizes(g.m)
        self.m_last = b.sub(self.m, i64(1))
        groups = b.sdiv(b.add(self.m, i64(g.mr - 1)), i64(g.mr))  # (M >= 0)
        per_task = b.sdiv(b.add(groups, i64(g.row_tasks - 1)), i64(g.row_tasks))
        self.rows_per_task = b.mul(per_task, i64(g.mr))

    def emit(self) -> None:
        """Emit the blocked matrix product of tasks ``begin``..``end`` at the builder's position."""
        b, g = self.b, self.g
        self._rows()
        self.block = self.ptrs[g.b_block] if g.b_block is not None else None
        # this call's part of the packed-B temporary: its chunk's (calls are whole chunks,
        # or the whole range when run serially)
        chunk = b.sdiv(self.begin, i64(g.chunk)) if g.chunk else i64(0)
        self.block_base = b.mul(chunk, i64(g.kc * g.block_cols))
        # an edge tile's accumulators go through this stack slot (see _store_edge)
        self.tile = opaque(b, b.alloca(ir.ArrayType(self.t, g.mr * g.nr), name="edge_tile"))
        per_batch = g.row_tasks * g.col_tasks
        with for_range(b, self.begin, self.end, name="task") as task:
            if g.k_tasks > 1:  # a split K: task = K part x (batch, row task, column task)
                part = b.sdiv(task, i64(g.batch * per_batch))
                task = b.srem(task, i64(g.batch * per_batch))
                k0 = b.mul(part, i64(g.k_per_task))
                k1 = self._min(b.add(k0, i64(g.k_per_task)), i64(g.k))
            else:
                part, k0, k1 = i64(0), i64(0), i64(g.k)
            batch = b.sdiv(task, i64(per_batch))
            cell = b.srem(task, i64(per_batch))
            r0 = b.mul(b.sdiv(cell, i64(g.col_tasks)), self.rows_per_task)
            c0 = b.mul(b.srem(cell, i64(g.col_tasks)), i64(g.cols_per_task))
            r1 = self._min(b.add(r0, self.rows_per_task), self.m)
            c1 = self._min(b.add(c0, i64(g.cols_per_task)), i64(g.n))
            self.a_base = b.add(i64(g.a.offset), b.mul(batch, i64(g.a.strides[0])))
            self.c_base = b.add(i64(g.c.offset), b.mul(batch, i64(g.c.strides[0])))
            if g.k_tasks > 1:  # this K part's partial C
                self.c_base = b.add(self.c_base, b.mul(part, i64(g.c_split)))
            if g.packed_b is None:  # B where it lies
                self.b_base = b.add(i64(g.b.offset), b.mul(batch, i64(g.b.strides[0])))
            else:  # this batch's packed slivers
                self.b_base = b.mul(batch, i64(g.slivers * g.k * g.nr)) if g.b_batched else i64(0)
            self.batch = batch
            if g.nc and g.nc < g.cols_per_task:  # panels of nc columns, each packed in turn (kc x nc in L2)
                with for_range(b, c0, c1, g.nc, name="jc") as jc:
                    ncols = self._min(i64(g.nc), b.sub(c1, jc))
                    with for_range(b, k0, k1, g.kc, name="pc") as pc:
                        self._block(jc, ncols, pc, r0, r1, k0, k1)
            else:
                with for_range(b, k0, k1, g.kc, name="pc") as pc:
                    self._block(c0, b.sub(c1, c0), pc, r0, r1, k0, k1)

    def _block(self, jc, ncols, pc, r0, r1, k0, k1) -> None:
        """C[r0:r1, jc:jc+ncols] += A[r0:r1, pc:pc+kc] @ B[pc:pc+kc, jc:jc+ncols] (the task's
        K range is ``k0``..``k1``: C is set on its first slice, the epilogue applied on its last)."""
        b, g = self.b, self.g
        kc = self._min(i64(g.kc), b.sub(k1, pc))
        first = b.icmp_signed("==", pc, k0)
        last = b.icmp_signed(">=", b.add(pc, kc), k1)
        slivers = b.sdiv(b.add(ncols, i64(g.nr - 1)), i64(g.nr))
        with for_range(b, r0, r1, g.mc, name="ic") as ic:
            rows = self._min(i64(g.mc), b.sub(r1, ic))
            with for_range(b, 0, slivers, name="jr") as s:
                j0 = b.add(jc, b.mul(s, i64(g.nr)))
                cols = self._min(i64(g.nr), b.sub(i64(g.n), j0))
                if g.packed_b is None and g.b_block is None:  # a small B, read where it lies
                    load = None
                elif g.packed_b is None:
                    packed = b.add(self.block_base, b.mul(s, b.mul(kc, i64(g.nr))))  # this sliver
                    load = self._packed_loader(self.block, packed)
                else:
                    packed = b.add(self.b_base, b.add(b.mul(b.sdiv(j0, i64(g.nr)), i64(g.k * g.nr)),
                                                      b.mul(pc, i64(g.nr))))
                    load = self._packed_loader(self.src, packed)
                limit = rows
                if g.symmetric:  # tiles starting below the diagonal: mirrored afterwards
                    limit = self._min(rows, b.sub(b.add(j0, i64(g.nr)), ic))
                with for_range(b, 0, limit, g.mr, name="ir") as ir_:
                    row0 = b.add(ic, ir_)
                    self._prefetch_c(row0, j0)
                    if load is None:
                        acc = self._micro_in_place(row0, pc, kc, j0, cols)
                    elif g.packed_b is None:
                        # the task's first rows read B where it lies and pack it
                        packing = b.and_(b.icmp_signed("==", ic, r0), b.icmp_signed("==", ir_, i64(0)))
                        acc = self._micro_packing(packing, row0, pc, kc, j0, cols, packed, load)
                    else:
                        acc = self._micro(row0, pc, kc, load, unroll=UNROLL)
                    nrows = self._min(i64(g.mr), b.sub(rows, ir_))
                    self._store(acc, row0, j0, nrows, cols, first, last)

    # -- reading B ---------------------------------------------------------------------
    def _packed_loader(self, base, offset) -> Callable:
        def load(k):
            at = self.b.add(offset, self.b.mul(k, i64(self.g.nr)))
            return [self.b.load(self._gep(base, self.b.add(at, i64(v * self.lanes))), typ=self.vt,
                                align=self.align) for v in range(self.nv)]
        return load

    def _micro_in_place(self, row0, pc, kc, j0, cols):
        """The micro-kernel reading B where it lies (rows contiguous; lane by lane for a
        sliver past N); prefetching rows ahead only for a large B (``Gemm.prefetch_b``: a
        small one stays in cache)."""
        def source(full: bool):
            return lambda: self._micro(row0, pc, kc, self._source_loader(pc, j0, cols, full,
                                                                          prefetch=self.g.prefetch_b))

        if self.g.n % self.g.nr == 0:
            return source(True)()
        return self._either(self.b.icmp_signed("==", cols, i64(self.g.nr)), source(True), source(False))

    def _source_loader(self, pc, j0, cols, full: bool, prefetch: bool = True) -> Callable:
        """B[pc + k, j0 : j0 + nr] where it lies: vector loads for a full sliver of a B
        with contiguous rows (prefetching ``PREFETCH_ROWS`` ahead), else lane by lane,
        zero past N."""
        b, g = self.b, self.g
        sn, sk = g.b.strides[1], g.b.strides[2]
        row0 = b.add(self.b_base, b.add(b.mul(j0, i64(sn)), b.mul(pc, i64(sk))))

        def vector(k):
            at = b.add(row0, b.mul(k, i64(sk)))
            if prefetch:
                ahead = self._min(b.add(b.add(pc, k), i64(PREFETCH_ROWS)), i64(g.k - 1))
                pf = b.add(b.add(self.b_base, b.mul(j0, i64(sn))), b.mul(ahead, i64(sk)))
                line = max(1, 64 // self.align)  # every cache line of the sliver, and its end
                for lane in sorted(set(range(0, g.nr, line)) | {g.nr - 1}):
                    self._prefetch(self.src, b.add(pf, i64(lane)), write=False, locality=2)
            return [b.load(self._gep(self.src, b.add(at, i64(v * self.lanes))), typ=self.vt,
                           align=self.align) for v in range(self.nv)]

        def lanes(k):
            at = b.add(row0, b.mul(k, i64(sk)))
            zero = ir.Constant(self.t, 0)
            out = []
            for v in range(self.nv):
                vec = ir.Constant(self.vt, ir.Undefined)
                for lane in range(self.lanes):
                    col = i64(v * self.lanes + lane)
                    inside = b.icmp_signed("<", col, cols)
                    safe = b.select(inside, col, i64(0))
                    x = b.load(self._gep(self.src, b.add(at, b.mul(safe, i64(sn)))), typ=self.t,
                               align=self.align)
                    vec = b.insert_element(vec, b.select(inside, x, zero), ir.Constant(I32, lane))
                out.append(vec)
            return out
        return vector if full else lanes

    def _micro_packing(self, packing, row0, pc, kc, j0, cols, packed, load_packed):
        """The micro-kernel, reading B from the packed block, or (``packing``) from where
        it lies while writing the packed block."""
        b, g = self.b, self.g
        store = self._packed_storer(packed)

        def from_source(full: bool):
            return lambda: self._micro(row0, pc, kc, self._source_loader(pc, j0, cols, full), store)

        if g.b.strides[1] == 1 and g.n % g.nr == 0:  # every sliver full (they start at multiples of nr)
            source = from_source(True)
        elif g.b.strides[1] == 1:  # rows of B contiguous: vector loads for full slivers
            full = b.icmp_signed("==", cols, i64(g.nr))
            source = lambda: self._either(full, from_source(True), from_source(False))  # noqa: E731
        else:
            source = from_source(False)
        return self._either(packing, source, lambda: self._micro(row0, pc, kc, load_packed, unroll=UNROLL))

    def _either(self, cond, then_fn: Callable, else_fn: Callable):
        """Accumulators from ``then_fn()`` or ``else_fn()``, merged by phis."""
        b = self.b
        with b.if_else(cond) as (then, otherwise):
            with then:
                left, left_block = then_fn(), b.block
            with otherwise:
                right, right_block = else_fn(), b.block
        merged = []
        for lrow, rrow in zip(left, right):
            row = []
            for lv, rv in zip(lrow, rrow):
                phi = b.phi(self.vt)
                phi.add_incoming(lv, left_block)
                phi.add_incoming(rv, right_block)
                row.append(phi)
            merged.append(row)
        return merged

    def _packed_storer(self, offset) -> Callable:
        def store(k, vecs):
            at = self.b.add(offset, self.b.mul(k, i64(self.g.nr)))
            for v, vec in enumerate(vecs):
                self.b.store(vec, self._gep(self.block, self.b.add(at, i64(v * self.lanes))), align=self.align)
        return store

    # -- the micro-kernel ---------------------------------------------------------------
    def _micro(self, row0, pc, kc, load_b: Callable, store_b: Callable | None = None, unroll: int = 1):
        """mr x (nr / lanes) vector accumulators of sum_k A[row0 + r, pc + k] * B[k, :].
        Rows past M read row M-1 (their results are never stored). With ``unroll``, the
        K loop runs ``unroll`` steps per iteration, then the remaining steps one by one."""
        b, g = self.b, self.g
        sk = g.a.strides[2]
        rows = [b.add(self.a_base, b.add(b.mul(self._min(b.add(row0, i64(r)), self.m_last),
                                               i64(g.a.strides[1])), self._times(pc, sk))) for r in range(g.mr)]
        zero = ir.Constant(self.vt, [ir.Constant(self.t, 0)] * self.lanes)
        acc = [[zero] * self.nv for _ in range(g.mr)]

        def step(k, acc):
            bvec = load_b(k)
            if store_b is not None:
                store_b(k, bvec)
            new = []
            for r in range(g.mr):
                a = b.load(self._gep(self.a, b.add(rows[r], self._times(k, sk))), typ=self.t, align=self.align)
                av = self.ctx.splat(a)
                new.append([self.ctx.intrinsic(self.fma, [av, bvec[v], acc[r][v]]) for v in range(self.nv)])
            return new

        k = i64(0)
        if unroll > 1:
            whole = b.mul(b.sdiv(kc, i64(unroll)), i64(unroll))
            k, acc = self._k_loop(k, whole, acc, unroll,
                                  lambda k, acc: self._steps(step, k, acc, unroll), "mku")
        return self._k_loop(k, kc, acc, 1, step, "mk")[1]

    def _steps(self, step: Callable, k, acc, count: int):
        for u in range(count):
            acc = step(self.b.add(k, i64(u)) if u else k, acc)
        return acc

    def _k_loop(self, k0, k1, acc, by: int, body: Callable, name: str):
        """(k1, the accumulators) after ``acc = body(k, acc)`` for k = k0, k0 + by, .. < k1."""
        b = self.b
        fn = b.function
        head, block, done = (fn.append_basic_block(f"{name}.{n}") for n in ("head", "body", "done"))
        pre = b.block
        b.branch(head)
        b.position_at_end(head)
        k = b.phi(I64, name="k")
        k.add_incoming(k0, pre)
        phis = [[b.phi(self.vt) for _ in row] for row in acc]
        for prow, row in zip(phis, acc):
            for phi, v in zip(prow, row):
                phi.add_incoming(v, pre)
        b.cbranch(b.icmp_signed("<", k, k1), block, done)
        b.position_at_end(block)
        new = body(k, phis)
        for prow, row in zip(phis, new):
            for phi, v in zip(prow, row):
                phi.add_incoming(v, b.block)
        k.add_incoming(b.add(k, i64(by)), b.block)
        b.branch(head)
        b.position_at_end(done)
        return k, phis

    # -- storing C -----------------------------------------------------------------------
    def _prefetch_c(self, row0, j0) -> None:
        """Ask for the tile of C before the K loop, so its stores do not wait on memory."""
        b, g = self.b, self.g
        for r in range(g.mr):
            row = self._min(b.add(row0, i64(r)), self.m_last)
            for col in (j0, self._min(b.add(j0, i64(g.nr - 1)), i64(g.n - 1))):  # both ends, inside C
                at = b.add(self.c_base, b.add(b.mul(row, i64(g.c.strides[1])), col))
                self._prefetch(self.c, at, write=True, locality=3)

    def _finish(self, value, row, col, width: int, last):
        """``value`` through the epilogue on the last K slice (unchanged before)."""
        if self.g.epilogue is None:
            return value
        em = ExprEmitter(self.b, self.ptrs, [self.batch, row, col], width, 2 if width > 1 else None)
        em.acc = value
        out = em.emit(self.g.epilogue)
        return self.b.select(last, out, value)

    def _store(self, acc, row0, j0, nrows, cols, first, last) -> None:
        b, g = self.b, self.g
        sm = g.c.strides[1]
        full = b.and_(b.icmp_signed("==", nrows, i64(g.mr)), b.icmp_signed("==", cols, i64(g.nr)))
        with b.if_else(full) as (then, otherwise):
            with then:
                for r in range(g.mr):
                    base = b.add(self.c_base, b.add(b.mul(b.add(row0, i64(r)), i64(sm)), j0))
                    for v, value in enumerate(acc[r]):
                        ptr = self._gep(self.c, b.add(base, i64(v * self.lanes)))
                        old = b.load(ptr, typ=self.vt, align=self.align)
                        value = b.select(first, value, b.fadd(old, value))
                        col = b.add(j0, i64(v * self.lanes))
                        value = self._finish(value, b.add(row0, i64(r)), col, self.lanes, last)
                        b.store(value, ptr, align=self.align)
            with otherwise:
                self._store_edge(acc, row0, j0, nrows, cols, first, last)

    def _store_edge(self, acc, row0, j0, nrows, cols, first, last) -> None:
        """An edge tile (``nrows`` x ``cols`` inside C): the accumulators stored whole to a
        stack tile, then a loop over its rows and columns adds them to C (one small loop
        nest, not ``mr * nr`` guarded stores: the code, and LLVM's time on it, stays small)."""
        b, g = self.b, self.g
        for r in range(g.mr):
            for v, vec in enumerate(acc[r]):
                b.store(vec, self._gep(self.tile, i64(r * g.nr + v * self.lanes)), align=self.align)
        with for_range(b, 0, nrows, name="er") as r:
            row = b.add(row0, r)
            base = b.add(self.c_base, b.add(b.mul(row, i64(g.c.strides[1])), j0))
            with for_range(b, 0, cols, name="ec") as col:
                ptr = self._gep(self.c, b.add(base, col))
                value = b.load(self._gep(self.tile, b.add(b.mul(r, i64(g.nr)), col)), typ=self.t, align=self.align)
                old = b.load(ptr, typ=self.t, align=self.align)
                value = b.select(first, value, b.fadd(old, value))
                b.store(self._finish(value, row, b.add(j0, col), 1, last), ptr, align=self.align)
