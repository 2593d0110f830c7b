"""Op lowerings, a table keyed by op name that the family modules fill when codegen
imports this package: ``lowering(op)`` for elementwise ops, ``reduce_lowering(op)`` for
reductions. How view ops map strides stays with the op (``OpDef.view``)."""
from tracejit.compiler.codegen.lowerings import arith, elementwise, mathfuncs  # noqa: F401  (register)
from tracejit.compiler.codegen.lowerings.reductions import ReduceLowering, reduce_lowering
from tracejit.compiler.codegen.lowerings.table import LOWERINGS, lowering, register_lowering

__all__ = ["LOWERINGS", "ReduceLowering", "lowering", "reduce_lowering", "register_lowering"]
