"""The graph passes of a big graph, counted rather than dumped: each pass's time, whether it
changed the graph, and the node count per op after it (what a compile report shows for a
graph too big to draw after every pass, ``collect.PASS_GRAPH_LIMIT``).

The pipeline's graph stage is run again as ``compiler/pipeline.optimize`` runs it (the
traced graph copied, ``run_passes`` over :data:`~tracejit.compiler.passes.PIPELINE`), each
pass wrapped to time it and count ops; no pass dumps its graph as text (``pass_records``
does, for every pass: most of its time on a graph of thousands of nodes)."""
from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass

from tracejit.compiler.graph import Graph
from tracejit.compiler.passes import PIPELINE, Fixpoint, Pass, run_passes


@dataclass(frozen=True)
class PassCount:
    """One pass: its name (``group[round]/pass`` in a fixpoint group, as ``run_passes``
    names it), seconds, whether it changed the graph, and the graph's op counts after it."""

    name: str
    seconds: float
    changed: bool
    ops: dict[str, int]


def op_histogram(graph: Graph) -> dict[str, int]:
    """How many top-level nodes of each op ``graph`` has."""
    return dict(Counter(op for _, op in graph.nx.nodes(data="op")))


def counted_passes(traced: Graph) -> list[PassCount]:
    """The graph passes run on a copy of ``traced``, each timed and counted (see the module docstring)."""
    counts: list[PassCount] = []

    def wrapped(name: str, fn: Pass, group: str | None) -> tuple[str, Pass]:
        calls = [0]

        def run(graph: Graph) -> bool:
            calls[0] += 1
            start = time.perf_counter()
            changed = fn(graph)
            seconds = time.perf_counter() - start
            shown = name if group is None else f"{group}[{calls[0]}]/{name}"
            counts.append(PassCount(shown, seconds, changed, op_histogram(graph)))
            return changed
        return name, run

    pipeline = [Fixpoint(s.name, tuple(wrapped(n, f, s.name) for n, f in s.passes), s.cap)
                if isinstance(s, Fixpoint) else wrapped(s[0], s[1], None) for s in PIPELINE]
    run_passes(traced.copy(), pipeline)
    return counts
