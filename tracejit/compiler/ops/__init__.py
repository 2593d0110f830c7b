"""The op registry, populated by importing each declaring module once."""
from tracejit.compiler.ops.registry import REGISTRY, OpDef, ReduceLowering, get_op, ops_of_kind
from tracejit.compiler.ops import elementwise, arith, mathfuncs, reductions, views, structure, update, control  # noqa: F401
from tracejit.compiler.ops import along_axis  # noqa: F401
from tracejit.compiler.ops import gather, scatter  # noqa: F401
from tracejit.compiler.ops import fused  # noqa: F401
from tracejit.compiler.ops.elementwise import signature as elementwise_signature

__all__ = ["REGISTRY", "OpDef", "ReduceLowering", "get_op", "ops_of_kind", "elementwise_signature"]
