"""Run-time row counts for an export's matrix products.

``compiler/generic_sizes.py`` keeps every size of a GEMM kernel a constant: the JIT tunes
its blocking to them and compiles a product per shape. An export must serve every batch
size with one module, and a batch is the row count M of ``x @ W``: the GEMM's code only
bounds its row loops by M (its tiles, K blocking, columns and packing of B do not depend
on it), so :func:`rows_as_sizes` makes M a size-table parameter of the generic program
for the products whose M differs between the export's samples. Everything else of the
product must be the same at every sample (the structure check in ``plan.py``): a product
whose task grid or K split follows M still needs M fixed. ``codegen/gemm.py`` reads the
parameter, and computes the rows of a task from it, where M is one.
"""
from __future__ import annotations

import dataclasses

from tracejit.compiler.generic_sizes import GenericProgram, Param


def varying_rows(generics: list[GenericProgram]) -> set[int]:
    """Indices of the top-level GEMM kernels whose row count differs between ``generics``
    (programs of one structure traced at different sizes)."""
    first = generics[0].kernels
    out = set()
    for i, kernel in enumerate(first):
        if kernel.gemm is None or isinstance(kernel.gemm.m, Param):
            continue
        rows = {g.kernels[i].gemm.m if i < len(g.kernels) and g.kernels[i].gemm is not None else None
                for g in generics}
        if len(rows) > 1:
            out.add(i)
    return out


def rows_as_sizes(generic: GenericProgram, kernels: set[int]) -> GenericProgram:
    """``generic`` with the row count of each GEMM kernel in ``kernels`` (indices) a new slot
    at the end of the size table (its value the program's M)."""
    params = list(generic.params)
    out = []
    for i, kernel in enumerate(generic.kernels):
        if i in kernels and kernel.gemm is not None and not isinstance(kernel.gemm.m, Param):
            params.append(int(kernel.gemm.m))
            kernel = dataclasses.replace(kernel, gemm=dataclasses.replace(kernel.gemm, m=Param(len(params) - 1)))
        out.append(kernel)
    return dataclasses.replace(generic, kernels=out, params=tuple(params))
