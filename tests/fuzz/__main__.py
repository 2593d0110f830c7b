"""Command line: ``python -m tests.fuzz --minutes 30 --seed 1 --workers 2 --out DIR``.

``--programs K`` runs a fixed count instead; ``--weight library=4`` draws an op group more
often (``--weight scipy=6``: SciPy calls, ``tests/fuzz/sciops.py``, off by default; ``--show``
and ``--minimize`` of such a program need the same weights); ``--grad`` fuzzes automatic
differentiation instead (``tests/fuzz/adgen.py``, ``adcheck.py``, ``adsecond.py``: one process;
``--kind f32,complex,hvp`` picks the kinds of programs);
``--replay FILE...`` runs repro files through a worker and prints their verdicts; ``--show SEED``
prints the program of a seed.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from tests.fuzz.campaign import BUGS, Campaign, shrink, write_repro
from tests.fuzz.cfgen import generate_any
from tests.fuzz.memlimit import limit_memory
from tests.fuzz.ops import GROUP_WEIGHTS
from tests.fuzz.pool import Pool, run_alone
from tests.fuzz.rnggen import generate_random


def main(argv: list[str] | None = None) -> int:
    """Run the command line; exit status 1 when a bug was found."""
    ap = argparse.ArgumentParser(prog="python -m tests.fuzz", description=__doc__)
    ap.add_argument("--minutes", type=float, help="run for this long (generation and runs)")
    ap.add_argument("--programs", type=int, help="run this many programs")
    ap.add_argument("--seed", type=int, default=0, help="campaign seed (program k: seed*1e6 + k)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--out", type=Path, default=Path("fuzz-out"), help="repros, results.jsonl, worker logs")
    ap.add_argument("--timeout", type=float, default=60.0, help="seconds per program before it is a hang")
    ap.add_argument("--minimize-minutes", type=float, default=5.0, help="time for minimizing failures afterwards")
    ap.add_argument("--replay", nargs="+", type=Path, help="run these repro files and print their verdicts")
    ap.add_argument("--control-flow", action="store_true",
                    help="only programs with Python control flow (otherwise one in three)")
    ap.add_argument("--random", action="store_true",
                    help="only programs drawing random numbers (generator arguments, captured generators, "
                         "whole-function eager fallbacks: tests/fuzz/rnggen.py)")
    ap.add_argument("--grad", action="store_true",
                    help="fuzz autodiff: random differentiable programs, tj.grad/jvp against finite differences "
                         "and jax.grad, in this process (tests/fuzz/adgen.py)")
    ap.add_argument("--kind", default="f64",
                    help="with --grad: program kinds in turn, comma-separated: f64 (float64, first derivatives), "
                         "f32 (float32 arguments), complex, hvp (second derivatives); e.g. f32,complex,hvp")
    ap.add_argument("--show", type=int, help="print the program of this seed and exit")
    ap.add_argument("--stats", type=int, metavar="N", help="print what N generated programs contain")
    ap.add_argument("--minimize", type=int, metavar="SEED", help="run and minimize the program of this seed")
    ap.add_argument("--weight", action="append", default=[], metavar="GROUP=W",
                    help="draw op group GROUP with weight W (tests/fuzz/ops.py GROUP_WEIGHTS), e.g. library=4")
    args = ap.parse_args(argv)
    for item in args.weight:  # (programs are generated in this process)
        group, _, weight = item.partition("=")
        if group not in GROUP_WEIGHTS:
            ap.error(f"--weight: unknown group {group!r} (one of {', '.join(GROUP_WEIGHTS)})")
        GROUP_WEIGHTS[group] = float(weight)
    if args.grad:
        from tests.fuzz.adcampaign import campaign as grad_campaign
        from tests.fuzz.adgen import KINDS, generate_ad
        kinds = tuple(args.kind.split(","))
        if not set(kinds) <= set(KINDS):
            ap.error(f"--kind: one or more of {', '.join(KINDS)}, comma-separated")
        if args.show is not None:
            print(generate_ad(args.show, kinds[0]).module_source())
            return 0
        if args.minutes is None and args.programs is None:
            args.programs = 100
        return 1 if grad_campaign(args.seed, args.programs, args.minutes, args.out, timeout=args.timeout,
                                  kinds=kinds) else 0
    limit_memory()  # a program that grows without bound raises MemoryError, not the OOM killer

    if args.show is not None:
        p = generate_random(args.show) if args.random else generate_any(args.show)
        print(p.module_source() if args.out != Path("fuzz-out") else p.function_source())
        return 0
    if args.stats:
        from tests.fuzz.stats import stats
        print(stats(args.stats, args.seed))
        return 0
    if args.minimize is not None:
        program = generate_random(args.minimize) if args.random else generate_any(args.minimize)
        verdict = run_alone(program.module_source(), args.out / "logs", args.timeout)
        print(f"{verdict['class']}: {verdict.get('message', '')[:300]}")
        if verdict["class"] in BUGS:
            warm = Pool(1, args.out / "logs", args.timeout)

            def on_warm(source: str) -> dict:
                got: list = []
                warm.run([{"id": 0, "source": source}], lambda job, v: got.append(v))
                return got[0]
            fresh = verdict["class"] in ("crash", "hang")
            try:
                check = (lambda src: run_alone(src, args.out / "logs", args.timeout)) if fresh else on_warm
                small, small_verdict = shrink(program, verdict, check, 300.0)
            finally:
                warm.close()
            path = write_repro(args.out, small, small_verdict, ".min", len(program.stmts))
            print(small.function_source() + f"repro: {path}")
        return 0
    if args.replay:
        bad = 0
        for path in args.replay:
            start = time.monotonic()
            verdict = run_alone(path.read_text(), args.out / "logs", args.timeout)
            print(f"{path}: {verdict['class']} (call {verdict.get('call')}, {time.monotonic() - start:.1f} s) "
                  f"{verdict.get('message', '')[:300]}")
            bad += verdict["class"] in BUGS
        return 1 if bad else 0
    if args.minutes is None and args.programs is None:
        args.programs = 100
    campaign = Campaign(args.seed, args.out, args.workers, args.timeout)
    campaign.only_cf = args.control_flow
    campaign.only_random = args.random
    print(f"fuzzing: seed {args.seed}, {args.workers} workers, "
          f"{f'{args.minutes} min' if args.minutes else f'{args.programs} programs'}, out {args.out}", flush=True)
    try:
        campaign.run(args.minutes, args.programs)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
    buckets = campaign.confirm_and_save(args.minimize_minutes) if campaign.failures else {}
    print(campaign.summary())
    if buckets:
        print(f"{len(buckets)} buckets of failures (repros in {args.out}):")
        for key, paths in sorted(buckets.items()):
            print(f"  {len([p for p in paths if not p.endswith('.min.py')]):>4}  {key}\n        {paths[-1]}")
    return 1 if any(campaign.counts.get(c) for c in BUGS) else 0


if __name__ == "__main__":
    sys.exit(main())
