"""The keys of a value sort's scratch block (``sortnet.py``'s network, ``quicksort.py``,
``radix.py``): vectors of ``AlongAxis.net`` lanes, one pointer method for any key type, and
the copies in and out of a line that keep NumPy's stable sort's values bit for bit -- keys
that are NaN or ``-0.0`` flagged on the way in, NaNs set apart in line order after ``P``
keys (``n`` rounded up to a power of two), zeros rewritten from the operand in line order."""
from __future__ import annotations

import numpy as np
from llvmlite import ir

from tracejit.compiler.codegen.loops import alloca, for_range, i64
from tracejit.compiler.codegen.lowerctx import I64, LowerCtx, memory_type
from tracejit.compiler.codegen.scan_sort import AlongAxisEmitter


def network_size(n: int) -> int:
    """Keys the network sorts for lines of ``n``: ``n`` rounded up to a power of two."""
    return 1 << max(0, (n - 1).bit_length())


def largest_key(dtype: np.dtype) -> float | int:
    """The padding key: sorts after (or equal to) every number of ``dtype``."""
    return float("inf") if dtype.kind == "f" else int(np.iinfo(dtype).max)


class KeyBlockEmitter(AlongAxisEmitter):
    """Keys of the chunk's scratch block as vectors, and a line's copies in and out."""

    @property
    def _w(self) -> int:
        return self.a.net

    @property
    def _et(self) -> ir.Type:
        return memory_type(self.a.dtype)

    @property
    def _vt(self) -> ir.VectorType:
        return ir.VectorType(self._et, self._w)

    def _kp(self, i: ir.Value) -> ir.Value:
        """Pointer to key ``i`` of the chunk's scratch block (any type of the key's size reads it)."""
        return self.b.gep(self.ptrs[self.a.keys], [self.b.add(self.block, i)], inbounds=True, source_etype=self._et)

    def _vload(self, i: ir.Value, typ: ir.Type | None = None) -> ir.Value:
        """Keys from ``i`` as ``typ``: a vector of the network's lanes by default; the radix
        sort reads one key as an unsigned integer."""
        return self.b.load(self._kp(i), typ=typ or self._vt, align=self.a.dtype.itemsize)

    def _vstore(self, i: ir.Value, v: ir.Value) -> None:
        """Store ``v`` (a vector of keys or one key, of any type of the keys' size) at key ``i``."""
        self.b.store(v, self._kp(i), align=self.a.dtype.itemsize)

    # -- copies ----------------------------------------------------------------------------
    def _net_special(self, x: ir.Value, ctx: LowerCtx) -> ir.Value:
        """NaN or ``-0.0`` (lane by lane): keys the network cannot place as the stable sort does."""
        b = self.b
        ut = ir.IntType(8 * self.a.dtype.itemsize)
        ty = ir.VectorType(ut, ctx.width) if ctx.width > 1 else ut
        bits = b.bitcast(x, ty)
        sign = ir.Constant(ut, 1 << (ut.width - 1))
        sign = ir.Constant(ty, [sign] * ctx.width) if ctx.width > 1 else sign
        return b.or_(ctx.isnan(x), b.icmp_unsigned("==", bits, sign))

    def _net_in(self, src: ir.Value, start: int) -> ir.Value:
        """Copy keys ``[start, n)`` of the line to the block; returns a flag that (floats) says
        whether they held a NaN or a ``-0.0``."""
        b, a, w = self.b, self.a, self._w
        stride = a.src.strides[-1]
        floats = a.dtype.kind == "f"
        flag = alloca(b, ir.IntType(1), ir.Constant(ir.IntType(1), 0), name="special")
        done = start
        if stride == 1 and a.n - start >= w:
            done = a.n - (a.n - start) % w
            vflag = alloca(b, ir.VectorType(ir.IntType(1), w), ir.Constant(ir.VectorType(ir.IntType(1), w), [0] * w),
                           name="vspecial_in")
            with self._loop(start, done, step=w, name="net_in") as i:
                v = b.load(self._ptr(a.src.buffer, b.add(src, i), a.dtype), typ=self._vt, align=a.dtype.itemsize)
                self._vstore(i, v)
                if floats:
                    b.store(b.or_(b.load(vflag), self._net_special(v, self._vctx)), vflag)
            if floats:
                bits = b.bitcast(b.load(vflag), ir.IntType(w))
                b.store(b.icmp_unsigned("!=", bits, ir.Constant(ir.IntType(w), 0)), flag)
        if done < a.n:
            with self._loop(done, a.n, name="net_in_tail") as i:
                x = self.load(a.src.buffer, self._at(src, i, stride), a.dtype)
                b.store(x, self._kp(i))
                if floats:
                    b.store(b.or_(b.load(flag), self._net_special(x, self.ctx)), flag)
        return flag

    def _net_apart(self, src: ir.Value, m: ir.Value, negzero: ir.Value) -> None:
        """A line with NaNs or ``-0.0``: numbers to keys ``[0, m)``, NaNs in order from ``P``;
        sets ``m`` and counts the ``-0.0``."""
        b, a = self.b, self.a
        p = network_size(a.n)
        numbers, nan_at = alloca(b, I64, i64(0), name="net_numbers"), alloca(b, I64, i64(p), name="net_nan_at")
        ut = ir.IntType(8 * a.dtype.itemsize)
        with self._loop(0, a.n, name="net_apart") as i:
            x = self.load(a.src.buffer, self._at(src, i, a.src.strides[-1]), a.dtype)
            nan = self.ctx.isnan(x)
            t, u = b.load(numbers), b.load(nan_at)
            b.store(x, self._kp(b.select(nan, u, t)))
            moved = b.zext(nan, I64)
            b.store(b.add(t, b.sub(i64(1), moved)), numbers)
            b.store(b.add(u, moved), nan_at)
            neg = b.icmp_unsigned("==", b.bitcast(x, ut), ir.Constant(ut, 1 << (ut.width - 1)))
            b.store(b.add(b.load(negzero), b.zext(neg, I64)), negzero)
        b.store(b.load(numbers), m)

    def _net_pad(self, m: ir.Value, p: int) -> None:
        """Keys ``[m, p)`` get the largest key."""
        b = self.b
        big = ir.Constant(self._et, largest_key(self.a.dtype))
        with for_range(b, m, i64(p), name="net_pad") as i:
            b.store(big, self._kp(i))

    def _zeros_in_order(self, src: ir.Value) -> None:
        """Rewrite the sorted keys' zeros from the operand in line order (after the negatives)."""
        b, a = self.b, self.a
        zero = ir.Constant(self._et, 0.0)
        at = alloca(b, I64, i64(0), name="net_zero_at")
        with self._loop(0, a.n, name="net_negatives") as i:
            x = self.load(a.src.buffer, self._at(src, i, a.src.strides[-1]), a.dtype)
            b.store(b.add(b.load(at), b.zext(b.fcmp_ordered("<", x, zero), I64)), at)
        with self._loop(0, a.n, name="net_zeros") as i:
            x = self.load(a.src.buffer, self._at(src, i, a.src.strides[-1]), a.dtype)
            with b.if_then(b.fcmp_ordered("==", x, zero)):
                k = b.load(at)
                b.store(x, self._kp(k))
                b.store(b.add(k, i64(1)), at)

    def _net_out(self, dst: ir.Value, m: ir.Value, p: int, start: ir.Value) -> None:
        """Sorted numbers ``[start, m)`` (the last stage wrote those before ``start``), then the
        NaNs (kept in order from ``P``), to the result line."""
        b, a, w = self.b, self.a, self._w
        stride = a.dst.strides[-1]
        done = start
        if stride == 1 and a.n >= w:
            vectors = b.add(start, b.mul(b.udiv(b.sub(m, start), i64(w)), i64(w)))
            with self._loop(start, vectors, step=w, name="net_out") as i:
                b.store(self._vload(i), self._ptr(a.dst.buffer, b.add(dst, i), a.dtype), align=a.dtype.itemsize)
            done = vectors
        with self._loop(done, m, name="net_out_tail") as i:
            value = b.load(self._kp(i), typ=self._et, align=a.dtype.itemsize)
            self.store(a.dst.buffer, self._at(dst, i, stride), value, a.dtype)
        with self._loop(m, i64(a.n), name="net_out_nans") as i:
            value = b.load(self._kp(b.add(b.sub(i, m), i64(p))), typ=self._et, align=a.dtype.itemsize)
            self.store(a.dst.buffer, self._at(dst, i, stride), value, a.dtype)
