"""Run-time lengths in an export's arithmetic.

A mean, variance or standard deviation over a run-time dim divides by its length, and
``x.sum(0) / len(x)`` by ``len(x)``: kernel formation folds that length (``N``, or
``N - ddof``) into the kernel as a scalar :class:`Const`, so the programs an export
traces at its sample sizes differ in that constant and nothing else. For each constant
that differs between the samples and is an integer at every one (a float constant equal
to an integer, below 2^53 in magnitude), :func:`consts_as_sizes` makes it a new slot at
the end of the size table and reads it there: an :class:`Iota` of step 1 through an
access with no strides and the slot as its offset, which code generation computes as
``0 + float(slot) * 1`` in the constant's dtype (``int64 -> float`` rounds once, as the
JIT's folded ``float(N)`` does: the same bits). ``plan.py`` then fits the slot like any
other (``N - 1``) and checks it at a held-out size. A constant that is the reciprocal of
an integer rounded to its float dtype (``x * (1.0 / len(x))``) holds that integer in its
slot and is read as ``1.0 / slot`` in float64, rounded once to the dtype (the JIT's folding);
any other varying constant (``sqrt(N)``) stays, and the samples' structures differ (``SizeError``).
"""
from __future__ import annotations

import dataclasses
from typing import Callable

import numpy as np

from tracejit.compiler.generic_sizes import GenericProgram, Param
from tracejit.compiler.kir import NO_BUFFER, Access, Apply, Const, Convert, Expr, Iota, Nest
from tracejit.compiler.kir.walk import rebuild, rewrite

EXACT = 2 ** 53  # integers a float64 holds exactly: int64 -> dtype rounds as float(N) -> dtype does

Position = tuple[int, int, int, int]  # (kernel, nest, 0 value / 1 epilogue, k-th constant in walk order)


def _roots(nest: Nest) -> list[tuple[int, Expr | None, int]]:
    """(part, root, number of loop dims its accesses have) of a nest's expressions."""
    return [(0, nest.value, len(nest.shape)), (1, nest.epilogue, nest.n_kept)]


def _map_consts(generic: GenericProgram, fix: Callable[[Position, Const, int], Expr]) -> list:
    """Each loop-nest kernel's nests with every scalar constant passed through ``fix``
    (position, constant, loop dims): a list (per kernel) of nest lists, or None for
    kernels left alone (library, control, scan and sort kernels)."""
    out = []
    for i, kernel in enumerate(generic.kernels):
        if kernel.gemm is not None or kernel.along is not None or kernel.control is not None:
            out.append(None)
            continue
        nests = []
        for j, nest in enumerate(kernel.nests):
            parts = {}
            for part, root, dims in _roots(nest):
                if root is None:
                    parts[part] = None
                    continue
                count = [0]

                def leave(e: Expr, kids: tuple, part=part, dims=dims, count=count) -> Expr:
                    if isinstance(e, Const):
                        count[0] += 1
                        return fix((i, j, part, count[0] - 1), e, dims)
                    return rebuild(e, kids)

                parts[part] = rewrite(root, leave, {})
            nests.append(dataclasses.replace(nest, value=parts[0], epilogue=parts[1]))
        out.append(nests)
    return out


def _integral(value: object) -> bool:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return False
    return number.is_integer() and abs(number) < EXACT


def _reciprocal_of(c: Const) -> int | None:
    """The integer k whose ``dtype(1.0 / k)`` (a division in float64, then rounded once to
    the constant's float dtype, as the JIT folds ``1.0 / len(x)``) is ``c`` bit for bit, or None."""
    dtype = np.dtype(c.dtype)
    if dtype.kind != "f":
        return None
    try:
        value = float(c.value)
    except (TypeError, ValueError):
        return None
    if value == 0 or not np.isfinite(value) or abs(1.0 / value) >= EXACT:
        return None
    k = round(1.0 / value)
    if k == 0:
        return None
    same = np.array(1.0 / k).astype(dtype).tobytes() == np.array(value).astype(dtype).tobytes()
    return k if same else None


def _slot_value(c: Const, kind: str) -> int | None:
    """What the size table holds for ``c`` read as ``kind`` ("value" or "reciprocal"), or None."""
    if kind == "value":
        return int(float(c.value)) if _integral(c.value) else None
    return _reciprocal_of(c)


def varying_lengths(generics: list[GenericProgram]) -> list[tuple[Position, str]]:
    """Positions of the scalar constants that differ between ``generics`` (programs traced
    at different sizes, as many kernels each) and are integers (in a float or integer
    dtype) at every one ("value"), or reciprocals of integers rounded to their float dtype
    ("reciprocal"): the candidates for :func:`consts_as_sizes`."""
    if len({len(g.kernels) for g in generics}) != 1:
        return []
    seen: list[dict[Position, Const]] = []
    for g in generics:
        found: dict[Position, Const] = {}

        def record(pos: Position, c: Const, dims: int, found=found) -> Expr:
            found[pos] = c
            return c

        _map_consts(g, record)
        seen.append(found)
    out = []
    for pos, first in seen[0].items():
        consts = [s.get(pos) for s in seen]
        if any(c is None or np.dtype(c.dtype) != np.dtype(first.dtype) for c in consts):
            continue
        if np.dtype(first.dtype).kind not in "iuf" or len({repr(c.value) for c in consts}) < 2:
            continue
        for kind in ("value", "reciprocal"):
            if all(_slot_value(c, kind) is not None for c in consts):
                out.append((pos, kind))
                break
    return out


def consts_as_sizes(generic: GenericProgram, positions: list[tuple[Position, str]]) -> GenericProgram:
    """``generic`` with the constant at each of ``positions`` read from a new slot at the
    end of the size table (its value the constant, an integer, or the integer it is the
    rounded reciprocal of: ``1.0 / slot`` in float64, converted; see the module docstring)."""
    if not positions:
        return generic
    wanted = dict(positions)
    params = list(generic.params)
    slot_of: dict[Position, int] = {}

    def fix(pos: Position, c: Const, dims: int) -> Expr:
        kind = wanted.get(pos)
        value = None if kind is None else _slot_value(c, kind)
        if value is None:  # (not at this size: the structure differs, the caller sees it)
            return c
        if pos not in slot_of:
            params.append(value)
            slot_of[pos] = len(params) - 1
        access = Access(NO_BUFFER, np.dtype(np.int64), Param(slot_of[pos]), (0,) * dims)
        if kind == "value":
            return Iota(access, 0, 1, c.dtype)
        f64 = np.dtype(np.float64)
        inverse = Apply("reciprocal", (Iota(access, 0.0, 1.0, f64),), f64, f64)
        return inverse if np.dtype(c.dtype) == f64 else Convert(inverse, c.dtype)

    nests = _map_consts(generic, fix)
    kernels = [k if n is None else dataclasses.replace(k, nests=n) for k, n in zip(generic.kernels, nests)]
    for old, new in zip(generic.kernels, kernels):  # (replace copies only the fields it is given)
        if new is not old:
            new.parallel_grain = old.parallel_grain
    return dataclasses.replace(generic, kernels=kernels, params=tuple(params))
