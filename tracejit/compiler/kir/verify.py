"""Static checks of a kernel program, always on: every access stays inside its buffer
(native code never reads or writes out of bounds) and every result's buffer has the
shape and dtype of the graph's output (results come back as their buffers)."""
from __future__ import annotations

from tracejit.compiler.graph import Graph
from tracejit.compiler.kernel import Access, Gather, Kernel, Load, Nest, Program, ScatterAccess
from tracejit.compiler.layout import StridedView


def _accesses(kernel: Kernel):
    """(access, iteration shape) of every load and store of ``kernel``."""
    if kernel.along is not None:
        return kernel.along.accesses()
    if kernel.gemm is not None:
        g = kernel.gemm
        out = [(g.a, (g.batch, g.m, g.k)), (g.c, (g.batch, g.m, g.n))]
        if g.packed_b is None:
            out.append((g.b, (g.batch, g.n, g.k)))
            out.append((Access(g.b_block, g.dtype, 0, (1,)), (g.chunks * g.kc * g.cols_per_task,)))
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


def _extent(load: Load, shape: tuple[int, ...]):
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
    or a reused buffer of another shape would come back as the wrong array)."""
    buffers = {b.id: b for b in program.buffers}
    for out in graph.outputs:
        index, want = graph.attrs(out)["index"], graph.aval(out)
        bid = program.outputs[index]
        if bid < 0:
            continue
        buf = buffers[bid]
        if buf.shape != tuple(want.shape) or buf.dtype != want.dtype:
            raise AssertionError(f"result {index}: buffer {buf.name} is {buf.dtype}{list(buf.shape)}, "
                                 f"the result {want}")
