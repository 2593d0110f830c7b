"""The memory plan of a program: where each temporary lies in the one arena a call
allocates, when it is live, and which temporaries are written in place of others
(made by the memory-planning pass, ``memplan.py``)."""
from __future__ import annotations

from dataclasses import dataclass, field

from tracejit.compiler.kir.buffers import Buffer

ALIGN = 64  # bytes: every temporary starts on a cache line


@dataclass(frozen=True)
class Interval:
    """A temporary's live range in kernel indices, both ends included."""

    first: int
    last: int

    def overlaps(self, other: Interval) -> bool:
        """Whether the two ranges share a kernel."""
        return self.first <= other.last and other.first <= self.last


@dataclass
class MemoryPlan:
    """Arena offsets (bytes) of the temporaries, their live ranges, and in-place reuse."""

    offsets: dict[int, int] = field(default_factory=dict)
    live: dict[int, Interval] = field(default_factory=dict)
    in_place: dict[int, int] = field(default_factory=dict)  # buffer -> dead buffer it overwrites
    arena_bytes: int = 0

    def text(self, buffers: list[Buffer]) -> str:
        """One line per temporary: offset, size, live kernels, reuse."""
        if not self.offsets:
            return "memory plan: no temporaries"
        unshared = sum(padded(buffers[b].nbytes) for b in self.offsets)
        lines = [f"memory plan: arena {self.arena_bytes} bytes for {len(self.offsets)} temporaries "
                 f"({unshared} bytes unshared)"]
        for bid in sorted(self.offsets, key=lambda b: (self.offsets[b], b)):
            buf, span = buffers[bid], self.live[bid]
            note = f", in place of {buffers[self.in_place[bid]].name}" if bid in self.in_place else ""
            lines.append(f"  {buf.name} @ {self.offsets[bid]} ({buf.nbytes} bytes), live in kernels "
                         f"{span.first}..{span.last}{note}")
        return "\n".join(lines)


def padded(nbytes: int) -> int:
    """``nbytes`` (at least 1) rounded up to a multiple of :data:`ALIGN`."""
    return -(-max(nbytes, 1) // ALIGN) * ALIGN
