"""The op registry: every op is declared exactly once, here or in a sibling module.

An :class:`OpDef` holds an op's name, kind, arity, shape/dtype rule (``infer``), NumPy
reference implementation (``reference``, used by constant folding, the interpreter and
tests) and its lowering hook, whose meaning depends on the kind:

==============  ===============================================================
kind            ``lower``
==============  ===============================================================
elementwise     ``lower(ctx, *args) -> value``: scalar/vector LLVM IR
view            ``lower(view: StridedView, **attrs) -> StridedView | None``
reduce          a :class:`ReduceLowering` (identity and combine in LLVM IR)
contraction     None: kernel formation expresses it as a reduce of a product
concat          None: kernel formation emits one loop nest per operand
update          None: kernel formation copies the base and stores the value
control         None: sub-graphs compiled to programs run by a control kernel
along_axis      None: a library kernel per line along ``attrs['axis']`` (scans, sorts)
gather          None: kernel formation loads through computed indices (``ops/gather.py``)
source/output   None: buffers, not computations
==============  ===============================================================
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from tracejit.compiler.dtypes import AVal

KINDS = ("source", "output", "elementwise", "view", "reduce", "contraction", "concat", "update", "control",
         "along_axis", "gather")


@dataclass(frozen=True)
class OpDef:
    """Everything about one op."""

    name: str
    kind: str
    arity: int | None  # None: variadic
    infer: Callable[..., AVal]  # infer(avals: tuple[AVal, ...], **attrs) -> AVal
    reference: Callable[..., Any] | None  # reference(*arrays, **attrs) -> ndarray
    lower: Any = None
    cost: int = 1  # rough per-element cost, used by fusion to avoid recomputation
    ufunc: Any = None  # the NumPy ufunc an elementwise op implements, if any
    doc: str = ""
    extra: dict = field(default_factory=dict)

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"op {self.name}: unknown kind {self.kind!r}")


REGISTRY: dict[str, OpDef] = {}


def register(op: OpDef) -> OpDef:
    """Add ``op`` to the registry; a name may be declared only once."""
    if op.name in REGISTRY:
        raise ValueError(f"op {op.name!r} declared twice")
    REGISTRY[op.name] = op
    return op


def get_op(name: str) -> OpDef:
    """The declaration of op ``name``."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise KeyError(f"no op named {name!r} in the registry") from None


def ops_of_kind(kind: str) -> list[OpDef]:
    """All registered ops of one kind, in declaration order."""
    return [op for op in REGISTRY.values() if op.kind == kind]


@dataclass(frozen=True)
class ReduceLowering:
    """How a reduction accumulates.

    ``identity(dtype)`` is the neutral start value (a Python number); ``combine(ctx, acc, x)``
    emits LLVM IR for one accumulation step and must be associative (so vector lanes
    may be combined in any tree); ``pairwise`` asks codegen for blocked pairwise
    accumulation (float sums); ``arg`` marks argmax/argmin, which track an index.
    """

    identity: Callable[[Any], Any]
    combine: Callable[..., Any]
    pairwise: bool = False
    arg: bool = False
    better: Callable[..., Any] | None = None  # arg reductions: is x strictly better than acc
