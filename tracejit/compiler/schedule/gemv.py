"""Planning vector-matrix products (``v @ W``, a few rows of A): the ``gemv`` kernel of
``codegen/gemv.py``, which streams B row by row with C's rows as accumulators.

Chosen by :func:`plan_gemv` (called from ``schedule/matmul.plan``) for a float product of
at most ``GEMV_ROWS`` rows per batch matrix whose B has contiguous rows: each value of B
is used once per row of A, so the product is bound by reading B, and packing it (the
GEMM's way) would only copy it. A of any strides is read in place (one broadcast per
value).

A large B is split along K, not N: each task streams whole rows of B, in order (a
column split reads runs of half a row, 2 KiB of each 4 KiB row of a 1024-wide float32 B,
and measured 0.86x of whole rows on one thread, 0.6x for eighths). The parts are fixed by
B's size (``PART_BYTES``), never by the thread count, and each sums its rows into a
partial C; a contraction kernel ``<name>_sum`` adds the partials in part order and applies
the epilogue, so results do not depend on the thread count. Parts are claimed one at a
time, so a worker that wakes late still takes a share. B under ``PARALLEL_BYTES`` is one
part, on one thread (the fork-join costs more than it saves).
"""
from __future__ import annotations

import numpy as np

from tracejit.compiler.kir import Access, Buffer, Expr, Gemm, Kernel, Load, Nest
from tracejit.compiler.layout import StridedView
from tracejit.compiler.ops import get_op
from tracejit.compiler.schedule.vectorize import schedule_kernel
from tracejit.compiler.target import Target

GEMV_ROWS = 4  # products of at most this many rows (per batch matrix) stream B
PARALLEL_BYTES = 1 << 20  # B (one batch matrix's) at least this large is split along K
PART_BYTES = 256 << 10  # rows of B per K part: about this many bytes (fixed by size: see the module)
MAX_PARTS = 16  # K parts at most (bounds the partial C's)
PART_ROWS = 8  # a part's rows are a multiple of this (whole groups of the kernel's unrolled rows)
LINE_BYTES = 64  # the kernel's column unit: a cache line
CHUNKS_PER_THREAD = 4  # parallel chunks of tasks per thread, when batches make many tasks


def k_parts(n: int, k: int, itemsize: int) -> tuple[int, int]:
    """(K parts, rows of B per part) for a B of ``k`` rows of ``n`` values: by size only."""
    nbytes = n * k * itemsize
    if nbytes < PARALLEL_BYTES:
        return 1, k
    parts = max(2, min(MAX_PARTS, nbytes // PART_BYTES))
    per = -(-(-(-k // parts)) // PART_ROWS) * PART_ROWS
    return -(-k // per), per


def plan_gemv(kernel: Kernel, buffers: list[Buffer], a: Access, b: Access, c: Access,
              shape: tuple[int, int, int, int], dtype: np.dtype, epilogue: Expr | None, b_batched: bool,
              target: Target, threads: int, fastmath: bool = False) -> list[Kernel] | None:
    """[the ``gemv`` kernel, its ``_sum`` kernel when K is split] for C (batch, M, N) =
    A (batch, M, K) @ B (batch, N, K) (``a``, ``b``, ``c`` index those dims); None when M
    is too large or B's rows are not contiguous (the GEMM then packs B). A split K's
    partial C's are a new temporary of ``buffers``."""
    batch, m, n, k = shape
    if m > GEMV_ROWS or b.strides[1] != 1 or c.strides[2] != 1:
        return None
    line = max(1, target.vector_bytes // dtype.itemsize, LINE_BYTES // dtype.itemsize)
    parts, per = k_parts(n, k, dtype.itemsize)
    store, final = c, None
    if parts > 1:
        split = batch * m * n
        shape_c = (parts * split,)
        partial = Buffer(len(buffers), "temp", shape_c, dtype, -1, StridedView.contiguous(shape_c),
                         label="partial products, one per K part")
        buffers.append(partial)
        store = Access(partial.id, dtype, 0, (m * n, n, 1))
        value = Load(Access(partial.id, dtype, 0, store.strides + (split,)))
        final = Nest((batch, m, n, parts), 1, get_op("matmul").extra["reduce"], value, c, epilogue)
        epilogue = None
    tasks = parts * batch
    chunk = 0
    if threads > 1 and tasks > 1:  # K parts claimed one at a time; batches in a few chunks per thread
        chunk = 1 if parts > 1 else -(-tasks // (threads * CHUNKS_PER_THREAD))
    gemm = Gemm(a, b, None, b_batched, store, batch, m, n, k, dtype, m, line, m, k, None, 1, 1, chunk,
                epilogue, gemv=True, k_tasks=parts, k_per_task=per if parts > 1 else 0,
                c_split=batch * m * n if parts > 1 else 0)
    gk = Kernel(kernel.name, "gemm", kernel.nodes, [], gemm=gemm)
    gk.parallel_grain = chunk
    if final is None:
        return [gk]
    total = Kernel(f"{kernel.name}_sum", "contraction", kernel.nodes, [final])
    return [gk, schedule_kernel(total, target, fastmath=fastmath)]
