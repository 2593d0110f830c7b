"""A text progress indicator on stderr: one line per task, with a bar and the time spent.

Each line starts with a bar of the tasks done so far, then the task, its steps as they
start (``tracejit numexpr numba jax 21 reps``), and a summary with the task's seconds;
the pieces are flushed as they come, so a slow step shows where the run is.
"""
from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    """Progress over ``total`` tasks, written to ``stream`` (stderr by default)."""

    WIDTH = 20

    def __init__(self, total: int, stream: TextIO | None = None):
        self.total, self.done = total, 0
        self.stream = stream or sys.stderr
        self.started = self.task_started = time.perf_counter()

    def _write(self, text: str) -> None:
        self.stream.write(text)
        self.stream.flush()

    def begin(self, task: str) -> None:
        """Start the next task: the bar, the count and the task's name."""
        filled = self.WIDTH * self.done // max(self.total, 1)
        bar = "#" * filled + "." * (self.WIDTH - filled)
        self.task_started = time.perf_counter()
        self._write(f"[{bar}] {self.done + 1:>2}/{self.total} {task}:")

    def step(self, text: str) -> None:
        """A step of the current task has started."""
        self._write(f" {text}")

    def end(self, summary: str) -> None:
        """Finish the current task with a summary and the seconds it took."""
        self.done += 1
        now = time.perf_counter()
        self._write(f" -> {summary} ({now - self.task_started:.1f} s, "
                    f"{now - self.started:.0f} s in all)\n")
