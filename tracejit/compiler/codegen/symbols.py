"""The names of a generated module's functions, known without generating it (a program
loaded from the disk cache needs them, and nothing else from code generation)."""
from __future__ import annotations

from dataclasses import dataclass

from tracejit.compiler.kernel import Program


@dataclass(frozen=True)
class ModuleSymbols:
    """Names of the functions in a generated module."""

    entry: str
    kernels: tuple[str, ...]
    parallel: bool  # the driver calls parallel_for


def _symbol(name: str) -> str:
    return "".join(c if c.isalnum() or c == "_" else "_" for c in name)


def symbol_names(program: Program, prefix: str) -> ModuleSymbols:
    """The driver's and the kernels' names in the module of ``program`` (functions start
    with ``prefix``)."""
    return ModuleSymbols(f"{prefix}_entry", tuple(f"{prefix}_{_symbol(k.name)}" for k in program.kernels),
                         any(k.parallel_grain for k in program.kernels))
