"""LSD radix sort of long lines in the chunk's scratch block (two halves of ``n``, as the
merge sort's): ``sort``/``argsort`` of at least ``RADIX_MIN`` keys (sorts of 8-byte keys:
``RADIX_MIN_WIDE``); shorter lines keep the merge sort of ``scan_sort.py``, and value sorts
of 4- and 8-byte numbers (``AlongAxis.net`` set) the bitonic network of ``sortnet.py`` or
the quicksort of ``quicksort.py``: this radix sort serves mainly argsorts and 1- and 2-byte keys.

* **Keys** are the values' bits made monotone unsigned integers: ints flip the sign bit;
  bools and unsigned ints are their own keys; floats flip every bit of a negative and
  the sign bit of a positive, with ``-0.0`` mapped to ``+0.0``'s key (NumPy's compare
  makes them equal, and a stable sort keeps their input order) and every NaN to the
  all-ones key (after ``+inf``: NumPy sorts NaNs last, in order, in a stable sort).
* One pass over the line writes the keys (and positions, for ``argsort``) to the
  block's first half and counts every digit's histogram at once (``DIGIT_BITS``-bit
  digits, counts in ``i32``). Each digit then either is skipped -- every key in one
  bucket (common for exponent bytes and small ints), found from the first key's bucket
  -- or turns its counts into offsets and scatters the keys (and positions) stably into
  the other half. Least significant digit first: the result is the stable sort's,
  exactly ``kind='stable'``.
* **Copy-out**: positions (``argsort``) or keys turned back into values. Floats whose
  line held a NaN or a ``-0.0`` (counted in the first pass) are turned back in the
  block first and get their zeros and NaNs rewritten from the operand in line order
  (the zeros start after the negatives, the NaNs at ``n - nans``), so every value,
  ``-0.0`` and NaN payloads included, is bit for bit the stable sort's; the operand is
  read before the result is written (``x.sort()`` may sort in place).
"""
from __future__ import annotations

import numpy as np
from llvmlite import ir

from tracejit.compiler.codegen.loops import alloca, for_range, i64
from tracejit.compiler.codegen.lowerctx import I64
from tracejit.compiler.codegen.scan_sort import INDEX
from tracejit.compiler.codegen.sortnet import NetworkEmitter

RADIX_MIN = 512  # lines at least this long are radix sorted (measured crossover: docs/design.md) ...
RADIX_MIN_WIDE = 1024  # ... and sorts (not argsorts) of 8-byte keys from this long (8 digit passes)
RADIX_KINDS = "biuf"
I32 = ir.IntType(32)
_INF_BITS = {2: 0x7C00, 4: 0x7F800000, 8: 0x7FF0000000000000}


def radix_applies(op: str, dtype: np.dtype, n: int) -> bool:
    """The sort of lines of ``n`` keys of ``dtype`` is a radix sort."""
    dtype = np.dtype(dtype)
    least = RADIX_MIN_WIDE if op == "sort" and dtype.itemsize == 8 else RADIX_MIN
    return (op in ("sort", "argsort") and n >= least and n < 1 << 31 and dtype.kind in RADIX_KINDS
            and (dtype.kind != "f" or dtype.itemsize in _INF_BITS))


def digit_bits(n: int) -> int:
    """Bits per digit: 11 for long lines (fewer passes), 8 for shorter ones (smaller histograms)."""
    return 11 if n >= 1 << 16 else 8


class RadixEmitter(NetworkEmitter):
    """Sorts of long lines by LSD radix sort; everything else as :class:`NetworkEmitter`."""

    def _sort(self, src: ir.Value, dst: ir.Value) -> None:
        """Sort one line (the hook ``AlongAxisEmitter.emit`` calls)."""
        a = self.a
        if a.net or not radix_applies(a.op, a.dtype, a.n):
            super()._sort(src, dst)
            return
        self._radix(src, dst)

    # -- keys ------------------------------------------------------------------------------
    @property
    def _ut(self) -> ir.IntType:
        return ir.IntType(8 * self.a.dtype.itemsize)

    def _sign(self) -> ir.Constant:
        return ir.Constant(self._ut, 1 << (self._ut.width - 1))

    def _src_bits(self, src: ir.Value, i: ir.Value) -> ir.Value:
        a, b = self.a, self.b
        ptr = self._ptr(a.src.buffer, self._at(src, i, a.src.strides[-1]), a.dtype)
        return b.load(ptr, typ=self._ut, align=a.dtype.itemsize)

    def _abs_nan_zero(self, x: ir.Value) -> tuple[ir.Value, ir.Value]:
        """(x is a NaN, x is a zero of either sign), on a float's bits."""
        b, ut = self.b, self._ut
        mag = b.and_(x, ir.Constant(ut, (1 << (ut.width - 1)) - 1))
        inf = ir.Constant(ut, _INF_BITS[self.a.dtype.itemsize])
        return b.icmp_unsigned(">", mag, inf), b.icmp_unsigned("==", mag, ir.Constant(ut, 0))

    def _to_key(self, x: ir.Value) -> tuple[ir.Value, ir.Value | None]:
        """The monotone key of bits ``x`` and, for floats, (is a NaN, is a negative number)."""
        b, ut, kind = self.b, self._ut, self.a.dtype.kind
        if kind == "i":
            return b.xor(x, self._sign()), None
        if kind != "f":
            return x, None
        nan, zero = self._abs_nan_zero(x)
        x = b.select(zero, ir.Constant(ut, 0), x)
        neg = b.icmp_signed("<", x, ir.Constant(ut, 0))
        key = b.select(neg, b.not_(x), b.xor(x, self._sign()))
        key = b.select(nan, ir.Constant(ut, (1 << ut.width) - 1), key)
        return key, (nan, b.and_(neg, b.not_(nan)))

    def _from_key(self, key: ir.Value) -> ir.Value:
        """The bits of the value whose key is ``key`` (a NaN's or -0.0's: some NaN, +0.0)."""
        b, ut = self.b, self._ut
        if self.a.dtype.kind == "i":
            return b.xor(key, self._sign())
        if self.a.dtype.kind != "f":
            return key
        top = b.icmp_signed("<", key, ir.Constant(ut, 0))
        return b.select(top, b.xor(key, self._sign()), b.not_(key))

    # -- the sort --------------------------------------------------------------------------
    def _radix(self, src: ir.Value, dst: ir.Value) -> None:
        b, a = self.b, self.a
        n, bits, width = a.n, digit_bits(a.n), self._ut.width
        digits, radix = -(-width // bits), 1 << bits
        argsort, floats = a.index is not None, a.dtype.kind == "f"
        hist = alloca(b, ir.ArrayType(I32, digits * radix), name="radix_hist")

        def count(j: ir.Value) -> ir.Value:
            return b.gep(hist, [i64(0), j], inbounds=True)

        def digit(key: ir.Value, shift: ir.Value) -> ir.Value:
            return b.and_(b.zext(b.lshr(key, shift), I64) if width < 64 else b.lshr(key, shift), i64(radix - 1))

        with for_range(b, 0, digits * radix, name="hist0") as j:
            b.store(ir.Constant(I32, 0), count(j))
        tallies = [alloca(b, I64, i64(0), name=t) for t in ("nans", "negzeros", "negatives")] if floats else []
        ones, zeros = ir.Constant(self._ut, (1 << width) - 1), ir.Constant(self._ut, 0)
        any_set, all_set = alloca(b, self._ut, zeros, name="any_set"), alloca(b, self._ut, ones, name="all_set")
        with for_range(b, 0, n, name="keys") as i:  # (vectorized)
            x = self._src_bits(src, i)
            if floats:
                negzero = b.icmp_unsigned("==", x, self._sign())
                key, (nan, neg) = self._to_key(x)
                for slot, flag in zip(tallies, (nan, negzero, neg)):
                    b.store(b.add(b.load(slot), b.zext(flag, I64)), slot)
            else:
                key, _ = self._to_key(x)
            self._vstore(i, key)
            b.store(b.or_(b.load(any_set), key), any_set)
            b.store(b.and_(b.load(all_set), key), all_set)
            if argsort:
                self._set_pos(i, i)
        varies = b.xor(b.load(any_set), b.load(all_set))  # the bits that differ between keys

        def shift_of(d: ir.Value) -> ir.Value:
            return b.trunc(b.mul(d, i64(bits)), self._ut) if width < 64 else b.mul(d, i64(bits))

        def spread(d: ir.Value) -> ir.Value:  # the digit differs between keys (else all in one bucket)
            return b.icmp_unsigned("!=", digit(varies, shift_of(d)), i64(0))

        flags = [spread(i64(d)) for d in range(digits)]
        with self._loop(0, n, name="histogram") as i:  # only the digits that differ (one-bucket counts chain)
            key = self._vload(i, self._ut)
            for d in range(digits):
                with b.if_then(flags[d]):
                    at = count(b.add(i64(d * radix), digit(key, ir.Constant(self._ut, d * bits))))
                    b.store(b.add(b.load(at), ir.Constant(I32, 1)), at)
        last = alloca(b, I64, i64(-1), name="radix_last")  # the last digit to scatter
        with for_range(b, 0, digits, name="spread") as d:
            b.store(b.select(spread(d), d, b.load(last)), last)
        # the last scatter writes the result itself, unless float values need patching (_radix_out)
        direct = b.icmp_signed(">=", b.load(last), i64(0))
        if floats and not argsort:
            clean = b.icmp_signed("==", b.add(b.load(tallies[0]), b.load(tallies[1])), i64(0))
            direct = b.and_(direct, clean)
        half = alloca(b, I64, i64(0), name="radix_half")
        with self._loop(0, digits, name="digit") as d:
            base = b.mul(d, i64(radix))
            shift = shift_of(d)
            cur = b.load(half)
            with b.if_then(spread(d)):  # else one bucket: skip the digit
                total = alloca(b, I32, name="radix_total")
                b.store(ir.Constant(I32, 0), total)
                with for_range(b, 0, radix, name="offsets") as j:
                    slot = count(b.add(base, j))
                    c, t = b.load(slot), b.load(total)
                    b.store(t, slot)
                    b.store(b.add(t, c), total)
                other = b.sub(i64(n), cur)
                final = b.and_(direct, b.icmp_signed("==", d, b.load(last)))
                with b.if_else(final) as (to_result, to_half):
                    with to_result:
                        self._scatter(cur, base, shift, digit, count, lambda at, key, i: self._put(dst, at, key, i))
                    with to_half:
                        self._scatter(cur, base, shift, digit, count,
                                      lambda at, key, i: self._move(b.add(other, at), key, i))
                b.store(other, half)
        with b.if_then(b.not_(direct)):
            self._radix_out(src, dst, b.load(half), tallies)

    def _scatter(self, cur: ir.Value, base: ir.Value, shift: ir.Value, digit, count, put) -> None:
        """One stable counting-sort pass of half ``cur`` by the digit at ``shift``: each key
        goes to its bucket's next offset, ``put(offset, key, block position)``."""
        b = self.b
        with self._loop(0, self.a.n, name="scatter") as i:
            at_i = b.add(cur, i)
            key = self._vload(at_i, self._ut)
            slot = count(b.add(base, digit(key, shift)))
            at = b.load(slot)
            b.store(b.add(at, ir.Constant(I32, 1)), slot)
            put(b.zext(at, I64), key, at_i)

    def _move(self, to: ir.Value, key: ir.Value, at: ir.Value) -> None:
        """Key (and position) at block position ``at`` to block position ``to``."""
        self._vstore(to, key)
        if self.a.index is not None:
            self._set_pos(to, self._pos(at))

    def _put(self, dst: ir.Value, i: ir.Value, key: ir.Value, at: ir.Value) -> None:
        """Element ``i`` of the result line: the position at block position ``at`` or the value of ``key``."""
        a = self.a
        offset = self._at(dst, i, a.dst.strides[-1])
        if a.index is not None:
            self.store(a.dst.buffer, offset, self._pos(at), INDEX)
        else:
            self.b.store(self._from_key(key), self._ptr(a.dst.buffer, offset, a.dtype), align=a.dtype.itemsize)

    def _radix_out(self, src: ir.Value, dst: ir.Value, cur: ir.Value, tallies: list[ir.Value]) -> None:
        """Copy the sorted half ``cur`` out: positions, or keys turned back into values."""
        b, a = self.b, self.a
        n = a.n
        if a.index is not None:
            with for_range(b, 0, n, name="out") as i:
                self.store(a.dst.buffer, self._at(dst, i, a.dst.strides[-1]), self._pos(b.add(cur, i)), INDEX)
            return

        def out(i: ir.Value, value: ir.Value) -> None:
            ptr = self._ptr(a.dst.buffer, self._at(dst, i, a.dst.strides[-1]), a.dtype)
            b.store(value, ptr, align=a.dtype.itemsize)

        if not tallies:
            with for_range(b, 0, n, name="out") as i:
                out(i, self._from_key(self._vload(b.add(cur, i), self._ut)))
            return
        nans, negzeros, negatives = (b.load(t) for t in tallies)
        fix = b.icmp_signed(">", b.add(nans, negzeros), i64(0))
        with b.if_else(fix, likely=False) as (patch, plain):
            with patch:  # values in the block, zeros and NaNs rewritten from the operand in line order
                with for_range(b, 0, n, name="unkey") as i:
                    at = b.add(cur, i)
                    self._vstore(at, self._from_key(self._vload(at, self._ut)))
                zeros = alloca(b, I64, name="zero_at")
                tail = alloca(b, I64, name="nan_at")
                b.store(b.add(cur, negatives), zeros)
                b.store(b.add(cur, b.sub(i64(n), nans)), tail)
                with self._loop(0, n, name="patch") as i:
                    x = self._src_bits(src, i)
                    nan, zero = self._abs_nan_zero(x)
                    with b.if_then(b.or_(nan, zero), likely=False):
                        slot = b.select(nan, tail, zeros)
                        at = b.load(slot)
                        self._vstore(at, x)
                        b.store(b.add(at, i64(1)), slot)
                with for_range(b, 0, n, name="out") as i:
                    out(i, self._vload(b.add(cur, i), self._ut))
            with plain:
                with for_range(b, 0, n, name="out") as i:
                    out(i, self._from_key(self._vload(b.add(cur, i), self._ut)))
