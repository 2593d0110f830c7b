"""A text progress indicator on stderr: one line per task, the same for every section.

Each line is ``[bar] i/n section: task: steps -> summary (task s, elapsed s in all)``: a bar
of the tasks done so far, the task's number among all of the run's tasks, the section it
belongs to (``workloads``, ``corpus``, ...), the task, its steps as they start (``tracejit
jax torch 21 reps``), then a summary and the task's seconds. The pieces are flushed as they
come, so a slow step shows where the run is.
"""
from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO


class Progress:
    """Progress over ``total`` tasks, written to ``stream`` (stderr by default); tasks
    belong to the section last set with :meth:`section`."""

    WIDTH = 20

    def __init__(self, total: int, stream: TextIO | None = None):
        self.total, self.done = total, 0
        self.stream = stream or sys.stderr
        self.current = ""
        self.started = self.task_started = time.perf_counter()

    def _write(self, text: str) -> None:
        self.stream.write(text)
        self.stream.flush()

    def section(self, name: str) -> None:
        """Tasks begun from now on belong to section ``name``."""
        self.current = name

    def begin(self, task: str) -> None:
        """Start the next task of the current section: the bar, the count, section and task."""
        filled = self.WIDTH * min(self.done, self.total) // max(self.total, 1)
        bar = "#" * filled + "." * (self.WIDTH - filled)
        self.task_started = time.perf_counter()
        width = len(str(self.total))
        label = f"{self.current}: {task}" if task and task != self.current else self.current or task
        self._write(f"[{bar}] {self.done + 1:>{width}}/{self.total} {label}:")

    def step(self, text: str) -> None:
        """A step of the current task has started."""
        self._write(f" {text}")

    def end(self, summary: str) -> None:
        """Finish the current task with a summary and the seconds it took."""
        self.done += 1
        now = time.perf_counter()
        self._write(f" -> {summary} ({now - self.task_started:.1f} s, {now - self.started:.0f} s in all)\n")

    @contextmanager
    def task(self, task: str, summary: str = "done") -> Iterator[dict[str, str]]:
        """A task as a block: begun on entry, ended on exit with ``box["summary"]`` (the
        caller may set it inside), or with the exception's type when the block raises."""
        box = {"summary": summary}
        self.begin(task)
        try:
            yield box
        except BaseException as exc:
            self.end(f"raised {type(exc).__name__}")
            raise
        self.end(box["summary"])
