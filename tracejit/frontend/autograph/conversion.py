"""A user's function converted from its source: once per code object, cached.

The source (``inspect.getsource``; decorators, defaults and annotations dropped: the
copy takes them from the original) is parsed at its original line numbers and columns,
transformed (``jumps.py``, ``statements.py``, ``expressions.py``; nested functions and
lambdas as part of it) and compiled with the original file name inside a factory
``def __tj_factory__(__tj_ag__, <the original's free variables>)``, so that the
converted code's free variables are ``__tj_ag__`` (the runtime) and the original's
cells, matched by name. Functions without source, generators, coroutines and functions
the transform cannot handle are not converted (``None``: traced as written).
"""
from __future__ import annotations

import ast
import copy
import functools
import inspect
import linecache
import re
import tokenize
import types
from dataclasses import dataclass, field

from tracejit.frontend.autograph import runtime as ag_runtime
from tracejit.frontend.autograph.analysis import (
    bound_names,
    comprehension_walrus,
    declarations,
    is_generator,
    needs_conversion,
    parameters,
    private_names,
    unconvertible,
    walk_scope,
)
from tracejit.frontend.autograph.expressions import Expressions
from tracejit.frontend.autograph.jumps import convert_loops, convert_returns
from tracejit.frontend.autograph.nodes import AG, located, no_arguments, runtime
from tracejit.frontend.autograph.statements import Scope, convert_block

FACTORY, INNER = "__tj_factory__", "__tj_fn__"
_GENERATED = re.compile(r"__tj_[a-z_]+_\d+\.<locals>\.")  # a generated function in a qualified name
_FUTURE_FLAGS = 0x1000000 | 0x2000000  # (annotations, generator_stop: the flags compile() takes from the original)


@dataclass
class Converted:
    """A function's converted code, with its converted definition as an AST (shown as text on demand)."""

    code: types.CodeType
    tree: ast.FunctionDef = field(repr=False)
    qualname: str

    @functools.cached_property
    def source(self) -> str:
        """The converted function as Python source."""
        return f"# {self.qualname} (converted, {self.code.co_filename}:{self.code.co_firstlineno})\n" + ast.unparse(
            self.tree)


_cache: dict[types.CodeType, Converted | None] = {}
_outputs: set[types.CodeType] = set()  # every code object conversion made: never converted again
AG_CELL = types.CellType(ag_runtime)


def converted_code(fn: types.FunctionType) -> Converted | None:
    """``fn``'s converted code (cached per code object), or None: traced as written."""
    code = fn.__code__
    try:
        return _cache[code]
    except KeyError:
        pass
    try:
        result = None if code in _outputs else _convert(fn)
    except (SyntaxError, ValueError, RecursionError):  # code the transform cannot handle: run as written
        result = None
    _cache[code] = result
    if result is not None:
        _register(result.code)
    return result


def _register(code: types.CodeType) -> None:
    """Record ``code`` and the functions nested in it as converted (not a class body's
    methods: the transform leaves classes as they are)."""
    if not code.co_flags & inspect.CO_NEWLOCALS:  # a class body
        return
    _outputs.add(code)
    for c in code.co_consts:
        if isinstance(c, types.CodeType):
            _register(c)


def closure(converted: Converted, cells: dict[str, types.CellType]) -> tuple | None:
    """The closure of ``converted``'s code: the runtime's cell and ``cells`` by name."""
    out = []
    for name in converted.code.co_freevars:
        cell = AG_CELL if name == AG else cells.get(name)
        if cell is None:
            return None
        out.append(cell)
    return tuple(out) or None


def _source_tree(fn: types.FunctionType) -> ast.FunctionDef | None:
    code = fn.__code__
    if code.co_flags & (inspect.CO_GENERATOR | inspect.CO_COROUTINE
                                                      | inspect.CO_ASYNC_GENERATOR | inspect.CO_ITERABLE_COROUTINE):
        return None
    found = _source_lines(fn)
    if found is None:
        return None
    lines, first = found
    text = "".join(lines)
    if text[:1] in (" ", "\t"):
        text = "if 1:\n" + text  # parsed at its original columns
        first -= 1
    try:
        module = ast.parse("\n" * (first - 1) + text) if first >= 1 else None
    except SyntaxError:
        return None
    if module is None:
        return None
    if not module.body:
        return None
    if code.co_name == "<lambda>":
        return _lambda(module, code)
    body = module.body[0].body if isinstance(module.body[0], ast.If) else module.body
    for node in body:
        if isinstance(node, ast.FunctionDef) and node.name == code.co_name and min(
                [node.lineno] + [d.lineno for d in node.decorator_list]) == code.co_firstlineno:
            return node
    return None


def _source_lines(fn: types.FunctionType) -> tuple[list[str], int] | None:
    """The lines of ``fn``'s definition (decorators first) and the number of the first, read
    through ``linecache`` from its code's file and first line. (``inspect.getsourcelines`` does
    the same but first maps every loaded module to its file: 60 ms on a first call.) The cache
    entry is checked against the file first, as ``inspect`` does: a module rewritten and loaded
    again (``importlib.reload``, autoreload) was converted from its old lines."""
    code = fn.__code__
    linecache.checkcache(code.co_filename)
    lines = linecache.getlines(code.co_filename, fn.__globals__)
    start = code.co_firstlineno - 1
    if not 0 <= start < len(lines):
        return None
    try:
        return inspect.getblock(lines[start:]), start + 1
    except (IndexError, SyntaxError, tokenize.TokenError):
        return None


def _lambda(module: ast.Module, code: types.CodeType) -> ast.FunctionDef | None:
    """The lambda of ``code`` as ``def <lambda>(...): return ...`` (None unless exactly
    one lambda with its parameters starts on its line)."""
    params = code.co_varnames[:code.co_argcount + code.co_kwonlyargcount
                              + bool(code.co_flags & inspect.CO_VARARGS) + bool(code.co_flags & inspect.CO_VARKEYWORDS)]
    found = [n for n in ast.walk(module) if isinstance(n, ast.Lambda) and n.lineno == code.co_firstlineno
             and tuple(_lambda_params(n)) == params]
    if len(found) != 1:
        return None
    node = found[0]
    ret = ast.copy_location(ast.Return(value=node.body), node.body)
    return ast.copy_location(ast.FunctionDef(name="<lambda>", args=node.args, body=[ret], decorator_list=[],
                                             returns=None, type_comment=None), node)


def _lambda_params(node: ast.Lambda) -> list[str]:
    a = node.args
    names = [p.arg for p in a.posonlyargs + a.args + a.kwonlyargs]
    return names + [p.arg for p in (a.vararg, a.kwarg) if p is not None]


def _convert(fn: types.FunctionType) -> Converted | None:
    tree = _source_tree(fn)
    if tree is None or is_generator(tree) or not needs_conversion(tree) or unconvertible(tree):
        return None
    qualname = getattr(fn.__code__, "co_qualname", fn.__qualname__)  # (functools.wraps copies __qualname__)
    if private_names(tree) and "." in qualname.replace("<locals>.", ""):
        return None  # names CPython mangles inside a class: the copy would compile them unmangled
    tree.decorator_list = []
    tree.returns = None
    args = tree.args
    for a in args.posonlyargs + args.args + args.kwonlyargs + [args.vararg, args.kwarg]:
        if a is not None:
            a.annotation = None
    args.defaults, args.kw_defaults = [], [None] * len(args.kwonlyargs)
    _transform(tree, fn.__code__.co_filename, qualname)
    name, tree.name = tree.name, INNER  # (its own name inside it stays the global it was, not the factory's local)
    factory = ast.FunctionDef(
        name=FACTORY, args=ast.arguments(posonlyargs=[], args=[ast.arg(arg=AG)] + [
            ast.arg(arg=n) for n in fn.__code__.co_freevars], vararg=None, kwonlyargs=[], kw_defaults=[],
            kwarg=None, defaults=[]),
        body=[tree, ast.Return(value=ast.Name(id=INNER, ctx=ast.Load()))], decorator_list=[], returns=None)
    located(factory, tree)
    module = ast.Module(body=[factory], type_ignores=[])
    flags = fn.__code__.co_flags & _FUTURE_FLAGS
    try:
        compiled = compile(module, fn.__code__.co_filename, "exec", flags=flags, dont_inherit=True)
    finally:
        tree.name = name
    outer = next(c for c in compiled.co_consts if isinstance(c, types.CodeType))
    inner = next(c for c in outer.co_consts if isinstance(c, types.CodeType) and c.co_name == INNER)
    return Converted(_named(inner, name, qualname, f"{FACTORY}.<locals>.{INNER}"), tree, qualname)


def _named(code: types.CodeType, name: str, qualname: str, generated: str, top: str | None = None) -> types.CodeType:
    """``code`` named as the user's function (``name``, ``qualname``) where it was compiled
    as ``generated``: nested functions' qualified names follow, and the generated functions
    (branches, loop bodies, state accessors) take the names of the user's function they
    belong to, as tracebacks then show them."""
    top = qualname if top is None else top

    def fix(text: str) -> str:
        return _GENERATED.sub("", top + text[len(generated):]) if text.startswith(generated) else text

    own = fix(getattr(code, "co_qualname", ""))
    changes: dict = {}
    if code.co_name.startswith("__tj_"):
        changes["co_name"], own = name, qualname
    else:
        name, qualname = code.co_name, own or qualname
    changes["co_consts"] = tuple(_named(c, name, qualname, generated, top) if isinstance(c, types.CodeType)
                                 else fix(c) if isinstance(c, str) else c  # (3.10: qualnames are constants)
                                 for c in code.co_consts)
    if hasattr(code, "co_qualname"):
        changes["co_qualname"] = own
    return code.replace(**changes)


def _transform(fn: ast.FunctionDef, filename: str, qualname: str) -> None:
    """Convert ``fn`` in place: its nested functions first, then its own statements, then
    the expressions of all of it."""
    _statements(fn, filename, qualname)
    Expressions(filename, qualname).visit(fn)


def _statements(fn: ast.FunctionDef, filename: str, qualname: str) -> None:
    fn.body = _without_annotations(fn.body)
    for node in walk_scope(fn.body):
        if isinstance(node, ast.FunctionDef) and not is_generator(node):
            _statements(node, filename, f"{qualname}.<locals>.{node.name}")
    convert_returns(fn)
    fn.body = convert_loops(fn.body)
    glob, nonloc = declarations(fn)
    params = parameters(fn)
    local = (params | bound_names(fn.body) | comprehension_walrus(fn.body)) - glob - nonloc
    scope = Scope(local, glob, nonloc, filename, qualname)
    fn.body = convert_block(fn.body, scope, set(params))


class _Annotations(ast.NodeTransformer):
    """``x: T = v`` -> ``x = v`` and ``x: T`` dropped: a local's annotation is never
    evaluated, and an annotated name cannot be ``nonlocal`` (state of a converted
    statement); ``assert`` statements become ``if`` statements."""

    def visit_Assert(self, node: ast.Assert) -> ast.AST:
        """``assert t, m`` -> ``if not t: raise AssertionError(m)`` (an ``if`` on a traced
        test raises when the call runs; not under ``python -O``, which drops asserts)."""
        if not __debug__:
            return node
        error = ast.Call(func=ast.Name(id="AssertionError", ctx=ast.Load()), args=[node.msg] if node.msg else [],
                         keywords=[])
        raised = ast.If(test=ast.UnaryOp(op=ast.Not(), operand=node.test), body=[ast.Raise(exc=error, cause=None)],
                        orelse=[])
        return located(raised, node)

    def visit_Try(self, node: ast.Try) -> ast.AST:
        """``try: ... except E: ...`` -> ``with __tj_ag__.try_stmt(lambda: (E,), line): try: ...``
        (``autograph/caught.py``: an error raised after the compiled call cannot reach the handler)."""
        self.generic_visit(node)
        if not node.handlers:
            return node
        types_ = [copy.deepcopy(h.type) for h in node.handlers]
        caught = ast.Constant(None) if any(t is None for t in types_) else ast.Tuple(elts=types_, ctx=ast.Load())
        call = runtime("try_stmt", [ast.Lambda(args=no_arguments(), body=caught), ast.Constant(node.lineno)])
        return located(ast.With(items=[ast.withitem(context_expr=call, optional_vars=None)], body=[node]), node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> ast.AST:
        if node.value is None:
            return ast.copy_location(ast.Pass(), node)
        return ast.copy_location(ast.Assign(targets=[node.target], value=node.value), node)

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.AST:
        return node  # (nested functions: done when their own statements are)

    def visit_ClassDef(self, node: ast.ClassDef) -> ast.AST:
        return node  # (class annotations are evaluated and kept)

    visit_AsyncFunctionDef = visit_FunctionDef
    visit_Lambda = visit_FunctionDef


def _without_annotations(stmts: list[ast.stmt]) -> list[ast.stmt]:
    transformer = _Annotations()
    return [transformer.visit(s) if not isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) else s
            for s in stmts]
