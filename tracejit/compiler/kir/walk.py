"""The one walker and rewriter of expression DAGs.

Nodes are visited through :meth:`Expr.children` and rebuilt through
:meth:`Expr.with_children` only, so passes and code generation never spell out which
node kind has which children. A DAG shares subexpressions: both functions handle each
node once (by identity), and a rewrite keeps the sharing of its input.
"""
from __future__ import annotations

from typing import Callable, Iterable, Iterator

from tracejit.compiler.kir.buffers import Access
from tracejit.compiler.kir.expr import Expr, Gather, Iota, Load


def nodes(roots: Iterable[Expr], prune: Callable[[Expr], bool] | None = None,
          seen: set[int] | None = None) -> Iterator[Expr]:
    """Every node reachable from ``roots``, each once, depth first (the last root first).

    The children of a node for which ``prune`` is true are not visited (unless reached
    another way); ``seen`` (ids of nodes) is updated, so calls sharing it skip the nodes
    an earlier one yielded."""
    seen = set() if seen is None else seen
    stack = list(roots)
    while stack:
        e = stack.pop()
        if id(e) in seen:
            continue
        seen.add(id(e))
        yield e
        if prune is None or not prune(e):
            stack.extend(e.children())


def rewrite(e: Expr, leave: Callable[[Expr, tuple[Expr, ...]], Expr], memo: dict[int, Expr],
            enter: Callable[[Expr], None] | None = None) -> Expr:
    """``e`` rebuilt bottom-up: each node's children are rewritten first, then
    ``leave(node, new_children)`` gives its replacement. ``memo`` (id of an input node ->
    its replacement) makes a shared node rewrite once, so the result shares it too; pass
    the same dict to rewrite several roots of one DAG. ``enter(node)``, when given, runs
    before the node's children are rewritten (for callers that number things in walk order)."""
    out = memo.get(id(e))
    if out is not None:
        return out
    if enter is not None:
        enter(e)
    kids = e.children()
    if kids:
        kids = tuple([rewrite(k, leave, memo, enter) for k in kids])
    out = leave(e, kids)
    memo[id(e)] = out
    return out


def rebuild(e: Expr, kids: tuple[Expr, ...]) -> Expr:
    """``e`` over ``kids`` (a new node when it has children): the identity ``leave`` of :func:`rewrite`."""
    return e.with_children(kids) if kids else e


def map_accesses(e: Expr, fix: Callable[[Access], Access], memo: dict[int, Expr],
                 size: Callable[[int], int] | None = None) -> Expr:
    """``e`` with the access of every load, gather and iota passed through ``fix`` (and,
    with ``size``, every extent a gather holds: code generation and the generic form
    renumber run-time sizes). ``fix`` is called when a node is entered and ``size`` when
    it is left, so parameters handed out by them are numbered in one fixed walk order."""
    fixed: dict[int, Access] = {}

    def enter(x: Expr) -> None:
        if isinstance(x, (Load, Iota)):
            fixed[id(x)] = fix(x.access)

    def leave(x: Expr, kids: tuple[Expr, ...]) -> Expr:
        access = fixed.get(id(x))
        if access is None:
            return x.with_children(kids) if kids else x
        if isinstance(x, Gather):
            out = x.with_children(kids) if kids else x
            return out.with_access(access, None if size is None else tuple(size(n) for n in x.extents))
        return x.with_access(access)

    return rewrite(e, leave, memo, enter)
