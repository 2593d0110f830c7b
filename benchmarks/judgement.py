"""The issue's acceptance criteria, judged on the measured rows.

Each criterion compares tracejit on one workload with a baseline: the fastest installed
peer, jax.jit, NumPy, or the STREAM triad bandwidth. A ratio is baseline time over
tracejit time (>= 1: tracejit at least as fast), or for bandwidth the fraction of the
triad figure. Workloads not run (``--only``) are left out; missing peers give ``n/a``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from benchmarks.report import fastest_peer
from benchmarks.runner import EAGER, JIT, Row

Against = Literal["fastest peer", "jax", "jax or torch", "numpy", "triad"]
JAX_OR_TORCH = ("jax", "torch", "torch-eager")
NOISE = 0.05  # ratios this close to the threshold are within the run-to-run noise


@dataclass(frozen=True)
class Criterion:
    """tracejit on ``workload`` must reach ``threshold`` against ``against``."""

    workload: str
    label: str
    against: Against
    threshold: float
    judged: bool = True  # False: printed for reference ("info"), not one of the criteria


CRITERIA = [
    Criterion("sin_exp_1e7", "elementwise 1e7 f32 >= fastest peer", "fastest peer", 1.0),
    Criterion("sin_exp_f64", "elementwise 1e7 f64 >= fastest peer", "fastest peer", 1.0),
    Criterion("mul_add", "a*b+c*d 1e7 >= fastest peer", "fastest peer", 1.0),
    Criterion("gelu", "GELU 1e7 >= fastest peer", "fastest peer", 1.0),
    Criterion("softmax", "softmax >= jax.jit", "jax", 1.0),
    Criterion("layernorm", "layernorm >= jax.jit", "jax", 1.0),
    Criterion("sum_squares", "sum of squares >= jax.jit", "jax", 1.0),
    Criterion("matmul_1024", "matmul 1024^3 f32 >= 0.95x NumPy BLAS", "numpy", 0.95),
    Criterion("matmul_4096x512", "matmul 4096x512x512 f32 >= 0.95x NumPy BLAS", "numpy", 0.95),
    Criterion("matmul_f64", "matmul 1024^3 f64 >= 0.95x NumPy BLAS", "numpy", 0.95),
    Criterion("mlp", "MLP >= NumPy eager", "numpy", 1.0),
    Criterion("matmul_256x1024", "matmul 256x1024x1024 f32 >= 0.95x NumPy BLAS", "numpy", 0.95),
    Criterion("matmul_64x784", "matmul 64x784x512 f32 >= 0.95x NumPy BLAS", "numpy", 0.95),
    Criterion("matvec_1024", "vector-matrix 1x1024x1024 f32 >= 0.95x NumPy BLAS", "numpy", 0.95),
    Criterion("mlp_784", "MLP 784-512-256-10 batch 16, weights as arguments >= NumPy", "numpy", 1.0),
    Criterion("matmul_mixed", "mixed-dtype matmul (f32 x f64 weights) >= NumPy", "numpy", 1.0),
    Criterion("sin_exp_1e7", "elementwise 1e7 f32 >= 70% of STREAM triad", "triad", 0.7),
    # The issue asks 70% of the triad of the float32 case; the float64 case does twice
    # the math per byte (half the lanes, longer polynomials), so it is shown, not judged.
    Criterion("sin_exp_f64", "elementwise 1e7 f64 vs STREAM triad", "triad", 0.7, judged=False),
    Criterion("mul_add", "a*b+c*d 1e7 >= 70% of STREAM triad", "triad", 0.7),
    # issue 4 (optimizer): against the fastest of jax.jit, torch.compile and torch eager
    Criterion("softmax", "softmax >= jax.jit and torch", "jax or torch", 1.0),
    Criterion("layernorm", "layernorm >= jax.jit and torch", "jax or torch", 1.0),
    # issue 4 (layout): a transposed operand is read in tiles
    Criterion("transpose_add", "transpose-add 4096^2 >= 2x NumPy", "numpy", 2.0),
]


@dataclass
class Verdict:
    """A criterion's outcome: PASS, FAIL or n/a, the ratio and how it was obtained."""

    criterion: Criterion
    outcome: str
    ratio: float | None
    detail: str


def judge(c: Criterion, row: Row, peers: list[str], triad_gbps: float | None) -> Verdict:
    """Judge one criterion on its row ("info" instead of PASS/FAIL when not judged)."""
    v = _judge(c, row, peers, triad_gbps)
    if not c.judged and v.outcome in ("PASS", "FAIL"):
        v.outcome = "info"
    return v


def _judge(c: Criterion, row: Row, peers: list[str], triad_gbps: float | None) -> Verdict:
    jit = row.systems[JIT]
    if jit.status != "ok":
        return Verdict(c, "FAIL", None, f"tracejit {jit.status}: {jit.message}")
    if c.against == "triad":
        gbps = row.throughput(JIT)
        if not triad_gbps or gbps is None:
            return Verdict(c, "n/a", None, "no triad figure")
        ratio = gbps / triad_gbps
        return Verdict(c, "PASS" if ratio >= c.threshold else "FAIL", ratio,
                       f"{100 * ratio:.0f}% ({gbps:.1f} of {triad_gbps:.1f} GB/s)")
    baseline = {"fastest peer": fastest_peer(row, peers), "jax": "jax", "numpy": EAGER,
                "jax or torch": fastest_peer(row, [p for p in peers if p in JAX_OR_TORCH])}[c.against]
    ratio = row.ratio(JIT, baseline) if baseline else None
    if ratio is None:
        if c.against == "fastest peer":
            why = "no peer run (none installed, or --no-peers)" if not peers else "no peer gave a correct result"
        elif c.against == "jax" and "jax" not in peers:
            why = "jax not run (not installed, or --no-peers)"
        elif c.against == "jax or torch" and not set(peers) & set(JAX_OR_TORCH):
            why = "neither jax nor torch run (not installed, or --no-peers)"
        else:
            why = f"{baseline} gave no correct result"
        return Verdict(c, "n/a", None, why)
    detail = f"{ratio:.2f}x vs {baseline}" + (" (fastest peer)" if c.against == "fastest peer" else
                                              " (the faster)" if c.against == "jax or torch" else "")
    if row.rate == "GFLOP/s":
        detail += f" ({row.throughput(JIT):.0f} vs {row.throughput(baseline):.0f} GFLOP/s)"
    return Verdict(c, "PASS" if ratio >= c.threshold else "FAIL", ratio, detail)


def judge_all(rows: list[Row], peers: list[str], triad_gbps: float | None) -> list[Verdict]:
    """Verdicts of the criteria whose workload was run."""
    by_name = {row.name: row for row in rows}
    return [judge(c, by_name[c.workload], peers, triad_gbps) for c in CRITERIA if c.workload in by_name]


WORDS = {"PASS": "met", "FAIL": "missed", "n/a": "not measured", "info": "for reference"}


def goal(c: Criterion) -> str:
    """The criterion in words: ``tracejit at least as fast as jax.jit``."""
    if c.against == "triad":
        return f"tracejit reaches {100 * c.threshold:.0f}% of the memory bandwidth (STREAM triad)"
    whom = {"fastest peer": "the fastest other library", "jax": "jax.jit", "jax or torch": "jax.jit and torch",
            "numpy": "NumPy"}[c.against]
    if c.threshold == 1.0:
        return f"tracejit at least as fast as {whom}"
    return f"tracejit at least {c.threshold:g}x the speed of {whom}"


def format_verdicts(verdicts: list[Verdict], quick: bool) -> str:
    """The targets the issues set, one line each: met, missed or not measured, with the figure."""
    lines = ["targets set by the issues (speed ratio = other system's time / tracejit's, above 1: tracejit faster):"]
    if quick:
        lines.append("  (quick run: small inputs, not the targets' sizes; 'met'/'missed' only say where this run fell)")
    width = max((len(v.criterion.workload) for v in verdicts), default=0)
    for v in verdicts:
        near = v.outcome != "info" and v.ratio is not None and abs(v.ratio / v.criterion.threshold - 1) < NOISE
        what = f"{v.criterion.workload:<{width}}  {goal(v.criterion)}"
        lines.append(f"  {WORDS[v.outcome]:<13} {what}: {v.detail}{' (within the noise)' if near else ''}")
    counts = {w: sum(WORDS[v.outcome] == w for v in verdicts) for w in ("met", "missed", "not measured")}
    lines.append("  " + ", ".join(f"{n} {w}" for w, n in counts.items() if n))
    return "\n".join(lines)


def check_lines(checks: list[tuple[str, bool, str]], quick: bool,
                words: tuple[str, str] = ("met", "missed")) -> list[str]:
    """One line per ``(label, met, detail)`` target of a section: ``met`` or ``missed``; in
    a ``--quick`` run (small sizes: where the small run fell, not a verdict) ``words`` in parentheses."""
    lines = []
    for label, met, detail in checks:
        verdict = (words[0] if met else words[1]) if quick else ("met" if met else "missed")
        lines.append(f"  {f'({verdict})' if quick else verdict:<9} {label}: {detail}")
    return lines
