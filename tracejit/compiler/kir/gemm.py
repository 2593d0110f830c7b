"""Matrix-product kernels: a packed, blocked GEMM (emitted by ``codegen/gemm.py``)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tracejit.compiler.kir.buffers import Access
from tracejit.compiler.kir.expr import Expr


@dataclass(frozen=True)
class Gemm:
    """C[b, i, j] = sum_k A[b, i, k] * B[b, k, j].

    ``a`` indexes (batch, M, K) with K contiguous, ``b`` (batch, N, K) where B lies, and
    ``c`` (batch, M, N). ``packed_b``, when set, is a constant buffer holding B packed at
    compile time: per batch (or once when B is shared) ``ceil(N / nr)`` slivers of
    ``K x nr`` values, zero-padded; otherwise each task packs the ``kc`` slice of B it
    uses into a ``kc x cols_per_task`` part of the temporary ``b_block``, one part per
    parallel chunk of ``chunk`` tasks (0: the kernel runs serially, one part); with neither
    (a small B with contiguous rows) every micro-kernel reads B where it lies, unpacked.
    Tasks: ``batch x row_tasks x col_tasks``, each a block of rows and columns of C; with
    ``k_tasks`` > 1 (a split K, for a small C and a long K) that many times over, task
    ``t`` summing K part ``t // (batch x row_tasks x col_tasks)`` into its own partial C,
    ``c_split`` elements on per part (a later kernel adds the partials up).
    Blocks inside a task: ``mr x nr`` register tile, ``mc`` rows and ``kc`` of K at a time.
    In an export's generic program ``m`` may be a size-table ``Param`` (``export/gemmrows.py``:
    a run-time batch); ``rows_per_task`` then has no value here (``codegen/gemm.py`` computes it).
    """

    a: Access
    b: Access
    packed_b: int | None
    b_batched: bool
    c: Access
    batch: int
    m: int
    n: int
    k: int
    dtype: np.dtype
    mr: int
    nr: int
    mc: int
    kc: int
    b_block: int | None = None
    row_tasks: int = 1
    col_tasks: int = 1
    chunk: int = 0
    epilogue: Expr | None = None  # over (batch, M, N), with an Acc leaf
    symmetric: bool = False  # B is A (C = A @ A.T): tiles below the diagonal are skipped
    k_tasks: int = 1  # K split in this many parts, each task summing one into its own partial C
    k_per_task: int = 0  # K of a part (a multiple of kc) when k_tasks > 1
    c_split: int = 0  # elements from one part's partial C to the next's (in c's buffer)
    prefetch_b: bool = False  # B read where it lies (unpacked) is large: prefetch its rows ahead
    nc: int = 0  # columns of a task packed at a time (a multiple of nr; 0: all the task's columns)
    gemv: bool = False  # few rows (v @ W): B streamed row by row, C's rows the accumulators (codegen/gemv.py)

    @property
    def slivers(self) -> int:
        """Column slivers of ``nr`` that cover N."""
        return -(-self.n // self.nr)

    @property
    def rows_per_task(self) -> int:
        """Rows of C one task computes (a multiple of ``mr``)."""
        return -(-(-(-self.m // self.mr)) // self.row_tasks) * self.mr

    @property
    def cols_per_task(self) -> int:
        """Columns of C one task computes (a multiple of ``nr``)."""
        return -(-self.slivers // self.col_tasks) * self.nr

    @property
    def block_cols(self) -> int:
        """Columns of B one packed block holds: ``nc``, or the task's columns."""
        return min(self.nc, self.cols_per_task) if self.nc else self.cols_per_task

    @property
    def tasks(self) -> int:
        """Tasks of the kernel: batch x row tasks x column tasks."""
        return self.k_tasks * self.batch * self.row_tasks * self.col_tasks

    @property
    def chunks(self) -> int:
        """Parallel chunks of tasks (1 when the kernel runs serially)."""
        return -(-self.tasks // self.chunk) if self.chunk else 1

    def b_buffer(self) -> int:
        """The buffer the kernel reads B from."""
        return self.b.buffer if self.packed_b is None else self.packed_b

    def _split_text(self) -> str:
        return f"K split in {self.k_tasks} parts of {self.k_per_task} (partial C each); " if self.k_tasks > 1 else ""

    def text(self, bufnames: dict[int, str]) -> str:
        """One line describing the product, its packing and its blocking."""
        layout = "transposed, K contiguous" if self.b.strides[-1] == 1 else "N contiguous"
        if self.gemv:
            return (f"gemv {bufnames[self.c.buffer]}[{self.batch}x{self.m}x{self.n}] = "
                    f"{bufnames[self.a.buffer]}[{self.batch}x{self.m}x{self.k}] @ {bufnames[self.b.buffer]} "
                    f"({layout}) streamed row by row; {self._split_text()}tasks {self.tasks}")
        source = (f"packed {bufnames[self.packed_b]}" if self.packed_b is not None
                  else f"{bufnames[self.b.buffer]} ({layout}) packed per task" if self.b_block is not None
                  else f"{bufnames[self.b.buffer]} ({layout}) read in place")
        return (f"gemm {bufnames[self.c.buffer]}[{self.batch}x{self.m}x{self.n}] = "
                f"{bufnames[self.a.buffer]}[{self.batch}x{self.m}x{self.k}]"
                f"{'' if self.a.strides[2] == 1 else ' (transposed, read in place)'} @ {source} "
                f"({self.slivers} slivers); {'upper triangle only (symmetric); ' if self.symmetric else ''}"
                f"{self._split_text()}"
                f"{'B streamed in place (prefetched); ' if self.prefetch_b else ''}"
                f"tasks {self.batch}x{self.row_tasks}x{self.col_tasks}, "
                f"tile {self.mr}x{self.nr}, blocks mc={self.mc} kc={self.kc}"
                f"{f' nc={self.nc}' if self.nc else ''}")
