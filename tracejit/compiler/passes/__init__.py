"""The pass pipeline: named passes over the Graph, run in order.

Each pass is a function ``Graph -> bool`` (changed) that rewrites the graph in place.
``TRACEJIT_LOG=passes`` prints the graph after each pass with its time.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

from tracejit.compiler.graph import Graph
from tracejit.compiler.passes.cse import cse
from tracejit.compiler.passes.dce import dce
from tracejit.compiler.passes.fold import fold_constants
from tracejit.compiler.passes.fusion import fusion
from tracejit.compiler.passes.simplify import simplify
from tracejit.config import emit_log, log_enabled

Pass = Callable[[Graph], bool]

PIPELINE: list[tuple[str, Pass]] = [
    ("dce", dce),
    ("fold_constants", fold_constants),
    ("simplify", simplify),
    ("cse", cse),
    ("dce", dce),
    ("fusion", fusion),
]


@dataclass(frozen=True)
class PassRecord:
    """What one pass did: its name, whether it changed the graph, time, graph text after."""

    name: str
    changed: bool
    seconds: float
    text: str


def run_passes(graph: Graph, pipeline=None, verify: bool = False,
               record: bool = False) -> list[PassRecord]:
    """Run ``pipeline`` (default :data:`PIPELINE`) over ``graph`` in place."""
    records = []
    dump = log_enabled("passes")
    for name, fn in pipeline or PIPELINE:
        t0 = time.perf_counter()
        changed = fn(graph)
        dt = time.perf_counter() - t0
        if verify:
            graph.verify()
        if dump or record:
            text = graph.as_text()
            records.append(PassRecord(name, changed, dt, text))
            if dump:
                emit_log("passes", f"after {name} ({dt * 1e3:.2f} ms, "
                                   f"{'changed' if changed else 'unchanged'}):\n{text}")
    return records
