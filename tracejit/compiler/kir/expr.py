"""Expression DAGs evaluated at each point of a loop nest, and the scatter store whose
address they compute.

Every node answers :meth:`Expr.children` (the sub-expressions it reads) and
:meth:`Expr.with_children` (a copy over other children), and a node that reads through
an access (loads, gathers, iotas) :meth:`Load.with_access`: ``kir/walk.py`` walks and
rewrites DAGs through these alone, so a new node kind needs no change there. (They call
the constructors directly: rewrites run on every nest of every compile.)
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np

from tracejit.compiler.kir.buffers import Access


class Expr:
    """A node of a kernel's expression DAG."""

    dtype: np.dtype

    def children(self) -> tuple[Expr, ...]:
        """The sub-expressions this node reads, in evaluation order (none for a leaf)."""
        return ()

    def with_children(self, kids: Sequence[Expr]) -> Expr:
        """This node over ``kids`` (one per child): a new node, or the leaf itself."""
        return self


@dataclass(frozen=True, eq=False)
class Load(Expr):
    """The element of ``access`` at the iteration point."""

    access: Access

    @property
    def dtype(self) -> np.dtype:
        """The element type of the buffer read."""
        return self.access.dtype

    def with_access(self, access: Access) -> Load:
        """This load through another access."""
        return Load(access)


@dataclass(frozen=True, eq=False)
class Gather(Load):
    """A load at a computed address: ``access`` (the affine part, over the nest's dims)
    plus ``sum(clamp(indices[j]) * strides[j])``, each index an int64 expression that
    wraps when negative and is clamped into ``[0, extents[j])``, so the load never
    leaves the buffer (``compiler/ops/gather.py``; the frontend checks the bounds).
    Passes that reason about which elements a kernel reads treat it as reading its
    whole buffer."""

    indices: tuple[Expr, ...]
    strides: tuple[int, ...]
    extents: tuple[int, ...]

    def children(self) -> tuple[Expr, ...]:
        """The index expressions."""
        return self.indices

    def with_children(self, kids: Sequence[Expr]) -> Expr:
        """This gather over other index expressions."""
        return Gather(self.access, tuple(kids), self.strides, self.extents)

    def with_access(self, access: Access, extents: tuple[int, ...] | None = None) -> Gather:
        """This gather through another affine access (and index extents, when given)."""
        return Gather(access, self.indices, self.strides, self.extents if extents is None else extents)


@dataclass(frozen=True, eq=False)
class Search(Gather):
    """A binary search (``compiler/ops/search.py``): the number of elements of the sorted
    1-d sequence at ``access`` (``extents[0]`` of them, ``strides[0]`` apart) that are
    less than the value ``indices[0]`` (``right``: less or equal), int64. It reads its
    buffer anywhere, as a gather does, so passes treat it as one."""

    right: bool = False

    @property
    def dtype(self) -> np.dtype:
        """Positions: int64."""
        return np.dtype(np.int64)

    def with_children(self, kids: Sequence[Expr]) -> Expr:
        """This search for another value expression."""
        return Search(self.access, tuple(kids), self.strides, self.extents, self.right)

    def with_access(self, access: Access, extents: tuple[int, ...] | None = None) -> Search:
        """This search through another affine access (and length, when given)."""
        return Search(access, self.indices, self.strides, self.extents if extents is None else extents, self.right)


@dataclass(frozen=True, eq=False)
class Iota(Expr):
    """An arithmetic sequence read like a constant array, computed instead of loaded:
    ``start + step * e`` where ``e`` is the element index ``access`` maps the point to
    (``access.buffer`` is :data:`NO_BUFFER`). Integers compute it exactly in int64; floats
    as ``fadd(start, fmul(float(e), step))`` in ``dtype``, which kernel formation checked
    gives every element of the folded constant bit for bit (see ``compiler/kernelize/sequences.py``)."""

    access: Access
    start: Any
    step: Any
    dtype: np.dtype

    def with_access(self, access: Access) -> Iota:
        """This sequence indexed through another access."""
        return Iota(access, self.start, self.step, self.dtype)


@dataclass(frozen=True, eq=False)
class Const(Expr):
    """A scalar constant of ``dtype``."""

    value: Any
    dtype: np.dtype


@dataclass(frozen=True, eq=False)
class Apply(Expr):
    """Elementwise op ``op`` on ``args`` (already converted to its loop dtype ``in_dtype``)."""

    op: str
    args: tuple[Expr, ...]
    in_dtype: np.dtype
    dtype: np.dtype

    def children(self) -> tuple[Expr, ...]:
        """The operands."""
        return self.args

    def with_children(self, kids: Sequence[Expr]) -> Expr:
        """This op over other operands."""
        return Apply(self.op, tuple(kids), self.in_dtype, self.dtype)


@dataclass(frozen=True, eq=False)
class Convert(Expr):
    """``arg`` converted to ``dtype``."""

    arg: Expr
    dtype: np.dtype

    def children(self) -> tuple[Expr, ...]:
        """The converted value."""
        return (self.arg,)

    def with_children(self, kids: Sequence[Expr]) -> Expr:
        """This conversion of another value."""
        (arg,) = kids
        return Convert(arg, self.dtype)


@dataclass(frozen=True, eq=False)
class Acc(Expr):
    """In an epilogue: the value the nest's reduction produced at this point."""

    dtype: np.dtype


@dataclass(frozen=True)
class ScatterAccess(Access):
    """A store at a computed address (``compiler/ops/scatter.py``): the affine part plus
    ``sum(clamp(indices[j]) * index_strides[j])``, each index an int64 expression that
    wraps when negative and is clamped into ``[0, extents[j])``. Where indices repeat,
    the last point in loop order wins: a nest storing through one runs serially, in
    order, untiled. With ``combine`` (an elementwise op) the element stored there is read,
    converted to the value's dtype, combined with the value and converted back
    (``np.ufunc.at``): repeated indices accumulate."""

    indices: tuple[Expr, ...] = ()
    index_strides: tuple[int, ...] = ()
    extents: tuple[int, ...] = ()
    combine: str | None = None
    combine_dtype: np.dtype | None = None


def with_store(store: Access, affine: Access, rebuild: Callable[[Expr], Expr]) -> Access:
    """``store`` with its affine part replaced (and a scatter's indices passed through
    ``rebuild``): how passes that rewrite accesses keep a scatter a scatter."""
    if not isinstance(store, ScatterAccess):
        return affine
    return ScatterAccess(affine.buffer, affine.dtype, affine.offset, affine.strides,
                         tuple(rebuild(i) for i in store.indices), store.index_strides, store.extents, store.combine,
                         store.combine_dtype)
