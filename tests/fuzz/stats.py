"""What the generator emits: ops, statement kinds, dtypes, layouts over N programs
(``python -m tests.fuzz --stats N``), to check coverage and tune weights."""
from __future__ import annotations

import collections

from tests.fuzz.control import Cond, Fori, While
from tests.fuzz.exprs import Expr
from tests.fuzz.program import generate
from tests.fuzz.stmts import Assign, ForLoop, Inplace, Raising


def _exprs(value):
    if isinstance(value, Expr):
        yield value
        for a in value.args:
            yield from _exprs(a)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _exprs(v)
    elif hasattr(value, "__dict__") and not isinstance(value, type):
        for v in vars(value).values():
            yield from _exprs(v)


def _kind(stmt) -> str:
    if isinstance(stmt, Inplace):
        return f"inplace:{stmt.form}{'-mask' if isinstance(stmt.index, Expr) else ''}{stmt.aug and ':aug'}"
    return {Assign: "assign", ForLoop: "for", Fori: "fori_loop", While: "while_loop", Cond: "cond",
            Raising: "raising"}.get(type(stmt), type(stmt).__name__)


def stats(n: int, seed: int = 0) -> str:
    """A text report over ``n`` programs of campaign ``seed``."""
    ops, groups, kinds, dtypes, layouts, args = (collections.Counter() for _ in range(6))
    for k in range(n):
        p = generate(seed * 1_000_000 + k)
        for spec in p.specs[0]:
            args[spec["kind"]] += 1
            if spec["kind"] == "array":
                dtypes[spec["dtype"]] += 1
                layouts[spec["layout"]] += 1
        stack = list(p.stmts)
        while stack:
            stmt = stack.pop()
            kinds[_kind(stmt)] += 1
            if isinstance(stmt, ForLoop):
                stack += stmt.body
            for e in _exprs(stmt):
                if e.op is not None:
                    ops[e.op.name] += 1
                    groups[e.op.group] += 1
    from tests.fuzz.ops import ALL_OPS
    never = sorted({op.name for op in ALL_OPS} - set(ops))
    parts = [f"{n} programs", "statements: " + ", ".join(f"{k} {v}" for k, v in kinds.most_common()),
             "op groups: " + ", ".join(f"{k} {v}" for k, v in groups.most_common()),
             "arguments: " + ", ".join(f"{k} {v}" for k, v in args.most_common()),
             "dtypes: " + ", ".join(f"{k} {v}" for k, v in dtypes.most_common()),
             "layouts: " + ", ".join(f"{k} {v}" for k, v in layouts.most_common()),
             "ops: " + ", ".join(f"{k} {v}" for k, v in ops.most_common()),
             "ops never drawn: " + (", ".join(never) or "none")]
    return "\n".join(parts)
