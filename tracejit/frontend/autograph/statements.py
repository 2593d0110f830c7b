"""``if``/``while``/``for`` statements as calls of ``__tj_ag__.if_stmt``/``while_stmt``/``for_stmt``.

Each statement's body (and ``else`` branch) becomes a local function that assigns the
statement's *state* (the names of the function's own scope it binds) through
``nonlocal``; ``get_state``/``set_state`` functions read and assign them all (SPEC16).
A state name that may be unassigned when the statement starts is first given an
``Undefined`` value (``try: x / except NameError: x = __tj_ag__.Undefined('x', line)``,
free when it is assigned). Statements are converted inner first; a statement of the
function's own ``append`` calls on a local list inside a converted statement becomes
``lst = __tj_ag__.list_append(lst, v)`` (the list is then state).
"""
from __future__ import annotations

import ast
from dataclasses import dataclass

from tracejit.frontend.autograph.analysis import (
    SCOPES,
    bound_names,
    comprehension_walrus,
    deleted_names,
    walk_scope,
    written_arrays,
)
from tracejit.frontend.autograph.nodes import (
    assign,
    constant,
    fresh,
    function,
    lambda_,
    load,
    located,
    not_flag,
    runtime,
    store,
)

_ITERATED = frozenset({"range", "enumerate", "zip", "reversed"})


@dataclass
class Scope:
    """The function whose statements are converted: its locals, the names it declares
    ``global``/``nonlocal``, where it is (for ``opts``)."""

    local: set
    glob: set
    nonloc: set
    filename: str
    qualname: str


def convert_block(stmts: list[ast.stmt], scope: Scope, defined: set) -> list[ast.stmt]:
    """``stmts`` with their ``if``/``while``/``for`` statements converted (``defined``: the
    names surely assigned when the block starts; updated as it goes)."""
    out: list[ast.stmt] = []
    for s in stmts:
        if isinstance(s, (ast.If, ast.While, ast.For)):
            out.extend(_statement(s, scope, set(defined)))
        elif isinstance(s, SCOPES):
            out.append(s)
        else:
            for block in ("body", "orelse", "finalbody"):
                inner = getattr(s, block, None)
                if isinstance(inner, list) and inner and isinstance(inner[0], ast.stmt):
                    setattr(s, block, convert_block(inner, scope, set(defined)))
            for handler in getattr(s, "handlers", ()):
                handler.body = convert_block(handler.body, scope, set(defined))
            out.append(s)
        defined |= surely_bound([s])
    return out


def surely_bound(stmts: list[ast.stmt]) -> set[str]:
    """Names every path through ``stmts`` assigns (a conservative answer)."""
    out: set[str] = set()
    for s in stmts:
        if isinstance(s, ast.If):
            out |= surely_bound(s.body) & surely_bound(s.orelse)
        elif isinstance(s, ast.With):
            out |= bound_names(s.items) | surely_bound(s.body)
        elif isinstance(s, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Import, ast.ImportFrom, ast.FunctionDef,
                            ast.ClassDef, ast.Expr)):
            out |= bound_names([s])
        elif isinstance(s, ast.Try) and not s.handlers:
            out |= surely_bound(s.body)
    return out


def _appends(stmts: list[ast.stmt], scope: Scope) -> list[ast.stmt]:
    """``lst.append(v)`` statements (``lst`` a local) as ``lst = __tj_ag__.list_append(lst, v)``."""
    out = []
    for s in stmts:
        call = s.value if isinstance(s, ast.Expr) else None
        if (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr == "append"
                and isinstance(call.func.value, ast.Name) and call.func.value.id in scope.local
                and len(call.args) == 1 and not call.keywords and not isinstance(call.args[0], ast.Starred)):
            name = call.func.value.id
            s = located(ast.Assign(targets=[store(name)], value=runtime("list_append", [load(name), call.args[0]])), s)
        elif not isinstance(s, SCOPES):
            for block in ("body", "orelse", "finalbody"):
                inner = getattr(s, block, None)
                if isinstance(inner, list) and inner and isinstance(inner[0], ast.stmt):
                    setattr(s, block, _appends(inner, scope))
            for handler in getattr(s, "handlers", ()):
                handler.body = _appends(handler.body, scope)
        out.append(s)
    return out


def _statement(s: ast.If | ast.While | ast.For, scope: Scope, defined: set) -> list[ast.stmt]:
    s.body = _appends(s.body, scope)
    s.orelse = _appends(s.orelse, scope)
    bound = bound_names([s]) | comprehension_walrus([s])
    state = sorted(((bound | written_arrays([s])) & scope.local) - deleted_names([s]))
    glob = bound & scope.glob
    nonloc = set(state) | (bound & scope.nonloc)
    opts = {"lineno": s.lineno, "filename": scope.filename, "function": scope.qualname}
    if isinstance(s, ast.For):
        opts["target"] = ast.unparse(s.target)
    if isinstance(s, ast.If):  # names one branch alone binds: undefined after a traced if, known before tracing
        then, other = bound_names(s.body) | written_arrays(s.body), bound_names(s.orelse) | written_arrays(s.orelse)
        opts["only_body"] = tuple(sorted((then - other) & set(state)))
        opts["only_orelse"] = tuple(sorted((other - then) & set(state)))
    inits = [_undefined_init(name, s) for name in state if name not in defined]
    getter, setter = fresh("get_state"), fresh("set_state")
    values = fresh("values")
    helpers = [
        function(getter, [ast.Return(value=ast.Tuple(elts=[load(n) for n in state], ctx=ast.Load()))]),
        function(setter, [assign_tuple(state, values)] if state else [], (values,), nonloc=state),
    ]
    common = [load(getter), load(setter), constant(tuple(state)), constant(opts)]
    if isinstance(s, ast.If):
        then, other = fresh("if_body"), fresh("else_body")
        helpers += [function(then, convert_block(s.body, scope, set(defined)), glob=glob, nonloc=nonloc),
                    function(other, convert_block(s.orelse, scope, set(defined)), glob=glob, nonloc=nonloc)]
        call = runtime("if_stmt", [s.test, load(then), load(other)] + common)
    elif isinstance(s, ast.While):
        body = fresh("loop_body")
        helpers.append(function(body, convert_block(s.body, scope, set(defined)), glob=glob, nonloc=nonloc))
        call = runtime("while_stmt", [lambda_(s.test), load(body)] + common)
    else:
        body, item = fresh("loop_body"), fresh("item")
        first = located(ast.Assign(targets=[s.target], value=load(item)), s.target)
        helpers.append(function(body, convert_block([first] + s.body, scope, set(defined)), (item,), glob=glob,
                                nonloc=nonloc))
        brk = getattr(s, "_tj_extra_test", None)
        extra = lambda_(not_flag(brk)) if brk else ast.Constant(None)
        call = runtime("for_stmt", [_iterated(s.iter), extra, load(body)] + common)
    out = inits + helpers + [ast.Expr(value=call)]
    return [located(n, s) for n in out]


def assign_tuple(names: list[str], source: str) -> ast.Assign:
    """``(a, b, ...) = source``."""
    return ast.Assign(targets=[ast.Tuple(elts=[store(n) for n in names], ctx=ast.Store())], value=load(source))


def _undefined_init(name: str, origin: ast.stmt) -> ast.Try:
    """``try: name / except NameError: name = __tj_ag__.Undefined('name', line)``."""
    fallback = assign(name, runtime("Undefined", [ast.Constant(name), ast.Constant(origin.lineno)]))
    return ast.Try(body=[ast.Expr(value=load(name))],
                   handlers=[ast.ExceptHandler(type=load("NameError"), name=None, body=[fallback])],
                   orelse=[], finalbody=[])


def _iterated(node: ast.expr) -> ast.expr:
    """A ``for`` header's iterable: a literal call of ``range``/``enumerate``/``zip``/
    ``reversed`` goes through ``__tj_ag__.iterate`` (SPEC16)."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _ITERATED:
        return located(runtime("iterate", [node.func] + [_iterated(a) for a in node.args], node.keywords), node)
    return node


__all__ = ["Scope", "constant", "convert_block", "surely_bound", "walk_scope"]
