"""PNG charts of a benchmark run (matplotlib, the ``bench`` extra; Agg backend, imported
only when plotting): speedup per workload, speedup per corpus program, first-call time by
stage, and thread scaling when that section ran.

Speedups are horizontal bars on a log scale around 1 (NumPy's speed), one row per
workload or program, so long names stay readable; first calls are stacked bars of the
stage groups of ``benchmarks/firstcall.py``.
"""
from __future__ import annotations

import importlib.util
import math
import os
from typing import Any

from benchmarks.firstcall import GROUPS, FirstCall
from benchmarks.report import fastest_peer
from benchmarks.runner import EAGER, JIT, Row


def available() -> bool:
    """Whether matplotlib can be imported (without importing it)."""
    return importlib.util.find_spec("matplotlib") is not None


def _pyplot() -> Any:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def _log_limits(values: list[float]) -> tuple[float, float]:
    """x limits of a log axis holding ``values`` and 1, with room for the bar labels."""
    lo, hi = min([1.0, *values]), max([1.0, *values])
    return 10 ** (math.floor(math.log10(lo) * 4) / 4 - 0.25), 10 ** (math.ceil(math.log10(hi) * 4) / 4 + 0.5)


def _nice_ticks(lo: float, hi: float) -> list[float]:
    """1-2-5 ticks between ``lo`` and ``hi`` (powers of ten alone over a wide range): log axis
    labels that read as plain numbers and do not overlap."""
    decades = range(math.floor(math.log10(lo)), math.ceil(math.log10(hi)) + 1)
    ticks = [m * 10.0 ** e for e in decades for m in ((1, 2, 5) if len(decades) <= 4 else (1,))]
    return [t for t in ticks if lo <= t <= hi]


def _speedup_chart(plt: Any, names: list[str], series: dict[str, list[float | None]], title: str,
                   path: str, note: str = "", tags: dict[str, list[str]] | None = None) -> str:
    """Horizontal bars of speed ratios over NumPy (log x), one group per name, one bar per
    series; ``tags[series]`` adds a word to each bar's label (which peer it is)."""
    height = 0.8 / max(len(series), 1)
    fig, ax = plt.subplots(figsize=(9, 2.2 + 0.32 * len(names) * max(1, len(series) * 0.75)))
    ys = list(range(len(names)))[::-1]  # the first name on top
    every = []
    for i, (label, values) in enumerate(series.items()):
        offset = (i - (len(series) - 1) / 2) * height
        words = (tags or {}).get(label, [""] * len(values))
        pos = [y - offset for y, v in zip(ys, values) if v]
        vals = [v for v in values if v]
        every += vals
        bars = ax.barh(pos, vals, height, label=label, left=0)
        texts = [f"{v:.2f}x" if v < 10 else f"{v:.0f}x" for v in vals]
        ax.bar_label(bars, [f"{t} {w}".rstrip() for t, w in zip(texts, [w for w, v in zip(words, values) if v])],
                     fontsize=7, padding=2)
    ax.set_xscale("log")
    if every:
        lo, hi = _log_limits(every)
        ax.set_xlim(lo, hi)
        ax.set_xticks(_nice_ticks(lo, hi), [f"{t:g}x" for t in _nice_ticks(lo, hi)], fontsize=8)
        ax.minorticks_off()
    ax.axvline(1.0, color="black", linewidth=0.8)
    ax.set_yticks(ys, names, fontsize=8)
    ax.set_ylim(-0.7, len(names) - 0.3)
    ax.set_xlabel("speed relative to NumPy (NumPy time / system time; right of 1: faster; log scale)")
    ax.set_title(title + (f"\n{note}" if note else ""), fontsize=9)
    if len(series) > 1:
        ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    ax.grid(axis="x", which="major", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def workload_speedups(plt: Any, rows: list[Row], peers: list[str], path: str, title: str) -> str:
    """tracejit's and the fastest peer's speedup over NumPy per workload."""
    names = [f"{r.name} ({r.size})" for r in rows]
    series: dict[str, list[float | None]] = {"tracejit": [r.ratio(JIT, EAGER) for r in rows]}
    tags = {}
    if peers:
        best = [fastest_peer(r, peers) for r in rows]
        series["fastest other library"] = [r.ratio(b, EAGER) if b else None for r, b in zip(rows, best)]
        tags["fastest other library"] = [b or "" for b in best]
    note = "fastest other library per workload among " + ", ".join(peers) if peers else "no other library run"
    return _speedup_chart(plt, names, series, title, path, note, tags)


def corpus_speedups(plt: Any, corpus: list[dict], path: str, title: str) -> str:
    """tracejit's speedup over NumPy per corpus program, with the geometric mean."""
    values = [r["speedup"] for r in corpus]
    mean = math.exp(sum(map(math.log, values)) / len(values))
    return _speedup_chart(plt, [r["name"] for r in corpus], {"tracejit": values}, title, path,
                          f"geometric mean {mean:.2f}x over {len(values)} programs")


def first_calls(plt: Any, calls: list[FirstCall], path: str, title: str) -> str:
    """Stacked bars: each first call's seconds per stage group, then the rest (running it once)."""
    calls = [c for c in calls if c.seconds is not None]
    fig, ax = plt.subplots(figsize=(10, 2.4 + 0.27 * len(calls)))
    ys = list(range(len(calls)))[::-1]
    left = [0.0] * len(calls)
    for group in [*GROUPS, "rest"]:
        widths = [(c.rest or 0.0) if group == "rest" else c.groups.get(group, 0.0) for c in calls]
        if group != "rest" and not any(c.groups for c in calls):
            continue
        if group == "rest" and not any(c.groups for c in calls):
            widths = [c.seconds for c in calls]  # nothing recorded: the whole call
        ax.barh(ys, widths, 0.7, left=left, label=group)
        left = [a + b for a, b in zip(left, widths)]
    for y, c in zip(ys, calls):
        ax.text(c.seconds, y, f" {c.seconds:.2f} s" + (" (reused)" if c.source == "reused" else ""),
                va="center", fontsize=7)
    ax.set_yticks(ys, [f"{c.name} ({c.kind})" for c in calls], fontsize=8)
    ax.set_ylim(-0.7, len(calls) - 0.3)
    ax.set_xlim(0, max([c.seconds for c in calls] + [1e-3]) * 1.18)
    ax.set_xlabel("first call, seconds (trace, optimize, LLVM: codegen + optimize + machine code, load, rest: "
                  "one run)", fontsize=8)
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0), title="stage", title_fontsize=8)
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def thread_scaling(plt: Any, reports: dict[int, dict], path: str, title: str) -> str:
    """tracejit's speedup over its one-thread time per workload, against the thread count."""
    counts = sorted(reports)
    fig, ax = plt.subplots(figsize=(9.5, 5.5))
    base = reports[counts[0]]["rows"]
    for i, row in enumerate(base):
        times = [(reports[n]["rows"][i]["systems"].get(JIT) or {}).get("median_ms") for n in counts]
        if not times[0] or not all(times):
            continue
        style = ("-", "--", ":")[(i // 10) % 3]  # (ten colours, then the next line style)
        ax.plot(counts, [times[0] / t for t in times], marker="o", linestyle=style, label=row["name"])
    ax.plot(counts, [n / counts[0] for n in counts], color="black", linewidth=0.8, label="linear")
    ax.set_xscale("log", base=2)
    ax.set_xticks(counts, [str(n) for n in counts])
    ax.minorticks_off()
    ax.set_xlabel("threads (TRACEJIT_NUM_THREADS, log scale)")
    ax.set_ylabel(f"speedup over {counts[0]} thread{'s' * (counts[0] != 1)}")
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0), handlelength=3.5)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def write_all(directory: str, title: str, rows: list[Row], peers: list[str], corpus: list[dict],
              calls: list[FirstCall], scaling: dict[int, dict] | None) -> list[str]:
    """Every chart the run has data for, as PNGs in ``directory``; their paths."""
    plt = _pyplot()
    os.makedirs(directory, exist_ok=True)
    out = []
    if rows:
        out.append(workload_speedups(plt, rows, peers, os.path.join(directory, "speedup_workloads.png"),
                                     f"tracejit vs NumPy per workload; {title}"))
    if corpus:
        out.append(corpus_speedups(plt, corpus, os.path.join(directory, "speedup_corpus.png"),
                                   f"tracejit vs NumPy per corpus program; {title}"))
    if calls:
        out.append(first_calls(plt, calls, os.path.join(directory, "first_call.png"),
                               f"first call per workload and program, by stage; {title}"))
    if scaling:
        out.append(thread_scaling(plt, scaling, os.path.join(directory, "thread_scaling.png"),
                                  f"tracejit thread scaling; {title}"))
    return out
