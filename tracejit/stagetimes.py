"""How long each stage of one compilation took: the one record of compile time.

A :class:`~tracejit.compile.Compilation` measures its stages into a :class:`StageTimes`
(:func:`measuring`); the layers mark where each stage runs with :func:`stage` (trace and the
program cache's look-up: ``compile.py``; graph passes, kernel formation, kernel passes:
``compiler/pipeline.py``; generic form (memory plan, size parameters, cache key) and codegen:
``compile.py``; LLVM optimize, machine code, load: ``runtime/engine.py``).
Stages nest (kernel formation optimizes the sub-graphs of loops and branches, running the
graph passes again): the time of a nested stage counts for it alone, not for the stage it
runs in, so the stages add up to the total (less ``other``: cache look-ups, bookkeeping).

A jitted call that compiles for longer than ``config.slow_compile_seconds`` (default 1 s,
``TRACEJIT_SLOW_COMPILE``) logs one warning line through the ``tracejit`` logger (stderr
by default: the function, its slowest stage, the total); ``TRACEJIT_LOG=compile`` logs
every compilation's stages. Silence the warning with
``logging.getLogger("tracejit").setLevel(logging.ERROR)`` or a larger threshold.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from tracejit.config import config, emit_log, log_enabled

STAGES = ("trace", "program cache", "graph passes", "kernel formation", "kernel passes", "generic form",
          "codegen", "LLVM optimize", "machine code", "load")


class StageTimes:
    """Seconds spent in each stage (exclusive of the stages nested in it) and in all."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.total = 0.0
        self._stack: list[list] = []  # [stage name, when it started or resumed]

    def _add(self, name: str, seconds: float) -> None:
        self.seconds[name] = self.seconds.get(name, 0.0) + seconds

    @property
    def other(self) -> float:
        """Time measured outside every stage (cache look-ups, bookkeeping)."""
        return max(0.0, self.total - sum(self.seconds.values()))

    def slowest(self) -> tuple[str, float]:
        """The stage that took longest, and its seconds."""
        if not self.seconds:
            return "other", self.other
        return max(self.seconds.items(), key=lambda item: item[1])

    def text(self) -> str:
        """``stage 1.2 ms, ...`` in pipeline order, then ``other`` and the total."""
        order = [s for s in STAGES if s in self.seconds] + [s for s in self.seconds if s not in STAGES]
        parts = [f"{s} {_ms(self.seconds[s])}" for s in order] + [f"other {_ms(self.other)}"]
        return f"{', '.join(parts)}; total {_ms(self.total)}"


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"


_CURRENT: ContextVar[StageTimes | None] = ContextVar("stage_times", default=None)
_RECORDERS: list[list[tuple[str, StageTimes]]] = []  # open ``recorded()`` blocks


@contextmanager
def measuring(times: StageTimes) -> Iterator[StageTimes]:
    """Record the stages run inside this block into ``times`` (its total grows by the block's time)."""
    token = _CURRENT.set(times)
    start = time.perf_counter()
    try:
        yield times
    finally:
        times.total += time.perf_counter() - start
        _CURRENT.reset(token)


@contextmanager
def stage(name: str) -> Iterator[None]:
    """Count the time of this block for stage ``name`` (nothing when no compilation measures)."""
    times = _CURRENT.get()
    if times is None:
        yield
        return
    now = time.perf_counter()
    if times._stack:  # the enclosing stage pauses
        outer = times._stack[-1]
        times._add(outer[0], now - outer[1])
    times._stack.append([name, now])
    try:
        yield
    finally:
        now = time.perf_counter()
        _, started = times._stack.pop()
        times._add(name, now - started)
        if times._stack:
            times._stack[-1][1] = now  # the enclosing stage resumes


@contextmanager
def recorded() -> Iterator[list[tuple[str, StageTimes]]]:
    """Every compilation that finishes inside this block (jitted calls of any function, any
    thread), in order, as (function name, its stage times): how a harness reads first calls."""
    found: list[tuple[str, StageTimes]] = []
    _RECORDERS.append(found)
    try:
        yield found
    finally:
        _RECORDERS.remove(found)


def report(name: str, times: StageTimes) -> None:
    """After one compilation of function ``name``: its stages (``TRACEJIT_LOG=compile``), and
    one warning line when it took longer than ``config.slow_compile_seconds``; open
    :func:`recorded` blocks get ``(name, times)``."""
    for found in list(_RECORDERS):
        found.append((name, times))
    if log_enabled("compile"):
        emit_log("compile", f"{name}: {times.text()}")
    if times.total > config.slow_compile_seconds:
        stage_name, seconds = times.slowest()
        emit_log("compile", f"compiling {name} took {_ms(times.total)} (slowest stage: {stage_name}, "
                            f"{_ms(seconds)}); TRACEJIT_LOG=compile shows every stage", logging.WARNING)


def credit(name: str, seconds: float) -> None:
    """Count ``seconds`` of the stage running now for stage ``name`` instead (work done by other
    threads inside it: ``runtime/parallel_llvm.py`` credits the share of its wall time its threads
    spent making machine code); nothing when no compilation measures or no stage runs."""
    times = _CURRENT.get()
    if times is None or not times._stack:
        return
    current = times._stack[-1]
    now = time.perf_counter()
    times._add(current[0], now - current[1] - seconds)
    current[1] = now
    times._add(name, seconds)
