"""Loop nests and their schedules: what a nest computes at each point, apart from how
its loops run."""
from __future__ import annotations

from dataclasses import dataclass

from tracejit.compiler.kir.buffers import Access
from tracejit.compiler.kir.expr import Expr, Iota, Load, ScatterAccess
from tracejit.compiler.kir.walk import nodes


@dataclass(frozen=True)
class Nest:
    """A loop nest: ``store[kept] = reduce over reduced dims of value[kept + reduced]``."""

    shape: tuple[int, ...]
    n_reduced: int
    reduce: str | None
    value: Expr
    store: Access  # strides over the kept dims only
    epilogue: Expr | None = None  # applied to the reduced value (an Acc leaf) before the store

    @property
    def n_kept(self) -> int:
        """Number of kept (not reduced) dims: the leading ones."""
        return len(self.shape) - self.n_reduced

    def loads(self, epilogue: bool = False) -> list[Load]:
        """Loads of the value (or, with ``epilogue``, of the epilogue: kept dims only)."""
        return [e for e in self.indexed(epilogue) if isinstance(e, Load)]

    def indexed(self, epilogue: bool = False) -> list[Load | Iota]:
        """Every leaf that has an index map: loads and iotas (layout changes rewrite both)."""
        root = self.epilogue if epilogue else self.value
        roots = [root] if root is not None else []
        if not epilogue and isinstance(self.store, ScatterAccess):
            roots.extend(self.store.indices)  # read by the store's address
        return [e for e in nodes(roots) if isinstance(e, (Load, Iota))]

    def buffers(self) -> set[int]:
        """Ids of the buffers the nest reads or writes."""
        loads = self.loads() + self.loads(epilogue=True)
        return {ld.access.buffer for ld in loads} | {self.store.buffer}


@dataclass(frozen=True)
class Schedule:
    """How a nest's loops run: Halide-style, apart from what they compute.

    ``strategy``: 'map' (no reduction), 'inner' (reduced dims innermost, accumulators in
    registers), 'outer' (innermost kept dim innermost, accumulating into the output) or
    'arg' (argmax/argmin, scalar). ``vector_dim`` is the loop vectorized by
    ``vector_width`` lanes; ``block`` is the pairwise-summation block length; ``stream``
    (maps only), when set, makes vector stores non-temporal with that alignment; ``tile``
    (maps only), when set, is (rows, columns): the last two loops run in tiles of that
    size, so a load walking them in the other order (a transposed operand) reuses each
    cache line it touches.
    """

    strategy: str
    vector_width: int
    vector_dim: int | None
    block: int = 0
    tile: tuple[int, int] | None = None
    stream: int = 0  # > 0: vector stores are non-temporal, aligned to this many bytes (streaming.py)

    def text(self) -> str:
        """One line describing the schedule."""
        vec = f", vector {self.vector_width} on dim {self.vector_dim}" if self.vector_width > 1 else ""
        blk = f", pairwise blocks of {self.block}" if self.block else ""
        tile = f", tiles of {self.tile[0]}x{self.tile[1]} (transposed operand)" if self.tile else ""
        stream = ", streaming stores (larger than the cache)" if self.stream else ""
        return f"{self.strategy}{vec}{blk}{tile}{stream}"
