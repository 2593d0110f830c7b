"""Value sorts (``np.sort``) of long lines (``AlongAxis.net`` set, at least ``QUICK_MIN`` keys)
as a vectorized quicksort in the chunk's scratch block: partitions by compressing vectors
(``llvm.experimental.vector.compress``, AVX-512 ``vcompresspd``) to both ends of the other
half, ranges of at most one register block sorted by the bitonic network of ``sortnet.py``.
Design and figures: docs/design.md, "Long value sorts as a vectorized quicksort".

* **Keys.** The line is copied to half 0 (keys ``[0, P)``), ORing a flag per key: NaN or
  ``-0.0``; a line with one is copied again, numbers first, NaNs in line order after ``P``
  (as the network does), so partitions compare numbers with a plain ``<``. Half 1 starts at
  ``P`` plus the NaNs: the block holds ``P + n`` keys.
* **Partitions.** A range (an explicit stack: smaller part first, so it stays shallow) in
  one half is split around the median of three keys into the other half: keys ``< pivot``
  from the front, the rest from the back, a vector at a time (compress, masked store of the
  first lanes). When no key is smaller the pivot is the minimum: a second pass splits by
  ``<=``, and the keys equal to the pivot are done (copied to half 0 if they are in half 1).
  Every partition thus shrinks both parts. A range deeper than ``2 log2 n + 16`` (an input
  built against the median of three) abandons the quicksort: the line is radix sorted
  (``radix.py``) from the operand, so the worst case stays ``O(n)`` passes.
* **Leaves.** A range of at most one register block (``R w`` keys) is loaded with masked
  loads (the rest of the lanes the largest key), sorted in registers by the network's
  stages and stored to half 0 at its place.
* **Copy-out** as the network's: ``-0.0``/``0.0`` rewritten from the operand in line order,
  NaNs after the numbers in line order, so values are NumPy's stable sort's bit for bit.
"""
from __future__ import annotations

from llvmlite import ir

from tracejit.compiler.codegen.loops import alloca, for_range, i64, while_loop
from tracejit.compiler.codegen.lowerctx import I64, LowerCtx, declare, type_suffix
from tracejit.compiler.codegen.radix import RadixEmitter, radix_applies
from tracejit.compiler.codegen.sortnet import largest_key, network_size

QUICK_MIN = 4096  # value sorts of lines at least this long are quicksorted (measured: docs/design.md)
LEAF_MIN_REGS = 4  # the smallest leaf block (vectors)
STACK = 128  # ranges the explicit stack holds (depth is limited to 2 log2 n + 16 < 80)
I1 = ir.IntType(1)
I32 = ir.IntType(32)


def quick_applies(op: str, n: int, net: int) -> bool:
    """A network-planned (``net`` lanes) sort of lines of ``n`` keys is a quicksort."""
    return bool(net) and op == "sort" and n >= QUICK_MIN


class QuickSortEmitter(RadixEmitter):
    """Long value sorts by vectorized quicksort; everything else as :class:`RadixEmitter`."""

    def _sort(self, src: ir.Value, dst: ir.Value) -> None:
        """Sort one line (the hook ``AlongAxisEmitter.emit`` calls)."""
        a = self.a
        if not quick_applies(a.op, a.n, a.net) or not radix_applies(a.op, a.dtype, a.n):
            super()._sort(src, dst)
            return
        self._quick(src, dst)

    # -- vector helpers ----------------------------------------------------------------------
    def _call(self, name: str, ret: ir.Type, args: list[ir.Value]) -> ir.Value:
        fn = declare(self.b.module, name, ir.FunctionType(ret, [x.type for x in args]))
        return self.b.call(fn, args)

    def _masked_load(self, at: ir.Value, mask: ir.Value, passthru: ir.Value) -> ir.Value:
        return self._call(f"llvm.masked.load.{type_suffix(self._vt)}.p0", self._vt, [self._kp(at), mask, passthru])

    def _masked_store(self, v: ir.Value, at: ir.Value, mask: ir.Value) -> None:
        self._call(f"llvm.masked.store.{type_suffix(self._vt)}.p0", ir.VoidType(), [v, self._kp(at), mask])

    def _compress(self, v: ir.Value, mask: ir.Value) -> ir.Value:
        """The lanes of ``v`` where ``mask`` is set, moved to the front."""
        return self._call(f"llvm.experimental.vector.compress.{type_suffix(self._vt)}", self._vt,
                          [v, mask, ir.Constant(self._vt, ir.Undefined)])

    def _compress_store(self, v: ir.Value, at: ir.Value, mask: ir.Value) -> None:
        """The lanes of ``v`` where ``mask`` is set, stored in order from key ``at``."""
        self._call(f"llvm.masked.compressstore.{type_suffix(self._vt)}.p0", ir.VoidType(), [v, self._kp(at), mask])

    def _count(self, mask: ir.Value) -> ir.Value:
        """Set lanes of ``mask`` (an i64)."""
        it = ir.IntType(self._w)
        bits = self.b.bitcast(mask, it)
        return self.b.zext(self._call(f"llvm.ctpop.i{self._w}", it, [bits]), I64)

    def _first(self, k: ir.Value) -> ir.Value:
        """The mask of the first ``k`` lanes (an i64; all lanes from ``w``, none below 1)."""
        w = self._w
        lanes = ir.Constant(ir.VectorType(I64, w), list(range(w)))
        return self.b.icmp_signed("<", lanes, self._splat64(k))  # (none for k <= 0)

    def _splat64(self, k: ir.Value) -> ir.Value:
        b, w = self.b, self._w
        vty = ir.VectorType(I64, w)
        v = b.insert_element(ir.Constant(vty, ir.Undefined), k, ir.Constant(I32, 0))
        return b.shuffle_vector(v, ir.Constant(vty, ir.Undefined), ir.Constant(ir.VectorType(I32, w), [0] * w))

    # -- the sort ------------------------------------------------------------------------------
    def _quick(self, src: ir.Value, dst: ir.Value) -> None:
        b, a = self.b, self.a
        self._vctx = LowerCtx(b, self._w, a.dtype)
        p = network_size(a.n)
        floats = a.dtype.kind == "f"
        flag = self._net_in(src, 0)
        m = alloca(b, I64, i64(a.n), name="numbers")
        negzero = alloca(b, I64, i64(0), name="negzeros")
        if floats:
            with b.if_then(b.load(flag), likely=False):
                self._net_apart(src, m, negzero)
        failed = self._quick_ranges(b.load(m), b.add(i64(p), b.sub(i64(a.n), b.load(m))))
        with b.if_else(failed, likely=False) as (fallback, done):
            with fallback:  # (an input against the median of three: radix sort from the operand)
                self._radix(src, dst)
            with done:
                if floats:
                    with b.if_then(b.icmp_signed(">", b.load(negzero), i64(0)), likely=False):
                        self._zeros_in_order(src)
                self._net_out(dst, b.load(m), p, i64(0))

    def _quick_ranges(self, m: ir.Value, half1: ir.Value) -> ir.Value:
        """Sort keys ``[0, m)`` of half 0 (half 1 starts at key ``half1``); returns whether
        the quicksort gave up (a range too deep)."""
        b = self.b
        stack = {f: alloca(b, ir.ArrayType(I64, STACK), name=f"quick_{f}") for f in ("lo", "hi", "code", "depth")}
        sp = alloca(b, I64, i64(0), name="quick_sp")
        failed = alloca(b, I1, ir.Constant(I1, 0), name="quick_failed")
        limit = i64(2 * max(1, (self.a.n - 1).bit_length()) + 16)

        def slot(field: str, i: ir.Value) -> ir.Value:
            return b.gep(stack[field], [i64(0), i], inbounds=True)

        def push(lo: ir.Value, hi: ir.Value, code: ir.Value, depth: ir.Value) -> None:
            top = b.load(sp)
            with b.if_then(b.icmp_signed("<", lo, hi)):
                for field, value in (("lo", lo), ("hi", hi), ("code", code), ("depth", depth)):
                    b.store(value, slot(field, top))
                b.store(b.add(top, i64(1)), sp)

        push(i64(0), m, i64(0), i64(0))
        leaf = self._regs_quick * self._w

        def body() -> None:
            top = b.sub(b.load(sp), i64(1))
            b.store(top, sp)
            lo, hi = b.load(slot("lo", top)), b.load(slot("hi", top))
            code, depth = b.load(slot("code", top)), b.load(slot("depth", top))
            in1 = b.icmp_unsigned("!=", b.and_(code, i64(1)), i64(0))
            here = b.select(in1, half1, i64(0))
            there = b.select(in1, i64(0), half1)
            equal = b.icmp_unsigned("!=", b.and_(code, i64(2)), i64(0))
            size = b.sub(hi, lo)
            with b.if_else(equal) as (done, other):
                with done:  # keys equal to a pivot: in place once in half 0
                    with b.if_then(in1):
                        with self._loop(lo, hi, name="quick_equal") as i:
                            b.store(b.load(self._kp(b.add(half1, i)), typ=self._et), self._kp(i))
                with other:
                    with b.if_else(b.icmp_signed("<=", size, i64(leaf))) as (small, large):
                        with small:
                            self._leaf(b.add(here, lo), lo, size)
                        with large:
                            with b.if_else(b.icmp_signed(">", depth, limit), likely=False) as (deep, split):
                                with deep:
                                    b.store(ir.Constant(I1, 1), failed)
                                    b.store(i64(0), sp)
                                with split:
                                    self._split(lo, hi, here, there, code, depth, push)

        while_loop(b, lambda: b.icmp_signed(">", b.load(sp), i64(0)), body, name="quick")
        return b.load(failed)

    def _split(self, lo, hi, here, there, code, depth, push) -> None:
        """Partition range ``[lo, hi)`` of the half at ``here`` into the half at ``there``
        around a median of three; push both parts (the larger first)."""
        b = self.b
        size = b.sub(hi, lo)
        q = b.lshr(size, i64(2))
        keys = [b.load(self._kp(b.add(here, b.add(lo, b.mul(q, i64(k))))), typ=self._et) for k in (1, 2, 3)]
        x, y, z = keys
        lt = self._lt(y, x)
        lo_xy, hi_xy = b.select(lt, y, x), b.select(lt, x, y)
        hi2 = b.select(self._lt(z, hi_xy), z, hi_xy)
        pivot = b.select(self._lt(hi2, lo_xy), lo_xy, hi2)  # median of the three
        split = self._partition(lo, hi, here, there, pivot, "<")
        other = b.xor(b.and_(code, i64(1)), i64(1))
        deeper = b.add(depth, i64(1))
        with b.if_else(b.icmp_signed("==", split, lo), likely=False) as (least, normal):
            with least:  # the pivot is the minimum: keys equal to it are done
                split2 = self._partition(lo, hi, here, there, pivot, "<=")
                push(split2, hi, other, deeper)
                push(lo, split2, b.or_(other, i64(2)), deeper)
            with normal:
                left_small = b.icmp_signed("<", b.sub(split, lo), b.sub(hi, split))
                first_lo, first_hi = b.select(left_small, split, lo), b.select(left_small, hi, split)
                second_lo, second_hi = b.select(left_small, lo, split), b.select(left_small, split, hi)
                push(first_lo, first_hi, other, deeper)
                push(second_lo, second_hi, other, deeper)

    def _lt(self, x: ir.Value, y: ir.Value) -> ir.Value:
        """Scalar ``x < y`` at the keys' dtype."""
        return LowerCtx(self.b, 1, self.a.dtype).cmp("<", x, y)

    def _partition(self, lo, hi, here, there, pivot, op: str) -> ir.Value:
        """Keys ``[lo, hi)`` of the half at ``here``: those ``op pivot`` to the front of the same
        range of the half at ``there``, the rest to its back; returns where the back begins."""
        b, w = self.b, self._w
        left = alloca(b, I64, name="quick_left")
        right = alloca(b, I64, name="quick_right")
        b.store(lo, left)
        b.store(hi, right)
        pv = self._vctx.splat(pivot)
        full = b.add(lo, b.mul(b.udiv(b.sub(hi, lo), i64(w)), i64(w)))
        every = ir.Constant(ir.VectorType(I1, w), [1] * w)

        def one(v: ir.Value, valid: ir.Value) -> None:
            mk = self._vctx.cmp(op, v, pv)
            low = b.and_(mk, valid)
            high = b.and_(b.not_(mk), valid)
            k_low, k_high = self._count(low), self._count(high)
            at_low = b.load(left)
            at_high = b.sub(b.load(right), k_high)
            self._compress_store(v, b.add(there, at_low), low)
            self._compress_store(v, b.add(there, at_high), high)
            b.store(b.add(at_low, k_low), left)
            b.store(at_high, right)

        with self._loop(lo, full, step=w, name="quick_part") as i:
            one(self._vload(b.add(here, i)), every)
        rest = b.sub(hi, full)
        with b.if_then(b.icmp_signed(">", rest, i64(0))):
            valid = self._first(rest)
            one(self._masked_load(b.add(here, full), valid, ir.Constant(self._vt, ir.Undefined)), valid)
        return b.load(left)

    @property
    def _regs_quick(self) -> int:
        """Vectors of a leaf's register block: two squares up to 8 lanes, else one."""
        w = self._w
        return 2 * w if w <= 8 else w

    def _leaf(self, at: ir.Value, lo: ir.Value, size: ir.Value, regs: int | None = None) -> None:
        """Sort the ``size`` keys (at most one register block) from key ``at`` to half 0 at
        ``lo``: in a block of ``regs`` vectors, halved while the keys fit in half (down to
        ``LEAF_MIN_REGS``): a branch per block size."""
        b, w = self.b, self._w
        regs = regs or self._regs_quick
        if regs > LEAF_MIN_REGS:
            with b.if_else(b.icmp_signed("<=", size, i64(regs * w // 2))) as (half, whole):
                with half:
                    self._leaf(at, lo, size, regs // 2)
                with whole:
                    self._leaf_block(at, lo, size, regs)
            return
        self._leaf_block(at, lo, size, regs)

    def _leaf_block(self, at: ir.Value, lo: ir.Value, size: ir.Value, count: int) -> None:
        b, w = self.b, self._w
        big = ir.Constant(self._vt, [ir.Constant(self._et, largest_key(self.a.dtype))] * w)
        regs, masks = [], []
        for q in range(count):
            mask = self._first(b.sub(size, i64(q * w)) if q else size)
            masks.append(mask)
            regs.append(self._masked_load(b.add(at, i64(q * w)), mask, big))
        self._sort_block(regs)
        for q, (v, mask) in enumerate(zip(regs, masks)):
            self._masked_store(v, b.add(lo, i64(q * w)), mask)
