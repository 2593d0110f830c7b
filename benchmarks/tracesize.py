"""Compile time against trace size: a Python loop of element reads and writes, unrolled.

``prefix(x, y)`` writes ``y[i] = 0.5 * y[i - 1] + x[i] * x[i]`` for every ``i`` (a
recurrence: each step needs the last), so a vector of ``n`` elements traces to about
``7 n`` graph nodes. For several ``n`` this times the first call (trace, optimize,
generate, compile, run; disk cache off) and prints nodes, seconds and microseconds per
node: flat per-node costs mean linear growth. Criteria (issue 6): a trace of 20,000 ops
compiles in under 10 s, and the per-node cost of the largest trace is at most 1.5x
that of the smallest. ``python -m benchmarks.tracesize`` prints the table alone.
"""
from __future__ import annotations

import time

import numpy as np

from benchmarks.judgement import check_lines

LENGTHS = (500, 1000, 2000, 4000)
TARGET_NODES, TARGET_S = 20_000, 10.0
GROWTH = 1.5


def prefix(x, y):
    for i in range(1, x.shape[0]):
        y[i] = 0.5 * y[i - 1] + x[i] * x[i]
    return y.sum()


def measure(lengths=LENGTHS) -> list[dict]:
    import tracejit as tj
    from tracejit.config import config
    saved = config.cache_enabled
    config.cache_enabled = False  # a real compile every time
    rows = []
    try:
        for n in lengths:
            x, y = np.random.default_rng(n).random(n), np.zeros(n)
            f = tj.jit(prefix)
            t = time.perf_counter()
            got = f(x, y.copy())
            seconds = time.perf_counter() - t
            want = prefix(x, y.copy())
            nodes = len(f.lower(x, y).traced.graph)
            rows.append({"n": n, "nodes": nodes, "seconds": seconds, "us_per_node": seconds / nodes * 1e6,
                         "ok": bool(np.isclose(got, want, rtol=1e-12))})
    finally:
        config.cache_enabled = saved
    return rows


def format_table(rows: list[dict], quick: bool) -> str:
    lines = ["first call against trace size (a loop of element writes, unrolled; disk cache off):",
             f"  {'n':>6}{'nodes':>9}{'seconds':>10}{'us/node':>10}  check"]
    for r in rows:
        lines.append(f"  {r['n']:>6}{r['nodes']:>9}{r['seconds']:>10.2f}{r['us_per_node']:>10.0f}  "
                     f"{'ok' if r['ok'] else 'MISMATCH'}")
    big = [r for r in rows if r["nodes"] >= TARGET_NODES]
    growth = rows[-1]["us_per_node"] / rows[0]["us_per_node"]
    checks = [(f"{TARGET_NODES} ops compile in < {TARGET_S:g} s",
               bool(big) and big[0]["seconds"] < TARGET_S,
               f"{big[0]['nodes']} nodes in {big[0]['seconds']:.2f} s" if big else "no trace that large"),
              (f"per-node cost grows at most {GROWTH:g}x", growth <= GROWTH, f"{growth:.2f}x")]
    return "\n".join(lines + check_lines(checks, quick))


if __name__ == "__main__":
    print(format_table(measure(), quick=False))
