"""Running a compiled program on NumPy arrays: one table of buffer pointers, one
foreign call to the driver (the GIL is released while it runs), fresh output arrays.

An :class:`Executable` is made by ``compile.py`` from what the compiler produced: the
program (with its memory plan), its machine code and the size table of its generic form
(``compiler/generic_sizes.py``). Nothing here compiles."""
from __future__ import annotations

import ctypes
import math
from typing import TYPE_CHECKING

import numpy as np

from tracejit.compiler.codegen.symbols import ARRAY_FIELDS, call_slots, checks_inputs
from tracejit.runtime import MISS, threads
from tracejit.runtime.buffers import MIN_POOLED_BYTES, pool
from tracejit.runtime.fastcall import ArenaCache, distinct_results, multi_call, run_from, single_call
from tracejit.runtime.hostcalls import checked, has_host_calls, run_checked

if TYPE_CHECKING:
    from tracejit.compiler.kir import Program
    from tracejit.runtime.engine import CompiledModule  # the engine imports llvmlite: loaded to compile

ALIGN = 64
STREAM_ALIGN = 64  # what compiler/schedule/streaming.py assumes of large outputs (page-aligned pool blocks)
_ENTRY = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p)
_byte_at = ctypes.c_char.from_buffer
_BYTE = np.dtype(np.uint8)
RELEASE_GIL_BYTES = 1 << 16  # calls moving at least this much: the GIL is released around the kernels


def address(arr: np.ndarray) -> int:
    """The data pointer of ``arr`` (about 1 us for writable arrays, 3 us otherwise)."""
    try:
        return ctypes.addressof(_byte_at(arr))
    except (TypeError, ValueError, BufferError):  # read-only, zero-size or non-contiguous
        return arr.ctypes.data


class Executable:
    """A program loaded as machine code, callable on a list of input arrays."""

    def __init__(self, program: Program, compiled: CompiledModule, entry: str, call: str | None = None,
                 sizes: np.ndarray | None = None, source: str = "compiled"):
        """``compiled`` is the code of ``program``'s generic form (its driver named ``entry``,
        its wrapper taking array objects ``call``), ``sizes`` its size table
        (``compiler/generic_sizes.py``); ``source`` says where the code came from: ``compiled``
        now, the ``disk`` cache, or ``memory`` (loaded already for a program of the same
        structure)."""
        self.program = program
        self.compiled = compiled
        self.source = source
        self._call_name = call
        self._entry = _ENTRY(compiled.addresses[entry])
        slots = call_slots(program)
        self._host_calls = has_host_calls(program)
        # A program calling back into Python and moving little data keeps the GIL (as native dispatch
        # does): releasing it costs more than such a call runs, and each callback would wait to retake
        # it while another Python thread runs (up to the switch interval, 5 ms, per host call).
        holds_gil = self._host_calls and moved_bytes(program) < RELEASE_GIL_BYTES
        # The wrapper taking array objects, when this interpreter lays arrays out as it assumes.
        self._call = ((ctypes.PYFUNCTYPE if holds_gil else ctypes.CFUNCTYPE)(
            ctypes.c_int32, *[ctypes.c_void_p] * (len(slots) + 1))(compiled.addresses[call])
            if call and array_layout_ok() else None)
        inputs = sorted((b for b in program.buffers if b.kind == "input"), key=lambda b: b.index)
        # What the wrapper compares the input objects with: the ndarray type, each input's
        # dtype, then each input's number of dimensions (complex arrays: see complex_boundary)
        self._expected = (ctypes.c_void_p * (1 + 2 * len(inputs)))(
            id(np.ndarray), *[id(np.dtype(b.dtype.str)) for b in inputs], *[len(b.shape) for b in inputs])
        self._complex_descrs: list[np.dtype] = []  # kept alive while the table points at them
        self._expected_address = ctypes.addressof(self._expected)
        self.checks_inputs = checks_inputs(program)
        # The driver calls the thread pool's parallel_for (started only when needed).
        self._parallel_for = threads.pool().parallel_for if uses_pool(program) else None
        n = len(program.buffers)
        self._table_type = ctypes.c_void_p * (n + 1)  # every buffer, then the size table
        self._template = self._table_type()
        self._sizes = np.zeros(1, np.int64) if sizes is None else sizes
        self._template[n] = self._sizes.ctypes.data
        self._constants = []
        self._inputs: list[tuple[int, int]] = []
        self._temps: list[tuple[int, int]] = []
        self._outputs: list[tuple[int, tuple, np.dtype]] = []
        plan = program.plan  # compile.py makes sure there is one
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
        # results in an argument's own memory (frontend/donation.py): that argument array itself
        self._argument_results = {bid: index for bid, index in self._inputs if bid in set(program.outputs)}
        self._template_address = ctypes.addressof(self._template)
        # The wrapper's context: constants' table, arena (none here), parallel_for, expected.
        self._context = self._context_for(None)
        self._input_order = [index for _, index in sorted(self._inputs, key=lambda p: p[1])]
        self.direct = None  # set by _plain_call when the wrapper can vouch for raw arguments
        self.direct_all = None  # the same for every result (a list), set for programs without a native call
        self.native = None  # and what runtime/dispatcher.py needs to make that call natively
        # how this program is run: chosen once here
        self._run = self._plain_call() or self._call_with_objects if self._call else self._call_with_table
        if self._host_calls:  # an error in a host call is raised after the native call returns
            self.native = None  # (native dispatch cannot raise it)
            self.direct = checked(self.direct) if self.direct is not None else None
            self.direct_all = checked(self.direct_all) if self.direct_all is not None else None
            run = self._run
            self._run = lambda arrays: run_checked(run, arrays)

    def __call__(self, arrays: list[np.ndarray]) -> list[np.ndarray]:
        """The results of the program on ``arrays`` (the inputs, by argument index)."""
        return self._run(arrays)

    def _context_for(self, arena: int | None):
        """The four pointers the call wrapper reads (a new array per call with an arena,
        so concurrent calls never share one)."""
        return (ctypes.c_void_p * 4)(self._template_address, arena, self._parallel_for, self._expected_address)

    def complex_boundary(self, inputs: dict[int, np.dtype], results: dict[int, np.dtype]) -> bool:
        """Make the wrapper take the complex arrays themselves, and only them, for the
        inputs at the argument indices ``inputs`` (the program reads their float pair views,
        ``frontend/complex/boundary.py``: a float array of that shape is refused now), and
        the direct calls (``direct``, ``direct_all``, ``native``) return the results at the
        positions ``results`` as complex arrays (allocated as such: the program writes their
        pair views); the general path still takes pair views and returns pairs. False (and
        no direct call) where the program cannot: the direct calls are off."""
        self.direct = self.native = self.direct_all = None
        if self._call is None or self._host_calls or not self.checks_inputs:
            return False
        ordered = sorted((b for b in self.program.buffers if b.kind == "input"), key=lambda b: b.index)
        position = {b.index: k for k, b in enumerate(ordered)}  # the wrapper's order (an unused argument: none)
        for index, dtype in inputs.items():
            if index not in position or not _pairs_of(ordered[position[index]], dtype):
                return False
        outputs = {bid: (shape, dtype) for bid, shape, dtype in self._outputs}
        complex_outputs = {}
        for result, dtype in results.items():
            bid = self._result_of[result]
            if bid not in outputs or not _pairs_of(self.program.buffers[bid], dtype):
                return False
            complex_outputs[bid] = np.dtype(dtype.str)
        descrs = [np.dtype(dtype.str) for dtype in inputs.values()]
        self._complex_descrs = descrs
        for index, descr in zip(inputs, descrs):
            k = position[index]
            self._expected[1 + k] = id(descr)
            self._expected[1 + len(ordered) + k] = len(ordered[k].shape) - 1
        run, views = self._run, [(index, descr) for index, descr in zip(inputs, descrs)]

        def run_complex(arrays: list[np.ndarray]) -> list[np.ndarray]:
            """The general path (pair views) through the wrapper: the complex arrays passed."""
            arrays = list(arrays)
            for index, descr in views:
                arrays[index] = _complex_of(arrays[index], descr)
            return run(arrays)
        self._run = run_complex
        self._plain_call(complex_outputs)
        return self.direct is not None or self.direct_all is not None

    def _plain_call(self, complex_outputs: dict | None = None):
        """For the common program (no streamed results): a closure doing only what such a
        call needs, ~1 us of Python around the native call (temporaries: in an arena block
        kept between calls, ``runtime/fastcall.py``; a result repeated, CSE's merge of two
        results or the flags of several checks, copied as ``_results`` copies it);
        ``complex_outputs``: the output buffers the direct calls allocate as complex arrays
        (their pair views)."""
        slots = [slot for slot, _, _ in self._outputs]
        if self._streamed or set(self._result_of) != set(slots):
            return None
        repeated = [k for k, bid in enumerate(self._result_of) if bid in self._result_of[:k]]
        complex_outputs = complex_outputs or {}
        allocs = [(_allocator(shape, dtype), shape, dtype) if bid not in complex_outputs else
                  (_allocator(shape, dtype), shape[:-1], complex_outputs[bid]) for bid, shape, dtype in self._outputs]
        position = [slots.index(bid) for bid in self._result_of]
        order, call, context, fallback = (self._input_order, self._call, ctypes.addressof(self._context),
                                          self._call_with_table)
        in_order = order == list(range(self.program.n_inputs))  # every argument array, in order
        if repeated and not in_order:
            return None
        if in_order and (self.arena_bytes or len(allocs) != 1 or position != [0]):
            # temporaries (an arena block reused across calls) or several results: runtime/fastcall.py
            arenas = ArenaCache(self.arena_bytes, self._context_for) if self.arena_bytes else None
            multi = multi_call(len(order), call, context, allocs, position, arenas)
            if repeated:
                multi = distinct_results(multi, repeated)
            if self.checks_inputs:
                self.direct_all = multi
                if len(position) == 1:
                    self.direct = single_call(multi)
                    if arenas is not None and arenas.keep and allocs[0][0] is np.empty:
                        self.native = self._native_target(allocs[0], arenas.make())
            return run_from(multi, len(order), fallback)
        if self.arena_bytes:
            return None
        if in_order and len(allocs) == 1 and position == [0]:
            (empty, shape, dtype), = allocs
            n_inputs = len(order)

            def run_one(arrays: list[np.ndarray]) -> list[np.ndarray]:
                out = empty(shape, dtype)
                if call(*map(id, arrays), id(out), context):
                    return fallback(arrays)  # an input the wrapper's checks refused
                return [out]

            if self.checks_inputs:
                self.direct = _direct_call(n_inputs, call, context, empty, shape, dtype)
                if empty is np.empty:  # a small output: NumPy's allocator, as PyArray_Empty
                    self.native = self._native_target(allocs[0], None)
            return run_one

        def run(arrays: list[np.ndarray]) -> list[np.ndarray]:
            outs = [empty(shape, dtype) for empty, shape, dtype in allocs]
            ids = map(id, arrays) if in_order else [id(arrays[i]) for i in order]
            if call(*ids, *map(id, outs), context):
                return fallback(arrays)
            return [outs[i] for i in position]
        return run

    def _native_target(self, alloc: tuple, block: tuple | None) -> NativeTarget:
        """What native dispatch calls for this one-result program: the wrapper with this
        executable's context, or (``block``: an arena block of ``ArenaCache.make``, kept by
        the target) with that block's, one call at a time."""
        _, shape, dtype = alloc
        moved = moved_bytes(self.program)
        context = ctypes.addressof(self._context) if block is None else block[2]
        target = NativeTarget(self.compiled.addresses[self._call_name], context, self.program.n_inputs, shape,
                              dtype, moved)
        target.owner = (self, block)  # a call in flight keeps the context (and its arena) alive
        target.exclusive = int(block is not None)
        return target

    def _call_with_objects(self, arrays: list[np.ndarray]) -> list[np.ndarray]:
        """The ``call`` wrapper: array objects in, data pointers read natively."""
        produced = {slot: pool.empty(shape, dtype) for slot, shape, dtype in self._outputs}
        self._check_streamed(produced)
        arena, base = self._arena()
        context = self._context_for(base) if arena is not None else self._context
        if self._call(*[id(arrays[i]) for i in self._input_order], *[id(o) for o in produced.values()],
                      ctypes.addressof(context)):
            return self._call_with_table(arrays)  # an input the wrapper's checks refused
        del arena
        return self._results(produced, arrays)

    def _arena(self) -> tuple[np.ndarray | None, int | None]:
        """This call's block for the temporaries and its aligned address (None, None: none)."""
        if not self.arena_bytes:
            return None, None
        arena = pool.empty((self.arena_bytes + ALIGN,), _BYTE)
        return arena, -(-address(arena) // ALIGN) * ALIGN

    def _check_streamed(self, produced: dict) -> None:
        """Outputs written by non-temporal stores must be aligned as the compiler assumed."""
        for slot in self._streamed:
            if address(produced[slot]) % STREAM_ALIGN:
                raise RuntimeError(f"tracejit: output buffer {slot} is not {STREAM_ALIGN}-byte aligned")

    def _results(self, produced: dict, arrays: list[np.ndarray]) -> list[np.ndarray]:
        results, handed_out = [], set()
        for bid in self._result_of:
            if bid in self._argument_results:  # updated in the argument's memory: the array itself
                results.append(arrays[self._argument_results[bid]])
                continue
            out = produced[bid]
            if bid in handed_out:  # distinct results that CSE merged stay distinct arrays
                out = out.copy()
            handed_out.add(bid)
            results.append(out)
        return results

    def _call_with_table(self, arrays: list[np.ndarray]) -> list[np.ndarray]:
        """The driver called with a table of data pointers built in Python."""
        table = self._table_type.from_buffer_copy(self._template)
        for slot, index in self._inputs:
            table[slot] = address(arrays[index])
        arena, base = self._arena()
        for slot, offset in self._temps if arena is not None else ():
            table[slot] = base + offset
        produced = {slot: pool.empty(shape, dtype) for slot, shape, dtype in self._outputs}
        self._check_streamed(produced)
        for slot, out in produced.items():
            table[slot] = address(out)
        self._entry(table, self._parallel_for)
        del arena
        return self._results(produced, arrays)


class NativeTarget:
    """The direct call of an executable as ``runtime/dispatcher.py`` makes it: the
    wrapper's address, its context, the arity and the output's dtype object and dims."""

    def __init__(self, call: int, context: int, nargs: int, shape: tuple, dtype: np.dtype, moved_bytes: int):
        self.call, self.context, self.nargs = call, context, nargs
        self._descr = np.dtype(dtype.str)  # the canonical dtype object, kept alive here
        self.descr = id(self._descr)
        self._dims = (ctypes.c_int64 * max(len(shape), 1))(*shape)
        self.dims, self.nd = ctypes.addressof(self._dims), len(shape)
        self.release = int(moved_bytes >= RELEASE_GIL_BYTES)
        self.exclusive = 0  # 1: the context's arena block is used by one call at a time


def uses_pool(program: Program) -> bool:
    """Whether ``program``'s driver calls the thread pool: a parallel kernel, or a loop or
    branch (whose sub-programs may run parallel kernels: their chunk lengths are data)."""
    return any(k.parallel_grain or k.control is not None for k in program.kernels)


def moved_bytes(program: Program) -> int:
    """The bytes a call of ``program`` reads and writes in its arguments and results."""
    return sum(b.nbytes for b in program.buffers if b.kind in ("input", "output"))


def _pairs_of(buf, dtype: np.dtype) -> bool:
    """Whether ``buf`` can be the float pair view of a C-contiguous array of complex ``dtype``."""
    part = np.dtype(dtype.char.lower()) if dtype.kind == "c" else None
    return (part is not None and buf.dtype == part and len(buf.shape) >= 1 and buf.shape[-1] == 2
            and buf.view.is_contiguous())


def _complex_of(pairs: np.ndarray, descr: np.dtype) -> np.ndarray:
    """The complex array a C-contiguous pair view views (else the pairs: the wrapper
    refuses them and the call takes the table of pointers, which reads only addresses)."""
    if pairs.dtype.kind == "c" or not pairs.flags.c_contiguous:
        return pairs
    return pairs.view(descr)[..., 0]


def _allocator(shape: tuple, dtype: np.dtype):
    """``np.empty`` for arrays too small for the pool, else the pool's ``empty``."""
    return pool.empty if math.prod(shape) * dtype.itemsize >= MIN_POOLED_BYTES else np.empty


def _direct_call(n_inputs: int, call, context: int, empty, shape: tuple, dtype: np.dtype):
    """``direct(args)``: the single result for ``args`` when they are exactly the arrays the
    signature was compiled for (the wrapper checks them natively), else MISS. Spelled out
    for one to three inputs: unpacking ``*map(id, args)`` costs half as much as the call."""
    if n_inputs == 1:
        def direct(args: tuple):
            if len(args) != 1:
                return MISS
            out = empty(shape, dtype)
            return MISS if call(id(args[0]), id(out), context) else out
    elif n_inputs == 2:
        def direct(args: tuple):
            if len(args) != 2:
                return MISS
            out = empty(shape, dtype)
            return MISS if call(id(args[0]), id(args[1]), id(out), context) else out
    elif n_inputs == 3:
        def direct(args: tuple):
            if len(args) != 3:
                return MISS
            out = empty(shape, dtype)
            return MISS if call(id(args[0]), id(args[1]), id(args[2]), id(out), context) else out
    else:
        def direct(args: tuple):
            if len(args) != n_inputs:
                return MISS
            out = empty(shape, dtype)
            return MISS if call(*map(id, args), id(out), context) else out
    return direct


_layout_ok: bool | None = None


def array_layout_ok() -> bool:
    """Whether NumPy's array objects hold their type, data pointer, dims, dtype and flags
    where the call wrapper reads them (``ARRAY_FIELDS``): checked once, on a probe."""
    global _layout_ok
    if _layout_ok is None:
        probe = np.empty((3, 5), np.float32)
        at = id(probe)
        c = ctypes
        dims = c.c_void_p.from_address(at + ARRAY_FIELDS["dims"]).value
        _layout_ok = (c.c_void_p.from_address(at + ARRAY_FIELDS["type"]).value == id(np.ndarray)
                      and c.c_void_p.from_address(at + ARRAY_FIELDS["data"]).value == probe.ctypes.data
                      and c.c_int32.from_address(at + ARRAY_FIELDS["nd"]).value == 2
                      and bool(dims) and tuple((c.c_int64 * 2).from_address(dims)) == (3, 5)
                      and c.c_void_p.from_address(at + ARRAY_FIELDS["descr"]).value == id(probe.dtype)
                      and c.c_int32.from_address(at + ARRAY_FIELDS["flags"]).value == probe.flags.num)
    return _layout_ok


def aligned_copy(value: np.ndarray) -> np.ndarray:
    """A C-contiguous copy of ``value`` starting on an ``ALIGN``-byte boundary."""
    raw = np.empty(value.nbytes + ALIGN, np.uint8)
    start = -raw.ctypes.data % ALIGN
    out = raw[start:start + value.nbytes].view(value.dtype).reshape(value.shape)
    out[...] = value
    return out
