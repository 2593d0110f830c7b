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
from tracejit.compiler.passes.select import cond_to_select
from tracejit.compiler.passes.simplify import simplify
from tracejit.config import emit_log, log_enabled

Pass = Callable[[Graph], bool]


@dataclass(frozen=True)
class Fixpoint:
    """Passes run in turn, round after round, until a round changes nothing or ``cap``
    rounds have run (a rewrite may enable another: folding makes constants that simplify
    rules match, whose rewrites CSE then merges)."""

    name: str
    passes: tuple[tuple[str, Pass], ...]
    cap: int = 4


PIPELINE: list[tuple[str, Pass] | Fixpoint] = [
    ("dce", dce),
    Fixpoint("cleanup", (("fold_constants", fold_constants), ("simplify", simplify), ("cse", cse),
                         ("dce", dce), ("cond_to_select", cond_to_select))),
    ("fusion", fusion),
]


@dataclass(frozen=True)
class PassRecord:
    """What one pass did: its name (``group[round]/pass`` inside a fixpoint group),
    whether it changed the graph, time, graph text after."""

    name: str
    changed: bool
    seconds: float
    text: str


def _run_one(graph: Graph, name: str, fn: Pass, verify: bool, keep: bool, records: list) -> bool:
    t0 = time.perf_counter()
    changed = fn(graph)
    dt = time.perf_counter() - t0
    if verify:
        graph.verify()
    dump = log_enabled("passes")
    if keep or dump:
        text = graph.as_text()
        if keep:
            records.append(PassRecord(name, changed, dt, text))
        if dump:
            emit_log("passes", f"after {name} ({dt * 1e3:.2f} ms, {'changed' if changed else 'unchanged'}):\n{text}")
    return changed


def run_passes(graph: Graph, pipeline: list[tuple[str, Pass] | Fixpoint] | None = None,
               verify: bool = False, record: bool = False) -> list[PassRecord]:
    """Run ``pipeline`` (default :data:`PIPELINE`) over ``graph`` in place; ``verify``
    checks the graph after every pass, ``record`` keeps each pass's dump."""
    records: list[PassRecord] = []
    for stage in pipeline or PIPELINE:
        if not isinstance(stage, Fixpoint):
            _run_one(graph, stage[0], stage[1], verify, record, records)
            continue
        for round_ in range(1, stage.cap + 1):
            changed = [_run_one(graph, f"{stage.name}[{round_}]/{name}", fn, verify, record, records)
                       for name, fn in stage.passes]
            if not any(changed):
                break
        else:
            if log_enabled("passes"):
                emit_log("passes", f"{stage.name}: still changing after {stage.cap} rounds (the cap); going on")
    return records
