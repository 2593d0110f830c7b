"""The LLVM IR of the native thread pool (``runtime/threads.py`` runs it; the design,
the task ring and its handshake are described there).

Imported only to build the pool's module, which happens once per machine (then it
comes from the disk cache): it imports llvmlite at top level, so ``runtime/threads.py``
imports it lazily.
"""
from __future__ import annotations

import os

from llvmlite import ir

from tracejit.compiler.codegen.targeting import bind_target
from tracejit.compiler.target import host_target

I32, I64, PTR = ir.IntType(32), ir.IntType(64), ir.PointerType()
FUTEX_WAIT, FUTEX_WAKE = 128, 129  # the _PRIVATE variants
SPIN = int(os.environ.get("TRACEJIT_SPIN", 4000))  # polls before sleeping on a futex
SLOTS = 4

TASK = ir.FunctionType(ir.VoidType(), [PTR, I64, I64])
TASK_PTR = ir.PointerType(TASK)  # a typed pointer: llvmlite needs one to emit an indirect call

# global i32 words: generation (the newest task id), busy, stop, workers, park (nonzero: idle
# workers sleep at once instead of spinning; set by tj_parallel_for(NULL, ...), cleared by a task)
GEN, BUSY, STOP, WORKERS, PARK = range(5)
# per-slot i64 fields: seq, total, grain, next, done, active, finished(i64 used as futex via low word)
SEQ, TOTAL, GRAIN, NEXT, DONE, ACTIVE, FINISHED = range(7)
FIELDS = 8
# per-slot pointers: fn, args
FN, ARGS = range(2)


def _c(v, ty=I64):
    return ir.Constant(ty, v)


class _Pool:
    """IR helpers over the pool's global state."""

    def __init__(self, module: ir.Module, sys_futex: int | None):
        self.m = module
        self.sys_futex = sys_futex
        self.words = self._global("tj_pool_words", ir.ArrayType(I32, 8))
        self.slots = self._global("tj_pool_slots", ir.ArrayType(I64, SLOTS * FIELDS))
        self.flags = self._global("tj_pool_flags", ir.ArrayType(I32, SLOTS))
        self.ptrs = self._global("tj_pool_ptrs", ir.ArrayType(PTR, SLOTS * 2))
        self.syscall = ir.Function(module, ir.FunctionType(I64, [I64], var_arg=True), "syscall")
        self.pause = None
        if host_target().triple.startswith(("x86_64", "i686", "i386")):  # the host's pool only
            self.pause = ir.Function(module, ir.FunctionType(ir.VoidType(), []), "llvm.x86.sse2.pause")

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

    def relax(self, b):
        if self.pause is not None:
            b.call(self.pause, [])

    def wait_while_equal(self, b, addr, value, name, park=False):
        """Spin, then sleep on the futex, while the i32 at ``addr`` equals ``value``; with
        ``park``, stop spinning as soon as the PARK word is set."""
        fn = b.function
        spin_head, spin_body, sleep, done = (fn.append_basic_block(f"{name}.{n}")
                                             for n in ("spin", "spin_body", "sleep", "done"))
        pre = b.block
        b.branch(spin_head)
        b.position_at_end(spin_head)
        i = b.phi(I32)
        i.add_incoming(_c(0, I32), pre)
        b.cbranch(b.icmp_unsigned("!=", self.load(b, addr, I32), value), done, spin_body)
        b.position_at_end(spin_body)
        self.relax(b)
        nxt = b.add(i, _c(1, I32))
        more = b.icmp_unsigned("<", nxt, _c(SPIN, I32))
        if park:
            more = b.and_(more, b.icmp_unsigned("==", self.load(b, self.word(b, PARK), I32, "monotonic"), _c(0, I32)))
        i.add_incoming(nxt, spin_body)
        b.cbranch(more, spin_head, sleep)
        b.position_at_end(sleep)
        self.futex(b, addr, FUTEX_WAIT, value)
        b.cbranch(b.icmp_unsigned("!=", self.load(b, addr, I32), value), done, sleep)
        b.position_at_end(done)


def _build_run_chunks(m: ir.Module, p: _Pool) -> ir.Function:
    """void run_chunks(i64 slot): claim and run chunks of the slot's task until none are left."""
    run = ir.Function(m, ir.FunctionType(ir.VoidType(), [I64]), "tj_run_chunks")
    run.linkage = "internal"
    (slot,) = run.args
    b = ir.IRBuilder(run.append_basic_block("entry"))
    loop, work, last, out = (run.append_basic_block(n) for n in ("loop", "work", "last", "out"))
    b.branch(loop)
    b.position_at_end(loop)
    grain = p.load(b, p.field(b, slot, GRAIN))
    total = p.load(b, p.field(b, slot, TOTAL))
    start = b.atomic_rmw("add", p.field(b, slot, NEXT), grain, "acq_rel")
    b.cbranch(b.icmp_signed(">=", start, total), out, work)
    b.position_at_end(work)
    stop = b.add(start, grain)
    stop = b.select(b.icmp_signed("<", stop, total), stop, total)
    fn = p.load(b, p.ptr(b, slot, FN), TASK_PTR)
    args = p.load(b, p.ptr(b, slot, ARGS), PTR)
    b.call(fn, [args, start, stop])
    count = b.sub(stop, start)
    before = b.atomic_rmw("add", p.field(b, slot, DONE), count, "acq_rel")
    b.cbranch(b.icmp_signed("==", b.add(before, count), total), last, loop)
    b.position_at_end(last)  # completed the last chunk: release the caller
    p.store(b, _c(1, I32), p.flag(b, slot))
    p.futex(b, p.flag(b, slot), FUTEX_WAKE, _c(1, I32))
    b.branch(loop)
    b.position_at_end(out)
    b.ret_void()
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
    b.call(run, [slot])
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
    b.cbranch(small, serial, claim)
    b.position_at_end(serial)
    b.call(fn, [args, _c(0), total])
    b.ret_void()
    b.position_at_end(claim)
    got = b.cmpxchg(p.word(b, BUSY), _c(0, I32), _c(1, I32), "acquire", "monotonic")
    b.cbranch(b.extract_value(got, 1), drain, serial)
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
    for field, value in ((TOTAL, total), (GRAIN, grain), (NEXT, _c(0)), (DONE, _c(0))):
        p.store(b, value, p.field(b, slot, field), "monotonic")
    p.store(b, _c(0, I32), p.flag(b, slot), "monotonic")
    p.store(b, _c(0, I32), p.word(b, PARK), "monotonic")  # (published by the seq_cst stores below)
    p.store(b, task64, p.field(b, slot, SEQ), "seq_cst")
    p.store(b, task, p.word(b, GEN), "seq_cst")
    p.futex(b, p.word(b, GEN), FUTEX_WAKE, workers)
    b.call(run, [slot])
    # Wait until every chunk is done (by anyone), then release the pool.
    p.wait_while_equal(b, p.flag(b, slot), _c(0, I32), "chunks")
    p.store(b, _c(0, I32), p.word(b, BUSY), "release")
    b.ret_void()


def build_module(sys_futex: int | None) -> ir.Module:
    """The pool's LLVM module (waiting on futexes through syscall ``sys_futex``, or
    spinning where that is None): ``tj_worker``, ``tj_parallel_for``, ``tj_configure``,
    ``tj_parked`` and ``tj_stop`` (``threads.POOL_SYMBOLS``)."""
    m = ir.Module("tracejit_threads")
    bind_target(m, host_target())  # the JIT's own module: always the host's
    p = _Pool(m, sys_futex)
    run = _build_run_chunks(m, p)
    _build_worker(m, p, run)
    _build_parallel_for(m, p, run)
    conf = ir.Function(m, ir.FunctionType(ir.VoidType(), [I32]), "tj_configure")
    b = ir.IRBuilder(conf.append_basic_block("entry"))
    p.store(b, conf.args[0], p.word(b, WORKERS))
    b.ret_void()
    parked = ir.Function(m, ir.FunctionType(I32, []), "tj_parked")
    b = ir.IRBuilder(parked.append_basic_block("entry"))
    b.ret(p.load(b, p.word(b, PARK), I32, "monotonic"))
    stop = ir.Function(m, ir.FunctionType(ir.VoidType(), []), "tj_stop")
    b = ir.IRBuilder(stop.append_basic_block("entry"))
    p.store(b, _c(1, I32), p.word(b, STOP), "seq_cst")
    b.atomic_rmw("add", p.word(b, GEN), _c(1, I32), "seq_cst")
    p.futex(b, p.word(b, GEN), FUTEX_WAKE, _c(2**31 - 1, I32))
    b.ret_void()
    return m


