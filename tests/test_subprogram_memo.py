"""Equal loop/branch sub-graphs are optimized once per top-level optimization (compiler/pipeline.py)."""
import numpy as np

import tracejit as tj
from tracejit.compiler import pipeline
from tracejit.compiler.graph import graph_fingerprint


def _clip_steps(x):
    total = 0.0
    for i in range(x.shape[0]):
        for d in (1.0, 1.0, 1.0):  # unrolled: three equal branch sub-graphs per step
            if x[i] > d:
                total += d
            else:
                total -= x[i]
    return total


def test_equal_sub_graphs_optimized_once(monkeypatch):
    calls = []
    real = pipeline.optimize

    def counting(graph, *args, **kwargs):
        calls.append(graph_fingerprint(graph))
        return real(graph, *args, **kwargs)

    monkeypatch.setattr(pipeline, "optimize", counting)
    x = np.random.default_rng(0).normal(size=7) * 2
    got = tj.jit(_clip_steps)(x)
    np.testing.assert_allclose(got, _clip_steps(x), rtol=1e-12)
    assert len(calls) == len(set(calls))  # (the top-level graph is optimized once too)


def test_results_match_numpy_on_new_shapes():
    f = tj.jit(_clip_steps)
    for n in (0, 1, 5, 12):
        x = np.random.default_rng(n).normal(size=n) * 2
        np.testing.assert_allclose(f(x), _clip_steps(x), rtol=1e-12)
