"""The kernel IR: what one compiled loop nest computes, independent of the graph.

A :class:`Kernel` is one or more :class:`Nest` s. A nest iterates over a box
(kept dims first, then reduced dims); per point it evaluates an expression DAG whose
leaves are :class:`Load` s through affine index maps (:class:`Access`: offset plus one
stride per iteration dim, in elements) and stores the value, or its reduction over the
reduced dims, through another access. Views of the graph (transposes, broadcasts,
slices, reshapes) exist here only as the strides of accesses.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from tracejit.compiler.dtypes import short_name
from tracejit.compiler.layout import StridedView

if TYPE_CHECKING:
    from tracejit.compiler.along_axis import AlongAxis
    from tracejit.compiler.memplan import MemoryPlan


@dataclass(frozen=True)
class Buffer:
    """One array the compiled program reads or writes."""

    id: int
    kind: str  # input | constant | temp | output | scratch (one row per kernel task, on its stack)
    shape: tuple[int, ...]
    dtype: np.dtype
    node: int
    view: StridedView  # the elements addressable from the base pointer
    index: int | None = None  # argument index of inputs
    outputs: tuple[int, ...] = ()  # result indices of outputs
    value: Any = None  # constants
    label: str = ""  # what a buffer without a graph node holds

    @property
    def nbytes(self) -> int:
        return math.prod(self.shape) * self.dtype.itemsize

    @property
    def name(self) -> str:
        return {"input": "in", "constant": "c", "temp": "t", "output": "out", "scratch": "s"}[self.kind] + str(self.id)


@dataclass(frozen=True)
class Access:
    """``buffer[offset + sum(i[d] * strides[d])]`` over a nest's iteration dims."""

    buffer: int
    dtype: np.dtype
    offset: int
    strides: tuple[int, ...]

    def text(self, names: list[str], bufname: str) -> str:
        terms = [f"{s}*{n}" if s != 1 else n for s, n in zip(self.strides, names) if s != 0]
        if self.offset or not terms:
            terms.append(str(self.offset))
        return f"{bufname}[{' + '.join(terms)}]"


@dataclass(frozen=True)
class ScatterAccess(Access):
    """A store at a computed address (``compiler/ops/scatter.py``): the affine part plus
    ``sum(clamp(indices[j]) * index_strides[j])``, each index an int64 expression that
    wraps when negative and is clamped into ``[0, extents[j])``. Where indices repeat,
    the last point in loop order wins: a nest storing through one runs serially, in
    order, untiled."""

    indices: tuple = ()
    index_strides: tuple[int, ...] = ()
    extents: tuple[int, ...] = ()


def with_store(store: Access, affine: Access, rebuild) -> Access:
    """``store`` with its affine part replaced (and a scatter's indices passed through
    ``rebuild``): how passes that rewrite accesses keep a scatter a scatter."""
    if not isinstance(store, ScatterAccess):
        return affine
    return ScatterAccess(affine.buffer, affine.dtype, affine.offset, affine.strides,
                         tuple(rebuild(i) for i in store.indices), store.index_strides, store.extents)


class Expr:
    """A node of a kernel's expression DAG."""

    dtype: np.dtype


@dataclass(frozen=True, eq=False)
class Load(Expr):
    access: Access

    @property
    def dtype(self) -> np.dtype:
        return self.access.dtype


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


@dataclass(frozen=True, eq=False)
class Iota(Expr):
    """An arithmetic sequence read like a constant array, computed instead of loaded:
    ``start + step * e`` where ``e`` is the element index ``access`` maps the point to
    (``access.buffer`` is :data:`NO_BUFFER`). Integers compute it exactly in int64; floats
    as ``fadd(start, fmul(float(e), step))`` in ``dtype``, which kernel formation checked
    gives every element of the folded constant bit for bit (see ``compiler/iota.py``)."""

    access: Access
    start: Any
    step: Any
    dtype: np.dtype


NO_BUFFER = -1  # the buffer of an Iota's access: none


@dataclass(frozen=True, eq=False)
class Const(Expr):
    value: Any
    dtype: np.dtype


@dataclass(frozen=True, eq=False)
class Apply(Expr):
    """Elementwise op ``op`` on ``args`` (already converted to its loop dtype ``in_dtype``)."""

    op: str
    args: tuple[Expr, ...]
    in_dtype: np.dtype
    dtype: np.dtype


@dataclass(frozen=True, eq=False)
class Convert(Expr):
    arg: Expr
    dtype: np.dtype


@dataclass(frozen=True, eq=False)
class Acc(Expr):
    """In an epilogue: the value the nest's reduction produced at this point."""

    dtype: np.dtype


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
        return len(self.shape) - self.n_reduced

    def loads(self, epilogue: bool = False) -> list[Load]:
        """Loads of the value (or, with ``epilogue``, of the epilogue: kept dims only)."""
        return [e for e in self.indexed(epilogue) if isinstance(e, Load)]

    def indexed(self, epilogue: bool = False) -> list["Load | Iota"]:
        """Every leaf that has an index map: loads and iotas (layout changes rewrite both)."""
        root = self.epilogue if epilogue else self.value
        seen, out, stack = set(), [], [root] if root is not None else []
        if not epilogue and isinstance(self.store, ScatterAccess):
            stack.extend(self.store.indices)  # read by the store's address
        while stack:
            e = stack.pop()
            if id(e) in seen:
                continue
            seen.add(id(e))
            if isinstance(e, (Load, Iota)):
                out.append(e)
            if isinstance(e, Gather):
                stack.extend(e.indices)
            elif isinstance(e, Apply):
                stack.extend(e.args)
            elif isinstance(e, Convert):
                stack.append(e.arg)
        return out

    def buffers(self) -> set[int]:
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
        vec = f", vector {self.vector_width} on dim {self.vector_dim}" if self.vector_width > 1 else ""
        blk = f", pairwise blocks of {self.block}" if self.block else ""
        tile = f", tiles of {self.tile[0]}x{self.tile[1]} (transposed operand)" if self.tile else ""
        stream = ", streaming stores (larger than the cache)" if self.stream else ""
        return f"{self.strategy}{vec}{blk}{tile}{stream}"


@dataclass(frozen=True)
class Gemm:
    """C[b, i, j] = sum_k A[b, i, k] * B[b, k, j].

    ``a`` indexes (batch, M, K) with K contiguous, ``b`` (batch, N, K) where B lies, and
    ``c`` (batch, M, N). ``packed_b``, when set, is a constant buffer holding B packed at
    compile time: per batch (or once when B is shared) ``ceil(N / nr)`` slivers of
    ``K x nr`` values, zero-padded; otherwise each task packs the ``kc`` slice of B it
    uses into a ``kc x cols_per_task`` part of the temporary ``b_block``, one part per
    parallel chunk of ``chunk`` tasks (0: the kernel runs serially, one part).
    Tasks: ``batch x row_tasks x col_tasks``, each a block of rows and columns of C.
    Blocks inside a task: ``mr x nr`` register tile, ``mc`` rows and ``kc`` of K at a time.
    """

    a: Access
    b: Access
    packed_b: int | None
    b_batched: bool
    c: Access
    batch: int
    m: int
    n: int
    k: int
    dtype: np.dtype
    mr: int
    nr: int
    mc: int
    kc: int
    b_block: int | None = None
    row_tasks: int = 1
    col_tasks: int = 1
    chunk: int = 0
    epilogue: Expr | None = None  # over (batch, M, N), with an Acc leaf
    symmetric: bool = False  # B is A (C = A @ A.T): tiles below the diagonal are skipped

    @property
    def slivers(self) -> int:
        return -(-self.n // self.nr)

    @property
    def rows_per_task(self) -> int:
        return -(-(-(-self.m // self.mr)) // self.row_tasks) * self.mr

    @property
    def cols_per_task(self) -> int:
        return -(-self.slivers // self.col_tasks) * self.nr

    @property
    def tasks(self) -> int:
        return self.batch * self.row_tasks * self.col_tasks

    @property
    def chunks(self) -> int:
        """Parallel chunks of tasks (1 when the kernel runs serially)."""
        return -(-self.tasks // self.chunk) if self.chunk else 1

    def b_buffer(self) -> int:
        """The buffer the kernel reads B from."""
        return self.b.buffer if self.packed_b is None else self.packed_b

    def text(self, bufnames: dict[int, str]) -> str:
        layout = "transposed, K contiguous" if self.b.strides[-1] == 1 else "N contiguous"
        source = (f"{bufnames[self.b.buffer]} ({layout}) packed per task" if self.packed_b is None
                  else f"packed {bufnames[self.packed_b]}")
        return (f"gemm {bufnames[self.c.buffer]}[{self.batch}x{self.m}x{self.n}] = "
                f"{bufnames[self.a.buffer]}[{self.batch}x{self.m}x{self.k}] @ {source} "
                f"({self.slivers} slivers); {'upper triangle only (symmetric); ' if self.symmetric else ''}"
                f"tasks {self.batch}x{self.row_tasks}x{self.col_tasks}, "
                f"tile {self.mr}x{self.nr}, blocks mc={self.mc} kc={self.kc}")


@dataclass(frozen=True)
class SubCall:
    """One compiled sub-program of a control kernel and where its buffers come from.

    ``program`` is the sub-program's generic form (``compiler/generic_sizes.py``) without its
    parameter values: those are the constant buffer ``sizes`` of the outer program (so
    the outer program's code stays generic too). Its first ``carries`` inputs are the
    loop's carried values (loops) and its other inputs the outer buffers ``captured``;
    its constants are the outer constant buffers ``constants`` (sub buffer -> outer
    buffer), its temporaries lie in the outer temporary ``arena`` (None: it has none).
    """

    program: Any
    carries: int
    captured: tuple[int, ...]
    constants: tuple[tuple[int, int], ...]
    sizes: int
    arena: int | None
    concrete: Any = field(default=None, compare=False, metadata={"code": False})  # the program, for display


@dataclass(frozen=True)
class Control:
    """A loop or branch over compiled sub-programs (``compiler/control.py``).

    ``kind`` ``while``: ``subs`` = (condition, body); the carried values start as the
    buffers ``inits`` and end in ``results``; each step the body writes the next carried
    values into whichever of ``results``/``spare`` does not hold the current ones, and
    the condition writes its truth into ``flag``. ``kind`` ``cond``: ``subs`` = (true
    branch, false branch), ``pred`` the buffer of the 0-d bool; the branch taken writes
    ``results``. ``nbytes`` are the results' sizes in bytes (parameters in the generic form);
    ``scalar`` the item size of each 0-d carried value (0 for arrays): a loop keeps
    those in stack slots the compiler promotes to registers.
    """

    kind: str
    subs: tuple[SubCall, ...]
    results: tuple[int, ...]
    nbytes: tuple
    inits: tuple[int, ...] = ()
    spare: tuple[int, ...] = ()
    flag: int | None = None
    pred: int | None = None
    scalar: tuple[int, ...] = ()

    def buffers(self) -> set[int]:
        out = set(self.results) | set(self.inits) | set(self.spare)
        out |= {b for b in (self.flag, self.pred) if b is not None}
        for sub in self.subs:
            out |= set(sub.captured) | {outer for _, outer in sub.constants} | {sub.sizes}
            if sub.arena is not None:
                out.add(sub.arena)
        return out


@dataclass
class Kernel:
    """A fused group of graph nodes compiled to one LLVM function."""

    name: str
    kind: str  # map | reduce | contraction | concat | gemm | control | along_axis
    nodes: list[int]
    nests: list[Nest]
    schedules: list[Schedule] = field(default_factory=list)
    parallel_grain: int = 0  # > 0: the runtime splits the outermost loop in chunks of this
    gemm: Gemm | None = None
    row_fused: bool = False  # nests share their outermost loop (compiler/loopfuse.py)
    control: Control | None = None  # a loop or branch running sub-programs (no nests)
    along: "AlongAxis | None" = None  # a scan or sort kernel (compiler/along_axis.py)

    def buffers(self) -> list[int]:
        if self.control is not None:
            return sorted(self.control.buffers())
        if self.along is not None:
            return sorted(self.along.buffers())
        if self.gemm is not None:
            g = self.gemm
            extra = set()
            if g.epilogue is not None:
                extra = {ld.access.buffer for ld in Nest((), 0, None, g.epilogue, g.c).loads()}
            block = set() if g.b_block is None else {g.b_block}
            return sorted({g.a.buffer, g.b_buffer(), g.c.buffer} | block | extra)
        return sorted(set().union(*(n.buffers() for n in self.nests)))

    @property
    def parallel_extent(self) -> int:
        """Extent of the outermost loop that may be split between threads (0: none)."""
        if self.gemm is not None:
            return self.gemm.tasks
        if self.along is not None:
            return self.along.tasks
        if self.row_fused:
            return self.nests[0].shape[0]
        if len(self.nests) != 1 or not self.nests[0].n_kept:
            return 0
        return self.nests[0].shape[0]


def in_sequence(kernels: list[Kernel], kind: str) -> Kernel:
    """Kernels run one after another as a single (serial) kernel: their nests in turn."""
    if len(kernels) == 1:
        return kernels[0]
    return Kernel("+".join(k.name for k in kernels), kind, sorted({n for k in kernels for n in k.nodes}),
                  [n for k in kernels for n in k.nests], [s for k in kernels for s in k.schedules])


def expr_text(e: Expr, names: list[str], bufnames: dict[int, str]) -> str:
    if isinstance(e, Gather):
        at = " + ".join(f"{s}*[{expr_text(i, names, bufnames)}]<{n}" for i, s, n in zip(e.indices, e.strides, e.extents))
        return f"gather({e.access.text(names, bufnames[e.access.buffer])} + {at})"
    if isinstance(e, Load):
        return e.access.text(names, bufnames[e.access.buffer])
    if isinstance(e, Const):
        return repr(e.value)
    if isinstance(e, Iota):
        return f"iota({e.start!r} + {e.step!r}*{e.access.text(names, 'e')[2:-1]})"
    if isinstance(e, Acc):
        return "acc"
    if isinstance(e, Convert):
        return f"{short_name(e.dtype)}({expr_text(e.arg, names, bufnames)})"
    return f"{e.op}({', '.join(expr_text(a, names, bufnames) for a in e.args)})"


def nest_text(nest: Nest, bufnames: dict[int, str]) -> str:
    names = [f"i{d}" for d in range(nest.n_kept)] + [f"r{d}" for d in range(nest.n_reduced)]
    kept = ", ".join(f"{n}<{s}" for n, s in zip(names, nest.shape))
    body = expr_text(nest.value, names, bufnames)
    if nest.reduce:
        body = f"{nest.reduce}[{', '.join(names[nest.n_kept:])}] {body}"
    if nest.epilogue is not None:
        body = f"{expr_text(nest.epilogue, names[:nest.n_kept], bufnames)} where acc = {body}"
    store = nest.store.text(names[:nest.n_kept], bufnames[nest.store.buffer])
    if isinstance(nest.store, ScatterAccess):
        at = " + ".join(f"{s}*[{expr_text(i, names, bufnames)}]<{n}" for i, s, n in
                        zip(nest.store.indices, nest.store.index_strides, nest.store.extents))
        store = f"scatter({Access.text(nest.store, names[:nest.n_kept], bufnames[nest.store.buffer])} + {at})"
    return f"for ({kept}): {store} = {body}"


def _control_text(c: Control, names: dict[int, str]) -> str:
    def buf(b: int) -> str:
        return names.get(b, f"b{b}")

    if c.kind == "while":
        head = (f"  while {c.subs[0].program.name}({', '.join(buf(b) for b in c.inits)}) -> {buf(c.flag)}: "
                f"[{', '.join(buf(b) for b in c.results)}] (spare {', '.join(buf(b) for b in c.spare)}) = "
                f"{c.subs[1].program.name}(...)")
    else:
        head = (f"  cond {buf(c.pred)}: [{', '.join(buf(b) for b in c.results)}] = "
                f"{c.subs[0].program.name}(...) else {c.subs[1].program.name}(...)")
    lines = [head]
    for sub in c.subs:
        lines.append(f"  sub-program {sub.program.name}: carries {sub.carries}, captured "
                     f"{[buf(b) for b in sub.captured]}, sizes {buf(sub.sizes)}"
                     + (f", arena {buf(sub.arena)}" if sub.arena is not None else ""))
        shown = sub.concrete if sub.concrete is not None else sub.program
        lines.extend("    " + line for line in shown.text().splitlines())
    return "\n".join(lines)


@dataclass
class Program:
    """Kernels in execution order plus every buffer they use."""

    name: str
    buffers: list[Buffer]
    kernels: list[Kernel]
    n_inputs: int
    outputs: list[int]  # buffer id (or -1 for none) per output index
    fastmath: bool = False  # float arithmetic may be reassociated (tj.jit(fastmath=True))
    plan: "MemoryPlan | None" = None  # arena offsets of the temporaries (compiler/memplan.py)

    def bufnames(self) -> dict[int, str]:
        return {b.id: b.name for b in self.buffers}

    def memory(self) -> dict[str, int]:
        """Bytes of inputs, constants, outputs and temporaries (the arena the memory plan
        lays them in: buffers never live at once share bytes), and the peak: everything a
        call holds at once (outputs are allocated before the kernels run). Row scratch
        lives on each task's stack and is not counted."""
        by_kind = {k: sum(b.nbytes for b in self.buffers if b.kind == k)
                   for k in ("input", "constant", "output", "temp")}
        temps = self.plan.arena_bytes if self.plan is not None else by_kind["temp"]
        return {"inputs": by_kind["input"], "constants": by_kind["constant"],
                "outputs": by_kind["output"], "temporaries": temps,
                "temporaries_unshared": by_kind["temp"],
                "peak": by_kind["input"] + by_kind["constant"] + by_kind["output"] + temps}

    def text(self) -> str:
        names = self.bufnames()
        lines = []
        for b in self.buffers:
            extra = f" arg {b.index}" if b.kind == "input" else (f" result {list(b.outputs)}" if b.outputs else "")
            origin = f"node %{b.node}" if b.node >= 0 else b.label
            lines.append(f"buffer {b.name}: {b.kind} {short_name(b.dtype)}[{','.join(map(str, b.shape))}]"
                         f"{extra} ({origin})")
        for k in self.kernels:
            nodes = " ".join(f"%{n}" for n in k.nodes)
            par = f", parallel in chunks of {k.parallel_grain}" if k.parallel_grain else ""
            par += ", stages share the outer loop" if k.row_fused else ""
            lines.append(f"kernel {k.name} ({k.kind}) nodes {nodes}{par}")
            if k.control is not None:
                lines.append(_control_text(k.control, names))
            if k.gemm is not None:
                lines.append("  " + k.gemm.text(names))
                if k.gemm.epilogue is not None:
                    lines.append("    epilogue: " + expr_text(k.gemm.epilogue, ["b", "i", "j"], names))
            if k.along is not None:
                lines.append("  " + k.along.text(names))
            for nest, sched in zip(k.nests, k.schedules or [None] * len(k.nests)):
                lines.append("  " + nest_text(nest, names))
                if sched is not None:
                    lines.append(f"    schedule: {sched.text()}")
        if self.plan is not None:
            lines.append(self.plan.text(self.buffers))
        return "\n".join(lines)
