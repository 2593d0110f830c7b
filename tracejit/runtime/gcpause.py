"""Pausing Python's cyclic garbage collector while a function is traced and compiled.

Tracing and optimizing a large unrolled loop allocates millions of small objects (graph
nodes, attribute dicts, kernel expressions), almost all freed by reference counting; the
cyclic collector nevertheless walks the whole heap each time its allocation thresholds
trip, which cost 20-40% of a 28,000-node first call (4.4-6.1 s -> 3.5-3.6 s with it
paused) and put a full collection of the importing program's heap into small first
calls. The collector is paused for the compile and resumed after it (if it was on):
cycles made meanwhile are collected at its next run. Compiles in several threads keep it
paused until the last one ends.
"""
from __future__ import annotations

import gc
import threading
from contextlib import contextmanager
from typing import Iterator

_lock = threading.Lock()
_depth = 0
_was_enabled = False


@contextmanager
def paused_gc() -> Iterator[None]:
    """The body runs with the cyclic collector paused (nested and concurrent uses nest)."""
    global _depth, _was_enabled
    with _lock:
        if _depth == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _was_enabled:
                gc.enable()
