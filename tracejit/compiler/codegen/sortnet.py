"""Value sorts (``np.sort``, not ``argsort``: the network is not stable) of lines of
``NET_MIN`` to ``NET_MAX`` keys as a vectorized bitonic sorting network (``AlongAxis.net``
lanes ``w``, chosen by ``schedule/scan_sort.py``); longer lines (``AlongAxis.quick``) are
quicksorted with this network's register blocks as leaves (``quicksort.py``); other sorts
keep the merge sort (``scan_sort.py``) or the radix sort (``radix.py``). The key block's
vectors and the line copies are ``sortkeys.py``'s. Design and figures: docs/design.md,
"Value sorts as a bitonic network" and "Short and long value sorts (session 11)".

* **One block.** A contiguous line of at most one register block is read from the operand
  into registers (the last vector's lanes one by one, padding as constant registers),
  sorted and written straight to a contiguous result: no scratch at all (a NaN or ``-0.0``
  read: the general way below).

* **Keys.** The network sorts ``P`` keys (``n`` rounded up to a power of two) in the chunk's
  scratch block; only the first ``n`` rounded up to whole register blocks are padded (with
  the largest key: ``+inf``, an int's maximum) and read, since a compare-exchange with a
  padding key (always at the larger position) changes nothing and is skipped.
* **Copy-in.** Full register blocks of a contiguous line are read from the operand by the
  register stages themselves (the rest is copied first), ORing a flag per key: NaN or
  ``-0.0``. A line with one (rare) is copied again -- numbers from the front, NaNs in line
  order after the ``P`` keys, so the network compares with a plain ``<`` -- and the register
  stages run again.
* **The network** is the bitonic sort whose first layer of every stage compares mirrored
  positions (the minimum always first, no direction flips); a compare-exchange is a vector
  min and max. Register blocks of ``w`` vectors of ``w`` lanes: Batcher's odd-even network
  sorts the columns across the registers, stages ``2w`` and ``4w`` run on that transposed
  block, which is then transposed; further stages up to ``w^2`` run with vertical layers,
  those within a vector on the transposed block. Longer stages (one run-time loop): a pass of
  the mirrored layer fused with the half-cleaner at ``s/4``, half-cleaner passes down to
  ``w^2``, one register pass for the rest. Short lines have fewer registers than lanes and
  use lane shuffles (``shufflevector``, min, max, a blend) for layers within a vector.
* **Copy-out.** The last stage writes full blocks straight to a contiguous result; the rest
  of the ``m`` sorted numbers follow, then the NaNs in line order. A line with a ``-0.0`` gets
  its zeros rewritten from the operand in line order first (they follow the negatives), so
  values are NumPy's stable sort's bit for bit, NaN payloads included, as the merge and radix
  sorts give. The operand is read before the result is written (``x.sort()`` sorts in place).
"""
from __future__ import annotations

from llvmlite import ir

from tracejit.compiler.codegen.loops import alloca, i64
from tracejit.compiler.codegen.lowerctx import I64, LowerCtx
from tracejit.compiler.codegen.sortkeys import KeyBlockEmitter, largest_key, network_size

I32 = ir.IntType(32)
REGISTERS = 8  # vectors of keys a register pass holds (the x86-64 AVX-512 file has 32)
FUSED_PARTS = 16  # the mirrored pass of a long stage holds this many vectors (and does their half-cleaners)
SQUARES_UP_TO = 8  # lanes up to which a register block is two square blocks (16 x 8 f8 on AVX-512)
TRANSPOSED_STAGES = 4  # stages up to this many vectors' keys run on the transposed block after the column sort


def _merge_pairs(lo: int, hi: int, r: int):
    step = r * 2
    if step < hi - lo:
        yield from _merge_pairs(lo, hi, step)
        yield from _merge_pairs(lo + r, hi, step)
        yield from ((i, i + r) for i in range(lo + r, hi - r, step))
    else:
        yield lo, lo + r


def odd_even_network(n: int) -> list[tuple[int, int]]:
    """Batcher's odd-even merge sort of ``n`` (a power of two) inputs: compare-exchanges
    ``(i, j)``, ``i < j`` getting the minimum (19 for 8 inputs, 63 for 16)."""
    def sort_range(lo: int, hi: int):
        if hi - lo >= 1:
            mid = lo + (hi - lo) // 2
            yield from sort_range(lo, mid)
            yield from sort_range(mid + 1, hi)
            yield from _merge_pairs(lo, hi, 1)
    return list(sort_range(0, n - 1))


class NetworkEmitter(KeyBlockEmitter):
    """Value sorts by a bitonic network where ``AlongAxis.net`` is set; the rest as before."""

    def _sort(self, src: ir.Value, dst: ir.Value) -> None:
        """Sort one line (the hook ``AlongAxisEmitter.emit`` calls)."""
        if not self.a.net:
            super()._sort(src, dst)
            return
        self._network_sort(src, dst)

    # -- vectors -------------------------------------------------------------------------
    def _net_exchange(self, x: ir.Value, y: ir.Value) -> tuple[ir.Value, ir.Value]:
        """(min, max) lane by lane: ``y`` first only when strictly smaller."""
        b = self.b
        c = self._vctx.cmp("<", y, x)
        return b.select(c, y, x), b.select(c, x, y)

    def _net_shuffle(self, x: ir.Value, y: ir.Value, mask: list[int]) -> ir.Value:
        return self.b.shuffle_vector(x, y, ir.Constant(ir.VectorType(I32, len(mask)), mask))

    def _net_reverse(self, v: ir.Value) -> ir.Value:
        return self._net_shuffle(v, v, list(range(self._w - 1, -1, -1)))

    def _net_lanes(self, v: ir.Value, partner: list[int]) -> ir.Value:
        """One layer whose compare-exchanges pair lanes of ``v``: the lower lane of each pair gets the min."""
        w = self._w
        lo, hi = self._net_exchange(v, self._net_shuffle(v, v, partner))
        return self._net_shuffle(lo, hi, [lane if lane < partner[lane] else w + lane for lane in range(w)])

    # -- layers on registers ---------------------------------------------------------------
    def _net_flip(self, regs: list[ir.Value], s: int) -> None:
        """First layer of stage ``s`` (sorted runs of ``s / 2`` become runs of ``s``): each
        key of a block of ``s`` against its mirror image."""
        w = self._w
        if s <= w:
            partner = [(lane & ~(s - 1)) + s - 1 - (lane & (s - 1)) for lane in range(w)]
            regs[:] = [self._net_lanes(v, partner) for v in regs]
            return
        g = s // w
        for base in range(0, len(regs), g):
            for j in range(g // 2):
                lo, hi = self._net_exchange(regs[base + j], self._net_reverse(regs[base + g - 1 - j]))
                regs[base + j], regs[base + g - 1 - j] = lo, self._net_reverse(hi)

    def _net_half(self, regs: list[ir.Value], d: int) -> None:
        """Half-cleaner layer at distance ``d``: key ``i`` against ``i + d`` where ``i & d == 0``."""
        w = self._w
        if d < w:
            partner = [lane ^ d for lane in range(w)]
            regs[:] = [self._net_lanes(v, partner) for v in regs]
            return
        g = d // w
        for r in range(len(regs)):
            if (r // g) % 2 == 0:
                regs[r], regs[r + g] = self._net_exchange(regs[r], regs[r + g])

    def _net_cleaners(self, regs: list[ir.Value], top: int) -> None:
        """Half-cleaners at distances ``top``, ``top / 2`` ... 1. With as many registers as
        lanes, the distances within a vector run on the transposed block (vertical
        compare-exchanges between registers, no lane shuffles) and it is transposed back."""
        d, w = top, self._w
        while d >= w or (d >= 1 and len(regs) % w):
            self._net_half(regs, d)
            d //= 2
        for g in range(0, len(regs), w) if d >= 1 else ():  # each square block
            square = self._net_transpose(regs[g:g + w])
            e = d
            while e >= 1:
                for r in range(w):
                    if not r & e:
                        square[r], square[r + e] = self._net_exchange(square[r], square[r + e])
                e //= 2
            regs[g:g + w] = self._net_transpose(square)

    def _transposed_stage(self, regs: list[ir.Value], s: int) -> None:
        """Stage ``s`` (``2 w`` or ``4 w``) on a transposed square block (key ``l w + r`` in lane
        ``l`` of register ``r``): the mirror of ``(r, l)`` is ``(w - 1 - r, l ^ (s / w - 1))``,
        the lower of the two the one whose lane has bit ``s / 2 w`` clear; half-cleaners from
        ``w`` up are lane shuffles, those below ``w`` vertical."""
        b, w = self.b, self._w
        g = s // w
        swap = [lane ^ (g - 1) for lane in range(w)]
        low = ir.Constant(ir.VectorType(ir.IntType(1), w), [int(not lane & (g // 2)) for lane in range(w)])
        for r in range(w // 2):
            lo, hi = self._net_exchange(regs[r], self._net_shuffle(regs[w - 1 - r], regs[w - 1 - r], swap))
            regs[r] = b.select(low, lo, hi)
            other = b.select(low, hi, lo)
            regs[w - 1 - r] = self._net_shuffle(other, other, swap)
        d = s // 4
        while d >= w:
            partner = [lane ^ (d // w) for lane in range(w)]
            regs[:] = [self._net_lanes(v, partner) for v in regs]
            d //= 2
        while d >= 1:
            for r in range(w):
                if not r & d:
                    regs[r], regs[r + d] = self._net_exchange(regs[r], regs[r + d])
            d //= 2

    def _net_transpose(self, regs: list[ir.Value]) -> list[ir.Value]:
        """The square block of ``w`` registers of ``w`` lanes transposed (``w log2 w`` shuffles)."""
        w, out = self._w, list(regs)
        k = w // 2
        while k >= 1:
            for i in range(w):
                if not i & k:
                    a, c = out[i], out[i + k]
                    out[i] = self._net_shuffle(a, c, [lane if not lane & k else w + lane - k for lane in range(w)])
                    out[i + k] = self._net_shuffle(a, c, [lane + k if not lane & k else w + lane for lane in range(w)])
            k //= 2
        return out

    # -- the sort --------------------------------------------------------------------------
    @property
    def _regs(self) -> int:
        """Vectors in a register block: square blocks of ``w`` vectors (two of them for lanes
        of up to ``SQUARES_UP_TO`` where that reads no more padding), fewer for short lines."""
        w, p, n = self._w, network_size(self.a.n), self.a.n
        if w > 2 * REGISTERS:
            return min(REGISTERS, p // w)
        two = w <= SQUARES_UP_TO and -(-n // (2 * w * w)) * 2 == -(-n // (w * w))  # (no more padding read)
        return min(w * (2 if two else 1), p // w)

    @property
    def _used(self) -> int:
        """Keys of the block the network reads: ``n`` rounded up to whole register blocks.
        The rest up to ``P`` would be padding, and a compare-exchange with a padding key
        (always at the larger position) leaves both keys as they are: those are skipped."""
        rw = self._regs * self._w
        return -(-self.a.n // rw) * rw

    def _network_sort(self, src: ir.Value, dst: ir.Value) -> None:
        b, a = self.b, self.a
        self._vctx = LowerCtx(b, self._w, a.dtype)
        if a.n <= self._regs * self._w and a.src.strides[-1] == 1 and a.dst.strides[-1] == 1:
            with b.if_then(self._one_block(src, dst), likely=False):  # (a NaN or -0.0: the general way)
                self._general_sort(src, dst)
            return
        self._general_sort(src, dst)

    def _general_sort(self, src: ir.Value, dst: ir.Value) -> None:
        b, a = self.b, self.a
        w, p = self._w, network_size(a.n)
        r = self._regs
        rw = r * w
        floats = a.dtype.kind == "f"
        # full register blocks of a contiguous line are read from the operand by the first
        # attempt at the register stages (only the rest is copied in first); a line with a
        # NaN or a -0.0 is then copied apart and the register stages run again on the block
        full = a.n // rw if a.src.strides[-1] == 1 else 0
        vflag = alloca(b, ir.VectorType(ir.IntType(1), w), ir.Constant(ir.VectorType(ir.IntType(1), w), [0] * w),
                       name="vspecial")
        flag = self._net_in(src, full * rw)
        m = alloca(b, I64, i64(a.n), name="numbers")
        negzero = alloca(b, I64, i64(0), name="negzeros")
        self._net_pad(b.load(m), self._used)
        with self._loop(0, 2, name="net_attempt") as attempt:
            first = b.icmp_signed("==", attempt, i64(0))
            if floats:
                flagged = b.or_(b.load(flag), b.icmp_unsigned("!=", b.bitcast(b.load(vflag), ir.IntType(w)),
                                                            ir.Constant(ir.IntType(w), 0)))
                again = b.and_(b.not_(first), flagged)
                with b.if_then(again, likely=False):
                    self._net_apart(src, m, negzero)
                    self._net_pad(b.load(m), self._used)
                go = b.or_(first, again)
            else:
                go = first
            with b.if_then(go):
                self._register_stages(src, first, full, vflag)
        direct = ir.Constant(ir.IntType(1), 1)
        if floats:
            direct = b.and_(b.icmp_signed("==", b.load(negzero), i64(0)), b.icmp_signed("==", b.load(m), i64(a.n)))
        lw, lrw, lp = w.bit_length() - 1, rw.bit_length() - 1, p.bit_length() - 1
        out_full = a.n // rw if a.dst.strides[-1] == 1 and p > rw else 0  # blocks the last stage writes out
        # stages 2 R W .. P, one loop (its layers' distances are run-time shifts: code size
        # and compile time stay flat in P)
        with self._loop(lrw + 1, lp + 1, name="net_stage") as k:
            # the mirrored layer, fused with the half-cleaners at s / 4 .. s / 16 where those are passes
            self._flip_passes(p, k, lw, lrw)
            fused = FUSED_PARTS.bit_length() - 1  # (the passes at s / 4 .. s / 2**fused)
            with self._loop(0, b.sub(k, i64(lrw + fused)), name="net_halves") as h:
                self._half_pass(p, b.sub(k, b.add(h, i64(fused + 1))), lw)
            last = b.and_(direct, b.icmp_signed("==", k, i64(lp)))  # full blocks straight to the result
            with self._loop(0, self._used // rw, name="net_regs") as blk:
                base = b.mul(blk, i64(rw))
                regs = [self._vload(b.add(base, i64(q * w))) for q in range(r)]
                self._net_cleaners(regs, rw // 2)
                out = b.and_(last, b.icmp_signed("<", blk, i64(out_full)))
                for q, v in enumerate(regs):
                    at = b.add(base, i64(q * w))
                    ptr = b.select(out, self._ptr(a.dst.buffer, b.add(dst, at), a.dtype), self._kp(at))
                    b.store(v, ptr, align=a.dtype.itemsize)
        if floats:
            with b.if_then(b.icmp_signed(">", b.load(negzero), i64(0)), likely=False):
                self._zeros_in_order(src)
        self._net_out(dst, b.load(m), p, b.select(direct, i64(out_full * rw), i64(0)))

    def _register_stages(self, src: ir.Value, first: ir.Value, full: int, vflag: ir.Value) -> None:
        """Stages 2 .. R W, a register block at a time: blocks below ``full`` are read from
        the (contiguous) operand on the ``first`` attempt, ORing their special keys into ``vflag``."""
        b, a, w = self.b, self.a, self._w
        r = self._regs
        rw = r * w
        with self._loop(0, self._used // rw, name="net_block") as blk:
            base = b.mul(blk, i64(rw))
            from_src = b.and_(first, b.icmp_signed("<", blk, i64(full)))
            regs = []
            for q in range(r):
                at = b.add(base, i64(q * w))
                ptr = b.select(from_src, self._ptr(a.src.buffer, b.add(src, at), a.dtype), self._kp(at))
                regs.append(b.load(ptr, typ=self._vt, align=a.dtype.itemsize))
            if full and a.dtype.kind == "f":
                special = self._net_special(regs[0], self._vctx)
                for v in regs[1:]:
                    special = b.or_(special, self._net_special(v, self._vctx))
                b.store(b.or_(b.load(vflag), special), vflag)
            self._sort_block(regs)
            for q, v in enumerate(regs):
                self._vstore(b.add(base, i64(q * w)), v)

    def _sort_block(self, regs: list[ir.Value]) -> None:
        """Stages 2 .. R W on one register block (``regs``, sorted in place)."""
        w, r = self._w, len(regs)
        s = 2
        if r % w == 0:  # columns sorted across each square: runs of w in the transposed square
            for g in range(0, r, w):
                square = regs[g:g + w]
                for i, j in odd_even_network(w):
                    square[i], square[j] = self._net_exchange(square[i], square[j])
                s = 2 * w
                while s <= min(TRANSPOSED_STAGES * w, w * w):
                    self._transposed_stage(square, s)
                    s *= 2
                regs[g:g + w] = self._net_transpose(square)
        while s <= r * w:
            self._net_flip(regs, s)
            self._net_cleaners(regs, s // 4)
            s *= 2

    def _one_block(self, src: ir.Value, dst: ir.Value) -> ir.Value:
        """A contiguous line of at most one register block sorted from the operand straight
        to the contiguous result, keys past ``n`` the largest key in registers (no copy-in,
        padding or copy-out); returns a flag (floats: a NaN or ``-0.0`` was read, nothing
        written: the caller sorts the line the general way)."""
        b, a, w = self.b, self.a, self._w
        n, itemsize = a.n, a.dtype.itemsize
        big = ir.Constant(self._et, largest_key(a.dtype))
        regs = []
        for q in range(self._regs):
            lanes = min(w, max(0, n - q * w))
            if lanes == w:
                ptr = self._ptr(a.src.buffer, b.add(src, i64(q * w)), a.dtype)
                regs.append(b.load(ptr, typ=self._vt, align=itemsize))
                continue
            v = ir.Constant(self._vt, [big] * w)
            for lane in range(lanes):
                x = b.load(self._ptr(a.src.buffer, b.add(src, i64(q * w + lane)), a.dtype), typ=self._et,
                           align=itemsize)
                v = b.insert_element(v, x, ir.Constant(I32, lane))
            regs.append(v)
        special = ir.Constant(ir.IntType(1), 0)
        if a.dtype.kind == "f":
            flags = self._net_special(regs[0], self._vctx)
            for v in regs[1:-(-n // w)]:
                flags = b.or_(flags, self._net_special(v, self._vctx))
            special = b.icmp_unsigned("!=", b.bitcast(flags, ir.IntType(w)), ir.Constant(ir.IntType(w), 0))
        with b.if_then(b.not_(special), likely=True):
            self._sort_block(regs)
            for q, v in enumerate(regs):
                lanes = min(w, max(0, n - q * w))
                if lanes == w:
                    b.store(v, self._ptr(a.dst.buffer, b.add(dst, i64(q * w)), a.dtype), align=itemsize)
                for lane in range(lanes if lanes < w else 0):
                    b.store(b.extract_element(v, ir.Constant(I32, lane)),
                            self._ptr(a.dst.buffer, b.add(dst, i64(q * w + lane)), a.dtype), align=itemsize)
        return special

    def _flip_pass(self, p: int, k: ir.Value, lw: int) -> None:
        """The mirrored layer of stage ``s = 2**k`` (> R W) over the whole block."""
        b, w = self.b, self._w
        lh = b.sub(k, i64(lw + 1))  # vector pairs per block of s: 2**lh
        with self._loop(0, p // (2 * w), name="net_flip") as t:
            block = b.shl(b.lshr(t, lh), k)
            j = b.shl(b.and_(t, b.sub(b.shl(i64(1), lh), i64(1))), i64(lw))
            start = b.add(block, j)
            mirror = b.sub(b.add(block, b.sub(b.shl(i64(1), k), i64(w))), j)
            with b.if_then(b.icmp_signed("<", mirror, i64(self._used))):  # (else against padding: no change)
                lo, hi = self._net_exchange(self._vload(start), self._net_reverse(self._vload(mirror)))
                self._vstore(start, lo)
                self._vstore(mirror, self._net_reverse(hi))

    def _flip_passes(self, p: int, k: ir.Value, lw: int, lrw: int, parts: int = FUSED_PARTS) -> None:
        """The mirrored layer of stage ``2**k`` with as many of its half-cleaner passes as
        ``parts`` (at most) vectors hold: a branch per count, from ``parts`` down."""
        b = self.b
        if parts < 4:
            self._flip_pass(p, k, lw)
            return
        with b.if_else(b.icmp_signed(">=", k, i64(lrw + parts.bit_length() - 1))) as (enough, fewer):
            with enough:
                self._flip_half_pass(p, k, lw, parts)
            with fewer:
                self._flip_passes(p, k, lw, lrw, parts // 2)

    def _flip_half_pass(self, p: int, k: ir.Value, lw: int, parts: int) -> None:
        """The mirrored layer of stage ``s = 2**k`` and its half-cleaners from ``s / 4`` down
        to ``2 s / parts`` (all >= R W) in one pass: one vector in each of ``parts`` parts of
        a block of ``s`` (the front half's from their starts, the back half's mirrored from
        their ends) close under those layers."""
        b, w = self.b, self._w
        lp = parts.bit_length() - 1
        lq = b.sub(k, i64(lw + lp))  # vectors per part of a block of s: 2**lq
        part = b.lshr(b.shl(i64(1), k), i64(lp))
        with self._loop(0, p // (parts * w), name=f"net_flip_half{parts}") as t:
            block = b.shl(b.lshr(t, lq), k)
            j = b.shl(b.and_(t, b.sub(b.shl(i64(1), lq), i64(1))), i64(lw))
            at = [b.add(b.add(block, b.mul(part, i64(u))), j if u < parts // 2 else b.sub(b.sub(part, i64(w)), j))
                  for u in range(parts)]
            with b.if_then(b.icmp_signed("<", at[1], i64(self._used))):  # (else only padding changes)
                big = ir.Constant(self._vt, [ir.Constant(self._et, largest_key(self.a.dtype))] * w)
                v = [b.select(b.icmp_signed("<", x, i64(self._used)), self._vload(x), big) for x in at]
                for u in range(parts // 2):
                    lo, hi = self._net_exchange(v[u], self._net_reverse(v[parts - 1 - u]))
                    v[u], v[parts - 1 - u] = lo, self._net_reverse(hi)
                d = parts // 4
                while d >= 1:
                    for u in range(parts):
                        if not u & d:
                            v[u], v[u + d] = self._net_exchange(v[u], v[u + d])
                    d //= 2
                for x, value in zip(at, v):
                    self._vstore(x, value)  # (padding past the keys used stays the largest key)

    def _half_pass(self, p: int, ld: ir.Value, lw: int) -> None:
        """A half-cleaner layer at distance ``d = 2**ld`` (>= R W) over the whole block."""
        b, w = self.b, self._w
        with self._loop(0, p // (2 * w), name="net_half") as t:
            e = b.shl(t, i64(lw))
            i = b.add(b.shl(b.lshr(e, ld), b.add(ld, i64(1))), b.and_(e, b.sub(b.shl(i64(1), ld), i64(1))))
            j = b.add(i, b.shl(i64(1), ld))
            with b.if_then(b.icmp_signed("<", j, i64(self._used))):  # (else against padding: no change)
                lo, hi = self._net_exchange(self._vload(i), self._vload(j))
                self._vstore(i, lo)
                self._vstore(j, hi)
