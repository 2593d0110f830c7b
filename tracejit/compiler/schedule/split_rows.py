"""Splitting column reductions over their rows: ``a.T @ y``, ``x.sum(axis=0)``.

An 'outer' reduction (the kept dim innermost, accumulating a row of outputs) is split
between threads by its kept columns: every thread then walks *every* row, reading a
slice of each with the row's stride (``a.T @ y`` with 5000 columns: 40 KB between a
thread's reads, 15 GB/s where NumPy's gemv gets 27). Split instead over the reduced
rows: each chunk of :data:`ROWS` rows accumulates its own partial output row (one
thread reads whole rows, contiguously), and a second kernel sums the partial rows in
order. The chunk length does not depend on the thread count, so results do not either.
"""
from __future__ import annotations

import math

import numpy as np

from tracejit.compiler.kir import Access, Buffer, Kernel, Load, Nest, Program, map_accesses
from tracejit.compiler.layout import StridedView
from tracejit.compiler.schedule.split_reduce import SPLITTABLE
from tracejit.compiler.schedule.vectorize import in_order_floats, schedule_kernel
from tracejit.compiler.target import Target

ROWS = 256  # reduced rows per partial
MIN_ROWS = 4 * ROWS
MAX_PARTIAL_BYTES = 8 << 20


def _splittable(kernel: Kernel) -> bool:
    if kernel.gemm is not None or len(kernel.nests) != 1:  # (not the thread count: results must not depend on it)
        return False
    nest, sched = kernel.nests[0], kernel.schedules[0]
    if sched.strategy != "outer" or nest.reduce not in SPLITTABLE or nest.n_reduced != 1:
        return False
    if nest.value.dtype == np.float16 or in_order_floats(nest):  # (rounded per row in NumPy's order:
        return False  # frontend/numpy/reductions.py; a float product: partial rows would reorder it)
    rows, kept = nest.shape[-1], math.prod(nest.shape[:nest.n_kept])
    count = rows // ROWS + 1
    return rows >= MIN_ROWS and count * kept * nest.value.dtype.itemsize <= MAX_PARTIAL_BYTES


def _split(kernel: Kernel, partials: Buffer, fastmath: bool, target: Target) -> list[Kernel]:
    nest = kernel.nests[0]
    nk, rows = nest.n_kept, nest.shape[-1]
    kept = nest.shape[:nk]
    full, tail = divmod(rows, ROWS)
    pstrides = StridedView.contiguous((full + (1 if tail else 0),) + kept).strides

    def chunked(a: Access) -> Access:  # new leading kept dim: the chunk
        return Access(a.buffer, a.dtype, a.offset, (ROWS * a.strides[-1],) + a.strides)

    body = Nest((full,) + kept + (ROWS,), 1, nest.reduce, map_accesses(nest.value, chunked, {}),
                Access(partials.id, partials.dtype, 0, pstrides))
    nests = [body]
    if tail:
        def tailed(a: Access) -> Access:
            return Access(a.buffer, a.dtype, a.offset + full * ROWS * a.strides[-1], a.strides)

        nests.append(Nest(kept + (tail,), 1, nest.reduce, map_accesses(nest.value, tailed, {}),
                          Access(partials.id, partials.dtype, full * pstrides[0], pstrides[1:])))
    count = full + (1 if tail else 0)
    combine = Load(Access(partials.id, partials.dtype, 0, pstrides[1:] + (pstrides[0],)))
    second = Nest(kept + (count,), 1, nest.reduce, combine, nest.store, nest.epilogue)
    first = Kernel(f"{kernel.name}r", kernel.kind, kernel.nodes, nests[:1])
    kernels = [schedule_kernel(first, target, fastmath=fastmath)]
    if tail:
        kernels.append(schedule_kernel(Kernel(f"{kernel.name}t", kernel.kind, kernel.nodes, nests[1:]), target,
                                       fastmath=fastmath))
    kernels.append(schedule_kernel(Kernel(f"{kernel.name}c", kernel.kind, kernel.nodes, [second]), target,
                                   fastmath=fastmath))
    return kernels


def split_rows(program: Program) -> Program:
    """``program`` with every large column reduction split over its rows (see above)."""
    kernels, buffers = [], list(program.buffers)
    for kernel in program.kernels:
        if not _splittable(kernel):
            kernels.append(kernel)
            continue
        nest = kernel.nests[0]
        count = nest.shape[-1] // ROWS + (1 if nest.shape[-1] % ROWS else 0)
        shape = (count,) + nest.shape[:nest.n_kept]
        partials = Buffer(len(buffers), "temp", shape, np.dtype(nest.value.dtype), -1,
                          StridedView.contiguous(shape), label="partial rows")
        buffers.append(partials)
        kernels.extend(_split(kernel, partials, program.fastmath, program.target))
    return Program(program.name, buffers, kernels, program.n_inputs, program.outputs, program.fastmath,
                   target=program.target)
