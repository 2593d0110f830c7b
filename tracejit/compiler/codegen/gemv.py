"""The vector-matrix kernel (``v @ W``, a few rows of A): B streamed row by row.

A :class:`~tracejit.compiler.kir.Gemm` marked ``gemv`` (``schedule/gemv.py`` decides) has
at most a few rows and a B whose rows are contiguous. Each value of B is used once per
row of A, so the product is a stream of B's rows: per group of rows of B (``unroll_k``),
the ``m x rows`` values of A are broadcast once, and every vector of the task's
columns of those rows is loaded once and multiply-added into the rows of C, which serve
as the accumulators (a block of at most ``BLOCK_BYTES`` per row of C stays in L1 while B
passes). Each row of B is thus read in order, contiguously, a whole block at a time, with
up to ``MAX_UNROLL_K`` independent loads in flight per vector of C; rows ``PREFETCH_ROWS``
ahead are prefetched. A group's rows are summed apart (a product, then fused
multiply-adds), then added to C: each column's sum runs over K in order, in groups set by
K, M and the target, never by the threads, so results do not depend on the thread count
(unsplit, float32 products gave NumPy's OpenBLAS bits here). Tasks are (K part,
batch, column range): with a split K (``schedule/gemv.py``) each part's rows go to its own
partial C. The epilogue, if any (none with a split K), runs over the block after its last row.
"""
from __future__ import annotations

from llvmlite import ir

from tracejit.compiler.codegen.expr import ExprEmitter
from tracejit.compiler.codegen.loops import for_range, i64, loop_hints
from tracejit.compiler.codegen.lowerctx import I32, LowerCtx, declare, scalar_type
from tracejit.compiler.codegen.targeting import target_of
from tracejit.compiler.kir import Gemm

BLOCK_BYTES = 16384  # columns of C per block, per row (in L1; 4 KiB blocks of 8 KiB rows, half rows: 0.85-0.95x)
VECTORS = 2  # vectors of C per step of the inner loop
MAX_UNROLL_K = 8  # rows of B per step, at most (4 and 8 measured alike on one thread; 8: half the C traffic)
PREFETCH_ROWS = 8  # rows of B ahead that the kernel prefetches (0: none; 0 and 16 measured 1-3% slower)


def unroll_k(m: int, registers: int) -> int:
    """Rows of B per step: up to ``MAX_UNROLL_K``, as the ``m x rows`` broadcasts of A, the ``m``
    accumulators and the loaded vectors of B fit the target's vector registers."""
    return max(1, min(MAX_UNROLL_K, (registers - VECTORS * (m + 1)) // max(1, m)))


class GemvEmitter:
    """Emits the tasks ``begin``..``end`` of a ``gemv`` product at the builder's position."""

    def __init__(self, b: ir.IRBuilder, ptrs: dict[int, ir.Value], g: Gemm, begin: ir.Value, end: ir.Value):
        self.b, self.g, self.ptrs = b, g, ptrs
        self.begin, self.end = begin, end
        target = target_of(b.module)
        self.t = scalar_type(g.dtype)
        self.lanes = max(1, target.vector_bytes // g.dtype.itemsize)
        self.vt = ir.VectorType(self.t, self.lanes)
        self.ctx = LowerCtx(b, self.lanes, g.dtype)
        self.align = g.dtype.itemsize
        self.fma = "fma" if target.fma else "fmuladd"
        self.u = unroll_k(g.m, target.vector_registers)
        self.block = max(self.lanes * VECTORS, BLOCK_BYTES // g.dtype.itemsize // (self.lanes * VECTORS)
                         * (self.lanes * VECTORS))
        self.a, self.src, self.c = ptrs[g.a.buffer], ptrs[g.b.buffer], ptrs[g.c.buffer]
        self.hints = loop_hints(b.module, vectorize=False, unroll=False)

    def _gep(self, base, offset):
        return self.b.gep(base, [offset], inbounds=True, source_etype=self.t)

    def _min(self, x, y):
        return self.b.select(self.b.icmp_signed("<", x, y), x, y)

    def emit(self) -> None:
        """The task loop: per task, its batch and column range, in blocks of columns."""
        b, g = self.b, self.g
        per_part = g.batch * g.col_tasks
        with for_range(b, self.begin, self.end, name="task") as task:
            if g.k_tasks > 1:  # a split K: task = K part x (batch, column task), a partial C per part
                part = b.sdiv(task, i64(per_part))
                task = b.srem(task, i64(per_part))
                self.k0 = b.mul(part, i64(g.k_per_task))
                self.k1 = self._min(b.add(self.k0, i64(g.k_per_task)), i64(g.k))
            else:
                part, self.k0, self.k1 = i64(0), i64(0), i64(g.k)
            batch = b.sdiv(task, i64(g.col_tasks))
            c0 = b.mul(b.srem(task, i64(g.col_tasks)), i64(g.cols_per_task))
            c1 = self._min(b.add(c0, i64(g.cols_per_task)), i64(g.n))
            self.batch = batch
            self.a_base = b.add(i64(g.a.offset), b.mul(batch, i64(g.a.strides[0])))
            self.b_base = b.add(i64(g.b.offset), b.mul(batch, i64(g.b.strides[0])))
            self.c_base = b.add(b.add(i64(g.c.offset), b.mul(batch, i64(g.c.strides[0]))),
                                b.mul(part, i64(g.c_split)))
            with for_range(b, c0, c1, self.block, name="jb") as j0:
                self._block(j0, self._min(b.add(j0, i64(self.block)), c1))

    def _columns(self, j0, j1, body) -> None:
        """``body(j, width)`` over columns ``j0``..``j1``: ``VECTORS`` vectors at a time,
        then single vectors, then single elements."""
        b = self.b
        step = self.lanes * VECTORS
        span = b.sub(j1, j0)
        wide = b.add(j0, b.mul(b.sdiv(span, i64(step)), i64(step)))
        one = b.add(j0, b.mul(b.sdiv(span, i64(self.lanes)), i64(self.lanes)))
        with for_range(b, j0, wide, step, name="jv", hints=self.hints) as j:
            body(j, self.lanes, VECTORS)
        if VECTORS > 1:
            with for_range(b, wide, one, self.lanes, name="j1", hints=self.hints) as j:
                body(j, self.lanes, 1)
        with for_range(b, one, j1, 1, name="js", hints=self.hints) as j:
            body(j, 1, 1)

    def _c_at(self, row: int, j):
        return self._gep(self.c, self.b.add(self.c_base, self.b.add(i64(row * self.g.c.strides[1]), j)))

    def _block(self, j0, j1) -> None:
        """C[:, j0:j1] = A @ B[:, j0:j1]: zeroed, then B's rows streamed into it, then the epilogue."""
        b, g = self.b, self.g

        def zero(j, width, vectors):
            ty = self.vt if width > 1 else self.t
            for v in range(vectors):
                for i in range(g.m):
                    b.store(ir.Constant(ty, None), self._c_at(i, b.add(j, i64(v * width))), align=self.align)

        self._columns(j0, j1, zero)
        rows = b.sub(self.k1, self.k0)
        main = b.add(self.k0, b.mul(b.sdiv(rows, i64(self.u)), i64(self.u)))
        with for_range(b, self.k0, main, self.u, name="kk") as k:
            self._rows(k, self.u, j0, j1)
        if self.u > 1:
            with for_range(b, main, self.k1, 1, name="kr") as k:
                self._rows(k, 1, j0, j1)
        if g.epilogue is not None:
            self._columns(j0, j1, self._finish)

    def _rows(self, k, u: int, j0, j1) -> None:
        """C[:, j0:j1] += A[:, k:k+u] @ B[k:k+u, j0:j1], B's rows read once each."""
        b, g = self.b, self.g
        sa_m, sa_k = g.a.strides[1], g.a.strides[2]
        scalars = [[b.load(self._gep(self.a, b.add(self.a_base, b.add(i64(i * sa_m), b.mul(b.add(k, i64(r)),
                                                                                            i64(sa_k))))),
                           typ=self.t, align=self.align) for r in range(u)] for i in range(g.m)]
        splats = [[self.ctx.splat(x) for x in row] for row in scalars]
        sk = g.b.strides[2]
        row_at = [b.add(self.b_base, b.mul(b.add(k, i64(r)), i64(sk))) for r in range(u)]
        ahead = None
        if PREFETCH_ROWS:
            # (rows past B's last are not asked for: the group's first row ahead is at most K - u)
            first = self._min(b.add(k, i64(PREFETCH_ROWS)), i64(max(0, g.k - u)))
            ahead = b.add(self.b_base, b.mul(first, i64(sk)))

        def step(j, width, vectors):
            ty = self.vt if width > 1 else self.t
            a_vals = splats if width > 1 else scalars
            for v in range(vectors):
                col = b.add(j, i64(v * width))
                if ahead is not None and width > 1:
                    for r in range(u):  # the same columns of the rows PREFETCH_ROWS ahead
                        self._prefetch(b.add(b.add(ahead, i64(r * sk)), col))
                bv = [b.load(self._gep(self.src, b.add(row_at[r], col)), typ=ty, align=self.align)
                      for r in range(u)]
                for i in range(g.m):  # the group's rows summed apart, then added to C (K / u + u
                    ptr = self._c_at(i, col)  # roundings deep, not K: closer to NumPy's blocked sums)
                    part = b.fmul(a_vals[i][0], bv[0])
                    for r in range(1, u):
                        part = self._fma(a_vals[i][r], bv[r], part, width)
                    b.store(b.fadd(b.load(ptr, typ=ty, align=self.align), part), ptr, align=self.align)

        self._columns(j0, j1, step)

    def _fma(self, x, y, z, width: int):
        if width > 1:
            return self.ctx.intrinsic(self.fma, [x, y, z])
        return LowerCtx(self.b, 1, self.g.dtype).intrinsic(self.fma, [x, y, z])

    def _prefetch(self, offset) -> None:
        """``llvm.prefetch`` (a read, kept in L2) of element ``offset`` of B."""
        fn = declare(self.b.module, "llvm.prefetch.p0",
                     ir.FunctionType(ir.VoidType(), [self.src.type, I32, I32, I32]))
        addr = self.b.gep(self.src, [offset], source_etype=self.t)
        self.b.call(fn, [addr, ir.Constant(I32, 0), ir.Constant(I32, 2), ir.Constant(I32, 1)])

    def _finish(self, j, width, vectors) -> None:
        """The epilogue on C[:, j : j + vectors * width] (its product complete)."""
        b, g = self.b, self.g
        ty = self.vt if width > 1 else self.t
        for v in range(vectors):
            col = b.add(j, i64(v * width))
            for i in range(g.m):
                ptr = self._c_at(i, col)
                em = ExprEmitter(b, self.ptrs, [self.batch, i64(i), col], width, 2 if width > 1 else None)
                em.acc = b.load(ptr, typ=ty, align=self.align)
                b.store(em.emit(g.epilogue), ptr, align=self.align)
