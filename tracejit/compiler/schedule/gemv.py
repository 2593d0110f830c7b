"""Planning vector-matrix products (``v @ W``, a few rows of A): the ``gemv`` kernel of
``codegen/gemv.py``, which streams B row by row with C's rows as accumulators.

Chosen by :func:`plan_gemv` (called from ``schedule/matmul.plan``) for a float product of
at most ``GEMV_ROWS`` rows per batch matrix whose B has contiguous rows: each value of B
is used once per row of A, so the product is bound by reading B, and packing it (the
GEMM's way) would only copy it. A of any strides is read in place (one broadcast per
value). Tasks split the columns: each thread streams its part of every row of B, the
parts fixed by size and thread count but each column summed over K in order whatever the
split, so results do not depend on the thread count. Products whose B is smaller than
``PARALLEL_BYTES`` run on one thread (the fork-join costs more than it saves).
"""
from __future__ import annotations

import numpy as np

from tracejit.compiler.kir import Access, Expr, Gemm
from tracejit.compiler.target import Target

GEMV_ROWS = 4  # products of at most this many rows (per batch matrix) stream B
PARALLEL_BYTES = 1 << 20  # B (all batches) at least this large is split between threads
LINE_BYTES = 64  # column tasks start on cache lines (no line of C written by two threads)
TASKS_PER_THREAD = 4  # column tasks per thread (claimed one at a time: a worker that wakes late still helps)
TASK_LINES = 4  # cache lines of a row of B per column task, at least
CHUNKS_PER_THREAD = 4  # parallel chunks of tasks per thread, when batches make many tasks


def plan_gemv(a: Access, b: Access, c: Access, shape: tuple[int, int, int, int], dtype: np.dtype,
              epilogue: Expr | None, b_batched: bool, target: Target, threads: int) -> Gemm | None:
    """The ``gemv`` kernel's record for C (batch, M, N) = A (batch, M, K) @ B (batch, N, K)
    (``a``, ``b``, ``c`` index those dims), or None when M is too large or B's rows are
    not contiguous (the GEMM then packs B)."""
    batch, m, n, k = shape
    if m > GEMV_ROWS or b.strides[1] != 1 or c.strides[2] != 1:
        return None
    lanes = max(1, target.vector_bytes // dtype.itemsize)
    line = max(lanes, LINE_BYTES // dtype.itemsize)
    b_bytes = (batch if b_batched else 1) * n * k * dtype.itemsize
    threads = max(1, threads) if b_bytes >= PARALLEL_BYTES else 1
    col_tasks = 1 if batch % threads == 0 else max(1, min(threads * TASKS_PER_THREAD, -(-n // (TASK_LINES * line))))
    col_tasks = int(__import__("os").environ.get("TJX_COLS", col_tasks))  # TEMP
    tasks = batch * col_tasks
    chunk = -(-tasks // (threads * CHUNKS_PER_THREAD)) if threads > 1 and tasks > 1 else 0
    return Gemm(a, b, None, b_batched, c, batch, m, n, k, dtype, m, line, m, k, None, 1, col_tasks, chunk,
                epilogue, gemv=True)
