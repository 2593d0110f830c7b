"""A count that many threads increment at once, exactly and without a lock.

Each thread adds to its own cell, which no other thread writes, so no increment is
lost however the interpreter interleaves threads (``x += 1`` on a shared attribute is
a read, an add and a write: another thread may write in between, as on Python 3.10 or
a free-threaded build). Reading sums the cells. The cells of threads that have ended are
folded into one total when a new thread first counts, so they do not pile up.
"""
from __future__ import annotations

import threading


class Counter:
    """An exact count under concurrent :meth:`add` calls (see the module docstring)."""

    __slots__ = ("_local", "_cells", "_retired", "_lock")

    def __init__(self):
        self._local = threading.local()
        self._cells: list[tuple[threading.Thread, list[int]]] = []
        self._retired = 0
        self._lock = threading.Lock()

    def add(self, n: int = 1) -> None:
        """Count ``n`` more (in this thread's cell)."""
        try:
            cell = self._local.cell
        except AttributeError:
            cell = self._new_cell()
        cell[0] += n

    def _new_cell(self) -> list[int]:
        cell = [0]
        with self._lock:
            live = []
            for thread, old in self._cells:  # an ended thread's cell is final: fold it
                if thread.is_alive():
                    live.append((thread, old))
                else:
                    self._retired += old[0]
            live.append((threading.current_thread(), cell))
            self._cells = live
        self._local.cell = cell
        return cell

    @property
    def value(self) -> int:
        """The count so far."""
        with self._lock:
            return self._retired + sum(cell[0] for _, cell in self._cells)
