"""Dead-code elimination: drop every node no output depends on (inputs stay)."""
from __future__ import annotations

import networkx as nx

from tracejit.compiler.graph import Graph


def dce(graph: Graph) -> bool:
    """Remove the nodes no output depends on (inputs stay); True if any was removed."""
    live = set(graph.outputs)
    for out in graph.outputs:
        live |= nx.ancestors(graph.nx, out)
    dead = [n for n in graph.nx.nodes if n not in live and graph.op(n) != "input"]
    graph.nx.remove_nodes_from(dead)
    return bool(dead)
