"""Checks of a kernel program.

:func:`check_bounds` and :func:`check_outputs` run in every compile: every access stays
inside its buffer (native code never reads or writes out of bounds) and every result's
buffer has the shape and dtype of the graph's output (results come back as their
buffers). :func:`verify_program` adds cheap structural checks (every access names a
buffer of the program with its dtype, accesses have one stride per loop, schedules
fit their nests) and is run after each kernel pass when passes are verified.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from tracejit.compiler.kir.buffers import NO_BUFFER, Access
from tracejit.compiler.kir.expr import Expr, Gather, Iota, Load, ScatterAccess
from tracejit.compiler.kir.kernel import Kernel, Program
from tracejit.compiler.kir.nest import Nest, Schedule
from tracejit.compiler.kir.walk import nodes
from tracejit.compiler.layout import StridedView

if TYPE_CHECKING:  # only its outputs are read: the kernel IR does not depend on the graph IR
    from tracejit.compiler.graph import Graph

STRATEGIES = ("map", "inner", "outer", "arg")


def _accesses(kernel: Kernel) -> list[tuple[Access, tuple[int, ...]]]:
    """(access, iteration shape) of every load and store of ``kernel``."""
    if kernel.along is not None:
        return kernel.along.accesses()
    if kernel.gemm is not None:
        g = kernel.gemm
        out = [(g.a, (g.batch, g.m, g.k))]
        if g.k_tasks > 1:  # a partial C per K part
            parts = Access(g.c.buffer, g.dtype, g.c.offset, (g.c_split,) + g.c.strides)
            out.append((parts, (g.k_tasks, g.batch, g.m, g.n)))
        else:
            out.append((g.c, (g.batch, g.m, g.n)))
        if g.packed_b is None:
            out.append((g.b, (g.batch, g.n, g.k)))
            if g.b_block is not None:  # else B is read in place, unpacked
                out.append((Access(g.b_block, g.dtype, 0, (1,)), (g.chunks * g.kc * g.block_cols,)))
        else:
            nb = g.batch if g.b_batched else 1
            out.append((Access(g.packed_b, g.dtype, 0, (g.slivers * g.k * g.nr, 1)), (nb, g.slivers * g.k * g.nr)))
        if g.epilogue is not None:
            out.extend((ld.access, (g.batch, g.m, g.n)) for ld in Nest((), 0, None, g.epilogue, g.c).loads())
        return out
    out = []
    for nest in kernel.nests:
        out.extend(_extent(ld, nest.shape) for ld in nest.loads())
        out.extend((ld.access, nest.shape[:nest.n_kept]) for ld in nest.loads(epilogue=True))
        store = nest.store
        if isinstance(store, ScatterAccess):
            out.append((Access(store.buffer, store.dtype, store.offset, store.strides + store.index_strides),
                        nest.shape[:nest.n_kept] + store.extents))
        else:
            out.append((store, nest.shape[:nest.n_kept]))
    return out


def _extent(load: Load, shape: tuple[int, ...]) -> tuple[Access, tuple[int, ...]]:
    """(access, shape) covering every element ``load`` may read: a gather's index dims too."""
    if isinstance(load, Gather):
        acc = load.access
        return Access(acc.buffer, acc.dtype, acc.offset, acc.strides + load.strides), shape + load.extents
    return load.access, shape


def check_bounds(program: Program) -> None:
    """Every access must stay inside its buffer: kernels never touch memory out of bounds."""
    buffers = {b.id: b for b in program.buffers}
    for k in program.kernels:
        for acc, shape in _accesses(k):
            lo, hi = StridedView(shape, acc.strides, acc.offset).offset_range()
            blo, bhi = buffers[acc.buffer].view.offset_range()
            if lo <= hi and not (blo <= lo and hi <= bhi):
                raise AssertionError(f"kernel {k.name}: access [{lo}, {hi}] outside buffer "
                                     f"{buffers[acc.buffer].name} [{blo}, {bhi}]")


def check_outputs(graph: Graph, program: Program) -> None:
    """Every result's buffer has the shape and dtype of its graph output (a folded constant
    or a reused buffer of another shape would come back as the wrong array). A branch's
    result nobody reads (marked ``unused``, ``kernelize/control.py``) comes back nowhere:
    its temporary may have become a row scratch."""
    buffers = {b.id: b for b in program.buffers}
    for out in graph.outputs:
        if graph.data(out).get("unused", False):
            continue
        index, want = graph.attrs(out)["index"], graph.aval(out)
        bid = program.outputs[index]
        if bid < 0:
            continue
        buf = buffers[bid]
        if buf.shape != tuple(want.shape) or buf.dtype != want.dtype:
            raise AssertionError(f"result {index}: buffer {buf.name} is {buf.dtype}{list(buf.shape)}, "
                                 f"the result {want}")


def _check_nest(kernel: Kernel, nest: Nest, schedule: Schedule | None, known: dict) -> None:
    """A nest's accesses name known buffers with their dtypes and have one stride per loop
    they run in; its schedule fits it."""
    where = f"kernel {kernel.name}"
    assert 0 <= nest.n_reduced <= len(nest.shape), f"{where}: {nest.n_reduced} reduced dims of {nest.shape}"
    assert nest.reduce is not None or nest.n_reduced == 0, f"{where}: {nest.n_reduced} reduced dims, no reduction"
    roots: list[Expr] = [nest.value] + list(nest.store.indices if isinstance(nest.store, ScatterAccess) else ())
    for e, dims in [(e, len(nest.shape)) for e in nodes(roots)] + \
            [(e, nest.n_kept) for e in nodes([nest.epilogue] if nest.epilogue is not None else [])]:
        if isinstance(e, (Load, Iota)):
            _check_access(e.access, dims, known, where, iota=isinstance(e, Iota))
    _check_access(nest.store, nest.n_kept, known, where)
    if schedule is None:
        return
    assert schedule.strategy in STRATEGIES, f"{where}: strategy {schedule.strategy!r}"
    strategy = schedule.strategy
    assert nest.reduce is not None or strategy == "map", f"{where}: a {strategy} schedule, no reduction"
    assert strategy != "arg" or nest.reduce in ("argmax", "argmin"), f"{where}: arg schedule for {nest.reduce!r}"
    assert schedule.vector_width >= 1, f"{where}: vector width {schedule.vector_width}"
    assert schedule.vector_dim is None or 0 <= schedule.vector_dim < len(nest.shape), \
        f"{where}: vector dim {schedule.vector_dim} of {len(nest.shape)} loops"
    assert schedule.tile is None or schedule.strategy == "map", f"{where}: tiles on a {schedule.strategy} nest"


def _check_access(acc: Access, dims: int, known: dict, where: str, iota: bool = False) -> None:
    """``acc`` has ``dims`` strides and names a buffer of the program (none for an iota), with its dtype."""
    assert len(acc.strides) == dims, f"{where}: access {acc} has {len(acc.strides)} strides over {dims} loops"
    if iota:
        assert acc.buffer == NO_BUFFER, f"{where}: an iota reads buffer {acc.buffer}"
        return
    assert acc.buffer in known, f"{where}: access to unknown buffer {acc.buffer}"
    assert acc.dtype == known[acc.buffer].dtype, \
        f"{where}: {acc.dtype} access to {known[acc.buffer].name} of {known[acc.buffer].dtype}"


def verify_program(program: Program, graph: Graph | None = None) -> None:
    """Raise AssertionError unless ``program`` is well formed: the structural checks, the
    bounds check and, given the graph it was built from, the result check."""
    known = {b.id: b for b in program.buffers}
    assert len(known) == len(program.buffers), f"{program.name}: two buffers share an id"
    assert all(b < 0 or b in known for b in program.outputs), f"{program.name}: a result names no buffer"
    for k in program.kernels:
        assert set(k.buffers()) <= set(known), f"kernel {k.name}: unknown buffers {set(k.buffers()) - set(known)}"
        if k.control is not None or k.along is not None or k.gemm is not None:
            continue
        assert not k.schedules or len(k.schedules) == len(k.nests), \
            f"kernel {k.name}: {len(k.schedules)} schedules for {len(k.nests)} nests"
        for nest, schedule in zip(k.nests, k.schedules or [None] * len(k.nests)):
            _check_nest(k, nest, schedule, known)
    check_bounds(program)
    if graph is not None:
        check_outputs(graph, program)
