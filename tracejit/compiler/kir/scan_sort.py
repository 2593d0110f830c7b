"""Scan and sort kernels: one op along one axis of an operand, one *line* (all elements
along the axis at one index of the other dims) at a time (emitted by
``codegen/scan_sort.py``). A line is not a loop nest of independent points: a scan
carries its accumulator along it, a sort permutes it whole."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from tracejit.compiler.kir.buffers import Access
from tracejit.compiler.ops.scan_sort import HEADS, SELECTS, SORTS


@dataclass(frozen=True)
class AlongAxis:
    """``dst[line] = op(src[line])`` for every line: ``src`` and ``dst`` index
    ``rows + (n,)`` (the other dims, then the axis). ``keys`` (sorts) and ``index``
    (argsort) are temporaries holding ``2 * n`` keys / int64 positions per parallel
    chunk of ``chunk`` lines (0: the kernel runs serially, one block)."""

    op: str
    src: Access
    dst: Access
    rows: tuple[int, ...]
    n: int
    dtype: np.dtype  # of the keys / the accumulator (the operand's)
    keys: int | None = None
    index: int | None = None
    chunk: int = 0
    lanes: int = 1  # scans: > 1 runs that many adjacent lines at once, one per vector lane
    net: int = 0  # value sorts: > 0 sorts each line by a bitonic network on vectors of that many lanes
    quick: bool = False  # with net: long lines by a vectorized quicksort whose leaves the network sorts
    kth: tuple[int, ...] = ()  # partitions: the ranks put in place (sorted, distinct); heads: (k - 1,)
    nanq: tuple[float, ...] = ()  # partitions: quantiles whose linear-method ranks among the numbers are put in place

    @property
    def lines(self) -> int:
        """Number of lines: the product of the other dims."""
        return math.prod(self.rows)

    @property
    def groups(self) -> int:
        """Groups of ``lanes`` adjacent lines along the last other dim (the last group may be short)."""
        return -(-self.rows[-1] // self.lanes)

    @property
    def tasks(self) -> int:
        """Iterations of the kernel's outer loop: lines, or groups of adjacent lines."""
        return self.lines if self.lanes == 1 else math.prod(self.rows[:-1]) * self.groups

    @property
    def chunks(self) -> int:
        """Parallel chunks of tasks (1 when the kernel runs serially)."""
        return -(-self.tasks // self.chunk) if self.chunk else 1

    @property
    def block(self) -> int:
        """Elements of scratch per chunk (sorts: two halves of ``n`` that merge passes
        alternate; partitions: one line, selected in place)."""
        if self.net:  # the network's power-of-two keys, then room for the NaNs
            return max(2 * self.n, (1 << (self.n - 1).bit_length()) + self.n)
        return self.n if self.op in SELECTS else 2 * self.n

    @property
    def out_n(self) -> int:
        """Elements of each result line: ``n``, or ``k`` for a head of a sort."""
        return self.kth[-1] + 1 if self.op in HEADS else self.n

    def buffers(self) -> set[int]:
        """Ids of the buffers the kernel reads or writes (operand, result, scratch)."""
        return {self.src.buffer, self.dst.buffer} | {b for b in (self.keys, self.index) if b is not None}

    def accesses(self) -> list[tuple[Access, tuple[int, ...]]]:
        """(access, iteration shape) of everything the kernel touches (for bounds checks)."""
        shape = self.rows + (self.n,)
        out = [(self.src, shape), (self.dst, self.rows + (self.out_n,))]
        for bid, dtype in ((self.keys, self.dtype), (self.index, np.dtype(np.int64))):
            if bid is not None:
                out.append((Access(bid, dtype, 0, (1,)), (self.chunks * self.block,)))
        return out

    def text(self, bufnames: dict[int, str]) -> str:
        """One line describing the op, its lines and its algorithm."""
        scratch = "".join(f", scratch {bufnames[b]}" for b in (self.keys, self.index) if b is not None)
        algo = f"bitonic sorting network on {self.net}-lane vectors" if self.net else "stable bottom-up merge sort"
        if self.quick:
            algo = f"vectorized quicksort, leaves by a sorting network on {self.net}-lane vectors"
        if self.op in HEADS:
            algo = f"partial sort: introselect of rank {self.kth[-1]}, then the {self.out_n} first sorted"
        elif self.op in SELECTS:
            algo = f"introselect of ranks {list(self.kth)}"
            if self.nanq:
                algo += f" and of the numbers' ranks of quantiles {list(self.nanq)}"
        elif self.op not in SORTS:
            algo = "sequential scan" + (f", {self.lanes} adjacent lines in vector lanes" if self.lanes > 1 else "")
        names = [f"i{d}" for d in range(len(self.rows))] + ["k"]
        head = "" if self.out_n == self.n else f" (k<{self.out_n})"
        return (f"{self.op} along k<{self.n} for ({', '.join(f'{a}<{r}' for a, r in zip(names, self.rows))}): "
                f"{self.dst.text(names, bufnames[self.dst.buffer])}{head} from "
                f"{self.src.text(names, bufnames[self.src.buffer])}; {algo}{scratch}")
