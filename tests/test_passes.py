"""Each pass on small graphs: what it changes (text) and that results do not change
(evaluated with the NumPy interpreter); verify() after every pass."""
from __future__ import annotations

import numpy as np
import pytest

import tracejit as tj
from tests.conftest import assert_same
from tracejit.compiler.graph import GraphError
from tracejit.compiler.interpreter import evaluate
from tracejit.compiler.passes import PIPELINE, run_passes
from tracejit.compiler.passes.cse import cse
from tracejit.compiler.passes.dce import dce
from tracejit.compiler.passes.fold import fold_constants
from tracejit.compiler.passes.fusion import decide_materialized, fusion
from tracejit.compiler.passes.simplify import simplify


def traced(fn, *args):
    return tj.jit(fn).lower(*args).traced.graph


def ops(graph):
    return [graph.op(n) for n in graph.topo_order()]


def check_pass(fn, args, pass_fn):
    """Run one pass; return (before, after) graphs after checking results agree."""
    graph = traced(fn, *args)
    before = graph.copy()
    pass_fn(graph)
    graph.verify()
    assert_same(evaluate(graph, list(args)), evaluate(before, list(args)))
    return before, graph


def test_dce_removes_unused_nodes():
    def f(x):
        unused = np.exp(x) * 2  # noqa: F841
        return x + 1

    before, after = check_pass(f, (np.ones(3),), dce)
    assert "exp" in ops(before) and "exp" not in ops(after) and "input" in ops(after)


def _constant_graph(size: int):
    """x + sum(c * 2) + zeros, built directly: the constants are graph nodes."""
    from tracejit.compiler.dtypes import AVal
    from tracejit.compiler.graph import Graph
    g = Graph("folding")
    x = g.add_input(0, "x", AVal((size,), np.dtype(np.float64)))
    c = g.add_constant(np.arange(float(size)))
    two = g.add_constant(np.array(2.0))
    doubled = g.add("multiply", [c, two])
    total = g.add("sum", [doubled], {"axes": (0,), "keepdims": False})
    zeros = g.add_constant(np.zeros(size))
    out = g.add("add", [g.add("add", [x, total]), zeros])
    g.add_output(0, out)
    g.verify()
    return g


def test_fold_constants_and_uniform_constants():
    g = _constant_graph(4)
    before = g.copy()
    assert fold_constants(g)
    g.verify()
    assert "sum" in ops(before) and "sum" not in ops(g) and "multiply" not in ops(g)
    assert "broadcast_to" in ops(g)  # the zeros became a broadcast scalar
    x = np.linspace(0, 1, 4)
    assert_same(evaluate(g, [x]), evaluate(before, [x]))


def test_fold_respects_the_size_limit(monkeypatch):
    monkeypatch.setattr(tj.config, "fold_limit", 3)
    g = _constant_graph(10)
    fold_constants(g)
    assert "multiply" in ops(g) and "sum" in ops(g)  # the 10-element product is not folded


def test_cse_merges_identical_work():
    def f(x):
        return np.exp(x) + np.exp(x), x[1:] * 2 + x[1:] * 2

    before, after = check_pass(f, (np.ones(5),), cse)
    assert ops(before).count("exp") == 2 and ops(after).count("exp") == 1
    assert ops(after).count("slice") == 1


def test_simplify_rules():
    def f(x):
        return (x.reshape(6).reshape(2, 3), x.T.T, x.astype(x.dtype), x**2, x**0.5, x**-1, x**3)

    before, after = check_pass(f, (np.arange(1.0, 7.0).reshape(3, 2),), lambda g: simplify(g) and dce(g))
    text = after.as_text()
    assert "power" not in text and "square" in text and "sqrt" in text and "reciprocal" in text
    assert ops(after).count("reshape") <= ops(before).count("reshape") - 1


def test_fusion_materializes_only_what_it_must():
    def softmax(x):
        e = np.exp(x - x.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    graph = traced(softmax, np.ones((4, 8), np.float32))
    run_passes(graph, PIPELINE[:-1])
    keep = decide_materialized(graph)
    kept_ops = sorted(graph.op(n) for n in keep)
    # sources, the two reductions, exp (read by two kernels), the output
    assert kept_ops == ["divide", "exp", "input", "max", "sum"], kept_ops


def test_fusion_of_elementwise_chain_is_one_kernel():
    def f(a, b):
        return np.tanh(a * b + 1) - a / b

    graph = traced(f, np.ones(8), np.ones(8))
    run_passes(graph, verify=True)
    kept = [n for n in graph.topo_order()
            if graph.data(n).get("materialize") and graph.op(n) not in ("input", "constant")]
    assert [graph.op(n) for n in kept] == ["subtract"]


def test_fusion_keeps_matmul_operands_in_buffers():
    def f(x, w):
        return np.maximum(x @ w + 1, 0) @ w

    graph = traced(f, np.ones((4, 4)), np.ones((4, 4)))
    run_passes(graph)
    kept = {graph.op(n) for n in graph.nx.nodes if graph.data(n).get("materialize")}
    assert "maximum" in kept


def test_pipeline_verifies_and_keeps_results():
    def f(x, y):
        z = np.where(x > 0, x, y.T) * 2
        return z.sum(axis=0), np.concatenate([z, z[::-1]]), z.T.reshape(-1)

    args = (np.arange(-4.0, 5.0).reshape(3, 3), np.ones((3, 3)))
    graph = traced(f, *args)
    expected = evaluate(graph, list(args))
    records = run_passes(graph, verify=True, record=True)
    names = [r.name for r in records]
    assert names[0] == "dce" and names[-1] == "fusion"
    assert names[1:5] == ["cleanup[1]/fold_constants", "cleanup[1]/simplify", "cleanup[1]/cse", "cleanup[1]/dce"]
    assert not records[-2].changed  # the fixpoint group's last round changed nothing
    assert_same(evaluate(graph, list(args)), expected)


def test_verify_catches_broken_graphs():
    graph = traced(lambda x: x + 1, np.ones(3))
    add = next(n for n in graph.nx.nodes if graph.op(n) == "add")
    graph.data(add)["shape"] = (4,)
    with pytest.raises(GraphError, match="op rule gives"):
        graph.verify()
    graph = traced(lambda x: x + 1, np.ones(3))
    add = next(n for n in graph.nx.nodes if graph.op(n) == "add")
    u = graph.operands(add)[0]
    graph.nx.remove_edge(u, add, key=0)
    with pytest.raises(GraphError, match="operand"):
        graph.verify()


def test_reshape_that_needs_a_copy_gets_one():
    f = tj.jit(lambda x: (x.T + 1).reshape(-1))
    x = np.arange(6.0).reshape(2, 3)
    assert_same(f(x), f.eager(x))
    f2 = tj.jit(lambda x: x.T.reshape(-1) * 2)
    assert_same(f2(x), f2.eager(x))
    assert "copy" in f2.lower(x).as_text("optimized")


def test_fusion_flag_set_on_every_node():
    graph = traced(lambda x: x * 2, np.ones(3))
    run_passes(graph, PIPELINE[:-1])
    fusion(graph)
    assert all("materialize" in graph.data(n) for n in graph.nx.nodes)


def test_loop_fusion_shares_the_row_loop_and_shrinks_temps():
    from benchmarks.workloads import layernorm, softmax
    x = np.random.default_rng(60).standard_normal((64, 300)).astype(np.float32)
    g, b = np.ones(300, np.float32), np.zeros(300, np.float32)
    for fn, args in ((softmax, (x,)), (layernorm, (x, g, b))):
        low = tj.jit(fn).lower(*args)
        kernels = low.kernels
        assert len(kernels) == 1 and kernels[0].row_fused, low.as_text("kernels")
        program = low.optimized.program
        assert not [buf for buf in program.buffers if buf.kind == "temp"]  # all became row scratch
        assert_same(tj.jit(fn)(*args), fn(*args), rtol=1e-5, atol=1e-6)


def test_loop_fusion_refuses_reads_across_rows():
    def f(x):
        m = x.max(axis=1, keepdims=True)
        return x - m[::-1]  # row i reads the max of another row

    x = np.random.default_rng(61).standard_normal((50, 40))
    low = tj.jit(f).lower(x)
    assert not any(k.row_fused for k in low.kernels)
    assert_same(tj.jit(f)(x), f(x))
