"""Jacobians of a small MLP (n inputs, 32 hidden, n outputs) by ``tj.jacrev``/``tj.jacfwd``/
``tj.hessian``: traced node count, kernels, first-call time (trace + compile, persistent cache
off) and the median run time, per number of basis vectors n. ``python -m benchmarks.jacobian_size``."""
from __future__ import annotations

import sys
import time

import numpy as np

import tracejit as tj

SIZES = (4, 16, 64, 256)


def mlp(x, w1, b1, w2, b2):
    """A two-layer tanh MLP of one example."""
    return np.tanh(x @ w1 + b1) @ w2 + b2


def _scalar(x, w1, b1, w2, b2):
    return np.sum(mlp(x, w1, b1, w2, b2) ** 2)


def _params(n: int, rng: np.random.Generator) -> tuple:
    return (rng.standard_normal(n), rng.standard_normal((n, 32)) / np.sqrt(n), rng.standard_normal(32),
            rng.standard_normal((32, n)) / 6.0, rng.standard_normal(n))


def graph_size(graph) -> int:
    """Nodes of ``graph`` and of every sub-graph (loop bodies, branches) inside it."""
    total = 0
    for nid in graph.nx.nodes:
        total += 1
        for v in graph.attrs(nid).values():
            if hasattr(v, "graph") and hasattr(v.graph, "nx"):
                total += graph_size(v.graph)
    return total


def measure(kind: str, n: int, repeat: int = 30) -> dict:
    """One row: node count, kernels, first call and median run seconds."""
    rng = np.random.default_rng(n)
    args = _params(n, rng)
    fun = {"jacrev": tj.jacrev(mlp), "jacfwd": tj.jacfwd(mlp), "hessian": tj.hessian(_scalar)}[kind]
    was = tj.config.cache_enabled
    tj.config.cache_enabled = False
    try:
        t0 = time.perf_counter()
        out = fun(*args)
        first = time.perf_counter() - t0
    finally:
        tj.config.cache_enabled = was
    low = fun.lower(*args)
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fun(*args)
        times.append(time.perf_counter() - t0)
    return {"kind": kind, "n": n, "nodes": graph_size(low.traced.graph), "kernels": len(low.kernels),
            "first_s": first, "run_ms": 1e3 * float(np.median(times)), "shape": np.shape(out)}


def main(argv: list[str]) -> None:
    """Print one line per (kind, n)."""
    kinds = argv[1:2] or ["jacrev", "jacfwd", "hessian"]
    sizes = [int(a) for a in argv[2:]] or list(SIZES)
    for kind in kinds:
        for n in sizes:
            r = measure(kind, n)
            print(f"{r['kind']:8s} n={r['n']:4d} nodes={r['nodes']:6d} kernels={r['kernels']:5d} "
                  f"first={r['first_s']:7.2f}s run={r['run_ms']:8.3f}ms", flush=True)


if __name__ == "__main__":
    main(sys.argv)
