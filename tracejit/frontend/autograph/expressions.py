"""Expressions of converted code: ``and``/``or``/``not``, chained comparisons, conditional expressions and
calls written as ``len(...)``, ``int(...)``... become calls of ``__tj_ag__`` operators
(the operands that Python evaluates lazily passed as ``lambda: ...``)."""
from __future__ import annotations

import ast

from tracejit.frontend.autograph.analysis import is_generator, is_routed_call
from tracejit.frontend.autograph.nodes import AG, constant, lambda_, located, runtime

_BINDING = (ast.NamedExpr, ast.Yield, ast.YieldFrom, ast.Await)


def _lazy_safe(node: ast.AST) -> bool:
    """Whether ``node`` can move into a ``lambda`` (no ``:=``, ``yield``, ``await``)."""
    return not any(isinstance(n, _BINDING) for n in ast.walk(node))


TEST = "_tj_truth_only"  # set on an expression whose value is used for its truth only
_PLAIN = (ast.Name, ast.Constant, ast.Subscript, ast.Attribute, ast.BinOp, ast.UnaryOp, ast.Slice, ast.Tuple,
          ast.Load, ast.operator, ast.unaryop)


def _mark_test(node: ast.expr) -> None:
    if isinstance(node, (ast.BoolOp, ast.Compare)):
        setattr(node, TEST, True)


def _plain(node: ast.expr) -> bool:
    """Whether evaluating ``node`` twice is as evaluating it once (no calls, no ``:=``)."""
    return all(isinstance(n, _PLAIN) for n in ast.walk(node))


PURE = "_tj_pure"  # set on a converted ``and``/``or`` of pure comparisons
_PURE = (ast.Name, ast.Constant, ast.Compare, ast.cmpop, ast.Load, ast.Add, ast.Sub, ast.Mult, ast.BinOp, ast.USub,
         ast.UnaryOp)


def _pure(node: ast.expr) -> bool:
    """Whether ``node`` is a comparison of names and constants (``0 <= ny``, ``i < n - 1``): evaluating it
    where Python would not cannot fail nor change anything (no calls, no indexing, no division)."""
    if getattr(node, PURE, False):
        return True
    return isinstance(node, ast.Compare) and all(isinstance(n, _PURE) for n in ast.walk(node))


def _bool_op(node: ast.BoolOp) -> ast.AST:
    """``a and b and c`` -> ``and_(and_(a, lambda: b), lambda: c)`` (as Python: the first false operand or
    the last), ``True`` after the lambda where only the truth of the result is used, and ``pure=True``
    where the lambda is a pure comparison (a traced ``and`` of such is a select, not a branch)."""
    if not all(_lazy_safe(v) for v in node.values[1:]):
        return node
    name = "and_" if isinstance(node.op, ast.And) else "or_"
    test = getattr(node, TEST, False)
    result, pure = node.values[0], _pure(node.values[0])
    for value in node.values[1:]:
        keywords = [ast.keyword(arg="pure", value=ast.Constant(True))] if _pure(value) else []
        result = runtime(name, [result, lambda_(value), ast.Constant(test)], keywords)
        pure = pure and _pure(value)
    setattr(result, PURE, pure)
    return located(result, node)


class Expressions(ast.NodeTransformer):
    """The expression conversions, over a function (not into classes or generators)."""

    def __init__(self, filename: str, qualname: str):
        self.opts = {"filename": filename, "function": qualname}

    def visit_ClassDef(self, node: ast.ClassDef) -> ast.AST:
        """Classes are not converted (their bodies are not function scopes)."""
        return node

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.AST:
        """A nested generator is left as it is."""
        return node if is_generator(node) else self.generic_visit(node)

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> ast.AST:
        """Coroutines are left as they are."""
        return node

    def visit_If(self, node: ast.If | ast.While) -> ast.AST:
        """The test of an ``if``/``while`` is used for its truth only."""
        _mark_test(node.test)
        return self.generic_visit(node)

    visit_While = visit_If

    def visit_Assert(self, node: ast.Assert) -> ast.AST:
        """The test of an ``assert`` is used for its truth only."""
        _mark_test(node.test)
        return self.generic_visit(node)

    def visit_BoolOp(self, node: ast.BoolOp) -> ast.AST:
        """``a and b and c`` -> ``and_(a, lambda: and_(b, lambda: c))`` (with ``True`` after
        the lambda where only the truth of the result is used)."""
        if getattr(node, TEST, False):
            for value in node.values:
                _mark_test(value)
        self.generic_visit(node)
        return _bool_op(node)

    def visit_Compare(self, node: ast.Compare) -> ast.AST:
        """A chained comparison ``lo <= x < hi`` -> ``lo <= x and x < hi`` (a traced ``x``:
        the ``and`` of two traced tests), where the middle operands are names, constants or
        subscripts of them (evaluating them twice changes nothing); otherwise ``a < f(b) <= c``
        -> ``compare(a, ("Lt", "LtE"), lambda: f(b), lambda: c)`` (each operand evaluated once,
        in order, and only while the comparisons hold, as Python does)."""
        self.generic_visit(node)
        if len(node.ops) < 2:
            return node
        if not all(_plain(c) for c in node.comparators[:-1]):  # evaluated once each: ``compare``
            if not all(_lazy_safe(v) for v in node.comparators):
                return node
            ops = constant(tuple(type(op).__name__ for op in node.ops))
            return located(runtime("compare", [node.left, ops] + [lambda_(v) for v in node.comparators]), node)
        lefts = [node.left] + node.comparators[:-1]
        pairs = [located(ast.Compare(left=left, ops=[op], comparators=[right]), node)
                 for left, op, right in zip(lefts, node.ops, node.comparators)]
        chain = located(ast.BoolOp(op=ast.And(), values=pairs), node)
        setattr(chain, TEST, getattr(node, TEST, False))
        return _bool_op(chain)

    def visit_UnaryOp(self, node: ast.UnaryOp) -> ast.AST:
        """``not a`` -> ``not_(a)``."""
        if isinstance(node.op, ast.Not):
            _mark_test(node.operand)
        self.generic_visit(node)
        if not isinstance(node.op, ast.Not):
            return node
        return located(runtime("not_", [node.operand]), node)

    def visit_IfExp(self, node: ast.IfExp) -> ast.AST:
        """``a if t else b`` -> ``ifexp(t, lambda: a, lambda: b, opts)``."""
        _mark_test(node.test)
        self.generic_visit(node)
        if not (_lazy_safe(node.body) and _lazy_safe(node.orelse)):
            return node
        pure = all(isinstance(v, (ast.Name, ast.Constant)) for v in (node.body, node.orelse))
        opts = constant({"lineno": node.lineno, "pure": pure, **self.opts})
        return located(runtime("ifexp", [node.test, lambda_(node.body), lambda_(node.orelse), opts]), node)

    def visit_Call(self, node: ast.Call) -> ast.AST:
        """``len(x)`` -> ``call_builtin(len, x)`` (and the other names of ``BUILTINS_ROUTED``, NumPy's
        scalar types: ``np.float64(x)``)."""
        if isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Name) and node.func.value.id == AG:
            if node.func.attr == "if_stmt" and node.args:  # (the statements converted first: their tests)
                _mark_test(node.args[0])
            elif node.func.attr == "while_stmt" and node.args and isinstance(node.args[0], ast.Lambda):
                _mark_test(node.args[0].body)
        self.generic_visit(node)
        if is_routed_call(node):
            return located(runtime("call_builtin", [node.func] + node.args, node.keywords), node)
        return node
