"""Planning of the library kernels for ops along one axis (``compiler/ops/scan_sort.py``):
running sums and products, sorts and argsorts, one *line* (all elements along the axis
at one index of the other dims) at a time.

A line is not a loop nest of independent points: a scan carries its accumulator from
each element to the next, a sort permutes the whole line. So such an op roots a kernel
of its own (built by ``kernelize/scan_sort.py``), described by an :class:`AlongAxis`
record and emitted by ``codegen/scan_sort.py`` (as ``Kernel.gemm`` is for matrix
products). The operand is read where it lies, through its strides; an operand that is
not a buffer (an elementwise expression) is given one first (kernel formation inserts a
``copy``), so consumers of a line op's result fuse as usual but its producer does not.
The kernel pass :func:`plan_along_axis` splits lines between threads and gives a sort a
scratch block per parallel chunk of lines (a temporary in the arena,
``schedule/memplan.py``). Like GEMM kernels, these keep their sizes static
(``generic_sizes.py``): the line length shapes the code.
"""
from __future__ import annotations

import dataclasses
import math

import numpy as np

from tracejit.compiler.kir import AlongAxis, Buffer, Kernel, Program
from tracejit.compiler.layout import StridedView
from tracejit.compiler.ops.scan_sort import HEADS, INDEX_OPS, SCANS, SELECTS, SORTS
from tracejit.config import config

PARALLEL_MIN_WORK = 1 << 17  # estimated element-ops below which a kernel stays serial
CHUNKS_PER_THREAD = 4  # lines cost the same: a few chunks per thread balance them
SCAN_VECTORS = 4  # registers of lanes a vectorized scan keeps in flight (hides add latency)
MAX_LANES = 32
MAX_SCRATCH_BYTES = 1 << 26  # sort scratch beyond which chunks are fewer (down to one per thread)
NET_MIN, NET_MAX = 16, 8192  # value sorts of lines this long run a bitonic network (codegen/sortnet.py) ...
NET_MIN_LANES = 4
QUICK_MIN = {4: 4096, 8: 2048}  # ... but from these (by key bytes) a quicksort, except at powers of two
PLAIN_NET_MAX = 16384  # without a vector compress-store (no quicksort): the network's longest lines




def _lanes(a: AlongAxis, vector_bytes: int) -> int:
    """Lines a scan runs at once in vector lanes: adjacent lines along a contiguous dim
    (``cumsum(x, axis=0)``: each vector loads a piece of a row), else 1."""
    if a.op not in SCANS or not a.rows or a.dtype.kind == "b" or a.src.strides[-2] != 1 or a.dst.strides[-2] != 1:
        return 1
    lanes = min(MAX_LANES, SCAN_VECTORS * vector_bytes // a.dtype.itemsize)
    while lanes > a.rows[-1]:
        lanes //= 2
    return lanes if lanes >= 4 else 1


def _net(a: AlongAxis, vector_bytes: int, compress: bool) -> int:
    """Lanes of the bitonic network that sorts ``a``'s lines (0: merge or radix sort):
    value sorts (not argsorts: the network is not stable) of 4- and 8-byte numbers,
    lines of at least ``NET_MIN`` keys, vectors of at least ``NET_MIN_LANES`` (the longest lines:
    a quicksort whose leaves the network sorts, ``quick_applies``; on targets without a vector
    compress-store, lines up to ``PLAIN_NET_MAX``, longer ones a radix sort)."""
    lanes = vector_bytes // a.dtype.itemsize
    if a.op != "sort" or a.dtype.kind not in "iuf" or a.dtype.itemsize not in (4, 8) or lanes < NET_MIN_LANES:
        return 0
    if not NET_MIN <= a.n < (1 << 31 if compress else PLAIN_NET_MAX + 1):  # (past NET_MAX: quick_applies)
        return 0
    return min(lanes, (1 << (a.n - 1).bit_length()) // 2)


def quick_applies(op: str, n: int, net: int, itemsize: int, compress: bool = True) -> bool:
    """A network-planned (``net`` lanes) value sort of lines of ``n`` keys of ``itemsize``
    bytes is a vectorized quicksort (``codegen/quicksort.py``): lines longer than ``NET_MAX``,
    and from ``QUICK_MIN`` those not a power of two (where the network reads no padding;
    measured crossovers: docs/design.md), on targets with a vector compress-store (``compress``:
    ``Target.vector_compress``)."""
    if not net or op != "sort" or not compress:
        return False
    return n > NET_MAX or (n > QUICK_MIN[itemsize] and n & (n - 1) != 0)


def _plan(kernel: Kernel, buffers: list[Buffer], threads: int, vector_bytes: int, compress: bool) -> Kernel:
    """Choose the kernel's vector lanes (for registers of ``vector_bytes``) and parallel
    chunks and give a sort its scratch blocks."""
    a = dataclasses.replace(kernel.along, lanes=_lanes(kernel.along, vector_bytes),
                            net=_net(kernel.along, vector_bytes, compress))
    work = a.lines * a.n * (max(1, math.log2(a.n)) if a.op in SORTS else 4 if a.op in SELECTS else 1)
    chunk = 0
    if threads > 1 and a.tasks > 1 and work >= PARALLEL_MIN_WORK:
        chunks = min(a.tasks, threads * CHUNKS_PER_THREAD)
        if a.op not in SCANS:  # each chunk has a scratch block: long lines get fewer, larger chunks
            per_chunk = a.block * (a.dtype.itemsize + (8 if a.op in INDEX_OPS + HEADS else 0))
            chunks = min(chunks, max(threads, MAX_SCRATCH_BYTES // per_chunk))
        chunk = -(-a.tasks // chunks)
        chunk = chunk if chunk < a.tasks else 0
    a = dataclasses.replace(a, chunk=chunk, quick=quick_applies(a.op, a.n, a.net, a.dtype.itemsize, compress))
    if a.op not in SCANS:
        size = (a.chunks * a.block,)
        keys = Buffer(len(buffers), "temp", size, a.dtype, -1, StridedView.contiguous(size),
                      label=f"{a.op} keys, a block per parallel chunk")
        buffers.append(keys)
        a = dataclasses.replace(a, keys=keys.id)
        if a.op in INDEX_OPS + HEADS:  # (a head of a sort breaks ties by position)
            index = Buffer(len(buffers), "temp", size, np.dtype(np.int64), -1, StridedView.contiguous(size),
                           label=f"{a.op} positions, a block per parallel chunk")
            buffers.append(index)
            a = dataclasses.replace(a, index=index.id)
    out = Kernel(kernel.name, kernel.kind, kernel.nodes, [], along=a)
    out.parallel_grain = chunk
    return out


def plan_along_axis(program: Program) -> Program:
    """``program`` with every along-axis kernel's chunking chosen and scratch allocated."""
    buffers = list(program.buffers)
    threads = max(1, config.num_threads)
    vector_bytes = program.target.vector_bytes
    compress = program.target.vector_compress
    kernels = [_plan(k, buffers, threads, vector_bytes, compress) if k.along is not None else k
               for k in program.kernels]
    return Program(program.name, buffers, kernels, program.n_inputs, program.outputs, program.fastmath,
                   target=program.target)
