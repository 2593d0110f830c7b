"""A stable text of everything code generation reads from a program, for the disk cache.

Code generation is a function of the program's kernels, schedules, buffers' shapes,
dtypes and kinds, the in-place pairs of its memory plan (and which slot holds each
temporary's offset) and its fast-math flag; the values of constant buffers are not part
of the code (the runtime passes their addresses), so they are left out. Code is
generated for a program's generic form (``compiler/generic_sizes.py``), whose sizes are
parameters: its fingerprint names the code shared by every program of that structure,
and leaves out the parameters' values. Expression DAGs are written once per node (shared
subexpressions by reference), so the text grows with the program, not with its
expansion as a tree.
"""
from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import numpy as np

from tracejit.compiler.kir import Expr, Program

if TYPE_CHECKING:  # the graph module imports the ops, one of which fingerprints sub-graphs
    pass


def _walk(obj, memo: dict[int, int], out: list[str]) -> str:
    if isinstance(obj, Expr):
        if id(obj) not in memo:
            fields = ",".join(_walk(getattr(obj, f.name), memo, out) for f in dataclasses.fields(obj))
            memo[id(obj)] = len(out)
            out.append(f"{type(obj).__name__}({fields})")
        return f"%{memo[id(obj)]}"
    if isinstance(obj, np.ndarray):
        return f"array{obj.shape}{obj.dtype.str}"  # a constant's values are data, not code
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        fields = ",".join(f"{f.name}={_walk(getattr(obj, f.name), memo, out)}" for f in dataclasses.fields(obj)
                          if f.metadata.get("code", True))  # (fields for display only are not code)
        return f"{type(obj).__name__}({fields})"
    if isinstance(obj, (list, tuple)):
        return "[" + ",".join(_walk(v, memo, out) for v in obj) + "]"
    if isinstance(obj, dict):
        return "{" + ",".join(f"{_walk(k, memo, out)}:{_walk(v, memo, out)}" for k, v in obj.items()) + "}"
    if isinstance(obj, np.dtype):
        return obj.str
    if isinstance(obj, (float, np.floating)):
        return float(obj).hex()
    return f"{type(obj).__name__}:{obj!r}"


def program_fingerprint(program: Program) -> str:
    """The text that names ``program``'s generated code (see module docstring)."""
    memo: dict[int, int] = {}
    out: list[str] = []
    kernels = _walk(program.kernels, memo, out)
    buffers = _walk([dataclasses.replace(b, value=None) for b in program.buffers], memo, out)
    # the plan's in-place pairs, and which slot holds each temporary's offset (generic form)
    plan = _walk((program.plan.in_place, sorted(program.plan.offsets.items())) if program.plan is not None else {},
                 memo, out)
    head = (f"name={program.name!r} inputs={program.n_inputs} outputs={program.outputs} "
            f"fastmath={program.fastmath} checks_inputs={getattr(program, 'checks_inputs', None)}\n"
            f"target={program.target.key if program.target is not None else None}")
    return "\n".join([head, kernels, buffers, plan, *out])


