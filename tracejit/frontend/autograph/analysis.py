"""What the transform needs to know about a function's code: the names statements bind
in the function's own scope, its ``global``/``nonlocal`` declarations, which statements
always end in ``return``/``raise``, and whether anything needs converting at all."""
from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator

SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
BUILTINS_ROUTED = frozenset({"len", "int", "float", "bool", "abs", "range", "round", "sum", "complex", "isinstance",
                             "type", "hasattr"})
SCALAR_TYPES_ROUTED = frozenset({"float64", "float32", "float16", "double", "single", "int64", "int32", "int16", "int8",
                                 "uint64", "uint32", "uint16", "uint8", "intp", "bool_", "complex64", "complex128"})


def is_routed_call(node: ast.AST) -> bool:
    """A call converted code routes through ``call_builtin``: ``len(...)`` and the other
    builtins of BUILTINS_ROUTED, or ``<module>.float64(...)`` and other NumPy scalar types."""
    if not isinstance(node, ast.Call):
        return False
    if isinstance(node.func, ast.Name):
        return node.func.id in BUILTINS_ROUTED
    return isinstance(node.func, ast.Attribute) and node.func.attr in SCALAR_TYPES_ROUTED


def walk_scope(nodes: Iterable[ast.AST]) -> Iterator[ast.AST]:
    """Every node of ``nodes`` in the same scope (not inside nested functions, lambdas,
    classes or comprehensions; a nested definition itself is yielded)."""
    todo = list(nodes)
    while todo:
        node = todo.pop()
        yield node
        if isinstance(node, SCOPES) or isinstance(node, COMPREHENSIONS):
            continue
        todo.extend(ast.iter_child_nodes(node))


def _target_names(target: ast.AST, out: set) -> None:
    if isinstance(target, ast.Name):
        out.add(target.id)
    elif isinstance(target, (ast.Tuple, ast.List)):
        for t in target.elts:
            _target_names(t, out)
    elif isinstance(target, ast.Starred):
        _target_names(target.value, out)


def bound_names(nodes: Iterable[ast.AST]) -> set[str]:
    """Names that ``nodes`` bind in their own scope (assignments, loop targets, ``with``
    targets, imports, definitions, ``:=``); not names an ``except ... as`` binds (unbound
    after the handler) nor those of nested scopes."""
    out: set[str] = set()
    for node in walk_scope(nodes):
        if isinstance(node, (ast.Assign,)):
            for t in node.targets:
                _target_names(t, out)
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
            if not isinstance(node, ast.AnnAssign) or node.value is not None:
                _target_names(node.target, out)
        elif isinstance(node, (ast.For, ast.AsyncFor)):
            _target_names(node.target, out)
        elif isinstance(node, ast.withitem) and node.optional_vars is not None:
            _target_names(node.optional_vars, out)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                out.add((alias.asname or alias.name).split(".")[0])
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            out.add(node.name)
        elif isinstance(node, ast.NamedExpr):
            _target_names(node.target, out)
    return out


def written_arrays(nodes: Iterable[ast.AST]) -> set[str]:
    """Names whose items ``nodes`` assign (``out[i] = v``, ``a[i, :] += 1``): state too, so
    a traced branch or loop carries the array it writes into."""
    out: set[str] = set()
    for node in walk_scope(nodes):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(
            node, (ast.AugAssign, ast.AnnAssign)) else []
        for t in targets:
            _subscripted_names(t, out)
    return out


def _subscripted_names(target: ast.AST, out: set) -> None:
    """The names ``target`` assigns items of (through tuple targets: ``x[j], x[j + 1] = ...``)."""
    if isinstance(target, (ast.Tuple, ast.List)):
        for element in target.elts:
            _subscripted_names(element, out)
    elif isinstance(target, ast.Starred):
        _subscripted_names(target.value, out)
    while isinstance(target, ast.Subscript):
        target = target.value
        if isinstance(target, ast.Name):
            out.add(target.id)


def deleted_names(nodes: Iterable[ast.AST]) -> set[str]:
    """Names ``del`` unbinds in ``nodes``' scope."""
    out: set[str] = set()
    for node in walk_scope(nodes):
        if isinstance(node, ast.Delete):
            for t in node.targets:
                _target_names(t, out)
    return out


def comprehension_walrus(nodes: Iterable[ast.AST]) -> set[str]:
    """Names a ``:=`` inside a comprehension binds in the enclosing scope."""
    out: set[str] = set()
    for node in walk_scope(nodes):
        if isinstance(node, COMPREHENSIONS):
            for inner in ast.walk(node):
                if isinstance(inner, ast.NamedExpr):
                    _target_names(inner.target, out)
    return out


def declarations(fn: ast.FunctionDef) -> tuple[set[str], set[str]]:
    """The names ``fn`` declares ``global`` and ``nonlocal``."""
    glob: set[str] = set()
    nonloc: set[str] = set()
    for node in walk_scope(fn.body):
        if isinstance(node, ast.Global):
            glob.update(node.names)
        elif isinstance(node, ast.Nonlocal):
            nonloc.update(node.names)
    return glob, nonloc


def parameters(fn: ast.FunctionDef | ast.Lambda) -> set[str]:
    """The names of ``fn``'s parameters."""
    a = fn.args
    names = {p.arg for p in a.posonlyargs + a.args + a.kwonlyargs}
    names.update(p.arg for p in (a.vararg, a.kwarg) if p is not None)
    return names


def always_leaves(stmts: list[ast.stmt]) -> bool:
    """Whether every path through ``stmts`` ends in ``return`` or ``raise``."""
    for s in stmts:
        if isinstance(s, (ast.Return, ast.Raise)):
            return True
        if isinstance(s, ast.If) and always_leaves(s.body) and always_leaves(s.orelse):
            return True
        if isinstance(s, ast.With) and always_leaves(s.body):
            return True
    return False


def contains(nodes: Iterable[ast.AST], kinds: tuple) -> bool:
    """Whether a node of one of ``kinds`` is in ``nodes``' scope."""
    return any(isinstance(n, kinds) for n in walk_scope(nodes))


def loop_jumps(stmts: list[ast.stmt], kinds: tuple) -> bool:
    """Whether ``stmts`` hold a ``break``/``continue`` (of ``kinds``) of the loop they are the body of."""
    todo = list(stmts)
    while todo:
        node = todo.pop()
        if isinstance(node, kinds):
            return True
        if isinstance(node, SCOPES + COMPREHENSIONS + (ast.For, ast.While, ast.AsyncFor)):
            if isinstance(node, (ast.For, ast.While, ast.AsyncFor)):
                todo.extend(node.orelse)  # the else clause belongs to the outer loop
            continue
        todo.extend(ast.iter_child_nodes(node))
    return False


def is_generator(fn: ast.FunctionDef) -> bool:
    """Whether ``fn`` is a generator (``yield`` in its own scope)."""
    return contains(fn.body, (ast.Yield, ast.YieldFrom, ast.Await))


def private_names(fn: ast.AST) -> bool:
    """Whether ``fn`` uses a name CPython mangles inside a class (``__x``)."""
    for node in ast.walk(fn):
        name = node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else None
        if name and name.startswith("__") and not name.endswith("__"):
            return True
    return False


_FRAME_NAMES = frozenset({"super", "locals", "vars", "eval", "exec"})


def unconvertible(fn: ast.FunctionDef) -> str | None:
    """Why ``fn`` must run as written, or None: code that reads its own frame (zero-argument
    ``super()``, ``locals()``...: a branch moved into a nested function would see that
    function's) or holds ``match`` statements (not converted, so a ``return`` in one
    could not leave the function from inside a converted branch)."""
    for node in ast.walk(fn):
        if isinstance(node, ast.Name) and node.id in _FRAME_NAMES:
            return f"it uses {node.id}()"
        if isinstance(node, ast.Match):
            return "it holds a match statement"
    return None


def needs_conversion(fn: ast.FunctionDef) -> bool:
    """Whether ``fn`` (nested functions included) has anything the transform converts."""
    for node in ast.walk(fn):
        if isinstance(node, (ast.If, ast.While, ast.For, ast.IfExp, ast.BoolOp, ast.Assert)):
            return True
        if isinstance(node, ast.Try) and node.handlers:  # (autograph/caught.py)
            return True
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            return True
        if isinstance(node, ast.Compare) and len(node.ops) > 1:
            return True
        if is_routed_call(node):
            return True
    return False
