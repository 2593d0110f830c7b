"""The op registry, populated by importing each declaring module once (no llvmlite:
lowerings live in ``codegen/lowerings/``)."""
from tracejit.compiler.ops import (  # noqa: F401
    arith,
    control,
    dynamic_slice,
    elementwise,
    fused,
    gather,
    host,
    lapack,
    lstsq_rules,
    mathfuncs,
    reductions,
    scan_sort,
    scatter,
    scatter_add,
    search,
    structure,
    update,
    views,
)
from tracejit.compiler.ops.elementwise import signature as elementwise_signature
from tracejit.compiler.ops.registry import REGISTRY, OpDef, Reduction, get_op, ops_of_kind

__all__ = ["REGISTRY", "OpDef", "Reduction", "get_op", "ops_of_kind", "elementwise_signature"]
