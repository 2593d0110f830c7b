"""Scheduling: how each nest's loops run, decided apart from what they compute.

``collapse`` merges adjacent dimensions that every access walks contiguously (and drops
size-1 dims), so loops are few and long; ``choose`` picks the reduction strategy and
the vector width.
"""
from __future__ import annotations

import numpy as np

from tracejit.compiler.kir import (
    Access,
    Apply,
    Expr,
    Gather,
    Iota,
    Kernel,
    Load,
    Nest,
    ScatterAccess,
    Schedule,
    map_accesses,
    nodes,
    with_store,
)
from tracejit.compiler.ops import get_op
from tracejit.compiler.target import Target
from tracejit.config import config

UNROLL = 2  # vectors per iteration: two registers of lanes hide add latency
MAX_LANES = 16
PAIRWISE_BLOCK_VECTORS = 8
TILE = 64  # tiles of a map with a transposed operand: 64 rows, 64 columns or one cache line
TILE_MIN_EXTENT = 128  # both tiled loops at least this long
LINE_BYTES = 64
ALIAS_BYTES = 1024  # a transposed stride that is a multiple of this maps rows onto few cache sets
PARALLEL_MIN_WORK = 1 << 17  # estimated element-ops below which a kernel stays serial
CHUNK_MIN_WORK = 1 << 15  # and the least work per parallel chunk
CHUNKS_PER_THREAD = 8


def collapse(nest: Nest) -> Nest:
    """An equivalent nest with size-1 dims dropped and mergeable neighbours merged."""
    shape, nk = list(nest.shape), nest.n_kept
    group = [0] * nk + [1] * nest.n_reduced
    loads = [ld.access for ld in nest.indexed()]
    epi = [ld.access for ld in nest.indexed(epilogue=True)]
    pad = [0] * nest.n_reduced
    rows = ([list(a.strides) for a in loads] + [list(a.strides) + pad for a in epi]
            + [list(nest.store.strides) + pad])
    keep = [d for d in range(len(shape)) if shape[d] != 1]
    if nest.n_reduced and not any(group[d] for d in keep):
        keep.append(len(shape) - 1)  # a reduction keeps one (size-1) reduced loop
    shape = [shape[d] for d in keep]
    group = [group[d] for d in keep]
    rows = [[r[d] for d in keep] for r in rows]
    d = len(shape) - 1
    while d > 0:
        if group[d - 1] == group[d] and all(r[d - 1] == r[d] * shape[d] for r in rows):
            shape[d - 1] *= shape[d]
            for r in rows:
                r[d - 1] = r[d]
                del r[d]
            del shape[d], group[d]
        d -= 1
    new_nk = group.count(0)
    fixed = {(a.buffer, a.offset, a.strides): tuple(r) for a, r in zip(loads, rows)}
    fixed_epi = {(a.buffer, a.offset, a.strides): tuple(r[:new_nk]) for a, r in zip(epi, rows[len(loads):])}

    def fix(a: Access) -> Access:
        return Access(a.buffer, a.dtype, a.offset, fixed[(a.buffer, a.offset, a.strides)])

    def fix_epi(a: Access) -> Access:
        return Access(a.buffer, a.dtype, a.offset, fixed_epi[(a.buffer, a.offset, a.strides)])

    store = with_store(nest.store, Access(nest.store.buffer, nest.store.dtype, nest.store.offset,
                                          tuple(rows[-1][:new_nk])), lambda i: map_accesses(i, fix, {}))
    epilogue = None if nest.epilogue is None else map_accesses(nest.epilogue, fix_epi, {})
    return Nest(tuple(shape), len(shape) - new_nk, nest.reduce, map_accesses(nest.value, fix, {}), store, epilogue)


def _dtypes(e: Expr) -> set[np.dtype]:
    """The dtypes a DAG computes in: each node's, and each op's loop dtype."""
    out = set()
    for x in nodes([e]):
        out.add(np.dtype(x.dtype))
        if isinstance(x, Apply):
            out.add(np.dtype(x.in_dtype))
    return out


def _lanes(nest: Nest, extent: int, vector_bytes: int) -> int:
    dts = _dtypes(nest.value)
    if nest.epilogue is not None:
        dts |= _dtypes(nest.epilogue)
    widest = max([dt.itemsize for dt in dts if dt.kind != "b"] + [4])
    lanes = min(MAX_LANES, vector_bytes * UNROLL // widest)
    while lanes > extent and lanes > 4:
        lanes //= 2
    return lanes if lanes <= extent else 1


def _tile(nest: Nest, lanes: int) -> tuple[int, int] | None:
    """Tiles for a map whose last two loops are long, whose store walks the last one
    contiguously and with a load walking the one before contiguously instead (a
    transposed operand): in tiles every line of both is reused while in cache. Square
    64 x 64 tiles, unless that load's row stride is a multiple of ``ALIAS_BYTES``:
    then its rows share few cache sets (4096 float32 columns: every row in one set of
    L1) and a tile is one cache line wide, so a tile row touches at most a line's worth
    of those rows. Measured at 4096^2 float32 transpose-add: 64 x 64 tiles 848 ms,
    64 x 16 tiles 22 ms; at 3000^2, 9 ms and 13 ms."""
    nd = len(nest.shape)
    if isinstance(nest.store, ScatterAccess):
        return None  # stores in loop order: the last of repeated indices wins
    if nd < 2 or min(nest.shape[-2:]) < TILE_MIN_EXTENT or abs(nest.store.strides[-1]) != 1:
        return None
    crossed = [a for a in (ld.access for ld in nest.loads())
               if abs(a.strides[-2]) == 1 and abs(a.strides[-1]) >= TILE]
    if not crossed:
        return None
    size = nest.value.dtype.itemsize
    aliased = any(abs(a.strides[-1]) * size % ALIAS_BYTES == 0 for a in crossed)
    cols = max(lanes, LINE_BYTES // size) if aliased else TILE
    return TILE, cols


def _unit(dim: int, loads: list[Access], shape) -> int:
    """Elements read contiguously along ``dim``: each load weighted by its footprint."""
    total = 0
    for a in loads:
        if abs(a.strides[dim]) == 1:
            total += int(np.prod([n for n, s in zip(shape, a.strides) if s != 0]))
    return total


def _numpy_inner_dim(nest: Nest) -> int | None:
    """The dim NumPy's iterator would walk innermost over the reduced operand: the one
    with the smallest stride of a data load that moves along every dim (broadcast loads,
    such as a row's mean, say nothing of the operand's layout; a gather moves along its
    gathered dims by its index's stride times the source's, as a fresh C-order array
    would), or None when no load moves along every dim."""
    best: tuple[int, int] | None = None
    for e in nodes([nest.value], prune=lambda x: isinstance(x, Gather)):  # (a gather's indices: below)
        if isinstance(e, (Load, Iota)):
            moves = [abs(s) for s in e.access.strides]
            if isinstance(e, Gather):
                for index, step in zip(e.indices, e.strides):
                    for ld in Nest(nest.shape, nest.n_reduced, None, index, nest.store).loads():
                        moves = [min((m for m in (m, abs(s * step)) if m), default=0)
                                 for m, s in zip(moves, ld.access.strides)]
            if all(m or n == 1 for m, n in zip(moves, nest.shape)):
                for d, m in enumerate(moves):
                    if m and (best is None or (m, d) < best):
                        best = (m, d)
    return None if best is None else best[1]


def _pairwise(nest: Nest) -> bool:
    """A reduction NumPy sums pairwise (float sums), as its op declares."""
    return nest.reduce is not None and get_op(nest.reduce).reduction.pairwise


def in_order_floats(nest: Nest) -> bool:
    """A float reduction NumPy accumulates one value after another (a product): one
    accumulator in loop order, no lanes, no chunk partials, so an overflow meets a zero
    where NumPy's does (``[0, 3e38, 10]``: 0.0, where lanes could give ``inf * 0``)."""
    return nest.reduce is not None and get_op(nest.reduce).reduction.in_order and nest.value.dtype.kind == "f"


def _in_order_sum(nest: Nest, fastmath: bool, product: bool) -> bool:
    """A float sum NumPy adds in order: its innermost axis is a kept one, so each output
    accumulates the reduced values one after another (``x.sum(axis=0)``). The 'outer'
    strategy gives the same bits, whatever the kept extent."""
    if not _pairwise(nest) or nest.value.dtype.kind != "f" or fastmath or product or not nest.n_kept:
        return False
    inner = _numpy_inner_dim(nest)
    return inner is not None and inner < nest.n_kept


def _rows_of_b(nest: Nest, loads: list[Access]) -> bool:
    """Whether a product's last kept dim (N) is read contiguously (B's rows) or not at all
    (A) by every load, and is at least 4 long: 'outer' then loads B's rows as vectors,
    where 'inner' gathered B down its columns, whatever A's footprint (a 16x32 @ 32x8
    float64 product: 1.17 -> 0.6 us; int64 1024x256 @ 256x64: 11.5 -> 1.5 ms)."""
    dim = nest.n_kept - 1
    return nest.shape[dim] >= 4 and nest.store.strides[dim] == 1 and \
        any(a.strides[dim] == 1 for a in loads) and all(a.strides[dim] in (0, 1) for a in loads)


def choose(nest: Nest, vector_bytes: int, fastmath: bool = False, product: bool = False) -> Schedule:
    """Pick the strategy and vector width of a (collapsed) nest for vector registers of
    ``vector_bytes`` (with ``fastmath``, float
    sums need no pairwise cascade: reassociation is allowed; nor do the sums of a matrix
    product, ``product``: NumPy's come from BLAS, which accumulates in lanes without one,
    and a matrix-vector product is memory-bound, where the cascade cost 8%)."""
    nd, nk = len(nest.shape), nest.n_kept
    if nest.reduce is not None and get_op(nest.reduce).reduction.arg:
        return _arg_schedule(nest, vector_bytes)
    if nd == 0:
        return Schedule("map", 1, None)
    if nest.reduce is None:
        lanes = _lanes(nest, _vector_extent(nest, nd - 1), vector_bytes)
        return Schedule("map", lanes, nd - 1, tile=_tile(nest, lanes))
    loads = [ld.access for ld in nest.loads()]
    if nk and (_unit(nk - 1, loads, nest.shape) >= _unit(nd - 1, loads, nest.shape) and nest.shape[nk - 1] >= 4
               or _in_order_sum(nest, fastmath, product) or product and _rows_of_b(nest, loads)):
        return Schedule("outer", _lanes(nest, _vector_extent(nest, nk - 1), vector_bytes), nk - 1)
    if in_order_floats(nest) and not fastmath:
        return Schedule("inner", 1, nd - 1)  # one accumulator along the reduced loops (NestEmitter)
    lanes = _lanes(nest, _vector_extent(nest, nd - 1), vector_bytes)
    pairwise = _pairwise(nest) and nest.value.dtype.kind == "f" and not fastmath and not product
    block = max(128, PAIRWISE_BLOCK_VECTORS * lanes) if pairwise else 0
    if block and np.prod(nest.shape[nk:]) <= block:
        block = 0  # one block: summed in lanes, no cascade
    return Schedule("inner", lanes, nd - 1, block)


def _arg_schedule(nest: Nest, vector_bytes: int) -> Schedule:
    """argmax/argmin: W lanes along the one reduced loop when every load walks it
    contiguously (or not at all) and the values are ints or float32/64; else scalar."""
    nd = len(nest.shape)
    kind, size = nest.value.dtype.kind, nest.value.dtype.itemsize
    if nest.n_reduced != 1 or nd == 0:
        return Schedule("arg", 1, None)  # (a 0-d argmax reduces nothing: no loop to vectorize)
    contiguous = all(abs(ld.access.strides[nd - 1]) <= 1 for ld in nest.loads())
    plain = not any(isinstance(x, Gather) for x in nodes([nest.value]))
    if kind not in "iuf" or (kind == "f" and size < 4) or not (contiguous and plain):
        return Schedule("arg", 1, None)
    lanes = _lanes(nest, _vector_extent(nest, nd - 1), vector_bytes)
    return Schedule("arg", lanes, nd - 1) if lanes > 1 else Schedule("arg", 1, None)


def _vector_extent(nest: Nest, dim: int) -> int:
    """The extent that bounds the vector width of loop ``dim``. Dim 0's extent is a
    run-time size in generated code (``compiler/generic_sizes.py``): its width does not shrink
    for short loops, so a 10-element and a 10**6-element vector share their code."""
    return 1 << 30 if dim == 0 else nest.shape[dim]


def expr_cost(e: Expr, seen: set | None = None) -> int:
    """Rough per-point cost of evaluating ``e`` (each DAG node once)."""
    return sum(_node_cost(x) for x in nodes([e], seen=seen))


def _node_cost(e: Expr) -> int:
    if isinstance(e, Apply):
        return get_op(e.op).cost
    if isinstance(e, Gather):
        return 4
    return 1


def kernel_work(kernel: Kernel) -> float:
    """The estimated element-ops of ``kernel``'s nests (what :func:`choose_parallelism` weighs)."""
    return float(sum(np.prod(n.shape, dtype=np.float64) * max(1, expr_cost(n.value)) for n in kernel.nests))


def choose_parallelism(kernel: Kernel, threads: int) -> int:
    """The chunk length of the kernel's outermost loop for the thread pool (0: serial)."""
    extent = kernel.parallel_extent
    if threads <= 1 or extent < 2 or any(isinstance(n.store, ScatterAccess) for n in kernel.nests):
        return 0  # (a scatter stores serially: the last of repeated indices wins)
    sched = kernel.schedules[0]
    work = kernel_work(kernel)
    if work < PARALLEL_MIN_WORK:
        return 0
    per_index = work / extent
    chunks = int(min(threads * CHUNKS_PER_THREAD, max(2, work // CHUNK_MIN_WORK), extent))
    grain = max(1, -(-extent // chunks), int(-(-CHUNK_MIN_WORK // per_index)) if per_index < CHUNK_MIN_WORK else 1)
    if sched.vector_dim == 0 and sched.vector_width > 1:  # chunks start on vector boundaries
        grain = -(-grain // sched.vector_width) * sched.vector_width
    if sched.tile and len(kernel.nests[0].shape) == 2:  # chunks of whole tiles
        grain = -(-grain // sched.tile[0]) * sched.tile[0]
    return grain if grain < extent else 0


def schedule_kernel(kernel: Kernel, target: Target, threads: int | None = None, fastmath: bool = False) -> Kernel:
    """Collapse every nest of ``kernel``, give each its schedule for ``target`` and choose
    the kernel's parallel chunking (in place)."""
    kernel.nests = [collapse(n) for n in kernel.nests]
    kernel.schedules = [choose(n, target.vector_bytes, fastmath, kernel.kind == "contraction") for n in kernel.nests]
    kernel.parallel_grain = choose_parallelism(kernel, config.num_threads if threads is None else threads)
    return kernel
