"""Dead-code elimination: drop every node no output depends on (inputs stay), except
effects: a host call, or a loop or branch holding one, stays with what it reads
(``compiler/ops/host.py``)."""
from __future__ import annotations

import networkx as nx

from tracejit.compiler.graph import Graph
from tracejit.compiler.ops.host import node_is_effectful


def dce(graph: Graph) -> bool:
    """Remove the nodes no output depends on (inputs stay); True if any was removed."""
    live = set(graph.outputs) | {n for n in graph.nx.nodes if node_is_effectful(graph, n)}
    for out in list(live):
        live |= nx.ancestors(graph.nx, out)
    dead = [n for n in graph.nx.nodes if n not in live and graph.op(n) != "input"]
    graph.nx.remove_nodes_from(dead)
    return bool(dead)
