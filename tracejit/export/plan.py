"""What an export compiles: the program traced and optimized at sample sizes, checked to
be one structure, with every size it reads expressed in the run-time sizes.

The function is lowered (``JitFunction.lower``) at a few assignments of its named dims
(``tracejit/export/poly.py`` picks them around ``sizes``); each program's generic form
(``compiler/generic_sizes.py``) must print the same, so one module's code serves them all.
Each size-table slot, buffer byte count, output dim and varying integer constant is then
fitted as a polynomial of the named dims; a value no polynomial fits (or a structure that
changes between the samples) makes that dim unfit for a run-time size, and the export
says so. Chunk lengths of parallel loops are not fitted: see ``grains``.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from tracejit.compile import optimize_cached
from tracejit.compiler.fingerprint import program_fingerprint
from tracejit.compiler.generic_sizes import GenericProgram, Param, parametrize
from tracejit.compiler.kir import Kernel, Program
from tracejit.compiler.schedule.memplan import plan_memory
from tracejit.compiler.target import Target
from tracejit.config import config
from tracejit.errors import UnsupportedError
from tracejit.export.gemmrows import rows_as_sizes, varying_rows
from tracejit.export.lengths import Position, consts_as_sizes, varying_lengths
from tracejit.export.poly import Poly, fit, fit_quotient, sample_points
from tracejit.export.spec import ExampleSpec
from tracejit.frontend.api import jit
from tracejit.frontend.lowered import Lowered

DEFAULT_SIZE = 1000  # the sample value of a named dim when the caller gives none
# sample values tried next when the caller gives none and the samples around DEFAULT_SIZE
# straddle a regime boundary of the compiler (a column sum split in blocks from ~2000 rows)
RETRY_SIZES = (400, 4000, 100)


class SizeError(UnsupportedError):
    """The programs traced at the sample sizes differ in structure, or a size is no
    polynomial of the named dims there (other samples may do)."""


@dataclass
class Output:
    """One array result of the exported function: its dtype, dims and program buffer."""

    name: str
    dtype: np.dtype
    dims: tuple[Poly, ...]
    buffer: int


@dataclass
class ExportPlan:
    """Everything code generation and the header need (see the module docstring)."""

    name: str
    specs: list[ExampleSpec]
    arg_names: list[str]
    symbols: list[str]
    samples: dict[str, int]
    generic: GenericProgram
    program: Program  # the concrete program at the first sample
    slots: list[Poly | None]  # None: a grain (see ``grains``)
    grains: dict[int, int]  # grain slot -> its unit (0: serial), chunk lengths chosen at run time
    nbytes: dict[int, Poly]  # buffer id -> bytes
    constants: dict[int, bytes]  # constant buffer -> its bytes (the same at every sample)
    computed: dict[int, list[Poly]]  # int64 constant buffer whose elements follow the sizes
    outputs: list[Output]
    writebacks: list[tuple[int, int]]  # (argument, output index): the argument is updated in place
    written_inputs: set[int] = field(default_factory=set)  # arguments the kernels store into
    threads: bool = False
    points: list[tuple[int, ...]] = field(default_factory=list)  # every sample assignment of the named dims
    checks: list = field(default_factory=list)  # run-time checks (frontend/checks.py): TJ_ERR_CHECK when one fails
    check_bounds: list[Poly | None] = field(default_factory=list)  # each range check's bound (None: none)
    gemm_rows: set[int] = field(default_factory=set)  # GEMM kernels whose row count is a size (gemmrows.py)
    lengths: list[tuple[Position, str]] = field(default_factory=list)  # constants read from the size table (lengths.py)
    value_slots: set[int] = field(default_factory=set)  # their slots: values in the arithmetic, may be < 0

    def samples_of(self, poly: Poly) -> list[int]:
        """``poly``'s values at the sample sizes."""
        return [int(poly(p)) for p in self.points]


def input_dims(plan: ExportPlan) -> list[tuple[int, int, int | str]]:
    """Every (argument, dim, fixed size or name) in the order the C function takes them."""
    return [(a, d, n) for a, spec in enumerate(plan.specs) for d, n in enumerate(spec.dims)]


def _refuse_calls(kernels: list[Kernel]) -> None:
    """Host calls and library calls reach Python or a shared library at run time: no export."""
    for k in kernels:
        c = k.control
        if c is None:
            continue
        if c.kind == "host":
            raise UnsupportedError(f"tracejit.export: the program calls back into Python for {c.label or k.name} "
                                   f"(a host fallback node); such programs cannot be exported")
        if c.kind == "lapack":
            raise UnsupportedError(f"tracejit.export: the program calls a library routine ({c.label or k.name}: "
                                   f"np.linalg's solvers and factorizations); "
                                   f"programs with LAPACK calls cannot be exported yet")
        for sub in c.subs:
            _refuse_calls(sub.program.kernels)


def _lower(jitted, arrays: list[np.ndarray], target: Target | None) -> tuple:
    lowered = jitted.lower(*arrays)
    if not isinstance(lowered, Lowered):
        raise UnsupportedError(f"tracejit.export: the function cannot be compiled: {lowered.error}")
    compilation = lowered.compilation
    traced = compilation.traced
    if traced.guard is not None:
        raise UnsupportedError("tracejit.export: the function reads captured arrays at call time")
    for leaf in traced.out_leaves:
        if leaf.mask is not None or leaf.stashed:  # (a masked selection's result has no index)
            raise UnsupportedError("tracejit.export: a result whose size follows the data (x[mask], np.unique, "
                                   "np.nonzero...) cannot be exported yet")
        if leaf.index is not None and leaf.complex_dtype is not None:
            raise UnsupportedError("tracejit.export: complex results cannot be exported yet")
    if target is None or target.name == "host":
        program = compilation.optimized.program
    else:  # scheduled for the target (its vector width, FMA, cache, streaming stores)
        program = optimize_cached(traced.graph, compilation.fastmath, target).program
    if program.plan is None:
        program.plan = plan_memory(program)
    _refuse_calls(program.kernels)
    for check in traced.checks:
        if check.snapshot and any(program.outputs[i] < 0 for _, i in check.snapshot):
            raise UnsupportedError("tracejit.export: a run-time check the program does not compute")
    return traced, program


def trace_samples(fun: Callable, specs: list[ExampleSpec], sizes: dict[str, int], threads: bool,
                  extra: bool = False, target: Target | None = None) -> tuple:
    """The traced function and its program (scheduled for ``target``, default the host) at
    each sample assignment of the named dims: ``(symbols, points, checks, [(point, traced,
    program)])``; ``extra``: one more run, at about half the sizes, last (``validate``)."""
    symbols = list(dict.fromkeys(s for spec in specs for s in spec.symbols()))
    unknown = set(sizes) - set(symbols)
    if unknown:
        raise ValueError(f"tracejit.export: sizes name dims no example has: {sorted(unknown)}")
    base = tuple(int(sizes.get(s, DEFAULT_SIZE)) for s in symbols)
    points, checks = sample_points(base)
    jitted = jit(fun, freeze=True, fallback=False)
    saved = config.num_threads
    config.num_threads = max(2, os.cpu_count() or 2) if threads else 1
    try:
        runs = []
        more = [tuple(b // 2 + 3 + t for t, b in enumerate(base))] if extra and symbols else []
        for point in points + checks + more:
            values = dict(zip(symbols, point))
            runs.append((point, *_lower(jitted, [spec.concrete(values) for spec in specs], target)))
    finally:
        config.num_threads = saved
    return symbols, points, checks, runs


def _structure_error(symbols: list[str], base: tuple, point: tuple) -> SizeError:
    changed = [(s, a, b) for s, a, b in zip(symbols, base, point) if a != b]
    return SizeError(
        f"tracejit.export: the compiled program is not the same for "
        f"{', '.join(f'{s} = {b}' for s, _, b in changed)} as for {', '.join(f'{s} = {a}' for s, a, _ in changed)}: "
        f"the code needs {'that dim' if len(changed) == 1 else 'one of those dims'} fixed (only the outermost "
        f"loop's extent, long reductions and a matrix product's row count are run-time sizes; not its other "
        f"sizes, an inner dim, "
        f"a length that enters the arithmetic other than as an integer or its reciprocal, such as sqrt(N), "
        f"a loop over it). "
        f"Give it a number in the example, or another sample size (sizes={{...}}, --size N=...)")


def _fit(symbols, points, checks, values: list[int], what: str, candidates: list[Poly] = ()) -> Poly:
    n = len(points)
    poly = fit(points, values[:n], list(zip(checks, values[n:])))
    if poly is None and symbols:
        poly = fit_quotient(points + checks, values, list(candidates))
    if poly is None:
        raise SizeError(f"tracejit.export: {what} is no polynomial of {', '.join(symbols)} "
                               f"(values {values} at sizes {points + checks}); fix those dims in the example")
    return poly


def _grain_unit(kernel: Kernel) -> int:
    """What a chunk length of ``kernel``'s outer loop must be a multiple of (vectors, tiles)."""
    sched = kernel.schedules[0] if kernel.schedules else None
    unit = 1
    if sched is not None and sched.vector_dim == 0 and sched.vector_width > 1:
        unit = sched.vector_width
    if sched is not None and sched.tile and len(kernel.nests[0].shape) == 2:
        unit = int(np.lcm(unit, sched.tile[0]))
    return unit


def build_plan(fun: Callable, specs: list[ExampleSpec], arg_names: list[str], name: str,
               sizes: dict[str, int] | None = None, threads: bool = False,
               target: Target | None = None) -> ExportPlan:
    """The :class:`ExportPlan` of ``fun`` for these example specs, scheduled for ``target``
    (default: the host; see the module docstring). Without ``sizes``, named dims are
    sampled around ``DEFAULT_SIZE``, then around each of ``RETRY_SIZES`` while the samples
    disagree (:class:`SizeError`): the first error is raised when none do."""
    symbols = list(dict.fromkeys(s for spec in specs for s in spec.symbols()))
    tries = [dict(sizes or {})]
    if symbols and not sizes:
        tries += [{s: size for s in symbols} for size in RETRY_SIZES]
    first = None
    for attempt in tries:
        try:
            return _plan_at(fun, specs, arg_names, name, attempt, threads, target)
        except SizeError as err:
            first = first or err
    if len(tries) > 1:
        raise SizeError(f"{first} (sampled around {', '.join(map(str, (DEFAULT_SIZE, *RETRY_SIZES)))} too)") from None
    raise first


def _plan_at(fun: Callable, specs: list[ExampleSpec], arg_names: list[str], name: str, sizes: dict[str, int],
             threads: bool, target: Target | None) -> ExportPlan:
    """:func:`build_plan` at sample sizes around ``sizes``."""
    symbols, points, checks, runs = trace_samples(fun, specs, sizes, threads, extra=True, target=target)
    runs, extra = runs[:len(points) + len(checks)], runs[len(points) + len(checks):]
    generics = [parametrize(program) for _, _, program in runs]
    gemm_rows = varying_rows(generics) if len({len(g.kernels) for g in generics}) == 1 else set()
    generics = [rows_as_sizes(g, gemm_rows) for g in generics]  # a batch through matrix products
    lengths = varying_lengths(generics)  # a mean's N, a variance's N - 1: read at run time
    sized = len(generics[0].params)
    generics = [consts_as_sizes(g, lengths) for g in generics]
    prints = [program_fingerprint(g) for g in generics]
    for (point, _, _), text in zip(runs, prints):
        if text != prints[0]:
            raise _structure_error(symbols, runs[0][0], point)
    generic, (base_point, traced, program) = generics[0], runs[0]
    found: list[Poly] = []  # fitted so far: the candidate dividends of quotients

    def fitted(values: list[int], what: str) -> Poly:
        poly = _fit(symbols, points, checks, values, what, [p for p in found if not p.aux and p.constant() is None])
        if poly not in found:
            found.append(poly)
        return poly

    for buf in program.buffers:  # element counts of the inputs: what long reductions divide in chunks
        if buf.kind == "input":
            fitted([int(np.prod(p.buffers[buf.id].shape)) for _, _, p in runs], f"the length of {buf.name}")

    grains: dict[int, int] = {}
    for kg, kc in zip(generic.kernels, program.kernels):
        if isinstance(kg.parallel_grain, Param):
            busy = any(g.params[kg.parallel_grain.slot] for g in generics)
            grains[kg.parallel_grain.slot] = _grain_unit(kc) if threads and busy else 0
    arena = {p.slot for p in generic.plan.offsets.values() if isinstance(p, Param)}
    slots: list[Poly | None] = []
    for i in range(len(generic.params)):
        if i in grains:
            slots.append(None)
        elif i in arena:  # temporaries are allocated one by one (see entry.py): offsets unused
            slots.append(Poly(()))
        else:
            slots.append(fitted([g.params[i] for g in generics], f"size slot {i}"))
    nbytes, constants, computed = {}, {}, {}
    for buf in program.buffers:
        if buf.kind == "scratch":
            continue
        nbytes[buf.id] = fitted([p.buffers[buf.id].nbytes for _, _, p in runs], f"the bytes of buffer {buf.name}")
        if buf.kind != "constant":
            continue
        values = [np.ascontiguousarray(p.buffers[buf.id].value) for _, _, p in runs]
        if all(v.tobytes() == values[0].tobytes() for v in values):
            constants[buf.id] = values[0].tobytes()
        elif all(v.dtype == np.int64 and v.shape == values[0].shape for v in values):
            computed[buf.id] = [fitted([int(v.flat[e]) for v in values], f"element {e} of constant {buf.name}")
                                for e in range(values[0].size)]
        else:
            raise SizeError(f"tracejit.export: constant {buf.name} changes with {', '.join(symbols)}; "
                                   f"fix those dims in the example")
    outputs = []
    graph = traced.graph
    for leaf in traced.out_leaves:
        if leaf.index is None:
            raise UnsupportedError("tracejit.export: the function returns a Python value, not an array; "
                                   "only array results can be exported")
        dims = tuple(fitted([tr.graph.aval(tr.graph.outputs[leaf.index]).shape[d] for _, tr, _ in runs],
                            f"dim {d} of result {len(outputs)}")
                     for d in range(len(graph.aval(graph.outputs[leaf.index]).shape)))
        bid = program.outputs[leaf.index]
        if bid < 0:
            raise UnsupportedError("tracejit.export: a result the program does not compute cannot be exported")
        outputs.append(Output(f"out{len(outputs)}", np.dtype(graph.aval(graph.outputs[leaf.index]).dtype),
                              dims, bid))
    bounds = [None if check.bound is None else
              fitted([tr.checks[k].bound for _, tr, _ in runs], f"the bound of run-time check {k}")
              for k, check in enumerate(traced.checks)]
    for arg, index in traced.writebacks:
        if program.outputs[index] < 0:
            raise UnsupportedError("tracejit.export: an in-place update the program does not compute")
    plan = ExportPlan(name, specs, arg_names, symbols, dict(zip(symbols, base_point)), generic, program, slots,
                      grains, nbytes, constants, computed, outputs, list(traced.writebacks),
                      {arg for arg, _ in traced.writebacks}, threads, points + checks,
                      list(traced.checks), bounds)
    plan.gemm_rows = gemm_rows
    plan.lengths = lengths
    plan.value_slots = set(range(sized, len(generic.params)))
    for point, _, program in extra:
        validate(plan, point, program, prints[0])
    return plan


def validate(plan: ExportPlan, point: tuple[int, ...], program: Program, fingerprint: str) -> None:
    """Check the fits at a size they were not fitted at (``program``, traced there): every
    size slot and buffer size must be what the polynomials say (a program of another
    structure there tells nothing: skipped)."""
    generic = consts_as_sizes(rows_as_sizes(parametrize(program), plan.gemm_rows), plan.lengths)
    if program_fingerprint(generic) != fingerprint:
        return
    wrong = [f"slot {i}" for i, poly in enumerate(plan.slots)
             if poly is not None and poly.terms and poly(point) != generic.params[i]]
    wrong += [f"buffer {b}" for b, poly in plan.nbytes.items() if poly(point) != program.buffers[b].nbytes]
    wrong += [f"constant {b}" for b, polys in plan.computed.items()
              if [p(point) for p in polys] != np.ravel(program.buffers[b].value).tolist()]
    if wrong:
        raise SizeError(f"tracejit.export: the sizes fitted at {plan.samples} do not hold at "
                               f"{dict(zip(plan.symbols, point))} ({', '.join(wrong)}); fix those dims in the example")
