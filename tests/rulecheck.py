"""One graph rewrite on its own, checked: shared by the tests of the simplification rules."""
from __future__ import annotations

import numpy as np

import tracejit as tj
from tests.conftest import assert_same
from tracejit.compiler.interpreter import evaluate
from tracejit.compiler.passes.dce import dce
from tracejit.compiler.passes.simplify import RULES, simplify


def ops(graph) -> list[str]:
    """The graph's ops in topological order."""
    return [graph.op(n) for n in graph.topo_order()]


def rewrite(name: str, fn, *args):
    """Trace ``fn``, apply rule ``name`` alone (then dce) and check the results are unchanged
    bit for bit under the interpreter. Returns (graph before, graph after)."""
    graph = tj.jit(fn).lower(*args).traced.graph
    before = graph.copy()
    simplify(graph, {name: RULES[name]})
    dce(graph)
    graph.verify()
    with np.errstate(all="ignore"):
        assert_same(evaluate(graph, list(args)), evaluate(before, list(args)), what=name)
    return before, graph
