"""A native thread pool for parallel loops, written in LLVM IR and compiled once.

``tj_parallel_for(fn, args, total, grain)`` runs ``fn(args, begin, end)`` over
``[0, total)`` in chunks of ``grain``; the calling thread claims chunks too, so a call
never waits for a worker that is asleep or descheduled: it returns as soon as every
chunk is done. Workers are Python threads that each make one foreign call into
``tj_worker`` (releasing the GIL for good) and sleep on a futex between tasks (a
wake-up, a system call, is made only while some thread is counted asleep).

Tasks live in a ring of slots. A worker joins task ``t`` by incrementing its slot's
``active`` count and then checking the slot still holds ``t``; the caller, before
reusing a slot, invalidates its sequence number and waits until ``active`` is 0. Both
sides use sequentially consistent operations for that handshake, so a late worker can
never run a chunk of a newer task with stale parameters. Every shared field is accessed
atomically. A call made while another thread's task is running runs serially.

Idle workers spin briefly (:data:`SPIN` polls; optionally yielding their core every
:data:`YIELD_EVERY` polls) before sleeping, so the kernels of one program hand work over
without a futex wake-up; then they *linger* (:data:`LINGER_US` after going idle: polling,
but yielding their core at each poll, so any other thread ready to run there gets it) before
sleeping, so a program called again soon finds them awake. The caller claims a task's chunks
from the front, workers from the back, so a task run again gives each thread the same chunks
(their data stays in that core's cache). A caller that had to wait for a worker descheduled while holding a
chunk (the cores are busy with another pool or process) runs the next tasks serially, backing
off exponentially (at most :data:`MAX_BACKOFF` tasks; ``poolcode._back_off_if_late``), so the
pool does not add its threads to cores another pool is using.

``tj_parallel_for(NULL, ...)`` *parks* the pool: spinning workers stop spinning and only
linger (the next task clears it). Generated code parks it before a LAPACK or host call and when a
top-level program returns, so OpenBLAS's threads and whatever the caller runs next get the
cores instead of sharing them with spinners.

The pool's IR is built by ``runtime/poolcode.py`` (imported lazily: only a process that
finds no compiled pool in the disk cache builds it).
"""
from __future__ import annotations

import ctypes
import os
import platform
import sys
import threading
import time
from typing import TYPE_CHECKING

from tracejit.compiler.target import init_llvm
from tracejit.config import config
from tracejit.runtime import diskcache

if TYPE_CHECKING:
    from tracejit.runtime.engine import Companion

SYS_FUTEX = {"x86_64": 202, "AMD64": 202, "aarch64": 98, "arm64": 98}.get(platform.machine())
SYS_SCHED_YIELD = {"x86_64": 24, "AMD64": 24, "aarch64": 124, "arm64": 124}.get(platform.machine())
SPIN = int(os.environ.get("TRACEJIT_SPIN", 4000))  # polls a waiting thread makes before it sleeps on a futex
# while spinning, an idle worker yields its core every this many polls (0: never; off by default:
# measured, it slowed tracejit 1.4x alone and 4-7x beside a busy pool on the loaded 2-core machine,
# with no gain measurable for the neighbour; see docs/design.md, "Good neighbours")
YIELD_EVERY = int(os.environ.get("TRACEJIT_YIELD_EVERY", 0))
# microseconds after going idle that a worker keeps polling, yielding its core at every poll, once
# its spin budget is spent or the pool is parked: a program called again soon finds it awake
# (docs/design.md, "Lingering workers")
LINGER_US = float(os.environ.get("TRACEJIT_LINGER_US", 300))
MAX_BACKOFF = int(os.environ.get("TRACEJIT_MAX_BACKOFF", 256))  # the most tasks run serially after a late worker
# the entry points of the pool's module
POOL_SYMBOLS = ["tj_worker", "tj_parallel_for", "tj_configure", "tj_parked", "tj_backoff", "tj_cycles", "tj_stop"]


class ThreadPool:
    """The process's native pool: ``parallel_for`` is the address drivers call."""

    def __init__(self, threads: int):
        init_llvm()
        if SYS_FUTEX is None or not sys.platform.startswith("linux"):
            threads = 1  # futex-based waiting is Linux-only; run serially elsewhere
        self.threads = threads
        # The pool's module depends only on tracejit's sources, which the key covers: a
        # process that finds it on disk does not even build its IR.
        self.compiled = pool_module().load()
        addr = self.compiled.addresses
        self.parallel_for = addr["tj_parallel_for"]
        i32 = ctypes.c_int32
        self._configure = ctypes.CFUNCTYPE(None, i32, i32, i32, i32, i32)(addr["tj_configure"])
        self._cycles = ctypes.CFUNCTYPE(ctypes.c_int64)(addr["tj_cycles"])
        self.cycles_per_us = self._cycle_rate()
        self.tune(SPIN, YIELD_EVERY, MAX_BACKOFF, LINGER_US)
        self._parked = ctypes.CFUNCTYPE(ctypes.c_int32)(addr["tj_parked"])
        self._backoff = ctypes.CFUNCTYPE(ctypes.c_int32)(addr["tj_backoff"])
        worker = ctypes.CFUNCTYPE(None, ctypes.c_void_p)(addr["tj_worker"])
        self._workers = [threading.Thread(target=worker, args=(None,), daemon=True,
                                          name=f"tracejit-worker-{i}") for i in range(threads - 1)]
        for t in self._workers:
            t.start()

    def _cycle_rate(self) -> float:
        """The pool's cycle counter ticks per microsecond, measured over half a millisecond
        of sleep (0 where it has none: lingering is then off)."""
        c0, t0 = self._cycles(), time.perf_counter_ns()
        time.sleep(0.0005)
        c1, t1 = self._cycles(), time.perf_counter_ns()
        return max(0.0, (c1 - c0) / max(1, t1 - t0) * 1e3)

    def tune(self, polls: int, yield_every: int, max_backoff: int, linger_us: float | None = None) -> None:
        """Let a waiting thread poll ``polls`` times before it sleeps on a futex, an idle worker
        yielding its core (``sched_yield``) every ``yield_every`` polls (a power of two; 0:
        never), run at most ``max_backoff`` tasks serially after a late worker (0: never),
        and let an idle worker *linger* until ``linger_us`` microseconds after it went idle
        (polling, yielding its core at each poll) once it has spun ``polls`` or the pool
        is parked, before it sleeps (None: the linger set before)."""
        if yield_every < 0 or yield_every & (yield_every - 1):
            raise ValueError(f"yield_every must be 0 or a power of two, not {yield_every}")
        self.spin, self.yield_every, self.max_backoff = polls, yield_every, max_backoff
        self.linger_us = linger_us = self.linger_us if linger_us is None else linger_us
        mask = yield_every - 1 if yield_every else -1  # (-1: all ones, a poll count never reaches it)
        linger = min(int(linger_us * self.cycles_per_us), 2**31 - 1)
        self._configure(self.threads - 1, polls, mask, max_backoff, linger)

    def backoff(self) -> int:
        """The pool's backoff level: after a worker was late (descheduled holding a chunk: the
        cores are busy elsewhere), parallel tasks run serially for a while (``poolcode``)."""
        return int(self._backoff())

    def parked(self) -> bool:
        """Whether the pool is parked (idle workers sleep without spinning) until the next task."""
        return bool(self._parked())


def pool_module() -> Companion:
    """The pool's module (compiled with the first parallel program, ``engine.Companion``), at
    O3: its spin and hand-over loops compile to other code at O1 (346 against 354 instructions)."""
    from tracejit.runtime.engine import Companion  # deferred: llvmlite, loaded by the first compilation
    return Companion(diskcache.cache_key("tracejit thread pool"), tuple(POOL_SYMBOLS), _pool_ir, level=3)


def started() -> bool:
    """Whether this process's pool is running (its module loaded)."""
    return _pool is not None


def _pool_ir() -> str:
    """The pool's IR: built only when no compiled pool is in the disk cache."""
    from tracejit.runtime import poolcode  # deferred: llvmlite.ir, needed only to build it
    return str(poolcode.build_module(SYS_FUTEX, SYS_SCHED_YIELD))


_pool: ThreadPool | None = None
_pool_lock = threading.Lock()


def pool() -> ThreadPool:
    """The process-wide pool, started on first use."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPool(config.num_threads)
        return _pool
