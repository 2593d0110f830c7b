"""From a traced graph to a scheduled kernel program."""
from __future__ import annotations

from dataclasses import dataclass

from tracejit.compiler.along_axis import plan_along_axis
from tracejit.compiler.blocking import block_siblings
from tracejit.compiler.graph import Graph
from tracejit.compiler.kir import Program
from tracejit.compiler.kir.verify import check_bounds, check_outputs
from tracejit.compiler.kernelize import form_kernels
from tracejit.compiler.loopfuse import fuse_loops
from tracejit.compiler.matmul import plan_matmuls
from tracejit.compiler.memplan import plan_memory, verify_plan
from tracejit.compiler.passes import PassRecord, run_passes
from tracejit.compiler.schedule import schedule_kernel
from tracejit.compiler.split_reduce import split_reductions
from tracejit.compiler.split_rows import split_rows
from tracejit.compiler.streaming import mark_streaming


@dataclass
class Optimized:
    """The optimized graph, the pass log and the kernel program built from it."""

    graph: Graph
    program: Program
    passes: list[PassRecord]

    def kernel_of(self) -> dict[int, str]:
        """Graph node -> names of the kernels that compute it."""
        tags: dict[int, list[str]] = {}
        for k in self.program.kernels:
            for n in k.nodes:
                tags.setdefault(n, []).append(k.name)
        return {n: ",".join(v) for n, v in tags.items()}


def optimize(traced: Graph, verify: bool = False, record: bool = False, fastmath: bool = False) -> Optimized:
    """Copy ``traced``, run the pass pipeline, form and schedule kernels."""
    graph = traced.copy()
    records = run_passes(graph, verify=verify, record=record)
    program = form_kernels(graph)
    program.fastmath = fastmath
    for k in program.kernels:
        # a loop or branch: its sub-programs are scheduled already; scans and sorts are
        # planned by plan_along_axis
        if k.control is None and k.along is None:
            schedule_kernel(k, fastmath=fastmath)
    program = split_reductions(program)
    program = plan_matmuls(program)
    program = plan_along_axis(program)
    program = split_rows(program)
    program = block_siblings(program)
    program = fuse_loops(program)
    check_bounds(program)
    check_outputs(graph, program)
    program.plan = plan_memory(program)
    mark_streaming(program)
    if verify:
        graph.verify()
        verify_plan(program, program.plan)
    return Optimized(graph, program, records)
