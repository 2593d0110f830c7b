"""Kernels and programs: what one compiled loop nest computes, independent of the graph.

A :class:`Kernel` is one or more :class:`Nest` s (or one library kernel: a GEMM, a scan
or sort, a loop or branch over sub-programs). A nest iterates over a box (kept dims
first, then reduced dims); per point it evaluates an expression DAG whose leaves are
:class:`Load` s through affine index maps (:class:`Access`: offset plus one stride per
iteration dim, in elements) and stores the value, or its reduction over the reduced
dims, through another access. Views of the graph (transposes, broadcasts, slices,
reshapes) exist here only as the strides of accesses. A :class:`Program` is the
kernels in execution order and every buffer they use.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tracejit.compiler.kir.buffers import Buffer
from tracejit.compiler.kir.controlflow import Control
from tracejit.compiler.kir.gemm import Gemm
from tracejit.compiler.kir.memory import MemoryPlan
from tracejit.compiler.kir.nest import Nest, Schedule
from tracejit.compiler.kir.scan_sort import AlongAxis
from tracejit.compiler.kir.text import program_text

if TYPE_CHECKING:
    from tracejit.compiler.target import Target


@dataclass
class Kernel:
    """A fused group of graph nodes compiled to one LLVM function."""

    name: str
    kind: str  # map | reduce | contraction | concat | gemm | control | along_axis
    nodes: list[int]
    nests: list[Nest]
    schedules: list[Schedule] = field(default_factory=list)
    parallel_grain: int = 0  # > 0: the runtime splits the outermost loop in chunks of this
    gemm: Gemm | None = None
    row_fused: bool = False  # nests share their outermost loop (the loop-fusion pass)
    control: Control | None = None  # a loop or branch running sub-programs (no nests)
    along: AlongAxis | None = None  # a scan or sort kernel

    def buffers(self) -> list[int]:
        """Ids of the buffers the kernel reads or writes, sorted."""
        if self.control is not None:
            return sorted(self.control.buffers())
        if self.along is not None:
            return sorted(self.along.buffers())
        if self.gemm is not None:
            g = self.gemm
            extra = set()
            if g.epilogue is not None:
                extra = {ld.access.buffer for ld in Nest((), 0, None, g.epilogue, g.c).loads()}
            block = set() if g.b_block is None else {g.b_block}
            return sorted({g.a.buffer, g.b_buffer(), g.c.buffer} | block | extra)
        return sorted(set().union(*(n.buffers() for n in self.nests)))

    @property
    def parallel_extent(self) -> int:
        """Extent of the outermost loop that may be split between threads (0: none)."""
        if self.gemm is not None:
            return self.gemm.tasks
        if self.along is not None:
            return self.along.tasks
        if self.row_fused:
            return self.nests[0].shape[0]
        if len(self.nests) != 1 or not self.nests[0].n_kept:
            return 0
        return self.nests[0].shape[0]


def in_sequence(kernels: list[Kernel], kind: str) -> Kernel:
    """Kernels run one after another as a single (serial) kernel: their nests in turn."""
    if len(kernels) == 1:
        return kernels[0]
    return Kernel("+".join(k.name for k in kernels), kind, sorted({n for k in kernels for n in k.nodes}),
                  [n for k in kernels for n in k.nests], [s for k in kernels for s in k.schedules])


@dataclass
class Program:
    """Kernels in execution order plus every buffer they use."""

    name: str
    buffers: list[Buffer]
    kernels: list[Kernel]
    n_inputs: int
    outputs: list[int]  # buffer id (or -1 for none) per output index
    fastmath: bool = False  # float arithmetic may be reassociated (tj.jit(fastmath=True))
    plan: MemoryPlan | None = None  # arena offsets of the temporaries (the memory-planning pass)
    target: Target | None = None  # what it is scheduled for (set by compiler/pipeline.optimize; codegen reads it)

    def bufnames(self) -> dict[int, str]:
        """Buffer id -> display name."""
        return {b.id: b.name for b in self.buffers}

    def memory(self) -> dict[str, int]:
        """Bytes of inputs, constants, outputs and temporaries (the arena the memory plan
        lays them in: buffers never live at once share bytes), and the peak: everything a
        call holds at once (outputs are allocated before the kernels run). Row scratch
        lives on each task's stack and is not counted."""
        by_kind = {k: sum(b.nbytes for b in self.buffers if b.kind == k)
                   for k in ("input", "constant", "output", "temp")}
        temps = self.plan.arena_bytes if self.plan is not None else by_kind["temp"]
        return {"inputs": by_kind["input"], "constants": by_kind["constant"],
                "outputs": by_kind["output"], "temporaries": temps,
                "temporaries_unshared": by_kind["temp"],
                "peak": by_kind["input"] + by_kind["constant"] + by_kind["output"] + temps}

    def text(self) -> str:
        """The program as text: its buffers, each kernel with its nests and schedules, the memory plan."""
        return program_text(self)
