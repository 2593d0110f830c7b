"""Emitting one loop nest according to its schedule.

* ``map``: loops in order; the innermost runs W lanes at a time, then a scalar tail.
  With a transposed operand, the last two loops run in tiles (see ``schedule._tile``).
* ``inner``: reduced loops innermost; W-lane accumulators; float sums are blocked and
  the block sums combined pairwise (a binary-counter cascade), so error grows with
  log(n) as in NumPy's pairwise summation.
* ``outer``: reduced loops outside the innermost kept loop, accumulating W lanes of
  outputs in memory (column sums, matmul).
* ``arg``: argmax/argmin keeping the first best index: W lanes, each with its own best and
  index, combined by value then index (the schedule vectorizes contiguous loads only), or scalar.

The outermost loop of dim 0 runs over ``[begin, end)`` so the runtime can split it.
Extents and offsets may be run-time sizes (``compiler/generic_sizes.py``): every integer of
the nest that can be one goes through ``sizes``.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np
from llvmlite import ir

from tracejit.compiler.codegen.expr import ExprEmitter
from tracejit.compiler.codegen.loops import alloca, for_range, i64, loop_hints, while_loop
from tracejit.compiler.codegen.lowerctx import I32, I64, LowerCtx, scalar_type, vector_of
from tracejit.compiler.codegen.lowerings import reduce_lowering
from tracejit.compiler.kir import Nest, Schedule
from tracejit.compiler.schedule.vectorize import in_order_floats

CASCADE_LEVELS = 64
OUTER_UNROLL = 4  # 'outer' reductions: rows combined per load and store of the output row
ROW_GROUP = 4  # 'inner' reductions sharing an operand (matrix-vector products): lines per pass


class NestEmitter:
    def __init__(self, b: ir.IRBuilder, ptrs: dict[int, ir.Value], nest: Nest, sched: Schedule,
                 begin: ir.Value | None = None, end: ir.Value | None = None, fast: tuple[str, ...] = (),
                 sizes: Callable[[int], ir.Value] = i64):
        """``begin``/``end`` bound dim 0 when given (a kernel split between threads);
        ``fast`` are the fast-math flags of user-level arithmetic (empty unless opted in);
        ``sizes`` turns the nest's integers into values (a ``codegen.sizes.SizeReader``)."""
        self.b, self.ptrs, self.nest, self.sched, self.fast = b, ptrs, nest, sched, fast
        self.sizes = sizes
        self.begin, self.end = begin, end
        self.dtype = np.dtype(nest.value.dtype)
        if nest.reduce:
            self.red = reduce_lowering(nest.reduce)
        self.in_order = in_order_floats(nest)  # a float product: values taken in loop order

    def emit(self) -> None:
        """Emit the nest's loops, as its schedule's strategy lays them out, at the builder's position."""
        getattr(self, f"_emit_{self.sched.strategy}")()

    # -- helpers ------------------------------------------------------------------------------
    def _bounds(self, dim: int):
        if dim == 0 and self.begin is not None:
            return self.begin, self.end
        return i64(0), self.sizes(self.nest.shape[dim])

    def _loops(self, dims: list[int], idx: dict, body) -> None:
        """Nested scalar loops over ``dims`` (outermost first), then ``body()``."""
        if not dims:
            body()
            return
        lo, hi = self._bounds(dims[0])
        hints = loop_hints(self.b.module, unroll=False)  # unrolling outer loops copies whole nests
        with for_range(self.b, lo, hi, name=f"d{dims[0]}", hints=hints) as i:
            idx[dims[0]] = i
            self._loops(dims[1:], idx, body)

    def _vector_loop(self, dim: int, lo: ir.Value, hi: ir.Value, idx: dict, body) -> None:
        """``body(emitter)`` for every point of ``dim`` in [lo, hi): W lanes, then scalars."""
        b, width = self.b, self.sched.vector_width
        split = lo
        if width > 1:
            count = b.sub(hi, lo)
            split = b.add(lo, b.mul(b.sdiv(count, i64(width)), i64(width)))
            with for_range(b, lo, split, width, name=f"v{dim}",
                           hints=loop_hints(b.module, vectorize=False, unroll=False)) as i:
                idx[dim] = i
                body(self._emitter(idx, width, dim))
        tail = loop_hints(b.module, vectorize=False, unroll=False) if width > 1 else None
        with for_range(b, split, hi, name=f"s{dim}", hints=tail) as i:
            idx[dim] = i
            body(self._emitter(idx, 1, None))

    def _emitter(self, idx: dict, width: int, vdim) -> ExprEmitter:
        return ExprEmitter(self.b, self.ptrs, [idx.get(d) for d in range(len(self.nest.shape))], width, vdim,
                           self.fast, self.sizes)

    def _ctx(self, width: int) -> LowerCtx:
        return LowerCtx(self.b, width, self.dtype, fast=self.fast)

    def _combine(self, acc: ir.Value, x: ir.Value, width: int) -> ir.Value:
        return self.red.combine(self._ctx(width), acc, x)

    def _identity(self, width: int) -> ir.Constant:
        return self._ctx(width).const(self.red.identity(self.dtype))

    def _hreduce(self, v: ir.Value, width: int) -> ir.Value:
        """Combine the lanes of ``v`` pairwise down to one scalar."""
        b = self.b
        while width > 1:
            half = width // 2
            undef = ir.Constant(v.type, ir.Undefined)
            lo = b.shuffle_vector(v, undef, ir.Constant(ir.VectorType(I32, half), list(range(half))))
            hi = b.shuffle_vector(v, undef, ir.Constant(ir.VectorType(I32, half), list(range(half, width))))
            v = self._combine(lo, hi, half)
            width = half
        return b.extract_element(v, ir.Constant(I32, 0)) if isinstance(v.type, ir.VectorType) else v

    # -- map ----------------------------------------------------------------------------------------
    def _emit_map(self) -> None:
        nest, nd = self.nest, len(self.nest.shape)
        if nd == 0:
            em = self._emitter({}, 1, None)
            em.store(nest.store, em.emit(nest.value))
            return
        idx: dict = {}

        def body(em):
            em.store(nest.store, em.emit(nest.value), self.sched.stream)

        def inner():
            lo, hi = self._bounds(nd - 1)
            self._vector_loop(nd - 1, lo, hi, idx, body)

        if self.sched.tile:
            self._loops(list(range(nd - 2)), idx, lambda: self._tiles(nd - 2, idx, body))
        else:
            self._loops(list(range(nd - 1)), idx, inner)

    def _tiles(self, dim: int, idx: dict, body) -> None:
        """Loops ``dim`` and ``dim + 1`` in tiles: tile rows, tile columns, then the rows
        of one tile, each a vector loop over the tile's columns."""
        b, (rows, cols) = self.b, self.sched.tile
        hints = loop_hints(b.module, unroll=False)
        lo0, hi0 = self._bounds(dim)
        lo1, hi1 = self._bounds(dim + 1)

        def upto(start, step, hi):
            stop = b.add(start, i64(step))
            return b.select(b.icmp_signed("<", stop, hi), stop, hi)

        with for_range(b, lo0, hi0, rows, name=f"t{dim}", hints=hints) as r0:
            with for_range(b, lo1, hi1, cols, name=f"t{dim + 1}", hints=hints) as c0:
                with for_range(b, r0, upto(r0, rows, hi0), name=f"d{dim}", hints=hints) as i:
                    idx[dim] = i
                    self._vector_loop(dim + 1, c0, upto(c0, cols, hi1), idx, body)

    # -- inner reductions ------------------------------------------------------------------------------
    def _emit_inner(self) -> None:
        nest = self.nest
        nd, nk = len(nest.shape), nest.n_kept
        idx: dict = {}
        pairwise = self.sched.block > 0  # the schedule sets a block only where the sum is longer
        if not pairwise and nest.n_reduced == 1 and nk >= 1 and nd == nk + 1 and any(
                ld.access.strides[nk - 1] == 0 and ld.access.strides[nd - 1] != 0 for ld in nest.loads()):
            self._emit_inner_rows()
            return

        def per_output():
            store_em = self._emitter(idx, 1, None)
            if nest.n_reduced == 0:
                self._store_result(idx, self._combine(self._identity(1), store_em.emit(nest.value), 1))
                return
            sty = scalar_type(self.dtype)
            if pairwise:
                cascade = _Cascade(self, sty)
            else:
                total = alloca(self.b, sty, self._identity(1), name="total")

            def innermost():
                n = self.sizes(nest.shape[nd - 1])
                if pairwise:
                    block = self.sched.block
                    with for_range(self.b, 0, n, block, name="blk") as start:
                        stop = self.b.add(start, i64(block))
                        stop = self.b.select(self.b.icmp_signed("<", stop, n), stop, n)
                        cascade.push(self._partial(start, stop, idx))
                elif self.sched.vector_width == 1 and self.in_order:  # one accumulator through every line
                    self.b.store(self._partials(i64(0), n, idx, start=self.b.load(total))[0], total)
                else:
                    part = self._partial(i64(0), n, idx)
                    self.b.store(self._combine(self.b.load(total), part, 1), total)

            self._loops(list(range(nk, nd - 1)), idx, innermost)
            result = cascade.total() if pairwise else self.b.load(total)
            self._store_result(idx, result)

        self._loops(list(range(nk)), idx, per_output)

    def _emit_inner_rows(self) -> None:
        """Inner reductions whose lines share an operand (``A @ x``: every row reads all of
        ``x``): ``ROW_GROUP`` lines at a time, each with its own accumulators, so a load of
        the shared operand serves them all (a line's own order of accumulation is kept:
        the same bits as one line at a time). BLAS's matrix-vector kernels do the same: a
        row of ``A`` and ``x`` together overflow L1, and ``x`` came from L2 once per row."""
        jdim = self.nest.n_kept - 1
        b = self.b
        idx: dict = {}

        def rows():
            lo, hi = self._bounds(jdim)
            split = b.add(lo, b.mul(b.sdiv(b.sub(hi, lo), i64(ROW_GROUP)), i64(ROW_GROUP)))
            hints = loop_hints(b.module, unroll=False)
            with for_range(b, lo, split, ROW_GROUP, name="rg", hints=hints) as row:
                self._row_group(row, ROW_GROUP, idx)
            with for_range(b, split, hi, name="rt", hints=hints) as row:
                self._row_group(row, 1, idx)

        self._loops(list(range(jdim)), idx, rows)

    def _row_group(self, row: ir.Value, group: int, idx: dict) -> None:
        """Lines ``row .. row + group - 1`` of an inner reduction, reduced together."""
        nest, b = self.nest, self.b
        jdim = nest.n_kept - 1
        lines = [b.add(row, i64(u)) if u else row for u in range(group)]
        parts = self._partials(i64(0), self.sizes(nest.shape[-1]), idx, lines)
        for line, part in zip(lines, parts):
            idx[jdim] = line
            self._store_result(idx, part)

    def _store_result(self, idx: dict, result: ir.Value) -> None:
        """Store a reduced value at the kept indices, through the epilogue if any."""
        em = self._emitter(idx, 1, None)
        if self.nest.epilogue is not None:
            em.acc = result
            result = em.emit(self.nest.epilogue)
        em.store(self.nest.store, result)

    def _partial(self, lo: ir.Value, hi: ir.Value, idx: dict) -> ir.Value:
        """Reduction of the innermost reduced dim over [lo, hi) at the current outer point."""
        return self._partials(lo, hi, idx)[0]

    def _partials(self, lo: ir.Value, hi: ir.Value, idx: dict, lines: list | None = None,
                  start: ir.Value | None = None) -> list[ir.Value]:
        """:meth:`_partial`, or with ``lines`` (values of the last kept index) one per line,
        all in one pass over the reduced dim, each line with its own accumulators (the
        scalar ones set to ``start`` if given, else to the identity)."""
        b, width = self.b, self.sched.vector_width
        rdim, jdim = len(self.nest.shape) - 1, self.nest.n_kept - 1
        count = len(lines) if lines else 1
        sty = scalar_type(self.dtype)
        saccs = [alloca(b, sty, self._identity(1) if start is None else start, name="sacc") for _ in range(count)]
        vaccs = [alloca(b, vector_of(sty, width), self._identity(width), name="vacc") for _ in range(count)] \
            if width > 1 else []

        def step(em: ExprEmitter):
            slots = vaccs if em.width > 1 else saccs
            for u in range(count):
                if lines:  # this line's emitter (``_vector_loop`` made one for the current point)
                    idx[jdim] = lines[u]
                    em = self._emitter(idx, em.width, em.vdim)
                b.store(self._combine(b.load(slots[u]), em.emit(self.nest.value), em.width), slots[u])

        self._vector_loop(rdim, lo, hi, idx, step)
        parts = []
        for u in range(count):
            part = b.load(saccs[u])
            if vaccs:
                part = self._combine(self._hreduce(b.load(vaccs[u]), width), part, 1)
            parts.append(part)
        return parts

    # -- outer reductions ---------------------------------------------------------------------------------
    def _emit_outer(self) -> None:
        nest = self.nest
        nd, nk = len(nest.shape), nest.n_kept
        jdim = nk - 1
        idx: dict = {}

        def per_row():
            lo, hi = self._bounds(jdim)
            self._vector_loop(jdim, lo, hi, idx,
                              lambda em: em.store(nest.store, self._identity(em.width)))

            def accumulate(em: ExprEmitter):
                cur = em.load(nest.store)
                em.store(nest.store, self._combine(cur, em.emit(nest.value), em.width))

            def unrolled(em: ExprEmitter):  # OUTER_UNROLL rows into one load/store of the outputs
                cur = em.load(nest.store)
                for u in range(OUTER_UNROLL):
                    at = dict(idx)
                    at[nd - 1] = self.b.add(idx[nd - 1], i64(u))
                    row = ExprEmitter(self.b, self.ptrs, [at.get(d) for d in range(nd)], em.width, em.vdim,
                                      self.fast, self.sizes)
                    cur = self._combine(cur, row.emit(nest.value), em.width)
                em.store(nest.store, cur)

            def innermost():
                b = self.b
                n = self.sizes(nest.shape[nd - 1])
                split = b.mul(b.sdiv(n, i64(OUTER_UNROLL)), i64(OUTER_UNROLL))
                hints = loop_hints(b.module, unroll=False)
                with for_range(b, i64(0), split, OUTER_UNROLL, name="ru", hints=hints) as r:
                    idx[nd - 1] = r
                    self._vector_loop(jdim, lo, hi, idx, unrolled)
                with for_range(b, split, n, name="rt", hints=hints) as r:
                    idx[nd - 1] = r
                    self._vector_loop(jdim, lo, hi, idx, accumulate)

            if nd - 1 > jdim and self.sched.vector_width > 1:
                self._loops(list(range(nk, nd - 1)), idx, innermost)
            else:
                self._loops(list(range(nk, nd)), idx,
                            lambda: self._vector_loop(jdim, lo, hi, idx, accumulate))
            if nest.epilogue is not None:  # finish the row in place
                def finish(em: ExprEmitter):
                    em.acc = em.load(nest.store)
                    em.store(nest.store, em.emit(nest.epilogue))

                self._vector_loop(jdim, lo, hi, idx, finish)

        self._loops(list(range(jdim)), idx, per_row)

    # -- argmax / argmin ------------------------------------------------------------------------------------
    def _emit_arg(self) -> None:
        nest, b = self.nest, self.b
        nd, nk = len(nest.shape), nest.n_kept
        sty = scalar_type(self.dtype)
        idx: dict = {}
        extents = nest.shape[nk:]

        def visit():
            em = self._emitter(idx, 1, None)
            flat = i64(0)
            for d in range(nk, nd):
                flat = b.add(b.mul(flat, self.sizes(extents[d - nk])), idx[d])
            value, cur = em.emit(nest.value), b.load(best)
            better = self.red.better(self._ctx(1), value, cur)
            b.store(b.select(better, value, cur), best)
            b.store(b.select(better, flat, b.load(where)), where)

        def per_output():
            nonlocal best, where
            best = alloca(b, sty, self._identity(1), name="best")
            where = alloca(b, I64, i64(0), name="where")
            if self.sched.vector_width > 1:  # (one reduced loop: the schedule vectorizes no other)
                lo, n = self._bounds(nd - 1)
                split = self._arg_lanes(lo, n, idx, best, where)
                with for_range(b, split, n, name="s", hints=loop_hints(b.module, vectorize=False, unroll=False)) as i:
                    idx[nd - 1] = i
                    visit()
            else:
                self._loops(list(range(nk, nd)), idx, visit)
            self._emitter(idx, 1, None).store(nest.store, b.load(where))

        best = where = None
        self._loops(list(range(nk)), idx, per_output)

    def _arg_lanes(self, lo: ir.Value, n: ir.Value, idx: dict, best: ir.Value, where: ir.Value) -> ir.Value:
        """The whole W-lane blocks of the reduced loop over [lo, n): each lane keeps its own best value
        and first index (strictly better replaces, so a lane keeps its first of equals and
        its first NaN), then the lanes are combined in a tree that breaks ties of value
        (NaNs included) by the smaller index, into ``best``/``where``. Returns where the
        scalar tail starts (its indices come after every lane's, so strictly better still
        keeps the first best)."""
        b, width, rdim = self.b, self.sched.vector_width, len(self.nest.shape) - 1
        ctx = self._ctx(width)
        ity = vector_of(I64, width)
        vbest = alloca(b, vector_of(scalar_type(self.dtype), width), self._identity(width), name="vbest")
        vwhere = alloca(b, ity, ir.Constant(ity, [0] * width), name="vwhere")
        split = b.add(lo, b.mul(b.sdiv(b.sub(n, lo), i64(width)), i64(width)))
        lanes = ir.Constant(ity, list(range(width)))
        with for_range(b, lo, split, width, name="va",
                       hints=loop_hints(b.module, vectorize=False, unroll=False)) as i:
            idx[rdim] = i
            value, cur = self._emitter(idx, width, rdim).emit(self.nest.value), b.load(vbest)
            better = self.red.better(ctx, value, cur)
            b.store(b.select(better, value, cur), vbest)
            at = b.add(LowerCtx(b, width, np.dtype(np.int64)).splat(i), lanes)
            b.store(b.select(better, at, b.load(vwhere)), vwhere)
        value, pos = b.load(vbest), b.load(vwhere)
        while width > 1:
            half = width // 2
            pick = [ir.Constant(ir.VectorType(I32, half), list(range(k * half, (k + 1) * half))) for k in (0, 1)]
            (v0, v1), (p0, p1) = ([b.shuffle_vector(x, ir.Constant(x.type, ir.Undefined), m) for m in pick]
                                  for x in (value, pos))
            c = self._ctx(half)
            take = b.or_(self.red.better(c, v1, v0),
                         b.and_(b.not_(self.red.better(c, v0, v1)), b.icmp_signed("<", p1, p0)))
            value, pos, width = b.select(take, v1, v0), b.select(take, p1, p0), half
        zero = ir.Constant(I32, 0)
        b.store(b.extract_element(value, zero), best)
        b.store(b.extract_element(pos, zero), where)
        return split


class _Cascade:
    """Pairwise combination of block partials: level k holds the sum of 2**k blocks."""

    def __init__(self, owner: NestEmitter, ty: ir.Type):
        b = owner.b
        self.owner, self.b, self.ty = owner, b, ty
        self.levels = alloca(b, ir.ArrayType(ty, CASCADE_LEVELS), name="levels")
        self.count = alloca(b, I64, i64(0), name="count")

    def _level(self, k: ir.Value) -> ir.Value:
        return self.b.gep(self.levels, [i64(0), k], inbounds=True)

    def push(self, value: ir.Value) -> None:
        b = self.b
        carry = alloca(b, self.ty, value, name="carry")
        k = alloca(b, I64, i64(0), name="k")
        bits = alloca(b, I64, b.load(self.count), name="bits")

        def cond():
            return b.icmp_unsigned("!=", b.and_(b.load(bits), i64(1)), i64(0))

        def body():
            level = b.load(self._level(b.load(k)), typ=self.ty)
            b.store(self.owner._combine(level, b.load(carry), 1), carry)
            b.store(b.lshr(b.load(bits), i64(1)), bits)
            b.store(b.add(b.load(k), i64(1)), k)

        while_loop(b, cond, body, name="carry")
        b.store(b.load(carry), self._level(b.load(k)))
        b.store(b.add(b.load(self.count), i64(1)), self.count)

    def total(self) -> ir.Value:
        b = self.b
        acc = alloca(b, self.ty, self.owner._identity(1), name="sum")
        k = alloca(b, I64, i64(0), name="k")
        bits = alloca(b, I64, b.load(self.count), name="bits")

        def body():
            level = b.load(self._level(b.load(k)), typ=self.ty)
            has = b.icmp_unsigned("!=", b.and_(b.load(bits), i64(1)), i64(0))
            cur = b.load(acc)
            b.store(b.select(has, self.owner._combine(level, cur, 1), cur), acc)
            b.store(b.lshr(b.load(bits), i64(1)), bits)
            b.store(b.add(b.load(k), i64(1)), k)

        while_loop(b, lambda: b.icmp_unsigned("!=", b.load(bits), i64(0)), body, name="total")
        return b.load(acc)
