"""The names of a generated module's functions, known without generating it (a program
loaded from the disk cache needs them, and nothing else from code generation)."""
from __future__ import annotations

from dataclasses import dataclass

from tracejit.compiler.kir import Program

# Where NumPy's array object (PyArrayObject on 64-bit CPython) holds what the call wrapper
# reads: its type, data pointer, number of dims, dims, dtype object and flags. The runtime
# checks every offset once on a probe array before it lets the wrapper run.
ARRAY_FIELDS = {"type": 8, "data": 16, "nd": 24, "dims": 32, "descr": 56, "flags": 64}
C_CONTIGUOUS_ALIGNED = 0x1 | 0x100  # NPY_ARRAY_C_CONTIGUOUS | NPY_ARRAY_ALIGNED


@dataclass(frozen=True)
class ModuleSymbols:
    """Names of the functions in a generated module."""

    entry: str
    kernels: tuple[str, ...]
    call: str = ""  # the wrapper taking array objects (see codegen/call.py)


def _symbol(name: str) -> str:
    return "".join(c if c.isalnum() or c == "_" else "_" for c in name)


def symbol_names(program: Program, prefix: str) -> ModuleSymbols:
    """The driver's and the kernels' names in the module of ``program`` (functions start
    with ``prefix``)."""
    return ModuleSymbols(f"{prefix}_entry", tuple(f"{prefix}_{_symbol(k.name)}" for k in program.kernels),
                         f"{prefix}_call")


def call_slots(program: Program) -> list[int]:
    """Buffers whose array objects the ``call`` wrapper receives, in its argument order:
    the inputs by argument index, then the outputs by buffer id."""
    inputs = sorted((b for b in program.buffers if b.kind == "input"), key=lambda b: b.index)
    return [b.id for b in inputs] + [b.id for b in program.buffers if b.kind == "output"]


def checks_inputs(program: Program) -> bool:
    """Whether the call wrapper checks its input objects (every input C-contiguous in the
    program, so dims, dtype and two flags say all; see codegen/call.py)."""
    return all(b.view.is_contiguous() for b in program.buffers if b.kind == "input")
