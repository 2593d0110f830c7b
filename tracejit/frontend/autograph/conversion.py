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
import inspect
import linecache
import types
from dataclasses import dataclass, field

from tracejit.frontend.autograph import runtime
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
from tracejit.frontend.autograph.nodes import AG, located
from tracejit.frontend.autograph.statements import Scope, convert_block

FACTORY = "__tj_factory__"
_FUTURE_FLAGS = 0x1000000 | 0x2000000  # (annotations, generator_stop: the flags compile() takes from the original)


@dataclass
class Converted:
    """A function's converted code, with its converted definition as an AST (shown as text on demand)."""

    code: types.CodeType
    tree: ast.FunctionDef = field(repr=False)
    qualname: str

    @property
    def source(self) -> str:
        """The converted function as Python source."""
        return f"# {self.qualname} (converted, {self.code.co_filename}:{self.code.co_firstlineno})\n" + ast.unparse(
            self.tree)


_cache: dict[types.CodeType, Converted | None] = {}
_outputs: set[types.CodeType] = set()  # every code object conversion made: never converted again
AG_CELL = types.CellType(runtime)


def converted_code(fn: types.FunctionType) -> Converted | None:
    """``fn``'s converted code (cached per code object), or None: traced as written."""
    code = fn.__code__
    try:
        return _cache[code]
    except KeyError:
        pass
    result = None if code in _outputs else _convert(fn)
    _cache[code] = result
    if result is not None:
        _register(result.code)
    return result


def _register(code: types.CodeType) -> None:
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
    if code.co_name == "<lambda>" or code.co_flags & (inspect.CO_GENERATOR | inspect.CO_COROUTINE
                                                      | inspect.CO_ASYNC_GENERATOR | inspect.CO_ITERABLE_COROUTINE):
        return None
    if not linecache.getlines(code.co_filename):
        return None
    try:
        lines, first = inspect.getsourcelines(fn)
    except (OSError, TypeError):
        return None
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
    body = module.body[0].body if isinstance(module.body[0], ast.If) else module.body
    for node in body:
        if isinstance(node, ast.FunctionDef) and node.name == code.co_name:
            return node
    return None


def _convert(fn: types.FunctionType) -> Converted | None:
    tree = _source_tree(fn)
    if tree is None or is_generator(tree) or not needs_conversion(tree) or unconvertible(tree):
        return None
    if private_names(tree) and "." in fn.__qualname__.replace("<locals>.", ""):
        return None  # names CPython mangles inside a class: the copy would compile them unmangled
    tree.decorator_list = []
    tree.returns = None
    args = tree.args
    for a in args.posonlyargs + args.args + args.kwonlyargs + [args.vararg, args.kwarg]:
        if a is not None:
            a.annotation = None
    args.defaults, args.kw_defaults = [], [None] * len(args.kwonlyargs)
    _transform(tree, fn.__code__.co_filename, fn.__qualname__)
    factory = ast.FunctionDef(
        name=FACTORY, args=ast.arguments(posonlyargs=[], args=[ast.arg(arg=AG)] + [
            ast.arg(arg=n) for n in fn.__code__.co_freevars], vararg=None, kwonlyargs=[], kw_defaults=[],
            kwarg=None, defaults=[]),
        body=[tree, ast.Return(value=ast.Name(id=tree.name, ctx=ast.Load()))], decorator_list=[], returns=None)
    located(factory, tree)
    module = ast.Module(body=[factory], type_ignores=[])
    flags = fn.__code__.co_flags & _FUTURE_FLAGS
    compiled = compile(module, fn.__code__.co_filename, "exec", flags=flags, dont_inherit=True)
    outer = next(c for c in compiled.co_consts if isinstance(c, types.CodeType))
    inner = next(c for c in outer.co_consts if isinstance(c, types.CodeType) and c.co_name == tree.name)
    return Converted(inner, tree, fn.__qualname__)


def _transform(fn: ast.FunctionDef, filename: str, qualname: str) -> None:
    """Convert ``fn`` in place: its nested functions first, then its own statements, then
    the expressions of all of it."""
    _statements(fn, filename, qualname)
    Expressions(filename, qualname).visit(fn)


def _statements(fn: ast.FunctionDef, filename: str, qualname: str) -> None:
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
