"""The LLVM IR of the native thread pool (``runtime/threads.py`` runs it; the design,
the task ring and its handshake are described there).

Imported only to build the pool's module, which happens once per machine (then it
comes from the disk cache): it imports llvmlite at top level, so ``runtime/threads.py``
imports it lazily.
"""
from __future__ import annotations

from llvmlite import ir

from tracejit.compiler.codegen.targeting import bind_target
from tracejit.compiler.target import host_target

I32, I64, PTR = ir.IntType(32), ir.IntType(64), ir.PointerType()
FUTEX_WAIT, FUTEX_WAKE = 128, 129  # the _PRIVATE variants
SLOTS = 4

TASK = ir.FunctionType(ir.VoidType(), [PTR, I64, I64])
TASK_PTR = ir.PointerType(TASK)  # a typed pointer: llvmlite needs one to emit an indirect call

# global i32 words: generation (the newest task id), busy, stop, workers, park (nonzero: idle
# workers sleep at once instead of spinning; set by tj_parallel_for(NULL, ...), cleared by a task),
# spin (the polls a waiting thread makes before it sleeps), yield mask (it yields its core after
# poll i where i & mask == mask; all ones: never), max level (the longest backoff, in tasks; 0: none):
# set by tj_configure; backoff (tasks still to run serially) and level (the backoff a late worker
# sets next; see tj_parallel_for); linger (cycles after going idle that a worker past its spin
# budget, or parked, keeps polling, yielding its core at every poll; set by tj_configure); sleepers
# (threads in or entering a futex wait: a wake-up is a system call, made only when this is nonzero)
GEN, BUSY, STOP, WORKERS, PARK, SPIN_POLLS, YIELD_MASK, BACKOFF, LEVEL, MAX_LEVEL, LINGER, SLEEPERS = range(12)
LATE_FACTOR = 4  # the caller waits this many of its own chunks' time for a worker's: the worker was late
LATE_SLACK = 100_000  # cycles (~30-50 us) a wait may take beyond that (a futex wake-up, a short preemption)
# per-slot i64 fields: seq, total, grain, next (two chunk indices: see _build_run_chunks), done, active,
# finished(i64 used as futex via low word)
SEQ, TOTAL, GRAIN, NEXT, DONE, ACTIVE, FINISHED = range(7)
FIELDS = 8
MAX_CHUNKS = 1 << 30  # a task of more chunks than this runs serially (NEXT packs chunk indices in 32 bits)
# per-slot pointers: fn, args
FN, ARGS = range(2)


def _c(v, ty=I64):
    return ir.Constant(ty, v)


class _Pool:
    """IR helpers over the pool's global state."""

    def __init__(self, module: ir.Module, sys_futex: int | None, sys_yield: int | None):
        self.m = module
        self.sys_futex = sys_futex
        self.sys_yield = sys_yield
        self.words = self._global("tj_pool_words", ir.ArrayType(I32, 16))
        self.slots = self._global("tj_pool_slots", ir.ArrayType(I64, SLOTS * FIELDS))
        self.flags = self._global("tj_pool_flags", ir.ArrayType(I32, SLOTS))
        self.ptrs = self._global("tj_pool_ptrs", ir.ArrayType(PTR, SLOTS * 2))
        self.syscall = ir.Function(module, ir.FunctionType(I64, [I64], var_arg=True), "syscall")
        self.pause = self.cycles = None
        if host_target().triple.startswith(("x86_64", "i686", "i386")):  # the host's pool only
            self.pause = ir.Function(module, ir.FunctionType(ir.VoidType(), []), "llvm.x86.sse2.pause")
            # rdtsc: readable in user mode (on AArch64 the counter LLVM reads, PMCCNTR_EL0,
            # traps there: the pool has no clock, and never backs off)
            self.cycles = ir.Function(module, ir.FunctionType(I64, []), "llvm.readcyclecounter")

    def _global(self, name, ty):
        g = ir.GlobalVariable(self.m, ty, name)
        g.initializer = ir.Constant(ty, None)
        return g

    @staticmethod
    def at(b, table, index):
        index = index if isinstance(index, ir.Value) else _c(index)
        return b.gep(table, [_c(0), index], inbounds=True)

    def word(self, b, i):
        return self.at(b, self.words, i)

    def field(self, b, slot, i):
        return self.at(b, self.slots, b.add(b.mul(slot, _c(FIELDS)), _c(i)))

    def flag(self, b, slot):
        return self.at(b, self.flags, slot)

    def ptr(self, b, slot, i):
        return self.at(b, self.ptrs, b.add(b.mul(slot, _c(2)), _c(i)))

    def load(self, b, addr, ty=I64, order="acquire"):
        return b.load_atomic(addr, order, ty.width // 8 if isinstance(ty, ir.IntType) else 8, typ=ty)

    def store(self, b, value, addr, order="release"):
        width = value.type.width // 8 if isinstance(value.type, ir.IntType) else 8
        # llvmlite's store_atomic insists on a typed pointee, which opaque pointers lack
        b._insert(ir.instructions.StoreAtomicInstr(b.block, value, addr, order, width))

    def futex(self, b, addr, op, value):
        if self.sys_futex is not None:
            b.call(self.syscall, [_c(self.sys_futex), addr, _c(op, I32), value, ir.Constant(PTR, None)])

    def wake(self, b, addr, count):
        """Wake up to ``count`` threads sleeping on the futex at ``addr``, if any thread sleeps
        (the SLEEPERS word; the caller stored the new value at ``addr`` seq_cst, and a sleeper
        counts itself seq_cst before its futex wait checks that value: one of them sees the other)."""
        fn = b.function
        call, after = fn.append_basic_block("wake"), fn.append_basic_block("woken")
        sleepers = self.load(b, self.word(b, SLEEPERS), I32, "seq_cst")
        b.cbranch(b.icmp_unsigned("!=", sleepers, _c(0, I32)), call, after)
        b.position_at_end(call)
        self.futex(b, addr, FUTEX_WAKE, count)
        b.branch(after)
        b.position_at_end(after)

    def now(self, b):
        """The cycle counter (0 on hosts without a user-mode one)."""
        return b.call(self.cycles, []) if self.cycles is not None else _c(0)

    def relax(self, b):
        if self.pause is not None:
            b.call(self.pause, [])

    def yield_core(self, b, polls):
        """Every so many polls (the yield mask), give the core to any other thread ready to run on it."""
        if self.sys_yield is None:
            return
        fn = b.function
        call, after = fn.append_basic_block("yield"), fn.append_basic_block("yielded")
        mask = self.load(b, self.word(b, YIELD_MASK), I32, "monotonic")
        due = b.icmp_unsigned("==", b.and_(polls, mask), mask)
        b.cbranch(due, call, after)
        b.position_at_end(call)
        b.call(self.syscall, [_c(self.sys_yield)])
        b.branch(after)
        b.position_at_end(after)

    def lingering(self, b, since):
        """An i1: an idle worker past its spin budget (or parked) may poll on: fewer than LINGER
        cycles have passed ``since`` it went idle. It yields its core first, so any thread ready
        to run there (OpenBLAS's, another process's) takes it. Without a cycle counter: never."""
        if self.cycles is None:
            return ir.Constant(ir.IntType(1), 0)
        if self.sys_yield is not None:
            b.call(self.syscall, [_c(self.sys_yield)])
        linger = b.zext(self.load(b, self.word(b, LINGER), I32, "monotonic"), I64)
        return b.icmp_unsigned("<", b.sub(self.now(b), since), linger)

    def wait_while_equal(self, b, addr, value, name, park=False):
        """Spin, then sleep on the futex, while the i32 at ``addr`` equals ``value``. With
        ``park`` (an idle worker): spin only while the PARK word is clear, yielding the core
        now and then (the caller waiting for its task's last chunks, on the critical path, does
        not), then *linger*: poll, yielding the core at each poll, until LINGER cycles after it
        went idle."""
        fn = b.function
        spin_head, spin_body, sleep, done = (fn.append_basic_block(f"{name}.{n}")
                                             for n in ("spin", "spin_body", "sleep", "done"))
        pre = b.block
        since = self.now(b) if park else None
        b.branch(spin_head)
        b.position_at_end(spin_head)
        i = b.phi(I32)
        i.add_incoming(_c(0, I32), pre)
        b.cbranch(b.icmp_unsigned("!=", self.load(b, addr, I32), value), done, spin_body)
        b.position_at_end(spin_body)
        self.relax(b)
        if park:
            self.yield_core(b, i)
        nxt = b.add(i, _c(1, I32))
        more = b.icmp_unsigned("<", nxt, self.load(b, self.word(b, SPIN_POLLS), I32, "monotonic"))
        if park:
            more = b.and_(more, b.icmp_unsigned("==", self.load(b, self.word(b, PARK), I32, "monotonic"), _c(0, I32)))
            linger = fn.append_basic_block(f"{name}.linger")
            i.add_incoming(nxt, b.block)
            b.cbranch(more, spin_head, linger)
            b.position_at_end(linger)
            stay = self.lingering(b, since)
            i.add_incoming(nxt, b.block)
            b.cbranch(stay, spin_head, sleep)
        else:
            i.add_incoming(nxt, b.block)
            b.cbranch(more, spin_head, sleep)
        b.position_at_end(sleep)
        nap, woke = fn.append_basic_block(f"{name}.nap"), fn.append_basic_block(f"{name}.woke")
        b.atomic_rmw("add", self.word(b, SLEEPERS), _c(1, I32), "seq_cst")
        b.branch(nap)
        b.position_at_end(nap)
        self.futex(b, addr, FUTEX_WAIT, value)
        b.cbranch(b.icmp_unsigned("!=", self.load(b, addr, I32, "seq_cst"), value), woke, nap)
        b.position_at_end(woke)
        b.atomic_rmw("sub", self.word(b, SLEEPERS), _c(1, I32), "seq_cst")
        b.branch(done)
        b.position_at_end(done)


def _build_run_chunks(m: ir.Module, p: _Pool) -> ir.Function:
    """i64 run_chunks(i64 slot, i1 from_back): claim and run chunks of the slot's task until
    none are left; the number of chunks this thread ran. The caller claims chunks from the
    front, workers from the back (``from_back``): the slot's NEXT field packs the next front
    chunk (low 32 bits) and one past the last unclaimed chunk (high 32 bits, signed), so each
    claim is one atomic add, and a task run again with punctual workers gives each thread the
    same chunks as last time (their data is still in that core's cache)."""
    run = ir.Function(m, ir.FunctionType(I64, [I64, ir.IntType(1)]), "tj_run_chunks")
    run.linkage = "internal"
    slot, from_back = run.args
    b = ir.IRBuilder(run.append_basic_block("entry"))
    entry = b.block
    loop, work, last, out = (run.append_basic_block(n) for n in ("loop", "work", "last", "out"))
    b.branch(loop)
    b.position_at_end(loop)
    ran = b.phi(I64)
    ran.add_incoming(_c(0), entry)
    grain = p.load(b, p.field(b, slot, GRAIN))
    total = p.load(b, p.field(b, slot, TOTAL))
    step = b.select(from_back, _c(-(1 << 32)), _c(1))
    old = b.atomic_rmw("add", p.field(b, slot, NEXT), step, "acq_rel")
    front = b.and_(old, _c(0xFFFFFFFF))
    back = b.ashr(old, _c(32))
    index = b.select(from_back, b.sub(back, _c(1)), front)
    empty = b.select(from_back, b.icmp_signed("<", index, front), b.icmp_signed(">=", index, back))
    b.cbranch(empty, out, work)
    b.position_at_end(work)
    start = b.mul(index, grain)
    stop = b.add(start, grain)
    stop = b.select(b.icmp_signed("<", stop, total), stop, total)
    fn = p.load(b, p.ptr(b, slot, FN), TASK_PTR)
    args = p.load(b, p.ptr(b, slot, ARGS), PTR)
    b.call(fn, [args, start, stop])
    count = b.sub(stop, start)
    ran1 = b.add(ran, _c(1))
    ran.add_incoming(ran1, work)
    before = b.atomic_rmw("add", p.field(b, slot, DONE), count, "acq_rel")
    b.cbranch(b.icmp_signed("==", b.add(before, count), total), last, loop)
    b.position_at_end(last)  # completed the last chunk: release the caller
    p.store(b, _c(1, I32), p.flag(b, slot), "seq_cst")
    p.wake(b, p.flag(b, slot), _c(1, I32))
    ran.add_incoming(ran1, b.block)
    b.branch(loop)
    b.position_at_end(out)
    b.ret(ran)
    return run


def _build_worker(m: ir.Module, p: _Pool, run: ir.Function) -> None:
    """void tj_worker(ptr): wait for a task, join it, repeat until stopped."""
    worker = ir.Function(m, ir.FunctionType(ir.VoidType(), [PTR]), "tj_worker")
    b = ir.IRBuilder(worker.append_basic_block("entry"))
    head = worker.append_basic_block("head")
    entry = b.block
    b.branch(head)
    b.position_at_end(head)
    seen = b.phi(I32)  # start from task 0: a late starter still joins the current task
    seen.add_incoming(_c(0, I32), entry)
    p.wait_while_equal(b, p.word(b, GEN), seen, "wait_task", park=True)
    task = p.load(b, p.word(b, GEN), I32)
    stopping = p.load(b, p.word(b, STOP), I32)
    join, check, serve, leave_slot, leave = (worker.append_basic_block(n)
                                             for n in ("join", "check", "serve", "leave_slot", "leave"))
    b.cbranch(b.icmp_unsigned("!=", stopping, _c(0, I32)), leave, join)
    b.position_at_end(join)
    task64 = b.zext(task, I64)
    slot = b.urem(task64, _c(SLOTS))
    b.atomic_rmw("add", p.field(b, slot, ACTIVE), _c(1), "seq_cst")
    b.branch(check)
    b.position_at_end(check)
    current = p.load(b, p.field(b, slot, SEQ), I64, "seq_cst")
    b.cbranch(b.icmp_unsigned("==", current, task64), serve, leave_slot)
    b.position_at_end(serve)
    b.call(run, [slot, ir.Constant(ir.IntType(1), 1)])
    b.branch(leave_slot)
    b.position_at_end(leave_slot)
    b.atomic_rmw("sub", p.field(b, slot, ACTIVE), _c(1), "seq_cst")
    seen.add_incoming(task, b.block)
    b.branch(head)
    b.position_at_end(leave)
    b.ret_void()


def _build_parallel_for(m: ir.Module, p: _Pool, run: ir.Function) -> None:
    """void tj_parallel_for(fn, args, total, grain); a NULL ``fn`` parks the pool: idle
    workers stop spinning and sleep until the next task (called before code that wants the
    cores, such as a LAPACK or host call, and when a program returns)."""
    pfor = ir.Function(m, ir.FunctionType(ir.VoidType(), [TASK_PTR, PTR, I64, I64]), "tj_parallel_for")
    fn, args, total, grain = pfor.args
    b = ir.IRBuilder(pfor.append_basic_block("start"))
    park, set_park, parked, task_entry = (pfor.append_basic_block(n) for n in ("park", "set", "parked", "entry"))
    serial, claim, drain, publish = (pfor.append_basic_block(n) for n in ("serial", "claim", "drain", "publish"))
    b.cbranch(b.icmp_unsigned("==", fn, ir.Constant(TASK_PTR, None)), park, task_entry)
    b.position_at_end(park)  # (read first: a parked pool's line is not written again)
    b.cbranch(b.icmp_unsigned("!=", p.load(b, p.word(b, PARK), I32, "monotonic"), _c(0, I32)), parked, set_park)
    b.position_at_end(set_park)
    p.store(b, _c(1, I32), p.word(b, PARK), "monotonic")
    b.branch(parked)
    b.position_at_end(parked)
    b.ret_void()
    b.position_at_end(task_entry)
    workers = p.load(b, p.word(b, WORKERS), I32)
    small = b.or_(b.icmp_signed("<=", total, grain), b.icmp_signed("<=", workers, _c(0, I32)))
    # (a chunk index must fit the 31 bits of NEXT's halves: a task of more chunks runs serially;
    # a grain below 1 too, never divided by)
    positive = b.icmp_signed(">", grain, _c(0))
    small = b.or_(small, b.not_(positive))
    small = b.or_(small, b.icmp_signed(">", b.sdiv(total, b.select(positive, grain, _c(1))), _c(MAX_CHUNKS)))
    b.cbranch(small, serial, claim)
    b.position_at_end(serial)
    b.call(fn, [args, _c(0), total])
    b.ret_void()
    b.position_at_end(claim)
    got = b.cmpxchg(p.word(b, BUSY), _c(0, I32), _c(1, I32), "acquire", "monotonic")
    backing, back_off = pfor.append_basic_block("backing"), pfor.append_basic_block("back_off")
    b.cbranch(b.extract_value(got, 1), backing, serial)
    b.position_at_end(backing)  # backing off after a late worker: this task runs serially
    backoff = p.load(b, p.word(b, BACKOFF), I32, "monotonic")
    b.cbranch(b.icmp_unsigned("!=", backoff, _c(0, I32)), back_off, drain)
    b.position_at_end(back_off)
    p.store(b, b.sub(backoff, _c(1, I32)), p.word(b, BACKOFF), "monotonic")
    p.store(b, _c(0, I32), p.word(b, BUSY), "release")
    b.branch(serial)
    # Take the next task id and its slot; invalidate the slot, then wait for late workers to leave.
    b.position_at_end(drain)
    task = b.add(p.load(b, p.word(b, GEN), I32), _c(1, I32))
    task64 = b.zext(task, I64)
    slot = b.urem(task64, _c(SLOTS))
    p.store(b, _c(-1), p.field(b, slot, SEQ), "seq_cst")
    wait_head, wait_body = pfor.append_basic_block("drain.head"), pfor.append_basic_block("drain.wait")
    b.branch(wait_head)
    b.position_at_end(wait_head)
    active = p.load(b, p.field(b, slot, ACTIVE), I64, "seq_cst")
    b.cbranch(b.icmp_signed("==", active, _c(0)), publish, wait_body)
    b.position_at_end(wait_body)
    p.relax(b)
    b.branch(wait_head)
    b.position_at_end(publish)
    p.store(b, fn, p.ptr(b, slot, FN), "monotonic")
    p.store(b, args, p.ptr(b, slot, ARGS), "monotonic")
    chunks = b.sdiv(b.sub(b.add(total, grain), _c(1)), grain)
    for field, value in ((TOTAL, total), (GRAIN, grain), (NEXT, b.shl(chunks, _c(32))), (DONE, _c(0))):
        p.store(b, value, p.field(b, slot, field), "monotonic")
    p.store(b, _c(0, I32), p.flag(b, slot), "monotonic")
    p.store(b, _c(0, I32), p.word(b, PARK), "monotonic")  # (published by the seq_cst stores below)
    p.store(b, task64, p.field(b, slot, SEQ), "seq_cst")
    p.store(b, task, p.word(b, GEN), "seq_cst")
    p.wake(b, p.word(b, GEN), workers)
    t0 = p.now(b)
    mine = b.call(run, [slot, ir.Constant(ir.IntType(1), 0)])
    t1 = p.now(b)
    # Wait until every chunk is done (by anyone), then release the pool.
    p.wait_while_equal(b, p.flag(b, slot), _c(0, I32), "chunks")
    _back_off_if_late(b, p, mine, b.sub(t1, t0), b.sub(p.now(b), t1))
    p.store(b, _c(0, I32), p.word(b, BUSY), "release")
    b.ret_void()


def _back_off_if_late(b: ir.IRBuilder, p: _Pool, mine, worked, waited) -> None:
    """After a task: the caller ran ``mine`` chunks in ``worked`` cycles, then ``waited`` for
    the workers' last ones. A wait longer than ``LATE_FACTOR`` of its chunks (plus
    ``LATE_SLACK``) means a worker was descheduled holding a chunk: the cores are busy with
    other threads (another pool, another process). The pool then runs the next ``level`` tasks
    serially, doubling ``level`` (up to the MAX_LEVEL word) at each late task and halving it at each
    punctual one, so that it never adds its threads to cores another pool is using."""
    fn = b.function
    late, punctual, done = (fn.append_basic_block(n) for n in ("late", "punctual", "backoff.done"))
    per_chunk = b.udiv(worked, b.select(b.icmp_unsigned("==", mine, _c(0)), _c(1), mine))
    bound = b.add(b.mul(per_chunk, _c(LATE_FACTOR)), _c(LATE_SLACK))
    is_late = b.and_(b.icmp_unsigned("!=", mine, _c(0)), b.icmp_unsigned(">", waited, bound))
    level = p.load(b, p.word(b, LEVEL), I32, "monotonic")
    b.cbranch(is_late, late, punctual)
    b.position_at_end(late)
    doubled = b.add(b.add(level, level), _c(1, I32))
    most = p.load(b, p.word(b, MAX_LEVEL), I32, "monotonic")
    doubled = b.select(b.icmp_unsigned(">", doubled, most), most, doubled)
    p.store(b, doubled, p.word(b, LEVEL), "monotonic")
    p.store(b, doubled, p.word(b, BACKOFF), "monotonic")
    b.branch(done)
    b.position_at_end(punctual)
    halve = fn.append_basic_block("halve")
    b.cbranch(b.icmp_unsigned("!=", level, _c(0, I32)), halve, done)  # (a level of 0 is not written again)
    b.position_at_end(halve)
    p.store(b, b.lshr(level, _c(1, I32)), p.word(b, LEVEL), "monotonic")
    b.branch(done)
    b.position_at_end(done)


def build_module(sys_futex: int | None, sys_yield: int | None = None) -> ir.Module:
    """The pool's LLVM module (waiting on futexes through syscall ``sys_futex``, or
    spinning where that is None; yielding the core while spinning through syscall
    ``sys_yield``, where given): ``tj_worker``, ``tj_parallel_for``, ``tj_configure(workers,
    spin, yield_mask, max_level, linger)``, ``tj_parked``, ``tj_backoff``, ``tj_cycles`` (the
    cycle counter, 0 where none) and ``tj_stop``
    (``threads.POOL_SYMBOLS``)."""
    m = ir.Module("tracejit_threads")
    bind_target(m, host_target())  # the JIT's own module: always the host's
    p = _Pool(m, sys_futex, sys_yield)
    run = _build_run_chunks(m, p)
    _build_worker(m, p, run)
    _build_parallel_for(m, p, run)
    conf = ir.Function(m, ir.FunctionType(ir.VoidType(), [I32, I32, I32, I32, I32]), "tj_configure")
    b = ir.IRBuilder(conf.append_basic_block("entry"))
    p.store(b, conf.args[4], p.word(b, LINGER))
    p.store(b, conf.args[3], p.word(b, MAX_LEVEL))
    p.store(b, conf.args[1], p.word(b, SPIN_POLLS))
    p.store(b, conf.args[2], p.word(b, YIELD_MASK))
    p.store(b, conf.args[0], p.word(b, WORKERS))
    b.ret_void()
    cycles = ir.Function(m, ir.FunctionType(I64, []), "tj_cycles")
    b = ir.IRBuilder(cycles.append_basic_block("entry"))
    b.ret(p.now(b))
    for name, word in (("tj_parked", PARK), ("tj_backoff", LEVEL)):
        get = ir.Function(m, ir.FunctionType(I32, []), name)
        b = ir.IRBuilder(get.append_basic_block("entry"))
        b.ret(p.load(b, p.word(b, word), I32, "monotonic"))
    stop = ir.Function(m, ir.FunctionType(ir.VoidType(), []), "tj_stop")
    b = ir.IRBuilder(stop.append_basic_block("entry"))
    p.store(b, _c(1, I32), p.word(b, STOP), "seq_cst")
    b.atomic_rmw("add", p.word(b, GEN), _c(1, I32), "seq_cst")
    p.futex(b, p.word(b, GEN), FUTEX_WAKE, _c(2**31 - 1, I32))
    b.ret_void()
    return m


