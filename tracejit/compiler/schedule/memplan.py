"""Memory planning: every temporary of a program gets an offset in one arena per call.

A temporary is live from the first kernel that touches it to the last. Two temporaries
whose live ranges overlap get disjoint bytes; others may share them, so the arena is
the most memory the program ever holds at once, not the sum of its temporaries.
Offsets are chosen greedily, largest buffer first, at the lowest aligned offset that
no overlapping buffer occupies.

In place: a kernel that is a plain map may write a temporary into the memory of a
temporary it reads for the last time, when it reads that one only at the very element
it is storing (same offsets and strides, same item size). Each point then loads its
inputs before it stores, so nothing is overwritten before it is read. The caller's
arrays (inputs and outputs) are never written in place: only temporaries take part.
"""
from __future__ import annotations

from tracejit.compiler.kir import ALIGN, Access, Buffer, Gather, Interval, Kernel, MemoryPlan, Program, padded


def live_ranges(program: Program) -> dict[int, Interval]:
    """Temporary buffer id -> the kernels (by index) from its first to its last use."""
    temps = {b.id for b in program.buffers if b.kind == "temp"}
    live: dict[int, Interval] = {}
    for i, kernel in enumerate(program.kernels):
        for bid in kernel.buffers():
            if bid in temps:
                live[bid] = Interval(live[bid].first if bid in live else i, i)
    return live


def _same_element(load: Access | None, store: Access, buffers: list[Buffer]) -> bool:
    return (load is not None and load.offset == store.offset and load.strides == store.strides
            and buffers[load.buffer].dtype.itemsize == buffers[store.buffer].dtype.itemsize)


def in_place_candidates(kernel: Kernel, buffers: list[Buffer]) -> dict[int, int]:
    """Stored temporary -> read temporary whose memory the store could reuse: ``kernel``
    is a one-nest map and reads it only at the element it stores."""
    if kernel.gemm is not None or len(kernel.nests) != 1 or kernel.kind == "update":
        return {}  # an update stores a region of a buffer it shares with its base
    nest = kernel.nests[0]
    if nest.reduce is not None or nest.n_reduced or any(s.strategy != "map" for s in kernel.schedules):
        return {}  # a reduction (even over no axes) may initialize its output before reading
    if buffers[nest.store.buffer].kind != "temp":
        return {}
    by_buffer: dict[int, list[Access]] = {}
    for ld in nest.loads() + nest.loads(epilogue=True):
        if isinstance(ld, Gather):  # reads its buffer anywhere: never stored over
            by_buffer.setdefault(ld.access.buffer, []).append(None)
            continue
        by_buffer.setdefault(ld.access.buffer, []).append(ld.access)
    for bid, accesses in by_buffer.items():
        if (bid != nest.store.buffer and buffers[bid].kind == "temp"
                and buffers[bid].nbytes >= buffers[nest.store.buffer].nbytes
                and all(_same_element(a, nest.store, buffers) for a in accesses)):
            return {nest.store.buffer: bid}
    return {}


def _clash(offset: int, size: int, span: Interval, other: int, other_size: int, other_span: Interval) -> bool:
    """Two buffers that are live at once and share a byte."""
    return span.overlaps(other_span) and offset < other + other_size and other < offset + size


def _free(offset: int, size: int, span: Interval, placed: list[tuple[int, int, int, Interval]]) -> bool:
    """No buffer live during ``span`` uses any of the ``size`` bytes at ``offset``."""
    return not any(_clash(offset, size, span, o, n, s) for _, o, n, s in placed)


def _lowest_offset(size: int, span: Interval, placed: list[tuple[int, int, int, Interval]]) -> int:
    """The lowest aligned offset whose ``size`` bytes no buffer live during ``span`` uses."""
    offset = 0
    for _, o, n, s in sorted(placed, key=lambda p: p[1]):
        if _clash(offset, size, span, o, n, s):
            offset = -(-(o + n) // ALIGN) * ALIGN
    return offset


def plan_memory(program: Program) -> MemoryPlan:
    """Arena offsets for ``program``'s temporaries, sharing memory between buffers that are
    never live at once and writing in place where a map allows it."""
    buffers = program.buffers
    plan = MemoryPlan(live=live_ranges(program))
    live = plan.live
    hints: dict[int, int] = {}
    for i, kernel in enumerate(program.kernels):
        for new, old in in_place_candidates(kernel, buffers).items():
            if live[old].last == i and live[new].first == i:
                hints[new] = old
    placed: list[tuple[int, int, int, Interval]] = []  # buffer, offset, padded size, live range
    for bid in sorted(live, key=lambda b: (-buffers[b].nbytes, live[b].first, b)):
        size, span, old = padded(buffers[bid].nbytes), live[bid], hints.get(bid)
        offset = _lowest_offset(size, span, placed)
        if old in plan.offsets:
            # the dead buffer ends in the kernel where this one starts: only the others count
            others = [p for p in placed if p[0] != old]
            if _free(plan.offsets[old], size, span, others):
                offset = plan.offsets[old]
                plan.in_place[bid] = old
        plan.offsets[bid] = offset
        placed.append((bid, offset, size, span))
    plan.arena_bytes = max((o + n for _, o, n, _ in placed), default=0)
    return plan


def verify_plan(program: Program, plan: MemoryPlan) -> None:
    """Raise AssertionError unless every temporary lies inside the arena, aligned, and no
    two that are live in the same kernel share a byte (except a buffer written in place of
    one that dies in the kernel that writes it)."""
    buffers = program.buffers
    assert set(plan.offsets) == set(live_ranges(program)), "every used temporary has an offset"
    spans = []
    for bid, offset in plan.offsets.items():
        assert offset % ALIGN == 0 and offset + buffers[bid].nbytes <= plan.arena_bytes, buffers[bid].name
        spans.append((bid, offset, offset + buffers[bid].nbytes, plan.live[bid]))
    for i, (a, lo_a, hi_a, live_a) in enumerate(spans):
        for b, lo_b, hi_b, live_b in spans[i + 1:]:
            if plan.in_place.get(a) == b or plan.in_place.get(b) == a:
                assert lo_a == lo_b and min(live_a.last, live_b.last) == max(live_a.first, live_b.first)
                continue
            assert not _clash(lo_a, hi_a - lo_a, live_a, lo_b, hi_b - lo_b, live_b), \
                f"{buffers[a].name} and {buffers[b].name} share bytes while both live"
