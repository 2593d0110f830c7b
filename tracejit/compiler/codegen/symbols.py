"""The names of a generated module's functions, known without generating it (a program
loaded from the disk cache needs them, and nothing else from code generation)."""
from __future__ import annotations

from dataclasses import dataclass

from tracejit.compiler.kernel import Program

ARRAY_DATA_OFFSET = 16  # bytes from a NumPy array object to its data pointer (64-bit CPython)


@dataclass(frozen=True)
class ModuleSymbols:
    """Names of the functions in a generated module."""

    entry: str
    kernels: tuple[str, ...]
    parallel: bool  # the driver calls parallel_for
    call: str = ""  # the wrapper taking array objects (see codegen/module.py)


def _symbol(name: str) -> str:
    return "".join(c if c.isalnum() or c == "_" else "_" for c in name)


def symbol_names(program: Program, prefix: str) -> ModuleSymbols:
    """The driver's and the kernels' names in the module of ``program`` (functions start
    with ``prefix``)."""
    return ModuleSymbols(f"{prefix}_entry", tuple(f"{prefix}_{_symbol(k.name)}" for k in program.kernels),
                         any(k.parallel_grain for k in program.kernels), f"{prefix}_call")


def call_slots(program: Program) -> list[int]:
    """Buffers whose array objects the ``call`` wrapper receives, in its argument order:
    the inputs by argument index, then the outputs by buffer id."""
    inputs = sorted((b for b in program.buffers if b.kind == "input"), key=lambda b: b.index)
    return [b.id for b in inputs] + [b.id for b in program.buffers if b.kind == "output"]
