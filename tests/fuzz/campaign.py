"""Campaigns: generate programs, run them on a worker pool, confirm, minimize, write repros.

Program ``k`` of a campaign with seed ``S`` has seed ``S * 1_000_000 + k``, so any
program can be regenerated (``python -m tests.fuzz --show SEED``).
"""
from __future__ import annotations

import collections
import json
import re
import time
from pathlib import Path

from tests.fuzz.cfgen import CFProgram, generate_any, generate_cf, minimize_cf
from tests.fuzz.pool import Pool, run_alone
from tests.fuzz.program import Program
from tests.fuzz.reduce import minimize, signature
from tests.fuzz.rnggen import RandomProgram, generate_random

BUGS = ("crash", "hang", "internal-error", "wrong-exception", "wrong-shape", "wrong-dtype", "wrong-value",
        "wrong-mutation", "harness-error")
ORDER = BUGS[:-1] + ("unsupported", "ok", "harness-error", "generator-error")


def program_seed(seed: int, k: int) -> int:
    return seed * 1_000_000 + k


def innermost_frame(tb: str) -> str:
    """``tracejit/path.py:function`` of the deepest tracejit frame of a traceback."""
    frames = re.findall(r'File "[^"]*/(tracejit/[^"]+)", line \d+, in (\w+)', tb or "")
    return f"{frames[-1][0]}:{frames[-1][1]}" if frames else ""


def bucket(verdict: dict) -> str:
    """A coarse de-duplication key: the class and the message without numbers and names
    (for exceptions: the type and the deepest tracejit frame)."""
    msg = verdict.get("message", "")
    if verdict.get("class") in ("internal-error", "wrong-exception"):
        kind = re.findall(r"(?:jit raised )?(builtins\.\w+|tracejit\.\w+\.\w+|\w+Error)", msg)
        frame = innermost_frame(verdict.get("traceback", ""))
        if frame:
            return f"{verdict['class']}: {kind[-1] if kind else ''} in {frame}"
    msg = re.sub(r"\(at [^)]*\)", "", msg)
    msg = re.sub(r"/\S+\.py:\d+", "FILE", msg)
    msg = re.sub(r"\b[av]\d+\b", "V", msg)
    msg = re.sub(r"np\.\w+\([^)]*\)|-?\d[\d.e+-]*", "N", msg)
    if verdict.get("class") in ("wrong-value", "wrong-mutation", "wrong-shape", "wrong-dtype"):
        msg = re.sub(r"^out[^:]*: |^argument N after the call: ", "", msg)[:60]
    return f"{verdict.get('class')}: {msg[:110]}"


def repro_header(verdict: dict, original_stmts: int | None = None) -> str:
    lines = [f"class: {verdict.get('class')}  (call {verdict.get('call')})", f"message: {verdict.get('message', '')}"]
    if original_stmts is not None:
        lines.append(f"minimized from {original_stmts} statements")
    if verdict.get("traceback"):
        lines += ["", "traceback (tail):"] + ["    " + t for t in verdict["traceback"].splitlines()[-25:]]
    return "\n".join(lines).replace('"""', "'''").replace("\\", "/")


def shrink(program, verdict: dict, run, budget_s: float) -> tuple:
    """The smallest variant of a failing program (either kind) that fails alike, and its verdict."""
    if not isinstance(program, CFProgram):
        return minimize(program, verdict, run, budget_s)
    if isinstance(program, RandomProgram):  # (not minimized: its variants would lose the holder and G)
        return program, verdict
    deadline = time.monotonic() + budget_s
    found = [verdict]

    def fails(q: CFProgram) -> bool:
        v = run(q.module_source())
        if signature(v) == signature(verdict):
            found[0] = v
            return True
        return False
    small = minimize_cf(program, fails, lambda: time.monotonic() < deadline)
    return small, found[0]


def write_repro(out: Path, program: Program | CFProgram, verdict: dict, suffix: str = "",
                original: int | None = None) -> Path:
    folder = out / verdict["class"]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"seed{program.seed}{suffix}.py"
    path.write_text(program.module_source(repro_header(verdict, original)))
    return path


class Campaign:
    """One campaign's state: counts, failures, timings."""

    def __init__(self, seed: int, out: Path, workers: int = 2, timeout: float = 60.0, verbose: bool = True):
        self.seed, self.out, self.workers, self.timeout, self.verbose = seed, out, workers, timeout, verbose
        self.only_cf = False  # every program a control-flow program (tests/fuzz/cfgen.py)
        self.only_random = False  # every program one drawing random numbers (tests/fuzz/rnggen.py)
        self.counts: collections.Counter = collections.Counter()
        self.unsupported: collections.Counter = collections.Counter()
        self.failures: list[tuple[Program, dict]] = []
        self.seconds: list[float] = []
        self.unlocated = 0
        self.started = time.monotonic()
        out.mkdir(parents=True, exist_ok=True)
        self.results = open(out / "results.jsonl", "a")

    def jobs(self, programs: int | None):
        k = 0
        while programs is None or k < programs:
            s = program_seed(self.seed, k)
            k += 1
            try:
                p = generate_random(s) if self.only_random else generate_cf(s) if self.only_cf else generate_any(s)
            except Exception as error:  # noqa: BLE001 - a generator bug: count it, go on
                self.counts["generator-error"] += 1
                self.results.write(json.dumps({"seed": s, "class": "generator-error", "message": repr(error)}) + "\n")
                continue
            yield {"id": k, "seed": s, "program": p, "source": p.module_source()}

    def on_result(self, job: dict, verdict: dict) -> None:
        cls = verdict.get("class", "?")
        self.counts[cls] += 1
        self.seconds.append(verdict.get("seconds", 0.0))
        record = {"seed": job["seed"], **{k: v for k, v in verdict.items() if k != "traceback"}}
        self.results.write(json.dumps(record, default=str) + "\n")
        self.results.flush()
        if cls == "unsupported":
            self.unsupported[re.sub(r"\(at [^)]*\)", "", verdict.get("message", ""))[:150]] += 1
            self.unlocated += not verdict.get("located", True)
        if cls in BUGS:
            verdict["bucket"] = bucket(verdict)
            verdict["repro"] = str(write_repro(self.out, job["program"], verdict))
            self.failures.append((job["program"], verdict))
            if self.verbose:
                print(f"  seed {job['seed']}: {cls}: {verdict.get('message', '')[:160]}", flush=True)

    def run(self, minutes: float | None, programs: int | None) -> None:
        pool = Pool(self.workers, self.out / "logs", self.timeout)
        deadline = time.monotonic() + 60 * minutes if minutes else None
        try:
            pool.run(self.jobs(programs), self.on_result, deadline)
        finally:
            pool.close()

    def confirm_and_save(self, minimize_minutes: float, per_bucket: int = 2) -> dict:
        """Every failure is already a repro file (written as it came). Within the time
        budget: confirm the first crashes and hangs of each bucket alone (a fresh worker,
        twice the timeout), and minimize the first ``per_bucket`` programs of each bucket.
        Returns bucket -> [repro paths]; also written to buckets.json."""
        logs = self.out / "logs"
        warm = Pool(1, logs, self.timeout)
        buckets: dict[str, list] = collections.defaultdict(list)
        deadline = time.monotonic() + 60 * minimize_minutes
        for program, verdict in self.failures:
            buckets[verdict["bucket"]].append(verdict["repro"])

        def on_warm(source: str) -> dict:
            got: list = []
            warm.run([{"id": 0, "source": source}], lambda job, v: got.append(v))
            return got[0]

        try:
            seen: collections.Counter = collections.Counter()
            for program, verdict in self.failures:
                key = verdict["bucket"]
                seen[key] += 1
                if seen[key] > per_bucket or time.monotonic() > deadline:
                    continue
                fresh = verdict["class"] in ("crash", "hang")
                if fresh:
                    again = run_alone(program.module_source(), logs, 2 * self.timeout)
                    verdict["confirmed_alone"] = again["class"] == verdict["class"]
                runner = (lambda src: run_alone(src, logs, 2 * self.timeout)) if fresh else on_warm
                budget = min(180.0, max(0.0, deadline - time.monotonic()))
                small, small_verdict = shrink(program, verdict, runner, budget)
                if len(small.function_source()) < len(program.function_source()):
                    small_verdict["confirmed_alone"] = verdict.get("confirmed_alone")
                    buckets[key].append(str(write_repro(self.out, small, small_verdict, ".min", len(program.stmts))))
        finally:
            warm.close()
        (self.out / "buckets.json").write_text(json.dumps(buckets, indent=1))
        return buckets

    def summary(self) -> str:
        total = sum(self.counts.values())
        minutes = (time.monotonic() - self.started) / 60
        lines = [f"campaign seed {self.seed}: {total} programs in {minutes:.1f} min "
                 f"(mean {sum(self.seconds) / max(len(self.seconds), 1):.2f} s per program in a worker)",
                 f"{'class':<18}{'count':>7}{'share':>8}"]
        for cls in ORDER:
            if self.counts.get(cls):
                lines.append(f"{cls:<18}{self.counts[cls]:>7}{100 * self.counts[cls] / max(total, 1):>7.1f}%")
        if self.unlocated:
            lines.append(f"  ({self.unlocated} unsupported messages do not name the user's line)")
        if self.unsupported:
            lines.append("most frequent unsupported messages:")
            lines += [f"  {n:>4}  {m}" for m, n in self.unsupported.most_common(8)]
        return "\n".join(lines)
