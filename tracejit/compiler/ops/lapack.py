"""Calls of NumPy's own LAPACK (``runtime/lapack.py``) from generated code.

``lapack(operands...)`` with attrs ``call`` (a :class:`LapackCall`: the routine and what
each of its Fortran arguments points at), ``dims`` (the integers the arguments name:
orders, leading dimensions, workspace lengths), ``batch`` (how many matrices) and
``results`` (their AVals). Results are picked by ``loop_out`` nodes like a loop's. Each
result starts as a copy of an operand (``call.inits``) or uninitialized; the routine is
called once per matrix of the batch, a result marked ``batched`` advancing by one slice
(its size over ``batch``) per call, the others (pivots, workspaces) shared. Operands and
results are column-major matrices as the frontend laid them out (``frontend/numpy/
lapack_funcs.py``): a transposed copy. The op is pure (passes may merge or drop it); it
becomes a control kernel of its own (``kernelize/lapack.py``, ``codegen/lapack.py``).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tracejit.compiler.ops.control import TOKEN
from tracejit.compiler.ops.registry import OpDef, register
from tracejit.runtime import lapack


@dataclass(frozen=True)
class LapackCall:
    """A LAPACK routine and its arguments, each one of: ``("dim", k)`` a pointer to the
    int64 ``dims[k]``; ``("char", c)`` a pointer to character ``c``; ``("out", i)`` result
    ``i`` (this matrix's slice of it when ``batched[i]``); ``("in", k)`` operand ``k``."""

    routine: str
    args: tuple[tuple, ...]
    batched: tuple[bool, ...]  # per result
    inits: tuple[tuple[int, int], ...] = ()  # (result, operand): the result starts as a copy of the operand


def run_call(*operands: np.ndarray, call: LapackCall, dims: tuple, batch: int, results: tuple,
             **_ignored: object) -> tuple:
    """The results of the calls, made through ctypes on concrete values (the interpreter's reference)."""
    outs = [np.zeros(a.shape, a.dtype) for a in results]
    ins = [np.ascontiguousarray(x) for x in operands]
    for r, k in call.inits:
        outs[r].reshape(-1).view(np.uint8)[:] = ins[k].reshape(-1).view(np.uint8)
    ints = [np.array([d], np.int64) for d in dims]
    chars = {c: np.array([ord(c)], np.uint8) for kind, c in call.args if kind == "char"}
    for i in range(batch):
        pointers = []
        for kind, v in call.args:
            if kind == "dim":
                pointers.append(ints[v].ctypes.data)
            elif kind == "char":
                pointers.append(chars[v].ctypes.data)
            elif kind == "in":
                pointers.append(ins[v].ctypes.data)
            else:
                step = outs[v].nbytes // batch if call.batched[v] else 0
                pointers.append(outs[v].ctypes.data + i * step)
        lapack.call(call.routine, pointers)
    return tuple(outs)


def _infer_token(avals, **attrs):
    return TOKEN


register(OpDef(
    name="lapack", kind="control", arity=None, infer=_infer_token, reference=run_call, cost=0,
    doc="call a routine of NumPy's LAPACK once per matrix (results via loop_out)"))
