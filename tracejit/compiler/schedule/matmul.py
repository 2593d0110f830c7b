"""Planning matrix products: a large float contraction becomes a register-blocked GEMM
kernel (emitted by :mod:`tracejit.compiler.codegen.gemm`).

The GEMM packs B into slivers of ``nr`` columns inside its tasks, as it first uses them
(any strides: transposed or sliced B costs nothing extra); a constant B (captured
weights) is packed at compile time. A is read in place when its K axis is contiguous,
or its M axis is and its rows are short (:func:`_a_in_place`: ``x.T`` of a tall ``x``),
else a copy kernel first lays it out so. Tasks form a grid over rows and columns of C
chosen by :func:`task_grid`; a small C over a long K splits K instead (:func:`k_split`):
partial C's, summed by a kernel that also mirrors a symmetric product and applies the
epilogue. Small or oddly shaped contractions keep the generic loop nest.
"""
from __future__ import annotations

import dataclasses

import numpy as np

from tracejit.compiler.kir import (
    NO_BUFFER,
    Access,
    Apply,
    Buffer,
    Gemm,
    Iota,
    Kernel,
    Load,
    Nest,
    Program,
    map_accesses,
)
from tracejit.compiler.layout import StridedView
from tracejit.compiler.ops import get_op
from tracejit.compiler.schedule.gemv import plan_gemv
from tracejit.compiler.schedule.vectorize import schedule_kernel
from tracejit.compiler.target import Target
from tracejit.config import config

_MATMUL = get_op("matmul").extra  # the contraction a GEMM computes: its reduce and product ops
MIN_FLOPS = 1 << 13  # smaller products stay a plain loop nest (measured: 20**3 to 40**3 ran 2-6x faster as GEMMs)
MR = 6  # register tile rows, at most: see register_tile
MR_LARGE = 8  # ... of a product of many rows on 32 registers (see register_tile)
NV = 2  # vectors across a register tile's row (nr = NV x the target's lanes)
KC = 256  # K slice of a GEMM, at least (see k_block: more where the target's L1 holds a longer sliver)
KC_MAX = 512
SLIVER_L1_SHARE = 2 / 3  # a kc x nr sliver of packed B fills at most this share of L1
STREAM_KC = 16  # rows of B per slice when B streams unpacked (see plan; GEMV 1x1024x1024: 8-16 best, 256 0.85x)
GEMM_CHUNKS_PER_THREAD = 4  # parallel chunks of GEMM tasks per thread (tasks are equal: few suffice)
MC_BYTES = 120 * KC * 4  # a block of A (MC x KC, read in place) stays in L2 while slivers of B pass
IN_PLACE_B_BYTES = 128 << 10  # a B with contiguous rows up to this size (in L2) is read where it lies, unpacked
A_IN_PLACE_STEP = 1024  # see _a_in_place
A_IN_PLACE_N = 128  # see _a_in_place
PANEL_L2_SHARE = 4  # a packed panel of B fills at most 1/this of L2 (see docs/design.md, issue 21)
SERIAL_FLOPS = 128 ** 3  # products up to this many multiply-adds run on one thread (fork-join costs more)


def _operands(nest: Nest):
    """(A load, B load) of a float contraction nest with dims (batch?, M, N | K), or None."""
    v = nest.value
    if (nest.reduce != _MATMUL["reduce"] or nest.n_reduced != 1 or nest.n_kept not in (2, 3)
            or not isinstance(v, Apply) or v.op != _MATMUL["product"] or not all(type(x) is Load for x in v.args)):
        return None
    dtype = np.dtype(v.dtype)
    if dtype not in (np.float32, np.float64) or any(x.dtype != dtype for x in v.args):
        return None
    m_dim, n_dim = nest.n_kept - 2, nest.n_kept - 1
    x, y = (ld.access for ld in v.args)
    if x.strides[n_dim] == 0 and y.strides[m_dim] == 0:
        return x, y
    if y.strides[n_dim] == 0 and x.strides[m_dim] == 0:
        return y, x
    return None


def _one_row(nest: Nest) -> Nest | None:
    """A vector-matrix contraction (one kept dim: ``v @ W``; or two, a batch of them:
    ``(B, 1, K) @ (B, K, N)``) as a product of one row, an M dim of 1 added before N,
    when B's rows are contiguous (N stride 1: the GEMM streams W once, reading it where
    it lies); None else (``W @ v``, K contiguous, stays a loop of dot products, which
    reads W row by row already)."""
    if nest.n_kept not in (1, 2) or type(nest.store) is not Access:
        return None
    at = nest.n_kept - 1

    def lift(x: Access) -> Access:
        return Access(x.buffer, x.dtype, x.offset, x.strides[:at] + (0,) + x.strides[at:])

    epilogue = map_accesses(nest.epilogue, lift, {}) if nest.epilogue is not None else None
    lifted = Nest(nest.shape[:at] + (1,) + nest.shape[at:], nest.n_reduced, nest.reduce,
                  map_accesses(nest.value, lift, {}), lift(nest.store), epilogue)
    ops = _operands(lifted)
    return lifted if ops is not None and ops[1].strides[-2] == 1 else None


def _a_in_place(a: Access, n: int) -> bool:
    """Whether the micro-kernel reads a strided-K A where it lies: its M axis contiguous
    (``x.T`` of a row-major ``x``), so the ``MR`` values a step broadcasts share a cache
    line, and a step along K short: at most ``A_IN_PLACE_STEP`` bytes, or twice that when
    the product is narrow (``n``, the columns computed, at most ``A_IN_PLACE_N``: the copy
    costs more next to fewer flops); else a copy kernel lays A out with K contiguous first.
    Measured on one thread, ms copy / in place, a.T @ b (K x M, N): 2000x256 f64, N=64
    1.70 / 1.55, N=256 16.5 / 17.0, N=512 32.7 / 36.0; 2000x128 f64 N=512 20.3 / 16.7;
    2000x512 f32 N=512 32.3 / 33.0; x.T @ x 5000x200 f64 19.1 / 15.8; 20000x50 f64: the
    copy alone took as long as the product."""
    step = abs(a.strides[2]) * np.dtype(a.dtype).itemsize
    return a.strides[1] == 1 and (step <= A_IN_PLACE_STEP or step <= 2 * A_IN_PLACE_STEP and n <= A_IN_PLACE_N)


def _contiguous_a(a: Access, copy: Buffer, batch: int, m: int, k: int) -> Nest:
    """A loop nest copying A (strides over (batch, M, K)) to ``copy``, K contiguous."""
    nb = batch if a.strides[0] != 0 else 1
    # The loops follow the copy's memory order, so its stores are contiguous; a transposed
    # A is then read across its rows, which the map schedule runs in cache tiles.
    loops = [(nb, a.strides[0], m * k), (m, a.strides[1], k), (k, a.strides[2], 1)]
    shape, src, dst = zip(*loops)
    return Nest(shape, 0, None, Load(Access(a.buffer, a.dtype, a.offset, src)), Access(copy.id, copy.dtype, 0, dst))


def _pack_constant(value: np.ndarray, b: Access, batch, k, n, nr, batched) -> np.ndarray:
    """The packed B of a constant, computed now with NumPy."""
    flat = np.asarray(value).reshape(-1)
    nb = batch if batched else 1
    idx_b = np.arange(nb)[:, None, None] * (b.strides[0] if batched else 0)
    idx = b.offset + idx_b + np.arange(n)[None, :, None] * b.strides[1] + np.arange(k)[None, None, :] * b.strides[2]
    bmat = flat[idx]  # (nb, N, K)
    slivers = -(-n // nr)
    padded = np.zeros((nb, slivers * nr, k), value.dtype)
    padded[:, :n] = bmat
    return np.ascontiguousarray(padded.reshape(nb, slivers, nr, k).transpose(0, 1, 3, 2))


def k_block(target: Target, dtype: np.dtype, nr: int) -> int:
    """``kc``, the K slice: the longest (a multiple of 64, ``KC`` to ``KC_MAX``) whose
    ``kc x nr`` sliver of B fills at most ``SLIVER_L1_SHARE`` of the target's L1 (each
    tile of rows reads the sliver again; fewer slices read and write C fewer times). A
    48 KiB L1: 256 for AVX-512's 32-wide float32 and 16-wide float64 slivers, 512 for
    AVX2's 16 and 8 (1 thread, ratio to NumPy's Haswell kernels, kc 256 / 512: 1024^3 f32
    0.93 / 0.97-0.98, f64 0.88-0.95 / 0.98-0.99, 256x1024x1024 f32 0.87-0.91 / 0.98-0.99).
    ``KC`` where the L1 is unknown (cross targets: not measured)."""
    kc = int(target.l1_bytes * SLIVER_L1_SHARE) // (nr * np.dtype(dtype).itemsize) // 64 * 64
    return max(KC, min(KC_MAX, kc))


GRID_SLACK = 1.03  # critical paths within 3% of the best count as equal


WIDE_NV = (8, 4)  # vectors across the tile of a one-tile product, widest first (see register_tile)


def register_tile(target: Target, dtype: np.dtype, m: int, n: int) -> tuple[int, int]:
    """(mr, nr): the micro-kernel's register tile for ``target``. ``nr`` is ``NV`` vectors
    of the target's width; ``mr`` the rows whose ``mr x NV`` accumulators, ``NV`` vectors
    of B and a broadcast of A fit the target's vector registers (6 on 16 registers: AVX2),
    at most ``MR``, or ``MR_LARGE`` for a product of more than 3 tiles of ``MR`` rows (on
    AVX-512's 32 registers, with the K loop unrolled, 8 rows measured 0-8% faster than 6:
    docs/design.md, issue 21 session 10; 12 no better than 8). A product of few rows (up
    to 3 tiles) gets equal tiles of exactly its rows: no rows computed in vain (a
    matrix-vector product, 1 row, not 6 with 5 discarded). A product of one tile (it
    streams B once, unpacked) gets a wider tile, up to ``WIDE_NV`` vectors that the
    registers hold and that divide N: more independent accumulators per step of K and
    longer runs of B per row (a 1 x 32 tile read two cache lines from each 4 KiB row of a
    1024-wide B: 0.8x NumPy's GEMV)."""
    lanes = target.vector_bytes // np.dtype(dtype).itemsize
    regs = target.vector_registers
    fit = (regs - NV - 1) // NV
    mr = max(1, min(MR, fit))
    tiles = -(-m // mr)
    if tiles <= 3:
        mr = -(-m // tiles)
    else:
        mr = max(mr, min(MR_LARGE, fit))
    nv = NV
    if tiles == 1:
        nv = next((v for v in WIDE_NV if mr * v + v + 1 <= regs and n % (v * lanes) == 0), NV)
    return mr, nv * lanes


def task_grid(batch: int, m: int, n: int, nr: int, threads: int, mr: int = MR) -> tuple[int, int]:
    """(row tasks, column tasks) per batch matrix.

    The critical path of a split is the rounds of tasks per thread times the ``MR x nr``
    tiles of the largest task (threads should finish together). Among splits within
    ``GRID_SLACK`` of the shortest, the one moving least data: each row task packs B
    again (N x K) and each column task reads A again (M x K); then the fewest tasks."""
    groups, slivers = -(-m // mr), -(-n // nr)
    candidates = []
    for rows in range(1, min(groups, threads) + 1):
        for cols in range(1, min(slivers, threads) + 1):
            rounds = -(-(batch * rows * cols) // threads)
            path = rounds * -(-groups // rows) * -(-slivers // cols)
            candidates.append((path, rows * n + cols * m, rows * cols, rows, cols))
    shortest = min(c[0] for c in candidates)
    best = min(c[1:] for c in candidates if c[0] <= shortest * GRID_SLACK)
    return best[2], best[3]


def _symmetric(a: Access, b: Access, m: int, n: int, epilogue) -> bool:
    """Whether C = A @ B with B = A.T of the same elements (A over (batch, M, N, K) with
    N stride 0, B with M stride 0), so C is symmetric, and the epilogue keeps it so (no
    loads or index sequences: the same function of each value)."""
    if a.buffer != b.buffer or a.offset != b.offset or m != n:
        return False
    if (a.strides[0], a.strides[1], a.strides[3]) != (b.strides[0], b.strides[2], b.strides[3]):
        return False
    return epilogue is None or not Nest((), 0, None, epilogue, a).indexed()


def _mirror(c: Access, batch: int, m: int, dtype: np.dtype) -> Nest:
    """``C[b, i, j] = C[b, j, i]`` below the diagonal (``i > j``), C unchanged above."""
    i64 = np.dtype(np.int64)
    sb, sm = c.strides[0], c.strides[1]
    row = Iota(Access(NO_BUFFER, i64, 0, (0, 1, 0)), 0, 1, i64)
    col = Iota(Access(NO_BUFFER, i64, 0, (0, 0, 1)), 0, 1, i64)
    below = Apply("greater", (row, col), i64, np.dtype(bool))
    upper = Load(Access(c.buffer, dtype, c.offset, (sb, 1, sm)))
    here = Load(Access(c.buffer, dtype, c.offset, (sb, sm, 1)))
    value = Apply("where", (below, upper, here), dtype, dtype)
    return Nest((batch, m, m), 0, None, value, Access(c.buffer, dtype, c.offset, (sb, sm, 1)))


SYMMETRIC_SPLIT = 2  # a symmetric product's row and column tasks per thread (triangle: unequal tasks)
SPLIT_K_C = 128 * 128  # a C of at most this many elements (per batch x batch) splits a long K
SPLIT_K_SLICES = 8  # kc slices in a K part (fixed: results do not depend on the thread count)
SPLIT_K_MAX_PARTS = 64  # longer parts past this (bounds the partial C's and B's packing blocks)
SPLIT_K_FLOPS = 1 << 24  # and the product at least this many multiply-adds (4096x32x32 f32: 66 -> 113 us split)


def k_split(batch: int, m: int, n: int, k: int, kc: int) -> tuple[int, int]:
    """(K parts, K per part): a small C over a long K (``X.T @ X`` of a tall ``X``) has too
    few tiles for the threads, so each part (``SPLIT_K_SLICES`` slices of ``kc``, more past
    ``SPLIT_K_MAX_PARTS`` parts; by size only, never by thread count) sums its K range into
    a partial C; (1, k) else."""
    per = max(SPLIT_K_SLICES, -(-k // (SPLIT_K_MAX_PARTS * kc))) * kc
    if batch * m * n > SPLIT_K_C or batch * m * n * k < SPLIT_K_FLOPS or k < 2 * per:
        return 1, k
    return -(-k // per), per


def _sum_parts(parts: Access, store: Access, shape, k_parts: int, symmetric: bool, epilogue) -> Nest:
    """``store = epilogue(sum over parts of the partial C's)``, each read from its upper
    triangle below the diagonal when ``symmetric`` (``parts`` over (batch, M, N); the K
    parts ``k_parts`` x ``batch * M * N`` elements apart)."""
    batch, m, n = shape
    split = batch * m * n
    value = Load(Access(parts.buffer, parts.dtype, 0, parts.strides + (split,)))
    if symmetric:
        i64 = np.dtype(np.int64)
        row = Iota(Access(NO_BUFFER, i64, 0, (0, 1, 0, 0)), 0, 1, i64)
        col = Iota(Access(NO_BUFFER, i64, 0, (0, 0, 1, 0)), 0, 1, i64)
        below = Apply("greater", (row, col), i64, np.dtype(bool))
        sb, sm, sn = parts.strides
        upper = Load(Access(parts.buffer, parts.dtype, 0, (sb, sn, sm, split)))
        value = Apply("where", (below, upper, value), parts.dtype, parts.dtype)
    return Nest((batch, m, n, k_parts), 1, _MATMUL["reduce"], value, store, epilogue)


def plan(kernel: Kernel, buffers: list[Buffer], target: Target, fastmath: bool = False) -> list[Kernel] | None:
    """[pack kernel?, gemm kernel] for a large float contraction on ``target``, else None."""
    if kernel.kind != "contraction" or len(kernel.nests) != 1:
        return None
    nest = kernel.nests[0]
    ops = _operands(nest) if nest.n_kept > 1 else None
    if ops is None:  # v @ W, or a batch of them
        nest = _one_row(nest)
        if nest is None:
            return None
    ops = _operands(nest)
    if ops is None:
        return None
    a, b = ops
    epilogue = nest.epilogue
    if nest.n_kept == 2:  # no batch dim: give both a size-1 one
        def with_batch(x: Access) -> Access:
            return Access(x.buffer, x.dtype, x.offset, (0,) + x.strides)

        a, b, store = with_batch(a), with_batch(b), with_batch(nest.store)
        shape = (1,) + nest.shape
        if epilogue is not None:
            epilogue = map_accesses(epilogue, with_batch, {})
    else:
        store, shape = nest.store, nest.shape
    batch, m, n, k = shape
    if n < 2 or m * n * k < MIN_FLOPS or store.strides[2] != 1:
        return None
    dtype = np.dtype(nest.value.dtype)
    mr, nr = register_tile(target, dtype, m, n)
    threads = max(1, config.num_threads) if batch * m * n * k > SERIAL_FLOPS else 1
    symmetric = _symmetric(a, b, m, n, None) and buffers[b.buffer].kind != "constant"
    # an epilogue that may break the symmetry (it reads arrays) runs after the mirror
    late_epilogue = symmetric and not _symmetric(a, b, m, n, epilogue)
    # A indexes (batch, M, K); B (batch, N, K); C (batch, M, N).
    a_acc = Access(a.buffer, a.dtype, a.offset, (a.strides[0], a.strides[1], a.strides[3]))
    b_acc = Access(b.buffer, b.dtype, b.offset, (b.strides[0], b.strides[2], b.strides[3]))
    b_batched = b_acc.strides[0] != 0 and batch > 1
    gemv = None if symmetric else plan_gemv(kernel, buffers, a_acc, b_acc, store, shape, dtype, epilogue,
                                            b_batched, target, config.num_threads, fastmath)
    if gemv is not None:  # a few rows: B streamed row by row (schedule/gemv.py)
        return gemv
    kernels = []
    if a_acc.strides[2] != 1 and not _a_in_place(a_acc, n // 2 if symmetric else n):
        shape_a = ((batch if a_acc.strides[0] != 0 else 1) * m * k,)
        copy = Buffer(len(buffers), "temp", shape_a, dtype, -1, StridedView.contiguous(shape_a),
                      label="A with K contiguous")
        buffers.append(copy)
        kernels.append(schedule_kernel(Kernel(f"{kernel.name}_copyA", "map", kernel.nodes,
                                              [_contiguous_a(a_acc, copy, batch, m, k)]), target, fastmath=fastmath))
        a_acc = Access(copy.id, dtype, 0, (m * k if a_acc.strides[0] != 0 else 0, k, 1))
    source = buffers[b.buffer]
    packed_id = None
    if source.kind == "constant":
        slivers = -(-n // nr)
        shape_p = ((batch if b_batched else 1) * slivers * k * nr,)
        packed_value = _pack_constant(source.value, b_acc, batch, k, n, nr, b_batched).reshape(shape_p)
        packed_id = len(buffers)
        buffers.append(Buffer(packed_id, "constant", shape_p, dtype, -1, StridedView.contiguous(shape_p),
                              value=packed_value, label="B packed at compile time"))
    kc_target = k_block(target, dtype, nr)
    kc = min(kc_target, k)
    k_parts, k_per = k_split(batch, m, n, k, kc)
    rows, cols = task_grid(batch, m, n, nr, threads, mr)
    if k_parts > 1:  # every task the whole C over its K part
        rows = cols = 1
    elif symmetric and threads > 1:  # square tasks, claimed dynamically: the triangle balances
        rows = min(-(-m // mr), SYMMETRIC_SPLIT * threads)
        cols = min(-(-n // nr), SYMMETRIC_SPLIT * threads)
    # B read where it lies: small (it stays in cache), or used once per task (every task
    # one row tile: packing would copy each value to read it once). A large B used once
    # streams: slices of few rows, so the slivers of a slice walk those rows in order (each
    # row a sequential stream for the prefetchers), not one sliver down all K (a 4 KiB
    # jump per row), and prefetched.
    once = -(-m // mr) <= rows and not symmetric
    in_place = b_acc.strides[1] == 1 and (n * k * dtype.itemsize <= IN_PLACE_B_BYTES or once)
    stream = in_place and packed_id is None and n * k * dtype.itemsize > IN_PLACE_B_BYTES
    if stream:
        kc = min(STREAM_KC, kc)
    final = None
    if k_parts > 1 or late_epilogue:  # partial C's (or the bare product), then a kernel summing them
        shape_c = (k_parts * batch * m * n,)
        parts = Buffer(len(buffers), "temp", shape_c, dtype, -1, StridedView.contiguous(shape_c),
                       label="partial products, one per K part" if k_parts > 1 else "product before its epilogue")
        buffers.append(parts)
        c_acc = Access(parts.id, dtype, 0, (m * n, n, 1))
        final = _sum_parts(c_acc, store, (batch, m, n), k_parts, symmetric, epilogue)
        store, epilogue = c_acc, None
    tasks = k_parts * batch * rows * cols
    # Tasks per parallel chunk: one chunk runs its tasks in turn on one thread, so the
    # chunks, not the tasks, each need a block of packed B (a bounded temporary).
    chunk = -(-tasks // (threads * GEMM_CHUNKS_PER_THREAD)) if threads > 1 and tasks > 1 else 0
    if k_parts > 1 and threads > 1:  # K parts are long: claimed one at a time (a block of B each)
        chunk = 1
    mc = max(mr, MC_BYTES // (kc_target * dtype.itemsize) // mr * mr)
    gemm = Gemm(a_acc, b_acc, packed_id, b_batched, store, batch, m, n, k, dtype, mr, nr, mc, kc,
                None, rows, cols, chunk, epilogue, symmetric, k_parts, k_per if k_parts > 1 else 0,
                batch * m * n if k_parts > 1 else 0)
    if stream:
        gemm = dataclasses.replace(gemm, prefetch_b=True)
    if packed_id is None and not in_place:  # a kc x cols block of packed B per chunk
        # at most a share of L2 packed at a time (the task's columns in panels of nc)
        nc = max(nr, target.l2_bytes // PANEL_L2_SHARE // (gemm.kc * dtype.itemsize) // nr * nr)
        if nc < gemm.cols_per_task:
            gemm = dataclasses.replace(gemm, nc=nc)
        shape_blk = (gemm.chunks * gemm.kc * gemm.block_cols,)
        gemm = dataclasses.replace(gemm, b_block=len(buffers))
        buffers.append(Buffer(gemm.b_block, "temp", shape_blk, dtype, -1, StridedView.contiguous(shape_blk),
                              label="packed B, a block per parallel chunk"))
    gk = Kernel(kernel.name, "gemm", kernel.nodes, [], gemm=gemm)
    gk.parallel_grain = chunk
    kernels.append(gk)
    if final is not None:
        total = Kernel(f"{kernel.name}_sum", "contraction", kernel.nodes, [final])
        kernels.append(schedule_kernel(total, target, fastmath=fastmath))
    elif symmetric:
        mirror = Kernel(f"{kernel.name}_mirror", "map", kernel.nodes, [_mirror(store, batch, m, dtype)])
        kernels.append(schedule_kernel(mirror, target, fastmath=fastmath))
    return kernels


def plan_matmuls(program: Program) -> Program:
    """``program`` with every large float contraction as a GEMM kernel (after a copy of A
    when A's K axis is strided)."""
    buffers = list(program.buffers)
    kernels = []
    for kernel in program.kernels:
        planned = plan(kernel, buffers, program.target, program.fastmath)
        kernels.extend(planned if planned is not None else [kernel])
    return Program(program.name, buffers, kernels, program.n_inputs, program.outputs, program.fastmath,
                   target=program.target)

