"""From a traced graph to a scheduled kernel program: the graph passes
(``compiler/passes/``), kernel formation (``compiler/kernelize/``), then the kernel
passes (``compiler/schedule/``).

Kernel formation optimizes the sub-graphs of loops and branches by calling
:func:`optimize` again: a deliberate recursion, through the function this module hands
down (:func:`_optimize_sub`), so that kernel formation does not import the pipeline.
Within one top-level :func:`optimize`, a sub-graph equal to one optimized already (same
fingerprint: the text the program cache also keys optimized programs by) is not optimized
again: its program is shared. Nested loops and branches meet equal sub-graphs many times
(a branch formed again without shared operands re-forms every branch nested in it);
``count_islands`` optimized 110 sub-graphs, 18 distinct. Sharing is safe: a sub-program is
only read after its optimization (``_sub_call`` parametrizes it into a new generic program
and keeps it as ``SubCall.concrete`` for printing and ``carried_writes``).
"""
from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass

from tracejit.compiler.graph import Graph, graph_fingerprint
from tracejit.compiler.kernelize.form import form_kernels
from tracejit.compiler.kir import Program
from tracejit.compiler.passes import PassRecord, run_passes
from tracejit.compiler.schedule import run_kernel_passes
from tracejit.compiler.target import Target, host_target
from tracejit.config import config


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


def optimize(traced: Graph, verify: bool | None = None, record: bool = False, fastmath: bool = False,
             target: Target | None = None) -> Optimized:
    """Copy ``traced``, run the graph passes, form kernels and run the kernel passes,
    scheduling for ``target`` (default: the host; loops' and branches' sub-programs get
    the same); ``verify`` (default: ``TRACEJIT_VERIFY``) checks the graph and the program
    after every pass, ``record`` keeps each pass's dump (graph passes, then ``kernelize``
    and the kernel passes)."""
    outer = _SUB_PROGRAMS.get()
    if target is None:
        target = outer[0] if outer is not None else host_target()
    # the outermost call (or one for another target) owns the memo
    token = _SUB_PROGRAMS.set((target, {})) if outer is None or outer[0] != target else None
    try:
        return _optimize(traced, verify, record, fastmath, target)
    finally:
        if token is not None:
            _SUB_PROGRAMS.reset(token)


def _optimize(traced: Graph, verify: bool | None, record: bool, fastmath: bool, target: Target) -> Optimized:
    verify = config.verify if verify is None else verify
    graph = traced.copy()
    records = run_passes(graph, verify=verify, record=record)

    def form(g: Graph) -> Program:
        program = form_kernels(g, _optimize_sub)
        program.fastmath = fastmath
        program.target = target
        return program

    program, kernel_records = run_kernel_passes(graph, form, verify=verify, record=record)
    if verify:
        graph.verify()
    return Optimized(graph, program, records + kernel_records)


def _optimize_sub(graph: Graph) -> Program:
    """The scheduled program of a loop body, condition or branch (kernel formation's callback):
    the program of an equal sub-graph optimized earlier in this optimization, if any."""
    outer = _SUB_PROGRAMS.get()
    if outer is None:
        return optimize(graph).program
    memo = outer[1]
    key = graph_fingerprint(graph)
    if key not in memo:
        memo[key] = optimize(graph).program
    return memo[key]


# the target of the top-level optimize() running in this thread, and sub-graph fingerprint ->
# its optimized program, during that call
_SUB_PROGRAMS: ContextVar[tuple[Target, dict[str, Program]] | None] = ContextVar("sub_programs", default=None)
