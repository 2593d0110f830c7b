"""Reading a generic program's sizes (``compiler/generic_sizes.py``) in generated code.

A kernel function receives a pointer to the size table and loads each parameter it uses
once, at the top of its entry block, so loops see a loop-invariant value (and no store
in the kernel can be mistaken for one that changes it). The driver and the call wrapper
read parameters where they use them.
"""
from __future__ import annotations

from llvmlite import ir

from tracejit.compiler.codegen.loops import i64
from tracejit.compiler.codegen.lowerctx import I64
from tracejit.compiler.generic_sizes import Param


class SizeReader:
    """``sizes(x)``: the i64 value of ``x``, a constant or a :class:`Param` read from
    ``table`` (``ptr`` to int64s). With ``hoist``, each slot is loaded once at the top
    of the function's entry block (``table`` must then be a function argument)."""

    def __init__(self, b: ir.IRBuilder, table: ir.Value, hoist: bool = True):
        self.b, self.table, self.hoist = b, table, hoist
        self._loaded: dict[int, ir.Value] = {}

    def __call__(self, value) -> ir.Value:
        if not isinstance(value, Param):
            return i64(value)
        if not self.hoist:
            return self._load(value.slot)
        if value.slot not in self._loaded:
            b = self.b
            with b.goto_entry_block():
                if b.block.instructions:
                    b.position_before(b.block.instructions[0])
                self._loaded[value.slot] = self._load(value.slot)
        return self._loaded[value.slot]

    def _load(self, slot: int) -> ir.Value:
        b = self.b
        return b.load(b.gep(self.table, [i64(slot)], inbounds=True, source_etype=I64), typ=I64,
                      name=f"size{slot}")
