"""Kernel passes: named steps over the kernel :class:`Program`, run in order after kernel
formation (``compiler/kernelize/``), as the graph passes (``compiler/passes/``) run over
the graph before it.

Each pass is a function ``(Program, Graph) -> Program`` (the graph only to check results
against). :func:`run_kernel_passes` runs kernel formation and then :data:`KERNEL_PASSES`,
timing each step; ``TRACEJIT_LOG=passes`` prints the kernel program after each with its
time, ``record`` keeps each as a :class:`PassRecord` (``Lowered.as_text("passes")``) and
``verify`` checks the program after each (a failure names the step).
"""
from __future__ import annotations

import time
from typing import Callable

from tracejit.compiler.graph import Graph
from tracejit.compiler.kir import Program
from tracejit.compiler.kir.verify import check_bounds, check_outputs, verify_program
from tracejit.compiler.passes import PassRecord
from tracejit.compiler.schedule.coldpool import serial_after_parking
from tracejit.compiler.schedule.loopfuse import fuse_loops
from tracejit.compiler.schedule.matmul import plan_matmuls
from tracejit.compiler.schedule.memplan import plan_memory, verify_plan
from tracejit.compiler.schedule.mixed import convert_operands
from tracejit.compiler.schedule.scan_sort import plan_along_axis
from tracejit.compiler.schedule.siblings import block_siblings
from tracejit.compiler.schedule.split_reduce import split_reductions
from tracejit.compiler.schedule.split_rows import split_rows
from tracejit.compiler.schedule.streaming import mark_streaming
from tracejit.compiler.schedule.vectorize import schedule_kernel
from tracejit.compiler.target import host_target
from tracejit.config import emit_log, log_enabled

KernelPass = Callable[[Program, Graph], Program]


def schedule_kernels(program: Program, graph: Graph) -> Program:
    """Give every loop-nest kernel its loop order, vector width and parallel chunks, in
    place (a loop or branch: its sub-programs are scheduled already; scans and sorts are
    planned by ``plan_along_axis``)."""
    for k in program.kernels:
        if k.control is None and k.along is None:
            schedule_kernel(k, program.target, fastmath=program.fastmath)
    return program


def bounds_checked(program: Program, graph: Graph) -> Program:
    """``program`` once every access is checked to stay inside its buffer (always on)."""
    check_bounds(program)
    return program


def outputs_checked(program: Program, graph: Graph) -> Program:
    """``program`` once every result's buffer is checked against its graph output (always on)."""
    check_outputs(graph, program)
    return program


def memory_planned(program: Program, graph: Graph) -> Program:
    """``program`` with its temporaries laid out in one arena (``program.plan``)."""
    program.plan = plan_memory(program)
    return program


def _on_program(fn: Callable[[Program], Program]) -> KernelPass:
    """The kernel pass running ``fn`` (a pass that needs no graph)."""
    return lambda program, graph: fn(program)


KERNEL_PASSES: list[tuple[str, KernelPass]] = [
    ("schedule_kernels", schedule_kernels),
    ("split_reductions", _on_program(split_reductions)),
    ("convert_operands", _on_program(convert_operands)),  # mixed-dtype products: operands converted once
    ("plan_matmuls", _on_program(plan_matmuls)),
    ("plan_along_axis", _on_program(plan_along_axis)),
    ("split_rows", _on_program(split_rows)),
    ("block_siblings", _on_program(block_siblings)),
    ("fuse_loops", _on_program(fuse_loops)),
    ("serial_after_parking", _on_program(serial_after_parking)),
    ("check_bounds", bounds_checked),
    ("check_outputs", outputs_checked),
    ("plan_memory", memory_planned),
    ("mark_streaming", _on_program(mark_streaming)),
]


def _verify(program: Program, graph: Graph) -> None:
    """Raise AssertionError unless ``program`` is well formed: accesses in bounds, results
    of the graph's shapes and dtypes, and (once planned) a sound memory plan."""
    verify_program(program, graph)
    if program.plan is not None:
        verify_plan(program, program.plan)


def _step(name: str, run: Callable[[], Program], graph: Graph, before: str | None, verify: bool, keep: bool,
          records: list[PassRecord]) -> tuple[Program, str | None]:
    """Run one step (timed, verified, dumped); returns the program and its text (when made)."""
    t0 = time.perf_counter()
    program = run()
    dt = time.perf_counter() - t0
    if verify:
        try:
            _verify(program, graph)
        except AssertionError as e:
            raise AssertionError(f"after kernel pass {name}: {e}") from e
    dump = log_enabled("passes")
    if not (keep or dump):
        return program, None
    text = program.text()
    changed = text != before
    if keep:
        records.append(PassRecord(name, changed, dt, text))
    if dump:
        emit_log("passes", f"after {name} ({dt * 1e3:.2f} ms, {'changed' if changed else 'unchanged'}):\n{text}")
    return program, text


def run_kernel_passes(graph: Graph, form: Callable[[Graph], Program],
                      passes: list[tuple[str, KernelPass]] | None = None, verify: bool = False,
                      record: bool = False) -> tuple[Program, list[PassRecord]]:
    """Form ``graph``'s kernels with ``form`` (step ``kernelize``), then run ``passes``
    (default :data:`KERNEL_PASSES`) in order; ``verify`` checks the program after every
    step, ``record`` keeps each step's dump. Returns the program and the records."""
    records: list[PassRecord] = []
    program, text = _step("kernelize", lambda: form(graph), graph, None, verify, record, records)
    if program.target is None:  # formed without one: scheduled for the host (what the JIT runs on)
        program.target = host_target()
    for name, fn in KERNEL_PASSES if passes is None else passes:
        program, text = _step(name, lambda: fn(program, graph), graph, text, verify, record, records)
    return program, records
