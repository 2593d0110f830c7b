"""Value sorts (``np.sort``) of long lines (``AlongAxis.quick``, planned by
``schedule/scan_sort.py``: more than ``QUICK_MIN`` keys, not a power of two the network
sorts without padding) as a vectorized quicksort in the chunk's scratch block; ranges of at most one register block are
sorted by the bitonic network's register stages (``sortnet.py``). Argsorts keep the stable
radix and merge sorts. Design and figures: docs/design.md, "Long value sorts: a vectorized
quicksort".

* **Partitions.** A range is split around the median of three medians of three of its keys
  into the same range of the block's other half: a vector at a time, the keys ``< pivot``
  compress-stored (``llvm.masked.compressstore``: AVX-512 ``vcompresspd``) from the front,
  the rest from the back. Ranges wait on an explicit stack (the smaller part on top, so it
  stays within ``log2 n + 2``), with their half and depth. When no key is smaller than the
  pivot it is the minimum: a second pass splits by ``<=`` and the keys equal to it are done,
  so every partition shrinks both parts. A range deeper than ``2 log2 n + 16`` (an input
  built against the pivot choice) is heapsorted: the worst case stays ``O(n log n)``.
* **Keys.** The first partition reads a contiguous operand itself (no copy-in: the line
  goes to half 0; half 1 starts at ``P``, ``n`` rounded up to a power of two), ORing a flag
  per key: NaN or ``-0.0``. A line with one (rare; or a strided operand with one, copied in
  first) is copied again as the network does -- numbers from the front, NaNs in line order
  after ``P`` (half 1 then starts after them) -- and sorted from half 0 with a plain ``<``.
* **Leaves.** A range of at most one register block (``2 w`` vectors of ``w`` lanes up to 8
  lanes, else ``w``; halved while the keys fit, down to 4 vectors) is read with masked loads
  (other lanes the largest key), sorted in registers and written with masked stores straight
  to a contiguous result when the line has no NaN or ``-0.0`` (else to half 0, then copied
  out as the network's: zeros rewritten from the operand in line order, NaNs last in line
  order), so values are NumPy's stable sort's bit for bit, NaN payloads included. The operand
  is read whole by the first partition before a leaf writes (``x.sort()`` is in place).
"""
from __future__ import annotations

from llvmlite import ir

from tracejit.compiler.codegen.loops import alloca, i64, while_loop
from tracejit.compiler.codegen.lowerctx import I64, LowerCtx, declare, type_suffix
from tracejit.compiler.codegen.radix import RadixEmitter
from tracejit.compiler.codegen.sortkeys import largest_key, network_size

LEAF_MIN_REGS = 4  # the smallest leaf block (vectors)
STACK = 128  # ranges the explicit stack holds (the smaller part first: at most log2 n + 2)
DEPTH_FACTOR, DEPTH_EXTRA = 2, 16  # ranges deeper than 2 log2 n + 16 are heapsorted
I1 = ir.IntType(1)
I32 = ir.IntType(32)


class QuickSortEmitter(RadixEmitter):
    """Long value sorts by vectorized quicksort; everything else as :class:`RadixEmitter`."""

    def _sort(self, src: ir.Value, dst: ir.Value) -> None:
        """Sort one line (the hook ``AlongAxisEmitter.emit`` calls)."""
        if not self.a.quick:
            super()._sort(src, dst)
            return
        self._quick(src, dst)

    # -- vector helpers ----------------------------------------------------------------------
    def _call(self, name: str, ret: ir.Type, args: list[ir.Value]) -> ir.Value:
        fn = declare(self.b.module, name, ir.FunctionType(ret, [x.type for x in args]))
        return self.b.call(fn, args)

    def _masked_load(self, ptr: ir.Value, mask: ir.Value, passthru: ir.Value) -> ir.Value:
        return self._call(f"llvm.masked.load.{type_suffix(self._vt)}.p0", self._vt, [ptr, mask, passthru])

    def _masked_store(self, v: ir.Value, ptr: ir.Value, mask: ir.Value) -> None:
        self._call(f"llvm.masked.store.{type_suffix(self._vt)}.p0", ir.VoidType(), [v, ptr, mask])

    def _compress_store(self, v: ir.Value, ptr: ir.Value, mask: ir.Value) -> None:
        """The lanes of ``v`` where ``mask`` is set, stored in order from ``ptr``."""
        self._call(f"llvm.masked.compressstore.{type_suffix(self._vt)}.p0", ir.VoidType(), [v, ptr, mask])

    def _count(self, mask: ir.Value) -> ir.Value:
        """Set lanes of ``mask`` (an i64)."""
        it = ir.IntType(self._w)
        return self.b.zext(self._call(f"llvm.ctpop.i{self._w}", it, [self.b.bitcast(mask, it)]), I64)

    def _first(self, k: ir.Value) -> ir.Value:
        """The mask of the first ``k`` lanes (all lanes from ``w``, none below 1)."""
        b, w = self.b, self._w
        vty = ir.VectorType(I64, w)
        v = b.insert_element(ir.Constant(vty, ir.Undefined), k, ir.Constant(I32, 0))
        splat = b.shuffle_vector(v, ir.Constant(vty, ir.Undefined), ir.Constant(ir.VectorType(I32, w), [0] * w))
        return b.icmp_signed("<", ir.Constant(vty, list(range(w))), splat)

    def _lt(self, x: ir.Value, y: ir.Value) -> ir.Value:
        """Scalar ``x < y`` at the keys' dtype."""
        return LowerCtx(self.b, 1, self.a.dtype).cmp("<", x, y)

    # -- the sort ------------------------------------------------------------------------------
    def _quick(self, src: ir.Value, dst: ir.Value) -> None:
        b, a = self.b, self.a
        self._vctx = LowerCtx(b, self._w, a.dtype)
        n, p = a.n, network_size(a.n)
        floats = a.dtype.kind == "f"
        m = alloca(b, I64, i64(n), name="numbers")
        negzero = alloca(b, I64, i64(0), name="negzeros")
        # sorted keys go straight to a contiguous result unless the line holds a NaN or -0.0
        direct = alloca(b, I1, ir.Constant(I1, int(a.dst.strides[-1] == 1)), name="quick_direct")
        self._stack = {f: alloca(b, ir.ArrayType(I64, STACK), name=f"quick_{f}") for f in ("lo", "hi", "code", "depth")}
        self._sp = alloca(b, I64, i64(0), name="quick_sp")
        if a.src.strides[-1] == 1:  # the first partition reads the operand (no copy-in)
            special = self._split(i64(0), i64(n), lambda i: self._ptr(a.src.buffer, b.add(src, i), a.dtype),
                                  i64(p), i64(1), i64(0), floats)
            if floats:
                with b.if_then(special, likely=False):  # copied apart, NaNs after P, sorted from half 0
                    b.store(i64(0), self._sp)
                    b.store(ir.Constant(I1, 0), direct)
                    self._net_apart(src, m, negzero)
                    self._push(i64(0), b.load(m), i64(0), i64(0))
        else:
            flag = self._net_in(src, 0)
            if floats:
                with b.if_then(b.load(flag), likely=False):
                    b.store(ir.Constant(I1, 0), direct)
                    self._net_apart(src, m, negzero)
            self._push(i64(0), b.load(m), i64(0), i64(0))
        half1 = b.add(i64(p), b.sub(i64(n), b.load(m)))  # (past the NaNs)
        self._ranges(half1, b.load(direct), dst)
        with b.if_then(b.not_(b.load(direct))):
            if floats:
                with b.if_then(b.icmp_signed(">", b.load(negzero), i64(0)), likely=False):
                    self._zeros_in_order(src)
            self._net_out(dst, b.load(m), p, i64(0))

    def _push(self, lo: ir.Value, hi: ir.Value, code: ir.Value, depth: ir.Value) -> None:
        """Push range ``[lo, hi)`` (if not empty): ``code`` bit 0 its half, bit 1 all keys equal."""
        b = self.b
        top = b.load(self._sp)
        with b.if_then(b.icmp_signed("<", lo, hi)):
            for field, value in (("lo", lo), ("hi", hi), ("code", code), ("depth", depth)):
                b.store(value, b.gep(self._stack[field], [i64(0), top], inbounds=True))
            b.store(b.add(top, i64(1)), self._sp)

    def _ranges(self, half1: ir.Value, direct: ir.Value, dst: ir.Value) -> None:
        """Sort the stacked ranges (half 1 starts at key ``half1``) to half 0, or to the
        result where ``direct``."""
        b, a, w = self.b, self.a, self._w
        limit = i64(DEPTH_FACTOR * max(1, (a.n - 1).bit_length()) + DEPTH_EXTRA)
        leaf = self._regs_quick * w

        def out(i: ir.Value) -> ir.Value:
            return b.select(direct, self._ptr(a.dst.buffer, b.add(dst, i), a.dtype), self._kp(i))

        def body() -> None:
            top = b.sub(b.load(self._sp), i64(1))
            b.store(top, self._sp)
            lo, hi, code, depth = (b.load(b.gep(self._stack[f], [i64(0), top], inbounds=True))
                                   for f in ("lo", "hi", "code", "depth"))
            in1 = b.icmp_unsigned("!=", b.and_(code, i64(1)), i64(0))
            here = b.select(in1, half1, i64(0))
            size = b.sub(hi, lo)
            with b.if_else(b.icmp_unsigned("!=", b.and_(code, i64(2)), i64(0))) as (equal, other):
                with equal:  # keys equal to a pivot: only copied, if not already in place
                    with b.if_then(b.or_(in1, direct)):
                        self._copy(here, lo, hi, out)
                with other:
                    with b.if_else(b.icmp_signed("<=", size, i64(leaf))) as (small, large):
                        with small:
                            self._leaf(b.add(here, lo), out(lo), size)
                        with large:
                            with b.if_else(b.icmp_signed(">", depth, limit), likely=False) as (deep, split):
                                with deep:  # (an input against the median of three)
                                    self._heapsort(b.add(here, lo), size)
                                    self._copy(here, lo, hi, out)
                                with split:
                                    there = b.select(in1, i64(0), half1)
                                    self._split(lo, hi, lambda i: self._kp(b.add(here, i)), there,
                                                b.xor(b.and_(code, i64(1)), i64(1)), b.add(depth, i64(1)), False)

        while_loop(b, lambda: b.icmp_signed(">", b.load(self._sp), i64(0)), body, name="quick")

    def _copy(self, here: ir.Value, lo: ir.Value, hi: ir.Value, out) -> None:
        """Keys ``[lo, hi)`` of the half at ``here`` to ``out(i)``."""
        b = self.b
        with self._loop(lo, hi, name="quick_copy") as i:
            b.store(b.load(self._kp(b.add(here, i)), typ=self._et), out(i))

    def _split(self, lo, hi, at, there, code, depth, special: bool) -> ir.Value | None:
        """Partition keys ``[lo, hi)`` read at ``at(i)`` around the median of three medians of three into the same
        range of the half at ``there`` (``code``: its half bit) and push both parts (the
        larger first); with ``special``, returns whether the keys held a NaN or ``-0.0``."""
        b = self.b
        q = b.udiv(b.sub(hi, lo), i64(10))
        keys = [b.load(at(b.add(lo, b.mul(q, i64(k)))), typ=self._et) for k in range(1, 10)]
        pivot = self._median3(*(self._median3(*keys[k:k + 3]) for k in (0, 3, 6)))  # the ninther
        split, flag = self._partition(lo, hi, at, there, pivot, "<", special)
        with b.if_else(b.icmp_signed("==", split, lo), likely=False) as (least, normal):
            with least:  # the pivot is the minimum: the keys equal to it are done
                split2, _ = self._partition(lo, hi, at, there, pivot, "<=", False)
                self._push(split2, hi, code, depth)
                self._push(lo, split2, b.or_(code, i64(2)), depth)
            with normal:
                left_small = b.icmp_signed("<", b.sub(split, lo), b.sub(hi, split))
                self._push(b.select(left_small, split, lo), b.select(left_small, hi, split), code, depth)
                self._push(b.select(left_small, lo, split), b.select(left_small, split, hi), code, depth)
        return flag

    def _median3(self, x: ir.Value, y: ir.Value, z: ir.Value) -> ir.Value:
        b = self.b
        lt = self._lt(y, x)
        lo, hi = b.select(lt, y, x), b.select(lt, x, y)
        hi = b.select(self._lt(z, hi), z, hi)
        return b.select(self._lt(hi, lo), lo, hi)

    def _partition(self, lo, hi, at, there, pivot, op: str, special: bool) -> tuple[ir.Value, ir.Value | None]:
        """Keys ``[lo, hi)`` read at ``at(i)``: those ``op pivot`` to the front of the same range
        of the half at ``there``, the rest to its back; returns where the back begins (and,
        with ``special``, whether a key was a NaN or ``-0.0``)."""
        b, w = self.b, self._w
        left, right = alloca(b, I64, name="quick_left"), alloca(b, I64, name="quick_right")
        b.store(lo, left)
        b.store(hi, right)
        vflag = None
        if special:
            zero = ir.Constant(ir.VectorType(I1, w), [0] * w)
            vflag = alloca(b, zero.type, zero, name="quick_special")
        pv = self._vctx.splat(pivot)
        full = b.add(lo, b.mul(b.udiv(b.sub(hi, lo), i64(w)), i64(w)))

        def one(v: ir.Value, valid: ir.Value | None) -> None:
            low = self._vctx.cmp(op, v, pv)
            high = b.not_(low)
            if valid is not None:
                low, high = b.and_(low, valid), b.and_(high, valid)
            k_low, k_high = self._count(low), self._count(high)
            at_low, at_high = b.load(left), b.sub(b.load(right), k_high)
            self._compress_store(v, self._kp(b.add(there, at_low)), low)
            self._compress_store(v, self._kp(b.add(there, at_high)), high)
            b.store(b.add(at_low, k_low), left)
            b.store(at_high, right)
            if vflag is not None:
                flags = self._net_special(v, self._vctx)
                b.store(b.or_(b.load(vflag), flags if valid is None else b.and_(flags, valid)), vflag)

        with self._loop(lo, full, step=w, name="quick_part") as i:
            one(b.load(at(i), typ=self._vt, align=self.a.dtype.itemsize), None)
        rest = b.sub(hi, full)
        with b.if_then(b.icmp_signed(">", rest, i64(0))):
            valid = self._first(rest)
            one(self._masked_load(at(full), valid, ir.Constant(self._vt, ir.Undefined)), valid)
        flag = None
        if vflag is not None:
            flag = b.icmp_unsigned("!=", b.bitcast(b.load(vflag), ir.IntType(w)), ir.Constant(ir.IntType(w), 0))
        return b.load(left), flag

    @property
    def _regs_quick(self) -> int:
        """Vectors of the largest leaf block: two squares up to 8 lanes, else one."""
        w = self._w
        return 2 * w if w <= 8 else w

    def _leaf(self, at: ir.Value, out: ir.Value, size: ir.Value, regs: int | None = None) -> None:
        """Sort the ``size`` keys (at most one register block) from key ``at`` to ``out``: in a
        block of ``regs`` vectors, halved while the keys fit in half (down to
        ``LEAF_MIN_REGS``): a branch per block size."""
        b = self.b
        regs = regs or self._regs_quick
        if regs > LEAF_MIN_REGS:
            with b.if_else(b.icmp_signed("<=", size, i64(regs * self._w // 2))) as (half, whole):
                with half:
                    self._leaf(at, out, size, regs // 2)
                with whole:
                    self._leaf_block(at, out, size, regs)
            return
        self._leaf_block(at, out, size, regs)

    def _leaf_block(self, at: ir.Value, out: ir.Value, size: ir.Value, count: int) -> None:
        b, w = self.b, self._w
        big = ir.Constant(self._vt, [ir.Constant(self._et, largest_key(self.a.dtype))] * w)
        regs, masks = [], []
        for q in range(count):
            mask = self._first(b.sub(size, i64(q * w)) if q else size)
            masks.append(mask)
            regs.append(self._masked_load(self._kp(b.add(at, i64(q * w))), mask, big))
        self._sort_block(regs)
        for q, (v, mask) in enumerate(zip(regs, masks)):
            ptr = b.gep(out, [i64(q * w)], inbounds=True, source_etype=self._et)
            self._masked_store(v, ptr, mask)

    def _heapsort(self, at: ir.Value, size: ir.Value) -> None:
        """Heapsort the ``size`` keys from key ``at`` in place (ranges too deep for quicksort)."""
        b = self.b
        root = alloca(b, I64, name="heap_root")

        def key(i: ir.Value) -> ir.Value:
            return b.load(self._kp(b.add(at, i)), typ=self._et)

        def sift(start: ir.Value, end: ir.Value) -> None:  # the max-heap property below start, keys [0, end)
            b.store(start, root)

            def step() -> None:
                r = b.load(root)
                child = b.add(b.mul(r, i64(2)), i64(1))
                right = b.add(child, i64(1))
                bigger = b.and_(b.icmp_signed("<", right, end), self._lt(key(child), key(b.select(
                    b.icmp_signed("<", right, end), right, child))))
                child = b.select(bigger, right, child)
                x, y = key(r), key(child)
                with b.if_else(self._lt(x, y)) as (swap, stop):
                    with swap:
                        b.store(y, self._kp(b.add(at, r)))
                        b.store(x, self._kp(b.add(at, child)))
                        b.store(child, root)
                    with stop:
                        b.store(end, root)

            while_loop(b, lambda: b.icmp_signed("<", b.add(b.mul(b.load(root), i64(2)), i64(1)), end), step,
                       name="heap_sift")

        with self._loop(0, b.sdiv(size, i64(2)), name="heap_build") as j:
            sift(b.sub(b.sub(b.sdiv(size, i64(2)), i64(1)), j), size)
        with self._loop(1, size, name="heap_sort") as j:
            end = b.sub(size, j)
            x, y = key(i64(0)), key(end)
            b.store(y, self._kp(at))
            b.store(x, self._kp(b.add(at, end)))
            sift(i64(0), end)
