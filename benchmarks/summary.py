"""The run's closing summary, in plain sentences: where tracejit is faster or slower than
NumPy and than the fastest other library, the corpus of real programs, first calls, the
import, wrong results and the issues' targets."""
from __future__ import annotations

import math
import statistics

from benchmarks.firstcall import GROUPS, FirstCall
from benchmarks.judgement import Verdict
from benchmarks.report import fastest_peer
from benchmarks.runner import EAGER, JIT, Row

SAME = 0.05  # speed ratios within 5% of 1 count as "about as fast" (the run-to-run noise)


def _listing(items: list[tuple[str, float]], extra: dict[str, str] | None = None, most: int = 8) -> str:
    """``a (0.80x), b (0.50x)`` slowest first, at most ``most`` of them, then ``and N more``."""
    items = sorted(items, key=lambda item: item[1])
    parts = [f"{name} ({(extra or {}).get(name, '')}{ratio:.2f}x)" for name, ratio in items[:most]]
    if len(items) > most:
        parts.append(f"and {len(items) - most} more")
    return ", ".join(parts)


def compare(ratios: dict[str, float], what: str, other: str, mean: str = "median",
            extra: dict[str, str] | None = None) -> str:
    """``tracejit is faster than NumPy on 12 of 16 workloads (median 3.4x), about as fast on
    1; slower on: a (0.80x), ...`` from tracejit's speed ratios over ``other``."""
    if not ratios:
        return f"no {what} ran on both tracejit and {other}."
    values = list(ratios.values())
    middle = statistics.median(values) if mean == "median" else math.exp(statistics.fmean(map(math.log, values)))
    faster = sum(r > 1 + SAME for r in values)
    slower = [(n, r) for n, r in ratios.items() if r < 1 - SAME]
    same = len(values) - faster - len(slower)
    text = f"tracejit is faster than {other} on {faster} of {len(values)} {what} ({mean} {middle:.2f}x)"
    if same:
        text += f", about as fast (within {100 * SAME:.0f}%) on {same}"
    return text + (f"; slower on: {_listing(slower, extra)}." if slower else "; slower on none.")


def _peer_sentence(rows: list[Row], peers: list[str]) -> str:
    if not peers:
        return "No other library was run (--no-peers, or none of numexpr, numba, jax, torch is installed)."
    ratios, who = {}, {}
    for row in rows:
        best = fastest_peer(row, peers)
        ratio = row.ratio(JIT, best) if best else None
        if ratio is not None:
            ratios[row.name], who[row.name] = ratio, f"{best}, "
    if not ratios:
        return f"No other library ({', '.join(peers)}) gave a correct result on these workloads."
    beaten = [(n, r) for n, r in ratios.items() if r < 1 - SAME]
    text = compare(ratios, "workloads", f"the fastest other library ({', '.join(peers)})")
    text = text.split("; slower on")[0] + "; "
    if beaten:
        return text + f"the fastest other library beats tracejit on: {_listing(beaten, who)}."
    return text + "no other library beats it by more than the noise."


def _first_call_sentence(calls: list[FirstCall]) -> str:
    timed = [c for c in calls if c.seconds is not None]
    if not timed:
        return ""
    slowest = max(timed, key=lambda c: c.seconds)
    middle = statistics.median(c.seconds for c in timed)
    text = (f"First calls (tracing and compiling, then one run) take {middle:.2f} s at the median over "
            f"{len(timed)} functions, {slowest.seconds:.2f} s at most ({slowest.name})")
    totals = {g: sum(c.groups.get(g, 0.0) for c in timed) for g in GROUPS}
    whole = sum(c.seconds for c in timed)
    if whole > 0 and any(totals.values()):
        words = {"trace": "tracing", "optimize": "optimizing the graph", "LLVM": "LLVM (machine code)",
                 "load": "loading"}
        shares = sorted(totals.items(), key=lambda kv: -kv[1])
        text += "; of that time " + ", ".join(f"{words[g]} takes {100 * s / whole:.0f}%" for g, s in shares)
    reused = sum(c.source == "reused" for c in timed)
    if reused:
        text += f" ({reused} of them reused code compiled earlier in the run for another size)"
    return text + "."


def summarize(rows: list[Row], peers: list[str], corpus: list[dict], calls: list[FirstCall],
              import_s: float | None, verdicts: list[Verdict], quick: bool) -> str:
    """The closing summary: one plain sentence per finding."""
    lines = []
    speedups = {r.name: r.ratio(JIT, EAGER) for r in rows}
    speedups = {n: s for n, s in speedups.items() if s is not None}
    if rows:
        lines.append(compare(speedups, "workloads", "NumPy"))
        lines.append(_peer_sentence(rows, peers))
    if corpus:
        ratios = {r["name"]: r["speedup"] for r in corpus}
        lines.append(f"On {len(corpus)} real NumPy programs, " + compare(ratios, "programs", "NumPy", "geometric mean"))
    sentence = _first_call_sentence(calls)
    if sentence:
        lines.append(sentence)
    if import_s is not None:
        lines.append(f"import tracejit takes {import_s * 1e3:.0f} ms in a fresh process (after NumPy's import).")
    bad = [f"{r.name} ({r.systems[JIT].status.lower()})" for r in rows if r.systems[JIT].status != "ok"]
    bad += [f"{r['name']} (wrong result)" for r in corpus if not r["ok"]]
    lines.append("tracejit gave a wrong result or raised on: " + ", ".join(bad) + "." if bad
                 else "Every tracejit result matched NumPy's.")
    if verdicts:
        missed = [v.criterion.workload for v in verdicts if v.outcome == "FAIL"]
        counts = [f"{n} {w}" for o, w in (("PASS", "met"), ("FAIL", "missed"), ("n/a", "not measured"))
                  if (n := sum(v.outcome == o for v in verdicts))]
        lines.append(f"Targets set by the issues: {', '.join(counts)}" +
                     (f" (missed: {', '.join(dict.fromkeys(missed))})." if missed else "."))
    if quick:
        lines.append("This was a quick run (small inputs, few repetitions): it shows that everything runs, "
                     "not how fast tracejit is at full size.")
    return "summary:\n" + "\n".join(f"  {line}" for line in lines)
