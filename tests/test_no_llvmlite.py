"""The graph IR, the op registry, the graph passes and the interpreter load and run
without llvmlite (codegen registers the op lowerings; nothing below it needs them)."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent('''
    import importlib.abc, os, sys, types

    class BlockLLVM(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name == "llvmlite" or name.startswith("llvmlite."):
                raise ImportError(f"llvmlite is blocked in this test ({name})")

    sys.meta_path.insert(0, BlockLLVM())
    # The package root also loads the frontend and runtime (the runtime reads codegen's ABI
    # constants, codegen/symbols.py): a bare package shows what the compiler alone imports.
    root = types.ModuleType("tracejit")
    root.__path__ = [os.path.join(sys.argv[1], "tracejit")]
    sys.modules["tracejit"] = root

    import numpy as np
    from tracejit.compiler import graph, interpreter, ops, passes
    from tracejit.compiler.dtypes import AVal
    from tracejit.compiler.graph import Graph, SubGraph

    f64 = np.dtype(np.float64)
    cond = Graph("cond")
    c = cond.add_input(0, "c", AVal((3,), f64))
    cond.add_output(0, cond.add("less", [cond.add("sum", [c], {"axes": (0,), "keepdims": False}),
                                         cond.add_constant(np.array(50.0))]))
    body = Graph("body")
    b = body.add_input(0, "b", AVal((3,), f64))
    body.add_output(0, body.add("multiply", [b, body.add_constant(np.array(2.0))]))
    g = Graph("f")
    x = g.add_input(0, "x", AVal((3,), f64))
    y = g.add("exp", [g.add("add", [x, g.add_constant(np.zeros(3))])])
    loop = g.add("while", [y], {"cond": SubGraph(cond), "body": SubGraph(body), "n_carry": 1, "n_cond": 0})
    out = g.add("loop_out", [loop], {"index": 0, "shape": (3,), "dtype": f64})
    g.add_output(0, g.add("transpose", [g.add("reshape", [out], {"shape": (3, 1)})], {"perm": (1, 0)}))
    g.verify()
    before = interpreter.evaluate(g, [np.arange(3.0)])[0]
    passes.run_passes(g)
    after = interpreter.evaluate(g, [np.arange(3.0)])[0]
    expected = np.exp(np.arange(3.0))
    while expected.sum() < 50:
        expected = expected * 2
    assert np.array_equal(before, expected.reshape(1, 3)) and np.array_equal(after, before), (before, after)
    assert "llvmlite" not in sys.modules and not any(m.startswith("tracejit.compiler.codegen") for m in sys.modules)
    assert len(ops.REGISTRY) > 50 and graph.Graph is Graph
    print("ok")
''')


def test_compiler_imports_and_runs_without_llvmlite() -> None:
    """Build a graph with a loop, run the passes and the interpreter: llvmlite never loads."""
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(os.environ, TRACEJIT_CACHE="0")
    res = subprocess.run([sys.executable, "-c", SCRIPT, repo], capture_output=True, text=True, env=env,
                         timeout=300, cwd=repo)
    assert res.returncode == 0 and res.stdout.strip().endswith("ok"), res.stdout + res.stderr
