"""The LLVM IR of the hash-based ``np.unique`` routines (``runtime/hashunique.py`` describes
them, names them and imports this module on first use, as it imports llvmlite)."""
from __future__ import annotations

from llvmlite import ir

N_ARGS = 8  # data, n, k, values, counts, first indices, inverse, scratch (runtime/hashunique.py)
I1, I8, I32, I64 = ir.IntType(1), ir.IntType(8), ir.IntType(32), ir.IntType(64)
PTR = ir.PointerType()
_EXP = {2: 0x7C00, 4: 0x7F800000, 8: 0x7FF0000000000000}  # the bits of +inf
_GOLDEN = 0x9E3779B97F4A7C15


def _plain_loop(module: ir.Module) -> ir.MDValue:
    """``llvm.loop`` metadata keeping a loop as written: neither vectorized nor unrolled (these
    loops are short or branchy; LLVM's copies only cost compile time)."""
    md = module.add_metadata([ir.MetaDataString(module, "tracejit.hashunique.loop"),
                              module.add_metadata([ir.MetaDataString(module, "llvm.loop.vectorize.enable"),
                                                   ir.Constant(I1, 0)]),
                              module.add_metadata([ir.MetaDataString(module, "llvm.loop.unroll.disable")])])
    md.operands = (md,) + tuple(md.operands[1:])
    return md


def _c(value: int, ty: ir.IntType = I64) -> ir.Constant:
    return ir.Constant(ty, value)


class _Emit:
    """The builder of one variant's function."""

    def __init__(self, fn: ir.Function, kind: str, width: int, equal_nan: bool, inverse: bool):
        self.fn, self.kind, self.width, self.equal_nan, self.inverse = fn, kind, width, equal_nan, inverse
        self.ty = ir.IntType(8 * width)
        self.b = ir.IRBuilder(fn.append_basic_block("entry"))

    def var(self, value: ir.Value, name: str) -> ir.AllocaInstr:
        """A stack variable holding ``value`` (promoted to registers by the optimizer)."""
        with self.b.goto_entry_block():
            slot = self.b.alloca(value.type, name=name)
        self.b.store(value, slot)
        return slot

    def ld(self, pointer: ir.Value, ty: ir.Type = I64) -> ir.Value:
        """A load from ``pointer`` (a stack variable: of its type)."""
        if isinstance(pointer, ir.AllocaInstr):
            ty = pointer.allocated_type
        return self.b.load(pointer, typ=ty)

    def at(self, base: ir.Value, index: ir.Value, ty: ir.Type = I64) -> ir.Value:
        """The address of element ``index`` of type ``ty`` at ``base``."""
        return self.b.gep(base, [index], source_etype=ty)

    def loop(self, start: ir.Value, stop: ir.Value, body, name: str, guard: ir.Value | None = None) -> None:
        """``for i in range(start, stop): body(i)`` (``body`` leaves the builder where it ends),
        left early once stack variable ``guard`` is nonzero."""
        b = self.b
        head, inner, done = (self.fn.append_basic_block(f"{name}.{x}") for x in ("head", "body", "done"))
        before = b.block
        b.branch(head)
        b.position_at_end(head)
        i = b.phi(I64, name=name)
        i.add_incoming(start, before)
        going = b.icmp_signed("<", i, stop)
        if guard is not None:
            going = b.and_(going, b.icmp_signed("==", self.ld(guard), _c(0)))
        b.cbranch(going, inner, done)
        b.position_at_end(inner)
        body(i)
        i.add_incoming(b.add(i, _c(1)), b.block)
        b.branch(head).set_metadata("llvm.loop", _plain_loop(self.fn.module))
        b.position_at_end(done)

    def key(self, bits: ir.Value) -> tuple[ir.Value, ir.Value | None]:
        """The monotone key (int64) of element bits ``bits``, and whether it is a NaN (floats)."""
        b, w = self.b, 8 * self.width
        sign = _c(1 << (w - 1), self.ty)
        if self.kind != "f":
            return b.zext(b.xor(bits, sign) if self.kind == "i" else bits, I64), None
        mag = b.and_(bits, _c((1 << (w - 1)) - 1, self.ty))
        nan = b.icmp_unsigned(">", mag, _c(_EXP[self.width], self.ty))
        canon = b.select(b.icmp_unsigned("==", mag, _c(0, self.ty)), _c(0, self.ty), bits)
        negative = b.icmp_unsigned("!=", b.and_(canon, sign), _c(0, self.ty))
        mono = b.select(negative, b.not_(canon), b.or_(canon, sign))
        return b.zext(b.select(nan, _c((1 << w) - 1, self.ty), mono), I64), nan

    def slot(self, key: ir.Value, shift: ir.Value) -> ir.Value:
        """The home slot of ``key`` in a table of ``2**(64 - shift)`` slots."""
        mixed = self.b.xor(key, self.b.lshr(key, _c(29)))  # (float keys differ in their high bits)
        return self.b.lshr(self.b.mul(mixed, _c(_GOLDEN)), shift)

    def build(self) -> None:
        """Emit the whole routine."""
        b = self.b
        data, n_ptr, k_ptr, values, counts, firsts, inverse, scratch = self.fn.args
        n = self.ld(n_ptr, I64)
        e_key, e_first, e_count = scratch, self.at(scratch, n), self.at(scratch, b.mul(n, _c(2)))
        a_ids, b_keys, b_ids = (self.at(scratch, b.mul(n, _c(j))) for j in (3, 4, 5))
        table = self.at(scratch, b.mul(n, _c(6)))  # int32 entry ids, up to 4 n of them
        self.k = self.var(_c(0), "k")
        self.size = self.var(_c(16), "size")
        self.shift = self.var(_c(60), "shift")
        self.fill(table, _c(16))
        self.prev_key, self.prev_entry, self.run = self.var(_c(0), "prev_key"), self.var(_c(-1), "prev"), \
            self.var(_c(0), "run")
        self.spilled = self.var(_c(0), "spilled")
        self.limit = b.select(b.icmp_signed(">", n, _c(8 * 4096)), b.ashr(n, _c(3)), _c(4096))
        self.loop(_c(0), n, lambda i: self.insert(data, inverse, table, e_key, e_first, e_count, i), "scan",
                  self.spilled)
        self.flush(e_count)
        spilled = self.ld(self.spilled)
        every, hashed = self.fn.append_basic_block("every"), self.fn.append_basic_block("hashed")
        b.cbranch(b.icmp_signed("!=", spilled, _c(0)), every, hashed)
        b.position_at_end(every)  # too many distinct keys: every element an entry, all sorted

        def entry(i):
            b.store(self.key(self.ld(self.at(data, i, self.ty), self.ty))[0], self.at(e_key, i))
            if self.inverse:
                b.store(i, self.at(inverse, i))
        self.loop(_c(0), n, entry, "every")
        b.store(n, self.k)
        b.branch(hashed)
        b.position_at_end(hashed)
        spilled = b.icmp_signed("!=", spilled, _c(0))
        k = self.ld(self.k)
        src_keys, src_ids = self.sort(k, e_key, a_ids, b_keys, b_ids)
        rank = self.var(_c(-1), "rank")

        def emit(j):
            e, key = self.ld(self.at(src_ids, j)), self.ld(self.at(src_keys, j))
            before = self.ld(self.at(src_keys, b.select(b.icmp_signed(">", j, _c(0)), b.sub(j, _c(1)), _c(0))))
            fresh = b.or_(b.icmp_signed("==", j, _c(0)), b.icmp_unsigned("!=", key, before))
            if self.kind == "f" and not self.equal_nan:
                fresh = b.or_(fresh, b.icmp_unsigned("==", key, _c((1 << (8 * self.width)) - 1)))
            start, add = self.fn.append_basic_block("run"), self.fn.append_basic_block("add")
            b.cbranch(fresh, start, add)
            b.position_at_end(start)
            r = b.add(self.ld(rank), _c(1))
            b.store(r, rank)
            first = b.select(spilled, e, self.ld(self.at(e_first, b.select(spilled, _c(0), e))))
            b.store(self.value(key, data, first), self.at(values, r, self.ty))
            b.store(first, self.at(firsts, r))
            b.store(_c(0), self.at(counts, r))
            b.branch(add)
            b.position_at_end(add)
            r = self.ld(rank)
            count = b.select(spilled, _c(1), self.ld(self.at(e_count, b.select(spilled, _c(0), e))))
            where = self.at(counts, r)
            b.store(b.add(self.ld(where), count), where)
            if self.inverse:
                b.store(r, self.at(e_count, e))  # (its count read: now its rank)
        self.loop(_c(0), k, emit, "emit")
        b.store(b.add(self.ld(rank), _c(1)), k_ptr)
        if self.inverse:
            self.loop(_c(0), n, lambda i: b.store(self.ld(self.at(e_count, self.ld(self.at(inverse, i)))),
                                                  self.at(inverse, i)), "rank")
        b.ret_void()

    def value(self, key: ir.Value, data: ir.Value, first: ir.Value) -> ir.Value:
        """The bits of the value of ``key`` first seen at ``first``: undone from the key, or read
        there for a float zero or NaN (whose sign and payload the key dropped)."""
        b, w = self.b, 8 * self.width
        bits = b.trunc(key, self.ty) if w < 64 else key
        sign = _c(1 << (w - 1), self.ty)
        if self.kind == "i":
            return b.xor(bits, sign)
        if self.kind != "f":
            return bits
        undone = b.select(b.icmp_unsigned("!=", b.and_(bits, sign), _c(0, self.ty)), b.xor(bits, sign), b.not_(bits))
        special = b.or_(b.icmp_unsigned("==", bits, sign), b.icmp_unsigned("==", bits, _c((1 << w) - 1, self.ty)))
        read, join = self.fn.append_basic_block("read"), self.fn.append_basic_block("join")
        here = b.block
        b.cbranch(special, read, join)
        b.position_at_end(read)
        stored = self.ld(self.at(data, first, self.ty), self.ty)
        b.branch(join)
        b.position_at_end(join)
        result = b.phi(self.ty)
        result.add_incoming(undone, here)
        result.add_incoming(stored, read)
        return result

    def fill(self, table: ir.Value, size: ir.Value) -> None:
        """Mark the first ``size`` slots empty (-1)."""
        self.loop(_c(0), size, lambda j: self.b.store(_c(-1, I32), self.at(table, j, I32)), "fill")

    def probe(self, table: ir.Value, key: ir.Value, e_key: ir.Value, name: str) -> tuple[ir.Value, ir.Value]:
        """Walk from ``key``'s home slot to its entry or the first empty slot: (slot, entry or -1)."""
        b = self.b
        size, shift = self.ld(self.size), self.ld(self.shift)
        head, check, step, done = (self.fn.append_basic_block(f"{name}.{x}") for x in ("head", "check", "step", "done"))
        before = b.block
        home = self.slot(key, shift)
        b.branch(head)
        b.position_at_end(head)
        slot = b.phi(I64, name=f"{name}.slot")
        slot.add_incoming(home, before)
        entry = b.sext(self.ld(self.at(table, slot, I32), I32), I64)
        b.cbranch(b.icmp_signed("<", entry, _c(0)), done, check)
        b.position_at_end(check)
        b.cbranch(b.icmp_unsigned("==", self.ld(self.at(e_key, entry)), key), done, step)
        b.position_at_end(step)
        slot.add_incoming(b.and_(b.add(slot, _c(1)), b.sub(size, _c(1))), step)
        b.branch(head)
        b.position_at_end(done)
        return slot, entry

    def insert(self, data, inverse, table, e_key, e_first, e_count, i) -> None:
        """Count element ``i``: a repeat of the previous key adds to a pending run (no memory
        chain through one counter); another key flushes the run and finds or makes its entry
        (growing the table when half full)."""
        b = self.b
        key, nan = self.key(self.ld(self.at(data, i, self.ty), self.ty))
        repeat, other = self.fn.append_basic_block("repeat"), self.fn.append_basic_block("other")
        found, new, end = (self.fn.append_basic_block(x) for x in ("found", "new", "end"))
        last = self.ld(self.prev_entry)
        b.cbranch(b.and_(b.icmp_signed(">=", last, _c(0)), b.icmp_unsigned("==", key, self.ld(self.prev_key))),
                  repeat, other)
        b.position_at_end(repeat)
        b.store(b.add(self.ld(self.run), _c(1)), self.run)
        b.branch(end)
        incoming = [(last, repeat)]
        b.position_at_end(other)
        self.flush(e_count)
        if nan is not None and not self.equal_nan:  # each NaN an entry of its own, outside the table
            lone, hashed = self.fn.append_basic_block("lone"), self.fn.append_basic_block("hashed")
            b.cbranch(nan, lone, hashed)
            b.position_at_end(lone)
            mine = self.ld(self.k)
            self.append(mine, key, i, e_key, e_first, e_count, 1)
            b.store(b.zext(b.icmp_signed(">", self.ld(self.k), self.limit), I64), self.spilled)
            b.store(_c(-1), self.prev_entry)
            b.branch(end)
            incoming.append((mine, b.block))
            b.position_at_end(hashed)
        slot, entry = self.probe(table, key, e_key, "probe")
        b.cbranch(b.icmp_signed("<", entry, _c(0)), new, found)
        b.position_at_end(found)
        self.start_run(key, entry)
        b.branch(end)
        incoming.append((entry, found))
        b.position_at_end(new)
        fresh = self.ld(self.k)
        b.store(b.trunc(fresh, I32), self.at(table, slot, I32))
        self.append(fresh, key, i, e_key, e_first, e_count, 0)
        self.start_run(key, fresh)
        grown = self.ld(self.k)
        b.store(b.zext(b.icmp_signed(">", grown, self.limit), I64), self.spilled)
        bigger, stay = self.fn.append_basic_block("grow"), self.fn.append_basic_block("grown")
        b.cbranch(b.icmp_signed(">", b.mul(grown, _c(2)), self.ld(self.size)), bigger, stay)
        b.position_at_end(bigger)
        self.grow(table, e_key, grown)
        b.branch(stay)
        b.position_at_end(stay)
        b.branch(end)
        incoming.append((fresh, stay))
        b.position_at_end(end)
        which = b.phi(I64, name="entry")
        for value, block in incoming:
            which.add_incoming(value, block)
        if self.inverse:
            b.store(which, self.at(inverse, i))

    def start_run(self, key, entry) -> None:
        """Make ``entry`` (of ``key``) the previous key's, with a pending run of one."""
        self.b.store(key, self.prev_key)
        self.b.store(entry, self.prev_entry)
        self.b.store(_c(1), self.run)

    def flush(self, e_count) -> None:
        """Add the pending run to its entry's count (nothing when there is none: ``run`` is 0)."""
        b = self.b
        last = self.ld(self.prev_entry)
        where = self.at(e_count, b.select(b.icmp_signed(">=", last, _c(0)), last, _c(0)))
        b.store(b.add(self.ld(where), self.ld(self.run)), where)
        b.store(_c(0), self.run)

    def append(self, entry, key, i, e_key, e_first, e_count, count: int) -> None:
        """Make entry ``entry`` (the next one) for ``key`` first seen at ``i``."""
        b = self.b
        b.store(key, self.at(e_key, entry))
        b.store(i, self.at(e_first, entry))
        b.store(_c(count), self.at(e_count, entry))
        b.store(b.add(entry, _c(1)), self.k)

    def grow(self, table, e_key, k) -> None:
        """Double the table and put the ``k`` entries back (NaN entries outside it stay out)."""
        b = self.b
        size = b.mul(self.ld(self.size), _c(2))
        b.store(size, self.size)
        b.store(b.sub(self.ld(self.shift), _c(1)), self.shift)
        self.fill(table, size)

        def put(e):
            key = self.ld(self.at(e_key, e))
            outside = self.kind == "f" and not self.equal_nan
            if outside:
                skip, keep = self.fn.append_basic_block("skip"), self.fn.append_basic_block("keep")
                b.cbranch(b.icmp_unsigned("==", key, _c((1 << (8 * self.width)) - 1)), skip, keep)
                b.position_at_end(keep)
            slot, _ = self.probe(table, key, e_key, "reput")
            b.store(b.trunc(e, I32), self.at(table, slot, I32))
            if outside:
                b.branch(skip)
                b.position_at_end(skip)
        self.loop(_c(0), k, put, "reput")

    def sort(self, k, keys, ids, other_keys, other_ids) -> tuple[ir.Value, ir.Value]:
        """LSD radix sort of the ``k`` entries by key (stable); the arrays holding the result."""
        b = self.b
        self.loop(_c(0), k, lambda j: b.store(j, self.at(ids, j)), "iota")
        ones, zeros = self.var(_c(0), "ones"), self.var(_c(-1), "zeros")

        def spread(j):
            key = self.ld(self.at(keys, j))
            b.store(b.or_(self.ld(ones), key), ones)
            b.store(b.and_(self.ld(zeros), key), zeros)
        self.loop(_c(0), k, spread, "spread")
        differs = b.xor(self.ld(ones), self.ld(zeros))
        with b.goto_entry_block():
            hist = b.alloca(I64, size=256, name="hist")
        src = (self.var(keys, "src_keys"), self.var(ids, "src_ids"))
        dst = (self.var(other_keys, "dst_keys"), self.var(other_ids, "dst_ids"))
        total = self.var(_c(0), "total")

        def digit(d):
            shift = b.mul(d, _c(8))
            active, skip = self.fn.append_basic_block("digit"), self.fn.append_basic_block("next")
            b.cbranch(b.icmp_unsigned("!=", b.and_(b.lshr(differs, shift), _c(255)), _c(0)), active, skip)
            b.position_at_end(active)
            self.loop(_c(0), _c(256), lambda v: b.store(_c(0), self.at(hist, v)), "clear")
            sk, si, dk, di = (self.ld(p) for p in (*src, *dst))

            def count(j):
                where = self.at(hist, b.and_(b.lshr(self.ld(self.at(sk, j)), shift), _c(255)))
                b.store(b.add(self.ld(where), _c(1)), where)
            self.loop(_c(0), k, count, "count")
            b.store(_c(0), total)

            def prefix(v):
                where = self.at(hist, v)
                c, t = self.ld(where), self.ld(total)
                b.store(t, where)
                b.store(b.add(t, c), total)
            self.loop(_c(0), _c(256), prefix, "prefix")

            def scatter(j):
                key = self.ld(self.at(sk, j))
                where = self.at(hist, b.and_(b.lshr(key, shift), _c(255)))
                pos = self.ld(where)
                b.store(b.add(pos, _c(1)), where)
                b.store(key, self.at(dk, pos))
                b.store(self.ld(self.at(si, j)), self.at(di, pos))
            self.loop(_c(0), k, scatter, "scatter")
            for s, d, old, new in zip(src, dst, (sk, si), (dk, di)):
                b.store(new, s)
                b.store(old, d)
            b.branch(skip)
            b.position_at_end(skip)
        self.loop(_c(0), _c(self.width), digit, "digits")
        return self.ld(src[0]), self.ld(src[1])


class _Runs(_Emit):
    """The builder of a run-length routine over a sorted array (``runtime/hashunique.py``)."""

    def __init__(self, fn: ir.Function, kind: str, width: int, equal_nan: bool, flag: int):
        super().__init__(fn, kind, width, equal_nan, flag % 3 == 2)
        self.perm, self.counts = flag % 3, flag >= 3

    def build(self) -> None:
        """Emit the whole routine: one pass, a run at each key change."""
        b = self.b
        data, order, n_ptr, k_ptr, values, counts, firsts, inverse = self.fn.args
        n = self.ld(n_ptr, I64)
        rank, start, last = self.var(_c(-1), "rank"), self.var(_c(0), "start"), self.var(_c(0), "last")

        def step(j):
            bits = self.ld(self.at(data, j, self.ty), self.ty)
            key, nan = self.key(bits)
            fresh = b.or_(b.icmp_signed("==", j, _c(0)), b.icmp_unsigned("!=", key, self.ld(last)))
            if nan is not None and not self.equal_nan:
                fresh = b.or_(fresh, nan)
            b.store(key, last)
            run, more = self.fn.append_basic_block("run"), self.fn.append_basic_block("more")
            b.cbranch(fresh, run, more)
            b.position_at_end(run)
            r = b.add(self.ld(rank), _c(1))
            b.store(r, rank)
            b.store(j, start)
            b.store(bits, self.at(values, r, self.ty))
            if self.perm:
                b.store(self.ld(self.at(order, j)), self.at(firsts, r))
            b.branch(more)
            b.position_at_end(more)
            r = self.ld(rank)
            if self.counts:
                b.store(b.add(b.sub(j, self.ld(start)), _c(1)), self.at(counts, r))
            if self.inverse:
                b.store(r, self.at(inverse, self.ld(self.at(order, j))))
        self.loop(_c(0), n, step, "runs")
        b.store(b.add(self.ld(rank), _c(1)), k_ptr)
        b.ret_void()


def module_text(name: str, runs: bool, kind: str, width: int, equal_nan: bool, flag: int) -> str:
    """The LLVM IR of routine ``name`` (``runs``: the run-length one) for keys of ``kind`` and
    ``width`` bytes (``flag``: the inverse wanted; for ``runs``, see ``runtime/hashunique.py``)."""
    module = ir.Module(name=name)
    fn = ir.Function(module, ir.FunctionType(ir.VoidType(), [PTR] * N_ARGS), name)
    for arg in fn.args:
        arg.add_attribute("noalias")
    (_Runs(fn, kind, width, equal_nan, flag) if runs else _Emit(fn, kind, width, equal_nan, bool(flag))).build()
    return str(module)
