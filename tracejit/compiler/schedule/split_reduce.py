"""Splitting large full reductions into chunk partials plus an in-order combine.

A reduction with no kept dims has nothing to split between threads. It becomes two
kernels: one computing the reduction of each fixed-length chunk into a partials buffer
(parallel over chunks), then one reducing the tail chunk and combining the partials in
order. The chunk length does not depend on the thread count, so the result is the same
whatever the number of threads.
"""
from __future__ import annotations

import math

import numpy as np

from tracejit.compiler.kir import Access, Buffer, Kernel, Load, Nest, Program, in_sequence, map_accesses
from tracejit.compiler.layout import StridedView
from tracejit.compiler.ops import ops_of_kind
from tracejit.compiler.schedule.vectorize import in_order_floats, schedule_kernel
from tracejit.compiler.target import Target

CHUNK = 1 << 16  # elements per partial
SPLITTABLE = tuple(op.name for op in ops_of_kind("reduce") if not op.reduction.arg)  # partials combine


def _splittable(kernel: Kernel) -> int | None:
    """The reduced dim to split (the first long enough), or None."""
    if len(kernel.nests) != 1:
        return None
    nest = kernel.nests[0]
    if nest.reduce not in SPLITTABLE or nest.n_kept or math.prod(nest.shape) < 4 * CHUNK:
        return None
    if nest.value.dtype == np.float16 or in_order_floats(nest):  # (rounded per step in NumPy's order:
        return None  # frontend/numpy/reductions.py; a float product: chunk partials would reorder it)
    return next((d for d, n in enumerate(nest.shape) if n >= 2 * CHUNK), None)


def _remap(nest: Nest, transform) -> object:
    return map_accesses(nest.value, lambda a: transform(a), {})


def _split(kernel: Kernel, d: int, partials: Buffer, fastmath: bool, target: Target) -> list[Kernel]:
    nest = kernel.nests[0]
    n = nest.shape[d]
    chunks, tail = divmod(n, CHUNK)
    # Chunks: kept dim c (stride CHUNK * stride_d), then the reduced dims with dim d shortened.
    chunk_shape = (chunks,) + nest.shape[:d] + (CHUNK,) + nest.shape[d + 1:]

    def chunked(a: Access) -> Access:
        return Access(a.buffer, a.dtype, a.offset, (CHUNK * a.strides[d],) + a.strides)

    partial_store = Access(partials.id, partials.dtype, 0, (1,))
    body = Nest(chunk_shape, len(nest.shape), nest.reduce, _remap(nest, chunked), partial_store)
    nests = []
    if tail:
        def tailed(a: Access) -> Access:
            return Access(a.buffer, a.dtype, a.offset + chunks * CHUNK * a.strides[d], a.strides)

        tail_shape = nest.shape[:d] + (tail,) + nest.shape[d + 1:]
        nests.append(Nest(tail_shape, len(tail_shape), nest.reduce, _remap(nest, tailed),
                          Access(partials.id, partials.dtype, chunks, ())))
    count = chunks + (1 if tail else 0)
    combine = Load(Access(partials.id, partials.dtype, 0, (1,)))
    nests.append(Nest((count,), 1, nest.reduce, combine, nest.store))
    first = Kernel(f"{kernel.name}a", kernel.kind, kernel.nodes, [body])
    second = Kernel(f"{kernel.name}b", kernel.kind, kernel.nodes, nests)
    return [schedule_kernel(first, target, fastmath=fastmath), schedule_kernel(second, target, fastmath=fastmath)]


def _siblings(first: Kernel, d: int, later: Kernel, d2: int | None) -> bool:
    """``later`` is a full reduction split the same way as ``first`` and independent of it,
    so their chunk kernels can run side by side (and share one pass, see loopfuse)."""
    if d2 is None:  # (``later`` may have no nests: a loop or branch)
        return False
    a, b = first.nests[0], later.nests[0]
    return b.shape[d2] == a.shape[d] and a.store.buffer not in {ld.access.buffer for ld in b.loads()}


def split_reductions(program: Program) -> Program:
    """``program`` with every large full reduction split in two kernels. Consecutive
    independent siblings (``x.sum()`` and ``(x*x).sum()``) emit their chunk kernels first
    and their combines after, so loop fusion reads ``x`` once for all of them."""
    kernels, buffers = [], list(program.buffers)
    combines: list[Kernel] = []
    group_first: tuple[Kernel, int] | None = None
    for kernel in program.kernels:
        d = _splittable(kernel)
        if group_first is not None and not _siblings(*group_first, kernel, d):
            kernels.append(in_sequence(combines, "reduce"))
            combines, group_first = [], None
        if d is None:
            kernels.append(kernel)
            continue
        nest = kernel.nests[0]
        count = -(-nest.shape[d] // CHUNK)
        dtype = np.dtype(nest.value.dtype)
        partials = Buffer(len(buffers), "temp", (count,), dtype, -1, StridedView.contiguous((count,)),
                          label="reduction partials")
        buffers.append(partials)
        chunks, combine = _split(kernel, d, partials, program.fastmath, program.target)
        kernels.append(chunks)
        combines.append(combine)
        group_first = group_first or (kernel, d)
    if combines:
        kernels.append(in_sequence(combines, "reduce"))
    return Program(program.name, buffers, kernels, program.n_inputs, program.outputs, program.fastmath,
                   target=program.target)
