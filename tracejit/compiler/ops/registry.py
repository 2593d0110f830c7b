"""The op registry: every op is declared exactly once, here or in a sibling module.

An :class:`OpDef` holds everything the compiler knows about an op apart from its LLVM
IR: name, kind (the group that graph passes and kernel formation key on), arity,
shape/dtype rule (``infer``), NumPy reference (``reference``, used by constant folding,
the interpreter and the tests), the NumPy ufunc it implements, a per-element cost, and
the data of its kind:

==============  ===============================================================
kind            what else the op declares / how it becomes code
==============  ===============================================================
elementwise     loop dtypes (``ufunc`` or ``extra['signature']``); a scalar/vector
                lowering in ``codegen/lowerings/`` (``register_lowering``)
view            ``view(strided: StridedView, **attrs) -> StridedView | None``
reduce          ``reduction``: a :class:`Reduction` (identity, combining op, ...)
contraction     ``extra['reduce']`` of ``extra['product']``: kernel formation's loop nest
concat          kernel formation emits one loop nest per operand
update          kernel formation copies the base and stores the value
control         sub-graphs compiled to programs run by a control kernel
along_axis      a library kernel per line along ``attrs['axis']`` (scans, sorts)
gather          kernel formation loads through computed indices (``ops/gather.py``)
source/output   buffers, not computations
==============  ===============================================================

``jvp``/``vjp`` are the op's forward and reverse differentiation rules (see the fields);
``ops/diffrules.py`` builds them for elementwise ops from their partial derivatives.

Nothing here imports llvmlite or codegen: the graph IR, the passes and the
interpreter load without the code generator.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from tracejit.compiler.dtypes import AVal

KINDS = ("source", "output", "elementwise", "view", "reduce", "contraction", "concat", "update", "control",
         "along_axis", "gather")


@dataclass(frozen=True)
class Reduction:
    """How a reduction accumulates, independent of the target.

    ``identity(dtype)`` is the neutral start value (a Python number); ``combine`` names the
    elementwise op of one accumulation step (associative, so vector lanes may be combined
    in any tree; None for argmax/argmin); ``pairwise`` asks for blocked pairwise
    accumulation (float sums); ``in_order`` one float accumulator taking the values in
    the loops' order, as NumPy's (float products: lanes or chunk partials would meet an
    overflow and a zero in another order, ``inf * 0``); ``arg`` marks argmax/argmin, which
    track an index and keep a value that compares ``better`` (``'>'`` or ``'<'``; the first NaN wins).
    """

    identity: Callable[[Any], Any]
    combine: str | None
    pairwise: bool = False
    arg: bool = False
    better: str | None = None
    in_order: bool = False


@dataclass(frozen=True)
class OpDef:
    """Everything about one op."""

    name: str
    kind: str
    arity: int | None  # None: variadic
    infer: Callable[..., AVal]  # infer(avals: tuple[AVal, ...], **attrs) -> AVal
    reference: Callable[..., Any] | None  # reference(*arrays, **attrs) -> ndarray
    cost: int = 1  # rough per-element cost, used by fusion to avoid recomputation
    ufunc: Any = None  # the NumPy ufunc an elementwise op implements, if any
    doc: str = ""
    view: Callable[..., Any] | None = None  # view ops: StridedView of the operand -> of the result
    reduction: Reduction | None = None  # reduce and contraction ops
    extra: dict = field(default_factory=dict)
    # Differentiation rules (``compiler/autodiff/``; None: the op has no rule and differentiating
    # through it raises). Each builds graph nodes through the builder ``b`` it is handed; a tangent
    # or cotangent of None is a symbolic zero.
    # jvp(b, tangents, operands, out, **attrs) -> the output's tangent node (or None: zero)
    jvp: Callable[..., Any] | None = None
    # vjp(b, ct, operands, out, **attrs) -> one cotangent node (or None) per operand
    vjp: Callable[..., Any] | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"op {self.name}: unknown kind {self.kind!r}")
        if (self.view is not None) != (self.kind == "view"):
            raise ValueError(f"op {self.name}: a view map exactly when the kind is 'view'")
        if (self.reduction is not None) != (self.kind == "reduce"):
            raise ValueError(f"op {self.name}: a Reduction exactly when the kind is 'reduce'")


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
