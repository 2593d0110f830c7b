"""Partition kernels in LLVM IR (``partition``, ``argpartition``): introselect of a few
ranks of each line, in place in the chunk's scratch block.

* **Copy-in**: the line goes to the block (with its positions, for ``argpartition``),
  numbers from the front, NaNs from the back, so NumPy's order (NaNs last) holds and the
  selection compares the ``m`` numbers with a plain ``<`` (``-0.0`` equal to ``0.0``, as
  NumPy's compare). A rank ``>= m`` is then already in place (a NaN).
* **Introselect**, one rank after another in ascending order (a loop over stack arrays
  of the ranks and their ranges: the code does not grow with their count), each in the range its
  neighbours leave: everything before the previous rank is settled, and every pivot
  placed while selecting a rank is a *fence* (all before it are smaller or equal, all
  after larger or equal) that bounds the range of the later ranks (``lo``/``hi`` per
  rank). A step takes the median of the range's first, middle and last keys as pivot,
  partitions by a branch-free Lomuto pass (Hoare's scans mispredict about every other
  key: 2.5x slower at a middle rank) and keeps the side holding the rank; when no key is
  smaller than the pivot, a second pass gathers its equals (runs of ties stay linear). A range
  whose rank is its first or last element ends with one scan for its minimum or maximum
  (``kth=[k, k+1]``, a median of an even count: the second rank costs one pass); a
  short range (< ``SMALL``) ends with an insertion sort. After ``2 log2(n)`` steps
  (bad pivots, an adversarial line) the range is heapsorted: O(n log n) at worst.
  A rank among a long range's first ``HEAP_RANKS`` (the k nearest, the 1st percentile
  of a short line) is a heapselect instead: a max-heap of the smallest so far, one
  well-predicted compare per key (Hoare's scans mispredict about every other key:
  ``argpartition(d2, 10)`` of (500, 5000) 39 -> 11 ms on one thread).
* **Copy-out**: keys (``partition``) or positions (``argpartition``) to the result.
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass

from llvmlite import ir

from tracejit.compiler.codegen.loops import alloca, for_range, i64, loop_hints
from tracejit.compiler.codegen.lowerctx import I64
from tracejit.compiler.codegen.scan_sort import INDEX, AlongAxisEmitter
from tracejit.compiler.ops.scan_sort import HEADS, INDEX_OPS

SMALL = 16  # ranges shorter than this end with an insertion sort
HEAP_RANKS = 128  # a rank among a range's first this many is found by heapselect...
HEAP_SPAN = 8  # ... when the range is at least this many times longer


@dataclass(frozen=True)
class Ranks:
    """Stack arrays of the ranks to select and each one's current range ``[lo, hi]``."""

    rank: ir.Value
    lo: ir.Value
    hi: ir.Value
    count: int

    def at(self, b: ir.IRBuilder, array: ir.Value, j: ir.Value) -> ir.Value:
        """Pointer to element ``j`` of ``array`` (one of this record's)."""
        return b.gep(array, [i64(0), j], inbounds=True)


class SelectEmitter(AlongAxisEmitter):
    """The partition of every line in tasks ``begin``..``end`` (``AlongAxisEmitter`` for the line loop)."""

    # -- small IR helpers ----------------------------------------------------------------
    @contextmanager
    def _while(self, cond_fn, name: str):
        """``while cond_fn(): <body>``; the body is the ``with`` block."""
        b = self.b
        fn = b.function
        head, body, done = (fn.append_basic_block(f"{name}.{s}") for s in ("head", "body", "done"))
        b.branch(head)
        b.position_at_end(head)
        b.cbranch(cond_fn(), body, done)
        b.position_at_end(body)
        yield done
        if not b.block.is_terminated:
            b.branch(head)
        b.position_at_end(done)

    def _slot(self, value: ir.Value, name: str) -> ir.Value:
        return alloca(self.b, I64, value, name=name)

    def _item(self, i: ir.Value) -> tuple[ir.Value, ir.Value | None]:
        """The key at block position ``i`` and, for a head of a sort, its line position."""
        return self._key(i), self._pos(i) if self.a.op in HEADS else None

    def _before(self, x: tuple, y: tuple) -> ir.Value:
        """Item ``x`` orders before item ``y``: by key, and for a head of a sort ties by
        line position (so the selection and the sort of the head are the stable sort's)."""
        b = self.b
        less = self.less(x[0], y[0])
        if x[1] is None:
            return less
        return b.or_(less, b.and_(self.ctx.cmp("==", x[0], y[0]), b.icmp_signed("<", x[1], y[1])))

    def _lt(self, i: ir.Value, j: ir.Value) -> ir.Value:
        """Item ``i`` orders before item ``j`` (block positions)."""
        return self._before(self._item(i), self._item(j))

    def _swap(self, i: ir.Value, j: ir.Value) -> None:
        ki, kj = self._key(i), self._key(j)
        self._set_key(i, kj)
        self._set_key(j, ki)
        if self.a.index is not None:
            pi, pj = self._pos(i), self._pos(j)
            self._set_pos(i, pj)
            self._set_pos(j, pi)

    def _swap_if(self, cond: ir.Value, i: ir.Value, j: ir.Value) -> None:
        with self.b.if_then(cond):
            self._swap(i, j)

    # -- the line ------------------------------------------------------------------------
    def _sort(self, src: ir.Value, dst: ir.Value) -> None:
        """Partition one line (the name is the hook ``AlongAxisEmitter.emit`` calls)."""
        b, a = self.b, self.a
        if a.op in HEADS:
            self._head(src, dst)
            return
        m = self._fill(src)
        count = len(a.kth) + 2 * len(a.nanq)
        ranks = Ranks(*(alloca(b, ir.ArrayType(I64, count), name=n) for n in ("ranks", "lo", "hi")), count)
        for j, k in enumerate(a.kth):
            b.store(i64(k), ranks.at(b, ranks.rank, i64(j)))
        if a.nanq:
            self._nan_ranks(m, ranks, len(a.kth))
        for j in range(count):
            b.store(i64(0), ranks.at(b, ranks.lo, i64(j)))
            b.store(b.sub(m, i64(1)), ranks.at(b, ranks.hi, i64(j)))
        with self._loop(0, count, name="rank") as j:  # one loop over the ranks: code independent of their count
            k = b.load(ranks.at(b, ranks.rank, j))
            previous = b.load(ranks.at(b, ranks.rank, b.sub(self._max(j, i64(1)), i64(1))))
            fresh = b.or_(b.icmp_signed("==", j, i64(0)), b.icmp_signed(">", k, previous))  # (nanq: repeats)
            with b.if_then(b.and_(fresh, b.icmp_signed("<", k, m))):  # a rank in the NaNs is in place
                settled = b.select(b.icmp_signed(">", j, i64(0)), b.add(previous, i64(1)), i64(0))
                first = self._max(b.load(ranks.at(b, ranks.lo, j)), settled)
                self._select(k, first, b.load(ranks.at(b, ranks.hi, j)), (ranks, j))
        self._copy_out(dst)

    def _nan_ranks(self, m: ir.Value, ranks: Ranks, start: int) -> None:
        """Store from ``start`` on the ranks NumPy's linear nanquantile reads among the ``m``
        numbers for each of ``nanq``: ``floor((m - 1) * q)`` and the next (both ``m - 1``
        when that is at least ``m - 1``), computed in float64 as NumPy computes the virtual
        index; then sort all ranks (a few: an insertion sort; equal ones are skipped)."""
        b = self.b
        last = b.sub(m, i64(1))
        last_f = b.sitofp(last, ir.DoubleType())
        for i, q in enumerate(self.a.nanq):
            virtual = b.fmul(last_f, ir.Constant(ir.DoubleType(), float(q)))
            above = b.fcmp_ordered(">=", virtual, last_f)
            floor = b.fptosi(virtual, I64)  # (virtual >= 0 where it is read: truncation is floor)
            b.store(b.select(above, last, floor), ranks.at(b, ranks.rank, i64(start + 2 * i)))
            b.store(b.select(above, last, b.add(floor, i64(1))), ranks.at(b, ranks.rank, i64(start + 2 * i + 1)))
        hints = loop_hints(b.module, vectorize=False, unroll=False)
        with for_range(b, 1, ranks.count, name="rank_sort", hints=hints) as i:  # (a bubble sort)
            with for_range(b, 0, b.sub(i64(ranks.count), i), name="rank_pass", hints=hints) as t:
                here, there = ranks.at(b, ranks.rank, t), ranks.at(b, ranks.rank, b.add(t, i64(1)))
                x, y = b.load(here), b.load(there)
                swap = b.icmp_signed(">", x, y)
                b.store(b.select(swap, y, x), here)
                b.store(b.select(swap, x, y), there)

    def _copy_out(self, dst: ir.Value) -> None:
        a = self.a
        out = a.op in INDEX_OPS
        with for_range(self.b, 0, a.out_n, name="out") as i:  # (vectorized)
            value = self._pos(i) if out else self._key(i)
            self.store(a.dst.buffer, self._at(dst, i, a.dst.strides[-1]), value, INDEX if out else a.dtype)

    def _head(self, src: ir.Value, dst: ir.Value) -> None:
        """The first ``k`` of the stable sort: the numbers first, NaNs after them in line
        order (``_copy_in``); rank ``k - 1`` of the numbers by (key, position), then the
        ``k`` first sorted by (key, position)."""
        b, a = self.b, self.a
        k = a.out_n
        m = self._copy_in(src, 0)
        with b.if_then(b.icmp_signed("<", i64(k - 1), m)):
            self._select(i64(k - 1), i64(0), b.sub(m, i64(1)), None)
        last = b.sub(self._min(m, i64(k)), i64(1))
        if k <= SMALL:
            self._insertion(i64(0), last)
        else:
            self._heapsort(i64(0), last)
        self._copy_out(dst)

    def _max(self, x: ir.Value, y: ir.Value) -> ir.Value:
        return self.b.select(self.b.icmp_signed(">", x, y), x, y)

    def _fill(self, src: ir.Value) -> ir.Value:
        """Copy the line into the block (a loop LLVM vectorizes, counting NaNs); a line
        holding NaNs is copied again, numbers from the front and NaNs from the back (NaN
        last, as NumPy). Returns how many numbers ``m``."""
        b, a = self.b, self.a
        arg = a.op in INDEX_OPS
        nans = self._slot(i64(0), "nans")
        with for_range(b, 0, a.n, name="in") as i:
            x = self.load(a.src.buffer, self._at(src, i, a.src.strides[-1]), a.dtype)
            self._set_key(i, x)
            if arg:
                self._set_pos(i, i)
            if a.dtype.kind == "f":
                b.store(b.add(b.load(nans), b.zext(self.ctx.isnan(x), I64)), nans)
        if a.dtype.kind != "f":
            return i64(a.n)
        with b.if_then(b.icmp_signed(">", b.load(nans), i64(0)), likely=False):
            self._copy_nans_last(src, i64(a.n - 1), -1, arg, "nan_in")
        return b.sub(i64(a.n), b.load(nans))

    # -- introselect ---------------------------------------------------------------------
    def _select(self, kk: ir.Value, first: ir.Value, last: ir.Value, later: tuple | None) -> None:
        """Put rank ``kk`` in place within ``[first, last]`` (inclusive; fenced on both
        sides): a heapselect when it is among the range's first few (top-k), else an
        introselect."""
        b = self.b
        few = b.add(b.sub(kk, first), i64(1))
        heap = b.and_(b.icmp_signed("<=", few, i64(HEAP_RANKS)),
                      b.icmp_signed(">=", b.sub(last, first), b.mul(few, i64(HEAP_SPAN))))
        with b.if_else(heap) as (small, large):
            with small:
                self._heapselect(kk, first, last)
            with large:
                self._introselect(kk, first, last, later)

    def _heapselect(self, kk: ir.Value, lo: ir.Value, hi: ir.Value) -> None:
        """Rank ``kk`` of ``[lo, hi]`` by a max-heap of the ``kk - lo + 1`` smallest so far:
        one compare per key (rarely true once the heap holds small keys), no partition passes."""
        b = self.b
        size = b.add(b.sub(kk, lo), i64(1))
        start = self._slot(b.sdiv(size, i64(2)), "hsel_start")
        with self._while(lambda: b.icmp_signed(">", b.load(start), i64(0)), "hsel_heapify"):
            s = b.sub(b.load(start), i64(1))
            b.store(s, start)
            self._sift(lo, s, size)
        with self._loop(b.add(kk, i64(1)), b.add(hi, i64(1)), name="hsel") as i:
            with b.if_then(self._lt(i, lo), likely=False):
                self._swap(i, lo)
                self._sift(lo, i64(0), size)
        self._swap(lo, kk)

    def _introselect(self, kk: ir.Value, first: ir.Value, last: ir.Value, later: tuple | None) -> None:
        """Introselect of rank ``kk`` in ``[first, last]``; pivots placed narrow the ranges
        of the ranks after the ``j``-th of ``ranks`` (``later = (ranks, j)``)."""
        b = self.b
        left, right = self._slot(first, "l"), self._slot(last, "r")
        steps = self._slot(i64(0), "steps")
        limit = 2 * max(1, self.a.n.bit_length())

        def more():
            ll, rr = b.load(left), b.load(right)
            wide = b.icmp_signed(">=", b.sub(rr, ll), i64(SMALL))
            inner = b.and_(b.icmp_signed("!=", kk, ll), b.icmp_signed("!=", kk, rr))
            return b.and_(b.and_(wide, inner), b.icmp_signed("<", b.load(steps), i64(limit)))

        with self._while(more, "select"):
            b.store(b.add(b.load(steps), i64(1)), steps)
            ll, rr = b.load(left), b.load(right)
            p, q = self._lomuto(ll, rr)  # [p, q]: keys equal to the pivot, in place
            if later is not None:
                self._fence(p, *later)
                self._fence(q, *later)
            b.store(b.select(b.icmp_signed(">", p, kk), b.sub(p, i64(1)), rr), right)
            b.store(b.select(b.icmp_signed("<", q, kk), b.add(q, i64(1)), ll), left)
            done = b.and_(b.icmp_signed("<=", p, kk), b.icmp_signed("<=", kk, q))
            with b.if_then(done):  # rank in place: empty the range
                b.store(kk, left)
                b.store(kk, right)
        ll, rr = b.load(left), b.load(right)
        short = b.icmp_signed("<", b.sub(rr, ll), i64(SMALL))
        with b.if_else(short) as (small, large):
            with small:
                self._insertion(ll, rr)
            with large:
                at_left = b.icmp_signed("==", kk, ll)
                at_right = b.icmp_signed("==", kk, rr)
                with b.if_else(b.or_(at_left, at_right)) as (end, deep):
                    with end:
                        self._extreme(ll, rr, at_left)
                    with deep:  # too many steps: heapsort what is left
                        self._heapsort(ll, rr)

    def _fence(self, p: ir.Value, ranks: Ranks, j: ir.Value) -> None:
        """Pivot position ``p`` bounds the range of every rank after the ``j``-th."""
        b = self.b
        with self._loop(b.add(j, i64(1)), ranks.count, name="fence") as t:
            k2 = b.load(ranks.at(b, ranks.rank, t))
            hi2, lo2 = ranks.at(b, ranks.hi, t), ranks.at(b, ranks.lo, t)
            b.store(b.select(b.icmp_signed(">=", p, k2), self._min(b.load(hi2), p), b.load(hi2)), hi2)
            b.store(b.select(b.icmp_signed("<=", p, k2), self._max(b.load(lo2), p), b.load(lo2)), lo2)

    def _lomuto_pass(self, start: ir.Value, hi: ir.Value, pivot: tuple, strict: bool) -> ir.Value:
        """Branch-free Lomuto pass over ``[start, hi]``: keys before ``pivot`` (or not
        after it, ``strict=False``) gather at the front; returns where the rest begins."""
        b = self.b
        store = self._slot(start, "lstore")
        arg = self.a.index is not None
        with self._loop(start, b.add(hi, i64(1)), name="lomuto") as i:
            s = b.load(store)
            x = self._item(i)
            xk, xp = x[0], self._pos(i) if arg else None
            yk, yp = self._key(s), self._pos(s) if arg else None
            self._set_key(i, yk)
            self._set_key(s, xk)
            if arg:
                self._set_pos(i, yp)
                self._set_pos(s, xp)
            smaller = self._before(x, pivot) if strict else b.not_(self._before(pivot, x))
            b.store(b.add(s, b.zext(smaller, I64)), store)
        return b.load(store)

    def _lomuto(self, lo: ir.Value, hi: ir.Value) -> tuple[ir.Value, ir.Value]:
        """Partition ``[lo, hi]`` around the median of its first, middle and last keys by a
        branch-free Lomuto pass (Hoare's scans mispredict about every other key); returns
        ``(p, q)``: the pivot's position and the last of the keys equal to it after it (a
        second pass, only when no key is smaller than the pivot, gathers its equals, so
        runs of ties cannot make the steps linear)."""
        b = self.b
        mid = b.add(lo, b.lshr(b.sub(hi, lo), i64(1)))
        self._swap_if(self._lt(mid, lo), mid, lo)
        self._swap_if(self._lt(hi, mid), hi, mid)
        self._swap_if(self._lt(mid, lo), mid, lo)
        self._swap(mid, lo)
        pivot = self._item(lo)
        p = b.sub(self._lomuto_pass(b.add(lo, i64(1)), hi, pivot, True), i64(1))
        self._swap(lo, p)
        q = self._slot(p, "equal_end")
        with b.if_then(b.icmp_signed("==", p, lo), likely=False):
            b.store(b.sub(self._lomuto_pass(b.add(lo, i64(1)), hi, pivot, False), i64(1)), q)
        return p, b.load(q)

    def _insertion(self, lo: ir.Value, hi: ir.Value) -> None:
        """Sort ``[lo, hi]`` by insertion (short ranges)."""
        b = self.b
        arg = self.a.index is not None
        by_position = self.a.op in HEADS
        with for_range(b, b.add(lo, i64(1)), b.add(hi, i64(1)), name="ins",
                       hints=loop_hints(b.module, vectorize=False, unroll=False)) as i:
            key = self._key(i)
            pos = self._pos(i) if arg else None
            j = self._slot(i, "ij")
            fn = b.function
            head, body, test, done = (fn.append_basic_block(f"ins.{s}") for s in ("head", "body", "test", "done"))
            b.branch(head)
            b.position_at_end(head)
            jj = b.load(j)
            b.cbranch(b.icmp_signed(">", jj, lo), test, done)
            b.position_at_end(test)
            prev = b.sub(jj, i64(1))
            b.cbranch(self._before((key, pos if by_position else None), self._item(prev)), body, done)
            b.position_at_end(body)
            self._set_key(jj, self._key(prev))
            if arg:
                self._set_pos(jj, self._pos(prev))
            b.store(prev, j)
            b.branch(head)
            b.position_at_end(done)
            jj = b.load(j)
            self._set_key(jj, key)
            if arg:
                self._set_pos(jj, pos)

    def _extreme(self, lo: ir.Value, hi: ir.Value, at_left: ir.Value) -> None:
        """Move the minimum (``at_left``) or maximum of ``[lo, hi]`` to that end."""
        b = self.b
        end = b.select(at_left, lo, hi)
        best = self._slot(end, "best")
        best_key = alloca(b, self._key(end).type, self._key(end), name="best_key")
        best_pos = alloca(b, I64, self._pos(end), name="best_pos") if self.a.op in HEADS else None
        with self._loop(lo, b.add(hi, i64(1)), name="extreme") as i:
            xi = self._item(i)
            xb = (b.load(best_key), None if best_pos is None else b.load(best_pos))
            better = b.select(at_left, self._before(xi, xb), self._before(xb, xi))
            b.store(b.select(better, i, b.load(best)), best)
            b.store(b.select(better, xi[0], xb[0]), best_key)
            if best_pos is not None:
                b.store(b.select(better, xi[1], xb[1]), best_pos)
        self._swap(end, b.load(best))

    def _heapsort(self, lo: ir.Value, hi: ir.Value) -> None:
        """Sort ``[lo, hi]`` by heapsort (the fallback after too many partition steps)."""
        b = self.b
        n = b.add(b.sub(hi, lo), i64(1))
        start = self._slot(b.sdiv(n, i64(2)), "hs_start")
        with self._while(lambda: b.icmp_signed(">", b.load(start), i64(0)), "heapify"):
            s = b.sub(b.load(start), i64(1))
            b.store(s, start)
            self._sift(lo, s, n)
        end = self._slot(n, "hs_end")
        with self._while(lambda: b.icmp_signed(">", b.load(end), i64(1)), "heappop"):
            e = b.sub(b.load(end), i64(1))
            b.store(e, end)
            self._swap(lo, b.add(lo, e))
            self._sift(lo, i64(0), e)

    def _sift(self, lo: ir.Value, root: ir.Value, n: ir.Value) -> None:
        """Sift heap node ``root`` (of the max-heap of ``n`` keys at ``lo``) down."""
        b = self.b
        node = self._slot(root, "node")
        fn = b.function
        head, body, done = (fn.append_basic_block(f"sift.{s}") for s in ("head", "body", "done"))
        b.branch(head)
        b.position_at_end(head)
        child = b.add(b.mul(b.load(node), i64(2)), i64(1))
        b.cbranch(b.icmp_signed("<", child, n), body, done)
        b.position_at_end(body)
        right = b.add(child, i64(1))
        has_right = b.icmp_signed("<", right, n)
        right_at = b.select(has_right, right, child)
        bigger = b.select(self._lt(b.add(lo, child), b.add(lo, right_at)), right_at, child)
        cur = b.load(node)
        swap = b.function.append_basic_block("sift.swap")
        b.cbranch(self._lt(b.add(lo, cur), b.add(lo, bigger)), swap, done)
        b.position_at_end(swap)
        self._swap(b.add(lo, cur), b.add(lo, bigger))
        b.store(bigger, node)
        b.branch(head)
        b.position_at_end(done)
