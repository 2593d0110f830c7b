"""Streaming (non-temporal) stores for kernels that move more data than the caches hold.

A plain store first reads its cache line from memory (read for ownership) and then
evicts something useful; a non-temporal store writes the line straight to memory. For a
map whose buffers together exceed the last-level cache, nothing it writes would still be
cached when read again, so its vector stores to large outputs and temporaries stream:
a*b+c*d on 1e7 float32 moves five arrays instead of six.

Non-temporal vector stores must be aligned to their width. The runtime places every
output of at least :data:`ALIGNED_BYTES` (page-aligned pooled blocks) and every
temporary (the 64-byte-aligned arena) on a 64-byte boundary; a nest streams only when
each vector store then provably starts on a multiple of its own width (offset and every
outer stride a multiple of the lanes, the vector loop starting on a lane multiple), and
declares ``min(64, width * itemsize)`` bytes of alignment. Kernels with streaming stores
end with a full fence, as non-temporal stores are weakly ordered.
"""
from __future__ import annotations

import dataclasses

from tracejit.compiler.kir import Buffer, Kernel, Nest, Program, Schedule

ALIGNED_BYTES = 1 << 20  # outputs this large come from the runtime's page-aligned pool
BASE_ALIGN = 64


def _footprint(kernel: Kernel, buffers: list[Buffer]) -> int:
    return sum(buffers[b].nbytes for b in kernel.buffers() if buffers[b].kind != "scratch")


def _aligned_stores(nest: Nest, sched: Schedule, kernel: Kernel, buffers: list[Buffer]) -> int:
    """The alignment (bytes) every vector store of this map nest provably has, or 0."""
    if sched.strategy != "map" or sched.tile or sched.vector_width <= 1 or not nest.shape:
        return 0
    buf, store, lanes = buffers[nest.store.buffer], nest.store, sched.vector_width
    if buf.kind == "output" and buf.nbytes < ALIGNED_BYTES or buf.kind not in ("output", "temp"):
        return 0
    vdim = len(nest.shape) - 1
    if sched.vector_dim != vdim or store.strides[vdim] != 1 or store.offset % lanes:
        return 0
    if any(s % lanes for s in store.strides[:vdim]):
        return 0
    if vdim == 0 and kernel.parallel_grain % lanes:
        return 0  # chunks of the vectorized loop must start on a lane multiple
    return min(BASE_ALIGN, lanes * buf.dtype.itemsize)


def mark_streaming(program: Program, cache_bytes: int | None = None) -> Program:
    """Give the map nests of kernels larger than the target's last-level cache (or
    ``cache_bytes``) streaming stores (``Schedule.stream``: the alignment to declare), in
    place; none on a target without non-temporal stores (``Target.nontemporal``)."""
    if program.target.nontemporal is None:
        return program
    cache_bytes = program.target.llc_bytes if cache_bytes is None else cache_bytes
    for kernel in program.kernels:
        if kernel.gemm is not None or _footprint(kernel, program.buffers) < cache_bytes:
            continue
        read_here = {ld.access.buffer for n in kernel.nests for ld in n.loads() + n.loads(epilogue=True)}
        kernel.schedules = [  # a buffer a later stage reads back stays in the cache
            dataclasses.replace(s, stream=0 if n.store.buffer in read_here else
                                _aligned_stores(n, s, kernel, program.buffers))
            for n, s in zip(kernel.nests, kernel.schedules)]
    return program
