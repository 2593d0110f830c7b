"""Running a compiled program on NumPy arrays: one table of buffer pointers, one
foreign call to the driver (the GIL is released while it runs), fresh output arrays."""
from __future__ import annotations

import ctypes

import numpy as np

from tracejit.compiler.codegen.symbols import symbol_names
from tracejit.compiler.fingerprint import program_fingerprint
from tracejit.compiler.kernel import Program
from tracejit.compiler.memplan import plan_memory
from tracejit.runtime import threads
from tracejit.runtime.buffers import pool
from tracejit.runtime import diskcache
from tracejit.runtime.engine import CompiledModule, load_cached

ALIGN = 64
STREAM_ALIGN = 64  # what compiler/streaming.py assumes of large outputs (page-aligned pool blocks)
_ENTRY = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p)
_byte_at = ctypes.c_char.from_buffer
_BYTE = np.dtype(np.uint8)


def address(arr: np.ndarray) -> int:
    """The data pointer of ``arr`` (about 1 us for writable arrays, 3 us otherwise)."""
    try:
        return ctypes.addressof(_byte_at(arr))
    except (TypeError, ValueError, BufferError):  # read-only, zero-size or non-contiguous
        return arr.ctypes.data


class Executable:
    """A program loaded as machine code, callable on a list of input arrays."""

    def __init__(self, program: Program, compiled: CompiledModule, entry: str, parallel: bool):
        self.program = program
        self.compiled = compiled
        self._entry = _ENTRY(compiled.addresses[entry])
        # The driver calls the thread pool's parallel_for (started only when needed).
        self._parallel_for = threads.pool().parallel_for if parallel else None
        n = len(program.buffers)
        self._table_type = ctypes.c_void_p * n
        self._template = self._table_type()
        self._constants = []
        self._inputs: list[tuple[int, int]] = []
        self._temps: list[tuple[int, int]] = []
        self._outputs: list[tuple[int, tuple, np.dtype]] = []
        plan = program.plan if program.plan is not None else plan_memory(program)
        for buf in program.buffers:
            if buf.kind == "input":
                self._inputs.append((buf.id, buf.index))
            elif buf.kind == "constant":
                value = aligned_copy(buf.value)
                self._constants.append(value)
                self._template[buf.id] = value.ctypes.data
            elif buf.kind == "temp":
                if buf.id in plan.offsets:  # else no kernel touches it
                    self._temps.append((buf.id, plan.offsets[buf.id]))
            elif buf.kind == "scratch":
                pass  # lives on the stack of each kernel call
            else:
                self._outputs.append((buf.id, buf.shape, buf.dtype))
        self.arena_bytes = plan.arena_bytes
        # outputs written by non-temporal stores: the compiler relied on 64-byte alignment
        self._streamed = {n.store.buffer for k in program.kernels for n, s in zip(k.nests, k.schedules)
                          if s.stream and program.buffers[n.store.buffer].kind == "output"}
        self._result_of = program.outputs

    def __call__(self, arrays: list[np.ndarray]) -> list[np.ndarray]:
        table = self._table_type.from_buffer_copy(self._template)
        for slot, index in self._inputs:
            table[slot] = address(arrays[index])
        arena = None
        if self.arena_bytes:
            arena = pool.empty((self.arena_bytes + ALIGN,), _BYTE)
            base = -(-address(arena) // ALIGN) * ALIGN
            for slot, offset in self._temps:
                table[slot] = base + offset
        produced = {}
        for slot, shape, dtype in self._outputs:
            out = pool.empty(shape, dtype)
            table[slot] = address(out)
            if slot in self._streamed and table[slot] % STREAM_ALIGN:
                raise RuntimeError(f"tracejit: output buffer {slot} is not {STREAM_ALIGN}-byte aligned")
            produced[slot] = out
        self._entry(table, self._parallel_for)
        del arena
        results, handed_out = [], set()
        for bid in self._result_of:
            out = produced[bid]
            if bid in handed_out:  # distinct results that CSE merged stay distinct arrays
                out = out.copy()
            handed_out.add(bid)
            results.append(out)
        return results


def aligned_copy(value: np.ndarray) -> np.ndarray:
    """A C-contiguous copy of ``value`` starting on an ``ALIGN``-byte boundary."""
    raw = np.empty(value.nbytes + ALIGN, np.uint8)
    start = -raw.ctypes.data % ALIGN
    out = raw[start:start + value.nbytes].view(value.dtype).reshape(value.shape)
    out[...] = value
    return out


def load_program(program: Program) -> Executable:
    """Machine code of ``program``: loaded already in this process, or object code from
    the disk cache (no IR is even generated), or generated, compiled and stored now.
    The cache key is the program's fingerprint (everything code generation reads), and
    function names derive from it, so one key always names the same object code."""
    key = diskcache.cache_key(program_fingerprint(program))
    prefix = f"tj{key[:20]}_{_sanitize(program.name)}"
    symbols = symbol_names(program, prefix)

    def build_ir() -> str:  # only on a miss, or when the IR is asked for
        from tracejit.compiler.codegen.module import build_module
        return str(build_module(program, prefix)[0])

    compiled = load_cached(key, [symbols.entry, *symbols.kernels], build_ir)
    return Executable(program, compiled, symbols.entry, symbols.parallel)


def _sanitize(name: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in name)[:40]
