"""``return``, ``break`` and ``continue`` inside converted statements, as flags (AutoGraph's way).

A branch or loop body becomes a function, so a jump out of it cannot stay a jump:

- ``return v`` (when some ``return`` is inside an ``if``/loop/``with``/``try``) sets
  ``__tj_do_return = True; __tj_retval = v`` (and ``break``s out of an enclosing loop);
  the statements after it run under ``if not __tj_do_return:``, and the function ends
  with ``return __tj_ag__.return_value(__tj_do_return, __tj_retval)``;
- ``break`` sets a flag the loop's test (``while``) or ``extra_test`` (``for``) reads;
  ``continue`` a flag cleared at the start of each step; the statements after either
  run under ``if not flag:``;
- a loop's ``else`` clause moves after the loop, under ``if not <break flag>:``.
"""
from __future__ import annotations

import ast

from tracejit.frontend.autograph.analysis import SCOPES, always_leaves, loop_jumps, walk_scope
from tracejit.frontend.autograph.nodes import assign, constant, fresh, guarded, load, located, not_flag, runtime

DONE, RETVAL = "__tj_do_return", "__tj_retval"
_LOOPS = (ast.For, ast.While)
_BLOCKS = ("body", "orelse", "finalbody")


def _marked(flag: str):
    """Whether a statement holds a generated assignment of ``flag`` (a jump happened)."""
    def jumped(stmt: ast.stmt) -> bool:
        return any(getattr(n, "_tj_jump", None) == flag for n in walk_scope([stmt]))
    return jumped


def _jump(flag: str, origin: ast.AST) -> ast.Assign:
    node = located(assign(flag, ast.Constant(True)), origin)
    node._tj_jump = flag
    return node


def convert_returns(fn: ast.FunctionDef) -> None:
    """Turn ``fn``'s ``return`` statements into flags when one is inside a compound statement."""
    nested = any(isinstance(s, ast.Return) for top in fn.body if not isinstance(top, ast.Return)
                 for s in walk_scope([top]))
    if not nested:
        return
    leaves = always_leaves(fn.body)
    body = _returns_block(fn.body, False)
    first = fn.body[0] if fn.body else fn
    head = [located(assign(DONE, ast.Constant(False)), first),
            located(assign(RETVAL, runtime("ReturnUnset", [ast.Constant(RETVAL)])), first)]
    last = fn.body[-1] if fn.body else fn
    tail = located(ast.Return(value=runtime("return_value", [ast.Constant(True) if leaves else load(DONE),
                                                             load(RETVAL)])), last)
    fn.body = head + body + [tail]


def _returns_block(stmts: list[ast.stmt], in_loop: bool) -> list[ast.stmt]:
    out: list[ast.stmt] = []
    jumped = _marked(DONE)
    for k, s in enumerate(stmts):
        if isinstance(s, ast.Return):
            out.append(_jump(DONE, s))
            out.append(located(assign(RETVAL, s.value or ast.Constant(None)), s))
            if in_loop:
                out.append(located(ast.Break(), s))
            return out  # what follows is dead code
        endless = _endless(s)
        if not isinstance(s, SCOPES):
            for block in _BLOCKS:
                inner = getattr(s, block, None)
                if isinstance(inner, list) and inner and isinstance(inner[0], ast.stmt):
                    looped = in_loop or (isinstance(s, _LOOPS) and block == "body")
                    setattr(s, block, _returns_block(inner, looped))
            for handler in getattr(s, "handlers", ()):
                handler.body = _returns_block(handler.body, in_loop)
        out.append(s)
        if endless and jumped(s):  # `while True:` without a `break` ends only by a `return`: what follows is dead
            out.append(located(assign(DONE, ast.Constant(True)), s))
            return out
        if not isinstance(s, SCOPES) and jumped(s):  # the rest runs if it did not return; a loop is left
            rest = _returns_block(stmts[k + 1:], in_loop)
            if in_loop:
                out.append(located(ast.If(test=not_flag(DONE), body=rest or [ast.Pass()], orelse=[ast.Break()]), s))
            elif rest:
                out.append(located(ast.If(test=not_flag(DONE), body=rest, orelse=[]), rest[0]))
            return out
    return out


def _endless(stmt: ast.stmt) -> bool:
    """Whether ``stmt`` is a ``while`` whose test is a true constant and whose body has no ``break`` of its own."""
    return isinstance(stmt, ast.While) and isinstance(stmt.test, ast.Constant) and bool(stmt.test.value) \
        and not stmt.orelse and not loop_jumps(stmt.body, (ast.Break,))


def convert_loops(stmts: list[ast.stmt]) -> list[ast.stmt]:
    """``stmts`` with the loops in their scope rewritten for ``break``/``continue``/``else``
    (inner loops first)."""
    out: list[ast.stmt] = []
    for s in stmts:
        if isinstance(s, SCOPES):
            out.append(s)
            continue
        for block in _BLOCKS:
            inner = getattr(s, block, None)
            if isinstance(inner, list) and inner and isinstance(inner[0], ast.stmt):
                setattr(s, block, convert_loops(inner))
        for handler in getattr(s, "handlers", ()):
            handler.body = convert_loops(handler.body)
        out.extend(_loop(s) if isinstance(s, _LOOPS) else [s])
    return out


def _loop(loop: ast.For | ast.While) -> list[ast.stmt]:
    before: list[ast.stmt] = []
    after: list[ast.stmt] = []
    brk = None
    if loop_jumps(loop.body, (ast.Break,)):
        brk = fresh("break")
        before.append(located(assign(brk, ast.Constant(False)), loop))
        loop.body = _flag_block(loop.body, ast.Break, brk)
        if isinstance(loop, ast.While):
            loop.test = located(ast.BoolOp(op=ast.And(), values=[not_flag(brk), loop.test]), loop.test)
        else:
            loop._tj_extra_test = brk
    if loop_jumps(loop.body, (ast.Continue,)):
        cont = fresh("continue")
        loop.body = [located(assign(cont, ast.Constant(False)), loop.body[0])] + _flag_block(
            loop.body, ast.Continue, cont)
    if loop.orelse:
        orelse, loop.orelse = loop.orelse, []
        after = [located(ast.If(test=not_flag(brk), body=orelse, orelse=[]), orelse[0])] if brk else orelse
    return before + [loop] + after


def _flag_block(stmts: list[ast.stmt], kind: type, flag: str) -> list[ast.stmt]:
    """``stmts`` with the loop's own ``kind`` jumps replaced by ``flag = True`` and the
    statements after them guarded."""
    out: list[ast.stmt] = []
    for s in stmts:
        if isinstance(s, kind):
            out.append(_jump(flag, s))
            break
        if isinstance(s, SCOPES + _LOOPS):
            out.append(s)  # (a nested loop's jumps are its own; its else clause was moved out)
            continue
        for block in _BLOCKS:
            inner = getattr(s, block, None)
            if isinstance(inner, list) and inner and isinstance(inner[0], ast.stmt):
                setattr(s, block, _flag_block(inner, kind, flag))
        for handler in getattr(s, "handlers", ()):
            handler.body = _flag_block(handler.body, kind, flag)
        out.append(s)
    return guarded(out, _marked(flag), flag)


__all__ = ["DONE", "RETVAL", "constant", "convert_loops", "convert_returns"]
