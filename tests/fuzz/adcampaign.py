"""The autodiff fuzzer's campaign (``python -m tests.fuzz --grad [--kind f64,f32,complex,hvp]``):
programs of ``adgen.py`` of each kind in turn, checked by ``adcheck.py`` (first derivatives) or
``adsecond.py`` (second), in one process; a repro file per bug or refusal under ``--out``.
"""
from __future__ import annotations

import collections
import tempfile
import time
from pathlib import Path

from tests.fuzz.adcheck import BUGS, check
from tests.fuzz.adgen import ADProgram, generate_ad
from tests.fuzz.adsecond import check_second


def verdict(program: ADProgram, directory: str, use_jax: bool = True, timeout: float = 60.0) -> dict:
    """The check of ``program``'s kind: second derivatives for ``hvp``, else first derivatives."""
    run = check_second if program.kind == "hvp" else check
    return run(program, directory, use_jax, timeout)


def campaign(seed: int, programs: int | None, minutes: float | None, out: Path, use_jax: bool = True,
             timeout: float = 60.0, kinds: tuple = ("f64",)) -> int:
    """Run a campaign in this process (program ``k`` of kind ``kinds[k % len(kinds)]``); write a
    repro per bug under ``out``; the number of bugs."""
    out.mkdir(parents=True, exist_ok=True)
    counts: collections.Counter = collections.Counter()
    per_kind: collections.Counter = collections.Counter()
    buckets: dict[str, list[int]] = collections.defaultdict(list)
    features: collections.Counter = collections.Counter()
    deadline = time.monotonic() + minutes * 60 if minutes else None
    k = 0
    with tempfile.TemporaryDirectory() as directory:
        while (programs is None or k < programs) and (deadline is None or time.monotonic() < deadline):
            program = generate_ad(seed * 1_000_000 + k, kinds[k % len(kinds)])
            k += 1
            try:
                result = verdict(program, directory, use_jax, timeout)
            except KeyboardInterrupt:
                break
            counts[result["class"]] += 1
            per_kind[program.kind] += 1
            if k % 50 == 0:
                print(f"[{k}] " + ", ".join(f"{c} {n}" for c, n in counts.most_common()), flush=True)
            features.update(program.features)
            if result["class"] in BUGS or result["class"] in ("generator-error", "unsupported", "nonfinite-grad"):
                key = f"{result['class']}: {result.get('message', '')[:90]}"
                buckets[key].append(program.seed)
                header = "\n".join([f"{result['class']}: {result.get('message', '')}", result.get("traceback", "")])
                (out / f"ad_{program.kind}_{program.seed}.py").write_text(program.module_source() + '\n\n"""\n' +
                                                           header.replace('"""', "'''") + '\n"""\n')
    kinds_seen = ", ".join(f"{n} {c}" for c, n in per_kind.items())
    print(f"{k} programs ({kinds_seen}): " + ", ".join(f"{c} {n}" for c, n in counts.most_common()))
    print("features: " + ", ".join(f"{c} {n}" for c, n in sorted(features.items())))
    for key, seeds in sorted(buckets.items(), key=lambda kv: -len(kv[1])):
        print(f"  {len(seeds):>4}  {key}\n        seeds {seeds[:6]}")
    return sum(counts[c] for c in BUGS)
