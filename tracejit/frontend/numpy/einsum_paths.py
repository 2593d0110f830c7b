"""``np.einsum`` of any number of operands and with repeated indices, reduced to the one-
and two-operand einsums ``linalg.py`` compiles (sums, one batched matrix product).

A label repeated within one operand (``"bii->b"``) takes that operand's diagonal first (a
strided view, no copy; the label moves to the last axis, as ``np.diagonal`` puts it).
Three or more operands are contracted two at a time in the order of NumPy's greedy path
(``np.einsum_path(..., optimize="greedy")``, on zero-stride stand-ins of the operands'
shapes: no data), each intermediate keeping the labels the output or a later operand
still needs. All operands are cast to their common dtype first, as NumPy's einsum
computes in it. NumPy without ``optimize=`` sums all products in one loop: results agree
to rounding, not bit for bit. Ellipses, ``out=`` and ``dtype=`` are refused by
``linalg.einsum`` (so run as host calls).
"""
from __future__ import annotations

import numpy as np
from numpy.typing import DTypeLike

from tracejit.frontend.dispatch import implements
from tracejit.frontend.numpy.linalg import einsum as pair_einsum
from tracejit.frontend.operands import Operand, is_tracer


def _diagonals(name: str, op: Operand) -> tuple[str, Operand]:
    """The operand with each repeated label's diagonal taken (the label last)."""
    while len(set(name)) != len(name):
        label = next(c for c in name if name.count(c) > 1)
        i = name.index(label)
        j = name.index(label, i + 1)
        op = np.diagonal(op, axis1=i, axis2=j)
        name = "".join(c for k, c in enumerate(name) if k not in (i, j)) + label
    return name, op


def _stand_in(op: Operand) -> np.ndarray:
    return np.broadcast_to(np.empty((), np.float64), tuple(np.shape(op)))


@implements(np.einsum)
def einsum(subscripts: str, *operands: Operand, out: object = None, dtype: DTypeLike = None, order: str | None = "K",
           casting: str = "safe", optimize: object = False) -> Operand:
    """``np.einsum``: diagonals of repeated labels, then pairwise contractions in greedy order."""
    def simple() -> Operand:
        return pair_einsum(subscripts, *operands, out=out, dtype=dtype, order=order, casting=casting,
                           optimize=optimize)

    if out is not None or dtype is not None or not isinstance(subscripts, str):
        return simple()
    spec = subscripts.replace(" ", "")
    inputs, arrow, output = spec.partition("->")
    names = inputs.split(",")
    if "." in spec or len(names) != len(operands) or any(len(n) != np.ndim(op) for n, op in zip(names, operands)) \
            or (len(operands) <= 2 and all(len(set(n)) == len(n) for n in names)):
        return simple()  # (the forms it compiles, or its refusals and NumPy's errors)
    if not arrow:
        output = "".join(sorted(c for c in set(inputs) - {","} if inputs.count(c) == 1))
    ops = [op if is_tracer(op) else np.asarray(op) for op in operands]
    common = np.result_type(*(op.dtype for op in ops))
    ops = [op.astype(common) if op.dtype != common else op for op in ops]
    pairs = [_diagonals(n, op) for n, op in zip(names, ops)]
    if len(pairs) > 2:
        path = np.einsum_path(",".join(n for n, _ in pairs) + "->" + output, *(_stand_in(op) for _, op in pairs),
                              optimize="greedy")[0][1:]
        for step in path:
            group = [pairs[k] for k in step]
            pairs = [p for k, p in enumerate(pairs) if k not in step]
            while len(group) > 1:
                (na, a), (nb, b) = group[0], group[1]
                rest = output + "".join(n for n, _ in group[2:] + pairs)
                keep = "".join(dict.fromkeys(c for c in na + nb if c in rest))
                group = [(keep, pair_einsum(f"{na},{nb}->{keep}", a, b))] + group[2:]
            pairs.append(group[0])
    return pair_einsum(",".join(n for n, _ in pairs) + "->" + output, *(op for _, op in pairs))
