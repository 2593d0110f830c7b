"""Library kernels for ops along one axis (``compiler/ops/along_axis.py``): running
sums and products, sorts and argsorts, one *line* (all elements along the axis at one
index of the other dims) at a time.

A line is not a loop nest of independent points: a scan carries its accumulator from
each element to the next, a sort permutes the whole line. So such an op roots a kernel
of its own, described by an :class:`AlongAxis` record and emitted by
``codegen/along_axis.py`` (as ``Kernel.gemm`` is for matrix products). The operand is
read where it lies, through its strides (a transposed or sliced view costs no copy);
an operand that is not a buffer (an elementwise expression) is given one first (kernel
formation inserts a ``copy``), so consumers of a line op's result fuse as usual but its
producer does not. Lines are split between threads; a sort works in a scratch block
per parallel chunk of lines (a temporary in the arena, ``memplan.py``). Like GEMM
kernels, these keep their sizes static (``generic_sizes.py``): the line length shapes the code.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

from tracejit.compiler.kernel import Access, Buffer, Kernel, Load, Program
from tracejit.compiler.layout import StridedView, contiguous_strides
from tracejit.compiler.ops.along_axis import SCANS, SORTS
from tracejit.compiler.target import vector_bytes
from tracejit.config import config

PARALLEL_MIN_WORK = 1 << 17  # estimated element-ops below which a kernel stays serial
CHUNKS_PER_THREAD = 4  # lines cost the same: a few chunks per thread balance them
SCAN_VECTORS = 4  # registers of lanes a vectorized scan keeps in flight (hides add latency)
MAX_LANES = 32
MAX_SCRATCH_BYTES = 1 << 26  # sort scratch beyond which chunks are fewer (down to one per thread)


@dataclass(frozen=True)
class AlongAxis:
    """``dst[line] = op(src[line])`` for every line: ``src`` and ``dst`` index
    ``rows + (n,)`` (the other dims, then the axis). ``keys`` (sorts) and ``index``
    (argsort) are temporaries holding ``2 * n`` keys / int64 positions per parallel
    chunk of ``chunk`` lines (0: the kernel runs serially, one block)."""

    op: str
    src: Access
    dst: Access
    rows: tuple[int, ...]
    n: int
    dtype: np.dtype  # of the keys / the accumulator (the operand's)
    keys: int | None = None
    index: int | None = None
    chunk: int = 0
    lanes: int = 1  # scans: > 1 runs that many adjacent lines at once, one per vector lane

    @property
    def lines(self) -> int:
        return math.prod(self.rows)

    @property
    def groups(self) -> int:
        """Groups of ``lanes`` adjacent lines along the last other dim (the last group may be short)."""
        return -(-self.rows[-1] // self.lanes)

    @property
    def tasks(self) -> int:
        """Iterations of the kernel's outer loop: lines, or groups of adjacent lines."""
        return self.lines if self.lanes == 1 else math.prod(self.rows[:-1]) * self.groups

    @property
    def chunks(self) -> int:
        """Parallel chunks of tasks (1 when the kernel runs serially)."""
        return -(-self.tasks // self.chunk) if self.chunk else 1

    @property
    def block(self) -> int:
        """Elements of scratch per chunk (two halves of ``n`` that merge passes alternate)."""
        return 2 * self.n

    def buffers(self) -> set[int]:
        return {self.src.buffer, self.dst.buffer} | {b for b in (self.keys, self.index) if b is not None}

    def accesses(self) -> list[tuple[Access, tuple[int, ...]]]:
        """(access, iteration shape) of everything the kernel touches (for bounds checks)."""
        shape = self.rows + (self.n,)
        out = [(self.src, shape), (self.dst, shape)]
        for bid, dtype in ((self.keys, self.dtype), (self.index, np.dtype(np.int64))):
            if bid is not None:
                out.append((Access(bid, dtype, 0, (1,)), (self.chunks * self.block,)))
        return out

    def text(self, bufnames: dict[int, str]) -> str:
        scratch = "".join(f", scratch {bufnames[b]}" for b in (self.keys, self.index) if b is not None)
        algo = "stable bottom-up merge sort"
        if self.op in SCANS:
            algo = "sequential scan" + (f", {self.lanes} adjacent lines in vector lanes" if self.lanes > 1 else "")
        names = [f"i{d}" for d in range(len(self.rows))] + ["k"]
        return (f"{self.op} along k<{self.n} for ({', '.join(f'{a}<{r}' for a, r in zip(names, self.rows))}): "
                f"{self.dst.text(names, bufnames[self.dst.buffer])} from "
                f"{self.src.text(names, bufnames[self.src.buffer])}; {algo}{scratch}")


def build_kernel(builder, name: str) -> list[Kernel]:
    """The kernel of the along-axis op rooted at ``builder.root`` (none for an empty
    result). ``builder`` is kernel formation's ``_KernelBuilder``; an operand that
    is not a buffer raises its ``_NeedsCopy`` (formation inserts a copy and restarts)."""
    from tracejit.compiler.kernelize import _NeedsCopy, _step
    graph, root = builder.graph, builder.root
    d = graph.data(root)
    (src,) = graph.operands(root)
    shape, axis = graph.aval(src).shape, d["attrs"]["axis"]
    perm = tuple(a for a in range(len(shape)) if a != axis) + (axis,)
    value = builder.expr(src, (_step("transpose", root, perm=perm),))
    if type(value) is not Load:  # an expression, an iota or a gather: no strided buffer to read
        raise _NeedsCopy(root)
    if not math.prod(shape):
        return []
    out = builder.buffers[root]
    strides = contiguous_strides(shape)
    keep = [i for i, p in enumerate(perm[:-1]) if shape[p] != 1]  # drop length-1 dims
    rows = tuple(shape[perm[i]] for i in keep)

    def lines(access_strides: tuple[int, ...]) -> tuple[int, ...]:
        return tuple(access_strides[i] for i in keep) + (access_strides[-1],)

    load = value.access
    src_acc = Access(load.buffer, load.dtype, load.offset, lines(load.strides))
    dst_acc = Access(out.id, out.dtype, 0, lines(tuple(strides[p] for p in perm)))
    record = AlongAxis(d["op"], src_acc, dst_acc, rows, shape[axis], np.dtype(load.dtype))
    return [Kernel(name, "along_axis", sorted(builder.nodes), [], along=record)]


def _lanes(a: AlongAxis) -> int:
    """Lines a scan runs at once in vector lanes: adjacent lines along a contiguous dim
    (``cumsum(x, axis=0)``: each vector loads a piece of a row), else 1."""
    if a.op not in SCANS or not a.rows or a.dtype.kind == "b" or a.src.strides[-2] != 1 or a.dst.strides[-2] != 1:
        return 1
    lanes = min(MAX_LANES, SCAN_VECTORS * vector_bytes() // a.dtype.itemsize)
    while lanes > a.rows[-1]:
        lanes //= 2
    return lanes if lanes >= 4 else 1


def _plan(kernel: Kernel, buffers: list[Buffer], threads: int) -> Kernel:
    """Choose the kernel's vector lanes and parallel chunks and give a sort its scratch blocks."""
    a = dataclasses.replace(kernel.along, lanes=_lanes(kernel.along))
    work = a.lines * a.n * (max(1, math.log2(a.n)) if a.op in SORTS else 1)
    chunk = 0
    if threads > 1 and a.tasks > 1 and work >= PARALLEL_MIN_WORK:
        chunks = min(a.tasks, threads * CHUNKS_PER_THREAD)
        if a.op in SORTS:  # each chunk has a scratch block: long lines get fewer, larger chunks
            per_chunk = a.block * (a.dtype.itemsize + (8 if a.op == "argsort" else 0))
            chunks = min(chunks, max(threads, MAX_SCRATCH_BYTES // per_chunk))
        chunk = -(-a.tasks // chunks)
        chunk = chunk if chunk < a.tasks else 0
    a = dataclasses.replace(a, chunk=chunk)
    if a.op in SORTS:
        size = (a.chunks * a.block,)
        keys = Buffer(len(buffers), "temp", size, a.dtype, -1, StridedView.contiguous(size),
                      label=f"{a.op} keys, a block per parallel chunk")
        buffers.append(keys)
        a = dataclasses.replace(a, keys=keys.id)
        if a.op == "argsort":
            index = Buffer(len(buffers), "temp", size, np.dtype(np.int64), -1, StridedView.contiguous(size),
                           label="argsort positions, a block per parallel chunk")
            buffers.append(index)
            a = dataclasses.replace(a, index=index.id)
    out = Kernel(kernel.name, kernel.kind, kernel.nodes, [], along=a)
    out.parallel_grain = chunk
    return out


def plan_along_axis(program: Program) -> Program:
    """``program`` with every along-axis kernel's chunking chosen and scratch allocated."""
    buffers = list(program.buffers)
    threads = max(1, config.num_threads)
    kernels = [_plan(k, buffers, threads) if k.along is not None else k for k in program.kernels]
    return Program(program.name, buffers, kernels, program.n_inputs, program.outputs, program.fastmath)
