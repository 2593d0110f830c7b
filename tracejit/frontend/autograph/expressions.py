"""Expressions of converted code: ``and``/``or``/``not``, conditional expressions and
calls written as ``len(...)``, ``int(...)``... become calls of ``__tj_ag__`` operators
(the operands that Python evaluates lazily passed as ``lambda: ...``)."""
from __future__ import annotations

import ast

from tracejit.frontend.autograph.analysis import is_generator, is_routed_call
from tracejit.frontend.autograph.nodes import constant, lambda_, located, runtime

_BINDING = (ast.NamedExpr, ast.Yield, ast.YieldFrom, ast.Await)


def _lazy_safe(node: ast.AST) -> bool:
    """Whether ``node`` can move into a ``lambda`` (no ``:=``, ``yield``, ``await``)."""
    return not any(isinstance(n, _BINDING) for n in ast.walk(node))


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

    def visit_BoolOp(self, node: ast.BoolOp) -> ast.AST:
        """``a and b and c`` -> ``and_(a, lambda: and_(b, lambda: c))``."""
        self.generic_visit(node)
        if not all(_lazy_safe(v) for v in node.values[1:]):
            return node
        name = "and_" if isinstance(node.op, ast.And) else "or_"
        result = node.values[-1]
        for value in reversed(node.values[:-1]):
            result = runtime(name, [value, lambda_(result)])
        return located(result, node)

    def visit_UnaryOp(self, node: ast.UnaryOp) -> ast.AST:
        """``not a`` -> ``not_(a)``."""
        self.generic_visit(node)
        if not isinstance(node.op, ast.Not):
            return node
        return located(runtime("not_", [node.operand]), node)

    def visit_IfExp(self, node: ast.IfExp) -> ast.AST:
        """``a if t else b`` -> ``ifexp(t, lambda: a, lambda: b, opts)``."""
        self.generic_visit(node)
        if not (_lazy_safe(node.body) and _lazy_safe(node.orelse)):
            return node
        pure = all(isinstance(v, (ast.Name, ast.Constant)) for v in (node.body, node.orelse))
        opts = constant({"lineno": node.lineno, "pure": pure, **self.opts})
        return located(runtime("ifexp", [node.test, lambda_(node.body), lambda_(node.orelse), opts]), node)

    def visit_Call(self, node: ast.Call) -> ast.AST:
        """``len(x)`` -> ``call_builtin(len, x)`` (and ``int``, ``float``, ``bool``, ``abs``, ``range``,
        ``complex``, NumPy's scalar types: ``np.float64(x)``)."""
        self.generic_visit(node)
        if is_routed_call(node):
            return located(runtime("call_builtin", [node.func] + node.args, node.keywords), node)
        return node
