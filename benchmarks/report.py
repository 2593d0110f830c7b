"""Reporting: the table, the throughput block, problem notes, JSON and the bar chart."""
from __future__ import annotations

import json
import sys
from dataclasses import asdict
from typing import Any

from benchmarks.runner import EAGER, JIT, Row, SystemResult


def _fmt_ms(r: SystemResult) -> str:
    return f"{r.median_ms:.3f}" if r.median_ms is not None else ("-" if r.status == "n/a" else r.status)


def _fmt_ratio(row: Row, system: str) -> str:
    r, ratio = row.systems[system], row.speedup(system)
    if r.status != "ok":
        return "-" if r.status == "n/a" else r.status
    return f"{ratio:.2f}x" if ratio is not None else "-"


def fmt_rate(row: Row, system: str, triad_gbps: float | None, peaks: dict[str, float] | None = None) -> str:
    """``98.1 GFLOP/s (41% of peak)`` (with ``peaks``, GFLOP/s by dtype label: ``f32``,
    ``f64``) or ``11.2 GB/s (72%)`` (percent of the triad bandwidth), or ``-``."""
    value = row.throughput(system)
    if value is None:
        return "-"
    text = f"{value:.1f} {row.rate}"
    if row.rate == "GB/s" and triad_gbps:
        text += f" ({100 * value / triad_gbps:.0f}%)"
    peak = (peaks or {}).get("f64" if row.size.endswith("f64") else "f32")
    if row.rate == "GFLOP/s" and peak:
        text += f" ({100 * value / peak:.0f}% of peak)"
    return text


def _align(header: list[str], lines: list[list[str]], left: int) -> list[str]:
    """Columns padded to a common width; the first ``left`` columns left-aligned."""
    widths = [max(len(c) for c in col) for col in zip(header, *lines)]

    def join(cells: list[str]) -> str:
        return "  ".join(c.ljust(w) if i < left else c.rjust(w)
                         for i, (c, w) in enumerate(zip(cells, widths))).rstrip()

    out = [join(header)]
    return [out[0], "-" * len(out[0]), *map(join, lines)]


def format_table(rows: list[Row], peers: list[str], triad_gbps: float | None,
                 peaks: dict[str, float] | None = None) -> str:
    """Plain-text table: one line per workload, peers in extra columns, tracejit's
    throughput last."""
    header = ["workload", "size", "numpy ms", "tracejit ms", "speedup", "kernels", "compile ms", "check"]
    for p in peers:
        header += [f"{p} ms", f"{p} x"]
    header.append("tracejit rate")
    lines = []
    for row in rows:
        jit = row.systems[JIT]
        cells = [row.name, row.size, _fmt_ms(row.systems[EAGER]), _fmt_ms(jit), _fmt_ratio(row, JIT),
                 "-" if row.kernels is None else str(row.kernels),
                 "-" if row.compile_ms is None else f"{row.compile_ms:.0f}", jit.status]
        for p in peers:
            cells += [_fmt_ms(row.systems[p]), _fmt_ratio(row, p)]
        cells.append(fmt_rate(row, JIT, triad_gbps, peaks))
        lines.append(cells)
    return "\n".join(_align(header, lines, 2))


def format_rates(rows: list[Row], triad_gbps: float | None, peaks: dict[str, float] | None = None) -> str:
    """Every system's throughput on the workloads that have one."""
    lines = []
    for row in rows:
        if row.rate is None:
            continue
        cells = [f"{name} {fmt_rate(row, name, triad_gbps, peaks).replace(' ' + row.rate, '')}"
                 for name in row.systems if row.throughput(name) is not None]
        lines.append(f"  {row.name:<16} {row.rate:<8} {', '.join(cells)}")
    return "\n".join(lines)


def format_notes(rows: list[Row]) -> str:
    """Failure and error messages, one line each."""
    return "\n".join(f"  {row.name} / {name}: {r.status}: {r.message}" for row in rows
                     for name, r in row.systems.items() if r.status in ("FAIL", "ERROR"))


def write_json(path: str, **content: Any) -> None:
    """Write ``content`` (dataclasses become dicts) as JSON."""
    def default(obj: Any) -> Any:
        return asdict(obj) if hasattr(obj, "__dataclass_fields__") else str(obj)

    with open(path, "w") as f:
        json.dump(content, f, indent=1, default=default)
    print(f"wrote {path}", file=sys.stderr)


def write_plot(rows: list[Row], systems: list[str], path: str, title: str) -> None:
    """Bar chart of speedups over NumPy (log scale), one group per workload and one bar
    per system; a system that is wrong or raised gets a red x, one that cannot express
    the workload no bar (needs matplotlib)."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print(f"matplotlib is not installed; not writing {path}", file=sys.stderr)
        return
    width, any_bad = 0.8 / len(systems), False
    fig, ax = plt.subplots(figsize=(min(18.0, 3 + 0.28 * len(rows) * len(systems)), 6))
    for i, system in enumerate(systems):
        xs = [j + (i - (len(systems) - 1) / 2) * width for j in range(len(rows))]
        status = [row.systems[system].status for row in rows]
        heights = [(row.speedup(system) or 0) if s == "ok" else 0 for row, s in zip(rows, status)]
        bars = ax.bar(xs, heights, width, label=system)
        bad = [x for x, s in zip(xs, status) if s in ("FAIL", "ERROR")]
        if bad:
            ax.plot(bad, [1.0] * len(bad), "x", color="red", markersize=8,
                    label=None if any_bad else "wrong result or error")
            any_bad = True
        ax.bar_label(bars, [f"{h:.2g}" if h else "" for h in heights], fontsize=6, rotation=90, padding=2)
    ax.axhline(1.0, color="black", linewidth=0.8)
    ax.set_yscale("log")
    ax.set_xticks(range(len(rows)), [f"{row.name}\n{row.size}" for row in rows], rotation=35,
                  ha="right", fontsize=8)
    ax.set_ylabel("speedup over NumPy (x, log scale)")
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    print(f"wrote {path}", file=sys.stderr)
