"""Output and temporary memory that is reused instead of faulted in on every call.

A fresh 40 MB array costs thousands of page faults when first written (and, with
transparent huge pages, sometimes tens of milliseconds of kernel compaction). Large
arrays therefore come from anonymous ``mmap`` blocks that the pool keeps: the array
returned to the user is a view of a block, and a block is reused once no array or view
references it any more, which CPython's reference count of the block tells exactly.
Small arrays come from ``np.empty``.
"""
from __future__ import annotations

import math
import mmap
import sys
import threading

import numpy as np

MIN_POOLED_BYTES = 1 << 20
BLOCK_ROUND = 1 << 21  # 2 MiB: the huge-page size
MAX_IDLE_BYTES = 1 << 30


class BufferPool:
    """Blocks of memory handed out as NumPy arrays and taken back when unreferenced."""

    def __init__(self, max_idle_bytes: int = MAX_IDLE_BYTES):
        self._blocks: list[mmap.mmap] = []
        self._lock = threading.Lock()
        self.max_idle_bytes = max_idle_bytes

    def _is_free(self, i: int) -> bool:
        # References: the list slot and getrefcount's argument; any array adds more.
        return sys.getrefcount(self._blocks[i]) == 2

    def _take(self, nbytes: int) -> mmap.mmap:
        best = None
        for i in range(len(self._blocks)):
            size = len(self._blocks[i])
            if nbytes <= size <= 2 * nbytes + BLOCK_ROUND and self._is_free(i):
                if best is None or size < len(self._blocks[best]):
                    best = i
        if best is not None:
            return self._blocks[best]
        block = mmap.mmap(-1, -(-nbytes // BLOCK_ROUND) * BLOCK_ROUND)
        if hasattr(mmap, "MADV_HUGEPAGE"):
            try:
                block.madvise(mmap.MADV_HUGEPAGE)
            except OSError:
                pass
        self._blocks.append(block)
        self._trim()
        return block

    def _trim(self) -> None:
        idle = [i for i in range(len(self._blocks)) if self._is_free(i)]
        total = sum(len(self._blocks[i]) for i in idle)
        for i in idle[:-1]:  # never the block just added (the last)
            if total <= self.max_idle_bytes:
                break
            total -= len(self._blocks[i])
            self._blocks[i] = None  # type: ignore[assignment]
        self._blocks = [b for b in self._blocks if b is not None]

    def empty(self, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
        """An uninitialized C-contiguous array (pooled when it is large); ``dtype`` is a
        ``np.dtype``."""
        nbytes = math.prod(shape) * dtype.itemsize
        if nbytes < MIN_POOLED_BYTES:
            return np.empty(shape, dtype)
        with self._lock:
            block = self._take(nbytes)
            return np.frombuffer(block, np.uint8, count=nbytes).view(dtype).reshape(shape)

    def stats(self) -> dict[str, int]:
        """The pool's blocks, their bytes, and the bytes of those no array uses now."""
        with self._lock:
            free = [i for i in range(len(self._blocks)) if self._is_free(i)]
            return {"blocks": len(self._blocks), "bytes": sum(len(b) for b in self._blocks),
                    "idle_bytes": sum(len(self._blocks[i]) for i in free)}


pool = BufferPool()
