"""Small builders of the AST the transform generates: every generated node takes the
source position of the user's statement it comes from (tracebacks and
``frontend.context.user_location`` then name the user's lines, never generated code)."""
from __future__ import annotations

import ast
import itertools
from collections.abc import Iterable

AG = "__tj_ag__"  # the free variable converted code reads the runtime from
_POSITION = ("lineno", "col_offset", "end_lineno", "end_col_offset")
_counter = itertools.count()


def located(node: ast.AST, origin: ast.AST) -> ast.AST:
    """``node`` and its generated descendants placed at ``origin``'s position."""
    for n in ast.walk(node):
        if "lineno" in n._attributes and getattr(n, "lineno", None) is None:
            for attr in _POSITION:
                setattr(n, attr, getattr(origin, attr, None) or (0 if "col" in attr else origin.lineno))
    return node


def fresh(stem: str) -> str:
    """A new name for a generated variable or function (unique in the process)."""
    return f"__tj_{stem}_{next(_counter)}"


def load(name: str) -> ast.Name:
    """``name`` read."""
    return ast.Name(id=name, ctx=ast.Load())


def store(name: str) -> ast.Name:
    """``name`` assigned."""
    return ast.Name(id=name, ctx=ast.Store())


def assign(name: str, value: ast.expr) -> ast.Assign:
    """``name = value``."""
    return ast.Assign(targets=[store(name)], value=value)


def runtime(fn: str, args: list[ast.expr], keywords: Iterable[ast.keyword] = ()) -> ast.Call:
    """``__tj_ag__.fn(*args)``."""
    return ast.Call(func=ast.Attribute(value=load(AG), attr=fn, ctx=ast.Load()), args=args, keywords=list(keywords))


def constant(value: object) -> ast.expr:
    """A literal (a tuple of strings, a dict of constants, a number...)."""
    if isinstance(value, tuple):
        return ast.Tuple(elts=[constant(v) for v in value], ctx=ast.Load())
    if isinstance(value, dict):
        return ast.Dict(keys=[ast.Constant(k) for k in value], values=[constant(v) for v in value.values()])
    return ast.Constant(value)


def lambda_(body: ast.expr) -> ast.Lambda:
    """``lambda: body``."""
    return ast.Lambda(args=no_arguments(), body=body)


def no_arguments(*names: str) -> ast.arguments:
    """A parameter list of plain positional ``names``."""
    return ast.arguments(posonlyargs=[], args=[ast.arg(arg=n) for n in names], vararg=None, kwonlyargs=[],
                         kw_defaults=[], kwarg=None, defaults=[])


def function(name: str, body: list[ast.stmt], params: tuple[str, ...] = (), glob: Iterable[str] = (),
             nonloc: Iterable[str] = ()) -> ast.FunctionDef:
    """``def name(params): global ...; nonlocal ...; body``."""
    head: list[ast.stmt] = []
    if glob:
        head.append(ast.Global(names=sorted(glob)))
    if nonloc:
        head.append(ast.Nonlocal(names=sorted(nonloc)))
    return ast.FunctionDef(name=name, args=no_arguments(*params), body=head + (body or [ast.Pass()]),
                           decorator_list=[], returns=None, type_comment=None)


def not_flag(flag: str) -> ast.expr:
    """``not flag``."""
    return ast.UnaryOp(op=ast.Not(), operand=load(flag))


def guarded(stmts: list[ast.stmt], jumped: callable, flag: str) -> list[ast.stmt]:
    """``stmts`` where every statement after one for which ``jumped(stmt)`` holds runs only
    under ``if not flag:`` (the statements after a converted ``return``/``break``/``continue``)."""
    for k, s in enumerate(stmts):
        if jumped(s) and k + 1 < len(stmts):
            rest = guarded(stmts[k + 1:], jumped, flag)
            guard = located(ast.If(test=not_flag(flag), body=rest, orelse=[]), stmts[k + 1])
            return stmts[:k + 1] + [guard]
    return stmts
