"""Minimizing a failing program: drop returns, calls and statements while it still fails
the same way (delta debugging, one element at a time, to a fixpoint or a time budget).

A candidate must still run eagerly (replayed from fresh inputs, its error bounds
recomputed) and give the same class -- and, for exceptions, the same exception type --
in a worker subprocess (a fresh one for crashes and hangs).
"""
from __future__ import annotations

import copy
import re
import time
from pathlib import Path
from typing import Callable

from tests.fuzz.exprs import Expr
from tests.fuzz.program import Program, check_rendered, compute_expect, replay
from tests.fuzz.stmts import Assign, ForLoop, Inplace


def signature(verdict: dict) -> str:
    """What must stay the same while reducing: the class, and an exception's type."""
    cls = verdict.get("class", "")
    msg = verdict.get("message", "")
    if cls in ("internal-error", "wrong-exception", "unsupported"):
        m = re.search(r"jit raised ([\w.]+)", msg) or re.match(r"([\w.]+):", msg)
        return f"{cls}:{m.group(1) if m else ''}"
    return cls


def rebuild(p: Program, stmts: list, returns: list[str], specs: list) -> Program | None:
    """A variant of ``p``, replayed eagerly to recompute its bounds; None if it no longer runs."""
    form = p.form if len(returns) > 1 or p.form != "single" else "single"
    q = Program(p.seed, p.arg_names, specs, stmts, returns, form)
    try:
        st = replay(q.arg_names, specs, stmts)
    except Exception:  # noqa: BLE001
        return None
    defined = set(st.order)
    q.returns = [r for r in returns if r in defined]
    if not q.returns:
        return None
    if q.form == "single" and len(q.returns) > 1:
        q.form = "tuple"
    q.expect = compute_expect(q, st)
    return q if check_rendered(q, st) else None


def minimize(p: Program, verdict: dict, run: Callable[[str], dict], budget_s: float = 120.0) -> tuple[Program, dict]:
    """The smallest variant of ``p`` found within the budget that fails like ``verdict``."""
    want = signature(verdict)
    deadline = time.monotonic() + budget_s
    best, best_verdict = p, verdict

    def fails(q: Program | None) -> bool:
        nonlocal best_verdict
        if q is None or time.monotonic() > deadline:
            return False
        v = run(q.module_source())
        if signature(v) == want:
            best_verdict = v
            return True
        return False

    call = verdict.get("call")
    if isinstance(call, int) and call + 1 < len(p.specs):  # calls after the failing one
        q = rebuild(best, best.stmts, best.returns, best.specs[:call + 1])
        if fails(q):
            best = q
    if isinstance(call, int) and call > 0:  # the failing call alone (no earlier trace)
        q = rebuild(best, best.stmts, best.returns, best.specs[call:call + 1])
        if fails(q):
            best = q
    for name in reversed(_defined(best)):  # one returned value, as early as possible
        if time.monotonic() > deadline:
            break
        if best.returns == [name]:
            break
        q = rebuild(best, best.stmts, [name], best.specs)
        if fails(q):
            best = q
    for size in (8, 4, 2):  # chunks of statements first
        i = len(best.stmts) - size
        while i >= 0 and time.monotonic() < deadline:
            q = rebuild(best, best.stmts[:i] + best.stmts[i + size:], best.returns, best.specs)
            if fails(q):
                best = q
            i -= size
    changed = True
    while changed and time.monotonic() < deadline:
        changed = False
        q = drop_unused_args(best)
        if q is not None and fails(q):
            best, changed = q, True
        for k in range(len(best.returns)):
            if len(best.returns) > 1:
                q = rebuild(best, best.stmts, best.returns[:k] + best.returns[k + 1:], best.specs)
                if fails(q):
                    best, changed = q, True
                    break
        for i in reversed(range(len(best.stmts))):
            if time.monotonic() > deadline:
                break
            if i >= len(best.stmts):
                continue
            q = rebuild(best, best.stmts[:i] + best.stmts[i + 1:], best.returns, best.specs)
            if fails(q):
                best, changed = q, True
                continue
            stmt = best.stmts[i]
            if isinstance(stmt, ForLoop) and len(stmt.body) > 1:
                for j in range(len(stmt.body)):
                    loop = copy.copy(stmt)
                    loop.body = stmt.body[:j] + stmt.body[j + 1:]
                    q = rebuild(best, best.stmts[:i] + [loop] + best.stmts[i + 1:], best.returns, best.specs)
                    if fails(q):
                        best, changed = q, True
                        break
        for i, stmt in enumerate(best.stmts):  # v2 = v1 ... v2 ... -> ... v1 ...
            if changed or time.monotonic() > deadline:
                break
            if isinstance(stmt, Assign) and stmt.expr.leaf is not None and re.fullmatch(r"[av]\d+", stmt.expr.leaf):
                rest = [rename(s, stmt.target, stmt.expr.leaf) for s in best.stmts[i + 1:]]
                returns = [stmt.expr.leaf if r == stmt.target else r for r in best.returns]
                q = rebuild(best, best.stmts[:i] + rest, list(dict.fromkeys(returns)), best.specs)
                if fails(q):
                    best, changed = q, True
        if not changed:
            for i, stmt in enumerate(best.stmts):
                if time.monotonic() > deadline or changed:
                    break
                for smaller in stmt_variants(stmt):
                    q = rebuild(best, best.stmts[:i] + [smaller] + best.stmts[i + 1:], best.returns, best.specs)
                    if fails(q):
                        best, changed = q, True
                        break
    return best, best_verdict


def rename(stmt, old: str, new: str):
    """A copy of a statement reading variable ``new`` where it read ``old``."""
    pattern = re.compile(rf"\b{old}\b")

    def walk(value):
        if isinstance(value, Expr):
            out = Expr(value.op, [walk(a) for a in value.args], {k: walk(v) for k, v in value.params.items()},
                       pattern.sub(new, value.leaf) if value.leaf is not None else None)
            return out
        if isinstance(value, str):
            return pattern.sub(new, value)
        if isinstance(value, list):
            return [walk(v) for v in value]
        if isinstance(value, tuple):
            return tuple(walk(v) for v in value)
        if hasattr(value, "__dict__") and not isinstance(value, type):
            twin = copy.copy(value)
            for key, item in vars(value).items():
                if key not in ("targets", "target") or isinstance(value, Inplace):
                    setattr(twin, key, walk(item))
            return twin
        return value
    return walk(stmt)


def _defined(p: Program) -> list[str]:
    out: list[str] = []
    for stmt in p.stmts:
        out += sorted(n for n in stmt.defines() if n.startswith("v"))
    return out


def expr_variants(e: Expr):
    """Trees with one op node replaced by one of its operands (smaller expressions)."""
    if e.leaf is not None:
        return
    for child in e.args:
        yield child
    for k, child in enumerate(e.args):
        for v in expr_variants(child):
            yield Expr(e.op, e.args[:k] + [v] + e.args[k + 1:], e.params)


def stmt_variants(stmt):
    """Copies of an assignment or write with a smaller expression."""
    if isinstance(stmt, Assign):
        for v in expr_variants(stmt.expr):
            yield Assign(stmt.target, v)
    elif isinstance(stmt, Inplace) and stmt.value is not None and stmt.form != "out":
        for v in expr_variants(stmt.value):
            smaller = copy.copy(stmt)
            smaller.value = v
            yield smaller


def drop_unused_args(p: Program) -> Program | None:
    """``p`` without the arguments no statement reads (aliases of used ones kept)."""
    used = set(p.returns)
    for stmt in p.stmts:
        used |= stmt.uses()
    keep = [i for i, n in enumerate(p.arg_names) if n in used]
    for i in list(keep):
        of = p.specs[0][i].get("of")
        if of is not None and of not in keep:
            keep.append(of)
    keep.sort()
    if len(keep) == len(p.arg_names):
        return None
    remap = {old: new for new, old in enumerate(keep)}
    specs = []
    for row in p.specs:
        new_row = []
        for i in keep:
            spec = dict(row[i])
            if "of" in spec:
                spec["of"] = remap[spec["of"]]
            new_row.append(spec)
        specs.append(new_row)
    q = Program(p.seed, [p.arg_names[i] for i in keep], specs, p.stmts, p.returns, p.form)
    return rebuild(q, q.stmts, q.returns, specs)


def make_runner(pool_run: Callable[[str], dict], fresh: Callable[[str], dict], verdict: dict) -> Callable[[str], dict]:
    """Crashes and hangs are re-run in a fresh worker; the rest on a warm one."""
    return fresh if verdict.get("class") in ("crash", "hang") else pool_run


def log_dir_for(out: Path) -> Path:
    return out / "logs"
