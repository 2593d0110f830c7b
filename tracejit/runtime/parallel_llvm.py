"""Optimizing and compiling the parts of a module at once, one thread each.

llvmlite runs every call into LLVM under one process-wide lock (``llvmlite.binding.ffi``),
so threads calling its public API take turns. LLVM itself compiles modules of distinct
contexts with distinct target machines concurrently (ORC's compile threads do), and ctypes
releases the GIL for the call: so each part is parsed into an LLVM context of its own and
optimized and turned into object code with a target machine of its own, and those two calls
-- nearly all the time -- go to llvmlite's C functions directly, without the lock (the
functions are llvmlite's, with the argument types it declared). Where llvmlite does not
expose them so (another version), the parts are compiled one after another, under the lock.
The calling thread compiles the largest part itself; the others run on a small pool of
threads started on first use (idle threads block on a queue: they cost no CPU).
"""
from __future__ import annotations

import ctypes
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import llvmlite.binding as llvm
from llvmlite.binding import ffi

from tracejit.compiler.target import jit_features, new_target_machine, optimize_module, pass_builder, target_machine
from tracejit.stagetimes import credit

_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()
_local = threading.local()  # this thread's target machines (by features)
MAX_THREADS = 4


def _unlocked(name: str):
    """llvmlite's C function ``name`` without its lock, or None where llvmlite hides it."""
    wrapped = getattr(ffi.lib, name, None)
    fn = getattr(wrapped, "_cfn", None)
    return fn if callable(fn) and getattr(fn, "argtypes", None) is not None else None


def concurrent() -> bool:
    """Whether parts can be optimized and compiled at once (llvmlite's functions reachable)."""
    return all(_unlocked(n) is not None for n in ("LLVMPY_RunNewModulePassManager",
                                                  "LLVMPY_TargetMachineEmitToMemory"))


def _machine() -> llvm.TargetMachine:
    """This thread's host target machine for the JIT's features (``tj.config.isa``)."""
    features = jit_features()
    machines = _local.__dict__.setdefault("machines", {})
    if features not in machines:
        machines[features] = new_target_machine(features)
    return machines[features]


def _emit(machine: llvm.TargetMachine, mod: llvm.ModuleRef) -> bytes:
    """``machine.emit_object(mod)`` without llvmlite's lock (as llvmlite's own ``_emit_to_memory``)."""
    with ffi.OutputString() as error:
        buffer = _unlocked("LLVMPY_TargetMachineEmitToMemory")(machine, mod, 1, error)
        if not buffer:
            raise RuntimeError(str(error))
    try:
        return ctypes.string_at(ffi.lib.LLVMPY_GetBufferStart(buffer), ffi.lib.LLVMPY_GetBufferSize(buffer))
    finally:
        ffi.lib.LLVMPY_DisposeMemoryBuffer(buffer)


def _compile_one(text: str, level: int, keep_ir: bool) -> tuple[bytes, str | None, float, float]:
    """One part in its own context: (object code, optimized IR if asked, optimize s, emit s)."""
    context = llvm.create_context()
    mod = llvm.parse_assembly(text, context=context)
    try:
        mod.verify()
        machine = _machine()
        t0 = time.perf_counter()
        pb = pass_builder(machine, level)
        mpm = pb.getModulePassManager()
        _unlocked("LLVMPY_RunNewModulePassManager")(mpm, mod, pb)
        mpm.close()  # (before the module and context they ran on)
        pb.close()
        t1 = time.perf_counter()
        optimized = str(mod) if keep_ir else None
        obj = _emit(machine, mod)
        return obj, optimized, t1 - t0, time.perf_counter() - t1
    finally:
        mod.close()
        context.close()


def _serial_one(text: str, level: int, keep_ir: bool) -> tuple[bytes, str | None, float, float]:
    """One part through llvmlite's public (locked) API, in the global context."""
    mod = llvm.parse_assembly(text)
    mod.verify()
    t0 = time.perf_counter()
    optimize_module(mod, target_machine(), level)
    t1 = time.perf_counter()
    optimized = str(mod) if keep_ir else None
    return target_machine().emit_object(mod), optimized, t1 - t0, time.perf_counter() - t1


def _executor() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=MAX_THREADS - 1, thread_name_prefix="tracejit-llvm")
        return _pool


def _forget_pool() -> None:
    """In a forked child: the parent's compile threads do not exist there (a new pool starts on use)."""
    global _pool
    _pool = None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool)


def compile_parts(parts: list[tuple[str, int]], keep_ir: bool = False) -> tuple[list[bytes], list[str] | None]:
    """Object code of each part (IR text, optimization level), compiled at once where llvmlite
    allows, and the optimized IR of each (only with ``keep_ir``). The time of the current
    measured stage is split between ``LLVM optimize`` and ``machine code`` in proportion to the
    time the parts spent in each (``stagetimes.credit``)."""
    run = _compile_one if concurrent() and len(parts) > 1 else _serial_one
    order = sorted(range(len(parts)), key=lambda i: -len(parts[i][0]))  # largest on this thread
    futures = {i: _executor().submit(run, *parts[i], keep_ir) for i in order[1:]}
    start = time.perf_counter()
    results = {order[0]: run(*parts[order[0]], keep_ir)}
    results.update((i, f.result()) for i, f in futures.items())
    wall = time.perf_counter() - start
    optimizing = sum(r[2] for r in results.values())
    emitting = sum(r[3] for r in results.values())
    if optimizing + emitting > 0:
        credit("machine code", wall * emitting / (optimizing + emitting))
    done = [results[i] for i in range(len(parts))]
    optimized = [r[1] for r in done] if keep_ir else None
    return [r[0] for r in done], optimized
