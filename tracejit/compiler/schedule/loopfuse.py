"""Loop fusion: kernels that share their outermost loop run inside one row loop.

Consecutive kernels whose outermost loop (dim 0, after collapsing) has the same extent,
and which read the buffers written earlier in the group only within the same index of
that loop, are merged into one kernel: for each outer index, every stage runs over its
inner dims. A row of softmax or layernorm then stays in cache from its reductions to its
final map, and the whole group is split between threads by rows. A temporary that only
the group touches shrinks to one row of scratch memory on the stack of each task.
"""
from __future__ import annotations

import dataclasses

from tracejit.compiler.kir import Access, Buffer, Gather, Kernel, Nest, Program, Schedule, map_accesses
from tracejit.compiler.layout import StridedView
from tracejit.compiler.schedule.vectorize import choose_parallelism
from tracejit.config import config

MIN_EXTENT = 2


def _outer(kernel: Kernel) -> int | None:
    """The fusable outer extent of a kernel, or None."""
    if kernel.gemm is not None or not kernel.nests or kernel.kind == "update":
        return None  # an update writes part of a buffer others may read whole
    extents = set()
    for nest, sched in zip(kernel.nests, kernel.schedules):
        if not nest.n_kept or len(nest.shape) < 1:
            return None
        if sched.vector_dim == 0 and len(nest.shape) > 1:
            return None  # dim 0 is the vectorized (innermost) loop: not an outer loop
        extents.add(nest.shape[0])
    return extents.pop() if len(extents) == 1 and len(kernel.nests) == 1 or kernel.row_fused else None


def _row_range(access: Access, shape: tuple[int, ...]) -> tuple[int, int, int]:
    """(stride along dim 0, first and last offset within one outer index)."""
    inner = StridedView(tuple(shape[1:]), access.strides[1:], access.offset)
    lo, hi = inner.offset_range()
    return access.strides[0], lo, hi


def _reads_within_rows(kernel: Kernel, written: dict[int, tuple[int, int, int]]) -> bool:
    """Every read of a buffer written in the group stays inside the same outer index."""
    for nest in kernel.nests:
        if any(isinstance(ld, Gather) and ld.access.buffer in written for ld in nest.loads()):
            return False  # a gather may read any row
        reads = [(ld.access, nest.shape) for ld in nest.loads()]
        reads += [(ld.access, nest.shape[:nest.n_kept]) for ld in nest.loads(epilogue=True)]
        for acc, shape in reads:
            if acc.buffer not in written:
                continue
            stride, lo, hi = _row_range(acc, shape)
            wstride, wlo, whi = written[acc.buffer]
            if stride != wstride or lo < wlo or hi > whi or (stride == 0 and shape[0] > 1):
                return False
    return True


def _writes(kernel: Kernel) -> dict[int, tuple[int, int, int]]:
    out = {}
    for nest in kernel.nests:
        out[nest.store.buffer] = _row_range(nest.store, nest.shape[:nest.n_kept])
    return out


def _merge(group: list[Kernel]) -> Kernel:
    first = group[0]
    nodes = sorted({n for k in group for n in k.nodes})
    nests = [n for k in group for n in k.nests]
    schedules: list[Schedule] = [s for k in group for s in k.schedules]
    merged = Kernel(first.name + ("+" + "+".join(k.name for k in group[1:]) if len(group) > 1 else ""),
                    "fused" if len(group) > 1 else first.kind, nodes, nests, schedules, row_fused=len(group) > 1)
    merged.parallel_grain = choose_parallelism(merged, config.num_threads)
    return merged


def _flush(group: list[Kernel], kernels: list[Kernel]) -> None:
    """Append ``group`` merged, or its kernels one by one when every nest is one-dimensional:
    then each "row" is one element, and a shared outer loop would run them as scalar code
    (two 1e7-element maps: 15.7 ms fused that way, 7.5 ms as two vector loops)."""
    if len(group) > 1 and any(len(n.shape) > 1 for k in group for n in k.nests):
        kernels.append(_merge(group))
    else:
        kernels.extend(group)


def _to_scratch(kernel: Kernel, buffers: list[Buffer], others: list[Kernel]) -> Kernel:
    """Temps written and read only by this fused kernel become one-row scratch buffers."""
    # any other kernel touching a buffer (a nest's load, a gemm's operand or epilogue, a
    # scan's source, a loop's carried value or captured array) keeps it whole
    read_elsewhere = set().union(*(k.buffers() for k in others)) if others else set()
    if kernel.gemm is not None:
        read_elsewhere |= {kernel.gemm.a.buffer, kernel.gemm.b.buffer}
    written = _writes(kernel)
    for bid, (stride, lo, hi) in written.items():
        buf = buffers[bid]
        if buf.kind != "temp" or bid in read_elsewhere or stride == 0:
            continue
        size, shift = hi - lo + 1, lo

        def fix(a: Access, bid=bid, stride=stride, shift=shift) -> Access:
            if a.buffer != bid:
                return a
            return Access(a.buffer, a.dtype, a.offset - shift, (0,) + a.strides[1:])

        kernel.nests = [Nest(n.shape, n.n_reduced, n.reduce, map_accesses(n.value, fix, {}), fix(n.store),
                             None if n.epilogue is None else map_accesses(n.epilogue, fix, {})) for n in kernel.nests]
        buffers[bid] = dataclasses.replace(buf, kind="scratch", label=f"one row ({size} elements) per task",
                                           view=StridedView.contiguous((size,)), shape=(size,))
    return kernel


def fuse_loops(program: Program) -> Program:
    """``program`` with runs of kernels sharing their outer loop merged (and temps that only
    a merged kernel touches turned into row scratch)."""
    kernels: list[Kernel] = []
    group: list[Kernel] = []
    extent = None
    written: dict[int, tuple[int, int, int]] = {}
    for kernel in program.kernels:
        outer = _outer(kernel)
        if group and outer == extent and outer is not None and _reads_within_rows(kernel, written):
            group.append(kernel)
            written.update(_writes(kernel))
            continue
        if group:
            _flush(group, kernels)
        group, extent, written = ([kernel], outer, _writes(kernel)) if outer and outer >= MIN_EXTENT else ([], None, {})
        if not group:
            kernels.append(kernel)
    if group:
        _flush(group, kernels)
    buffers = list(program.buffers)
    for i, k in enumerate(kernels):
        if k.row_fused:
            kernels[i] = _to_scratch(k, buffers, kernels[:i] + kernels[i + 1:])
    return Program(program.name, buffers, kernels, program.n_inputs, program.outputs, program.fastmath,
                   target=program.target)

