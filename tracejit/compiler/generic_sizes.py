"""Size parameters: one compiled module for every program of the same structure.

Kernel formation specializes a program to its shapes: every extent, stride and offset
is an integer. Code generation does not need all of them as constants. This module
turns a program into its *generic* form: the extent of each nest's outermost loop, the
offset of each access of a loop nest, each parallel kernel's extent and chunk length,
the arena offset of each temporary and the dims of each input become :class:`Param`
slots of a size table the generated code reads at run time. Everything else (inner
extents, strides, schedules, vector widths, tiles, constants in expressions) stays a
constant, so LLVM still sees the row length of a softmax or the stride of a stencil.

Two programs whose generic forms print the same (``fingerprint.program_fingerprint``)
run the same machine code with their own size tables: calling a function with 100
vector lengths, or with any batch size, retraces for each new shape but compiles once
per *structure*. Structures change only at regime boundaries the compiler chose on
purpose (a tiny array without a vector loop, a reduction long enough to split into
chunks, a map larger than the cache with streaming stores), and wherever a size enters
the arithmetic itself (``x.mean()`` divides by a constant length).

Correctness does not depend on the choice of parameters: a :class:`Param` is not an
integer, so code generation cannot bake its value into the code by accident (arithmetic
on it raises), and everything code generation reads that is not a parameter is part of
the fingerprint. Slots are numbered in one deterministic walk, so equal structures
number them equally. Gemm kernels keep all their sizes (their blocking is tuned to them),
and so do scan and sort kernels (``kernelize/scan_sort.py``, ``schedule/scan_sort.py``).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from tracejit.compiler.kir import (
    Access,
    Buffer,
    Expr,
    Kernel,
    MemoryPlan,
    Nest,
    Program,
    ScatterAccess,
    map_accesses,
    with_store,
)
from tracejit.compiler.layout import StridedView


@dataclass(frozen=True)
class Param:
    """An integer read from slot ``slot`` of the program's size table at run time."""

    slot: int


@dataclass
class GenericProgram(Program):
    """A program whose sizes are :class:`Param` s (see the module docstring).

    ``params`` holds the values of the slots for the concrete program it was made from
    (not part of its fingerprint); ``checks_inputs`` says whether the call wrapper checks
    the input objects (every input C-contiguous in the concrete program);
    ``first_slots`` is each kernel's first slot: a kernel's parameters are numbered
    from there on (its function gets that part of the table, ``codegen/module.py``)."""

    params: tuple[int, ...] = ()
    checks_inputs: bool = True
    first_slots: tuple[int, ...] = ()


NO_VIEW = StridedView((), (), 0)  # the generic program's buffers: their layout is in the accesses


class _Slots:
    """Hands out slots in walk order and records their concrete values."""

    def __init__(self, every_offset: bool = False):
        self.values: list[int] = []
        self.every_offset = every_offset  # zero offsets too (``inner`` mode: they vary with a loop index)

    def __call__(self, value: int) -> Param:
        self.values.append(int(value))
        return Param(len(self.values) - 1)

    def offset(self, value: int) -> int | Param:
        """A nonzero offset becomes a parameter; zero stays (most accesses start at 0)."""
        return self(value) if value or self.every_offset else 0


def _generic_expr(e: Expr | None, slots: _Slots, memo: dict) -> Expr | None:
    """``e`` with each access offset a parameter and each gather extent a size (index
    strides stay constants, in the fingerprint); a shared subexpression stays shared."""
    if e is None:
        return None
    return map_accesses(e, lambda a: _generic_access(a, slots), memo, slots)


def _generic_access(a: Access, slots: _Slots) -> Access:
    return Access(a.buffer, a.dtype, slots.offset(a.offset), a.strides)


LONG_REDUCED = 256  # a reduced inner extent from this length on is a parameter (a data-sized axis)


def _generic_extent(n: int, d: int, nest: Nest, slots: _Slots, inner: bool, outer: bool) -> int | Param:
    """Extent ``n`` of dim ``d``: a parameter when outermost, in ``inner`` mode, or reduced and long
    (``x[mask].mean(axis=0)`` sums a (d, n) nest over n: a constant n would compile every length), or
    reduced by an ``outer`` schedule (its loop runs outside the vector loop: the partial rows and
    the tail of a split column reduction, ``schedule/split_rows.py``)."""
    reduced = d >= len(nest.shape) - nest.n_reduced
    return slots(n) if d == 0 or inner or (reduced and (outer or n >= LONG_REDUCED)) else n


def _generic_nest(nest: Nest, slots: _Slots, memo: dict, inner: bool = False, outer: bool = False) -> Nest:
    shape = tuple(_generic_extent(n, d, nest, slots, inner, outer) for d, n in enumerate(nest.shape))
    value = _generic_expr(nest.value, slots, memo)
    store = with_store(nest.store, _generic_access(nest.store, slots), lambda i: _generic_expr(i, slots, memo))
    if isinstance(store, ScatterAccess):
        store = dataclasses.replace(store, extents=tuple(slots(n) for n in store.extents))
    return Nest(shape, nest.n_reduced, nest.reduce, value, store, _generic_expr(nest.epilogue, slots, memo))


def _generic_kernel(kernel: Kernel, slots: _Slots, memo: dict, inner: bool = False) -> Kernel:
    if kernel.gemm is not None or kernel.along is not None:
        return kernel  # library kernels keep their sizes
    if kernel.control is not None:  # its sub-programs are generic already; its copies' sizes
        # a generalized loop's segments [start, end): their bounds follow the sizes too
        steps = tuple((slots(start), slots(end)) + tuple(rest) for start, end, *rest in kernel.control.steps)
        control = dataclasses.replace(kernel.control, nbytes=tuple(slots(n) for n in kernel.control.nbytes),
                                      steps=steps, dims=tuple(slots(n) for n in kernel.control.dims))
        return dataclasses.replace(kernel, control=control)
    nests = [_generic_nest(n, slots, memo, inner, s is not None and s.strategy == "outer")
             for n, s in zip(kernel.nests, kernel.schedules or [None] * len(kernel.nests))]
    out = dataclasses.replace(kernel, nests=nests)
    # a ranged kernel's chunk length is a parameter too (0 at run time: it runs serially)
    out.parallel_grain = slots(kernel.parallel_grain) if kernel.parallel_extent else 0
    return out


def _generic_buffer(buf: Buffer, slots: _Slots) -> Buffer:
    if buf.kind == "input":  # the call wrapper compares the input's dims with these
        shape: tuple = tuple(slots(n) for n in buf.shape)
    elif buf.kind == "scratch":  # one row on the stack: its length is code
        shape = buf.shape
    else:
        shape = ()
    return dataclasses.replace(buf, shape=shape, view=NO_VIEW, value=None, node=-1)


def parametrize(program: Program, inner: bool = False) -> GenericProgram:
    """The generic form of ``program`` (which must have its memory plan), with its size table;
    ``inner``: every extent of a nest is a parameter, not only the outermost (``frontend/probe.py``)."""
    if program.plan is None:
        raise ValueError("tracejit: parametrize needs the program's memory plan")
    slots = _Slots(every_offset=inner)
    kernels, first_slots = [], []
    for kernel in program.kernels:  # each kernel's slots in a range of their own
        first_slots.append(len(slots.values))
        kernels.append(_generic_kernel(kernel, slots, {}, inner))
    buffers = [_generic_buffer(b, slots) for b in program.buffers]
    # slots by buffer id, not in the plan's placement order (largest first: that order
    # depends on the sizes, and the code of another size would read another buffer's offset)
    offsets = program.plan.offsets
    plan = MemoryPlan(offsets={bid: slots(offsets[bid]) for bid in sorted(offsets)},
                      in_place=dict(program.plan.in_place))
    checks = all(b.view.is_contiguous() for b in program.buffers if b.kind == "input")
    return GenericProgram(program.name, buffers, kernels, program.n_inputs, list(program.outputs),
                          program.fastmath, plan, program.target, params=tuple(slots.values),
                          checks_inputs=checks, first_slots=tuple(first_slots))


def size_table(program: GenericProgram) -> np.ndarray:
    """The concrete values of ``program``'s parameters as the int64 array the code reads."""
    return np.array(program.params if program.params else [0], dtype=np.int64)
