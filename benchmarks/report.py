"""Reporting: the table with the fastest peer per workload, every peer's figures, the
throughput block, problem notes and JSON."""
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


def fastest_peer(row: Row, peers: list[str]) -> str | None:
    """The peer with the lowest median among those that gave a correct result on ``row``."""
    timed = [p for p in peers if p in row.systems and row.systems[p].status == "ok"]
    return min(timed, key=lambda p: row.systems[p].median_ms) if timed else None


def _fmt_x(ratio: float | None) -> str:
    return "-" if ratio is None else f"{ratio:.2f}x"


def format_table(rows: list[Row], peers: list[str], triad_gbps: float | None,
                 peaks: dict[str, float] | None = None) -> str:
    """Plain-text table: one line per workload: NumPy's and tracejit's medians, tracejit's
    speedup over NumPy, the fastest peer with its median and tracejit's speedup over it
    (> 1: tracejit faster), then tracejit's kernels, result check and throughput."""
    header = ["workload", "size", "numpy ms", "tracejit ms", "vs numpy", "fastest peer", "peer ms", "vs peer",
              "kernels", "check", "tracejit rate"]
    lines = []
    for row in rows:
        jit = row.systems[JIT]
        best = fastest_peer(row, peers)
        cells = [row.name, row.size, _fmt_ms(row.systems[EAGER]), _fmt_ms(jit), _fmt_ratio(row, JIT),
                 best or ("-" if peers else "(none run)"), _fmt_ms(row.systems[best]) if best else "-",
                 _fmt_x(row.ratio(JIT, best)) if best else "-",
                 "-" if row.kernels is None else str(row.kernels), jit.status, fmt_rate(row, JIT, triad_gbps, peaks)]
        lines.append(cells)
    return "\n".join(_align(header, lines, 2))


def format_peers(rows: list[Row], peers: list[str]) -> str:
    """Every peer's median and speedup over NumPy, one line per workload ("-": the peer
    cannot express the workload; FAIL/ERROR: wrong result or raised)."""
    header = ["workload", "numpy ms", "tracejit ms"] + [c for p in peers for c in (f"{p} ms", f"{p} x")]
    lines = []
    for row in rows:
        cells = [row.name, _fmt_ms(row.systems[EAGER]), _fmt_ms(row.systems[JIT])]
        for p in peers:
            cells += [_fmt_ms(row.systems[p]), _fmt_ratio(row, p)]
        lines.append(cells)
    return "\n".join(_align(header, lines, 1))


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
