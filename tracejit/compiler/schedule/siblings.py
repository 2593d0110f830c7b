"""Sibling maps over one long vector, fused in blocks.

Consecutive one-dimensional map kernels over the same extent (``a*b + 1`` and
``exp(-a) * b``: two outputs of the same inputs) each stream every input through the
caches on their own. Here each becomes a two-dimensional nest over (rows, ``BLOCK``)
plus a one-dimensional tail; the row nests then share one row loop (loop fusion), so
each block of the inputs is read from memory once and reused from L1 by every stage,
and the tails run after, as one small kernel. Reordering the tails after all the row nests is valid because
a kernel of such a run reads what an earlier one wrote only at the very element it
stores itself (checked), so the row part and the tail never read each other's elements.

Short runs (under ``MIN_ROWS * BLOCK`` elements: an optimizer's update of a bias, where the
moments and the parameter are three maps of the same few hundred elements) are rows of one
vector each, so the fused row loop is the one vector loop of all the stages; a run shorter
than two vectors is one kernel of its nests in turn.
"""
from __future__ import annotations

from tracejit.compiler.kir import Access, Gather, Kernel, Nest, Program, Schedule, in_sequence, map_accesses

BLOCK = 4096  # elements of a row: a block of each buffer stays in L1 between stages
MIN_ROWS = 2


def _vector_map(kernel: Kernel) -> int | None:
    """The extent of a one-nest, one-dimensional map, else None."""
    if kernel.gemm is not None or kernel.row_fused or len(kernel.nests) != 1 or kernel.kind == "update":
        return None
    nest, sched = kernel.nests[0], kernel.schedules[0]
    if (nest.reduce or nest.n_reduced or len(nest.shape) != 1 or sched.strategy != "map"
            or sched.vector_dim != 0):
        return None
    return nest.shape[0]


def _reads_only_own_elements(kernel: Kernel, stores: dict[int, Access]) -> bool:
    """Buffers written earlier in the run are read only at the element being stored."""
    nest = kernel.nests[0]
    return all(ld.access.buffer not in stores or not isinstance(ld, Gather) and
               (ld.access.offset, ld.access.strides) == (stores[ld.access.buffer].offset,
                                                         stores[ld.access.buffer].strides)
               and ld.access.strides == nest.store.strides and ld.access.offset == nest.store.offset
               for ld in nest.loads())


def _block(kernels: list[Kernel]) -> int:
    """The row length for a run of maps: ``BLOCK``, or for a short run one vector of the
    widest (all the run's rows have one length); 0: too short for two rows."""
    extent = kernels[0].nests[0].shape[0]
    if extent >= MIN_ROWS * BLOCK:
        return BLOCK
    width = max(k.schedules[0].vector_width for k in kernels)
    return width if width > 1 and extent >= MIN_ROWS * width else 0


def _split(kernel: Kernel, block: int) -> tuple[Kernel, Kernel]:
    """(rows of ``block`` elements, the tail) of a one-dimensional map kernel."""
    nest, sched = kernel.nests[0], kernel.schedules[0]
    rows, tail = divmod(nest.shape[0], block)

    def blocked(a: Access) -> Access:
        return Access(a.buffer, a.dtype, a.offset, (block * a.strides[0], a.strides[0]))

    def tailed(a: Access) -> Access:
        return Access(a.buffer, a.dtype, a.offset + rows * block * a.strides[0], a.strides)

    body = Nest((rows, block), 0, None, map_accesses(nest.value, blocked, {}), blocked(nest.store))
    main = Kernel(f"{kernel.name}r", "map", kernel.nodes, [body],
                  [Schedule("map", sched.vector_width, 1)])
    # the tail is there even when empty, with a schedule that does not depend on its length:
    # every extent past the regime boundary gives one structure (one compiled module, one export)
    rest = Nest((tail,), 0, None, map_accesses(nest.value, tailed, {}), tailed(nest.store))
    width = sched.vector_width if block == BLOCK else 1
    return main, Kernel(f"{kernel.name}t", "map", kernel.nodes, [rest], [Schedule("map", width, 0)])


def block_siblings(program: Program) -> Program:
    """``program`` with every run of two or more sibling one-dimensional maps of the same
    extent split into row nests (which loop fusion then merges) followed by their tails."""
    kernels: list[Kernel] = []
    run: list[Kernel] = []
    stores: dict[int, Access] = {}

    def flush():
        block = _block(run) if len(run) >= 2 else 0
        if len(run) >= 2 and not block:
            kernels.append(in_sequence(run, "map"))
        elif block:
            parts = [_split(k, block) for k in run]
            kernels.extend(main for main, _ in parts)
            kernels.append(in_sequence([tail for _, tail in parts], "map"))
        else:
            kernels.extend(run)

    for kernel in program.kernels:
        extent = _vector_map(kernel)
        if run and extent == _vector_map(run[0]) and _reads_only_own_elements(kernel, stores):
            run.append(kernel)
        else:
            flush()
            run, stores = ([kernel], {}) if extent is not None else ([], {})
            if extent is None:
                kernels.append(kernel)
        if run and run[-1] is kernel:
            stores[kernel.nests[0].store.buffer] = kernel.nests[0].store
    flush()
    return Program(program.name, program.buffers, kernels, program.n_inputs, program.outputs, program.fastmath,
                   target=program.target)
