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

``np.tensordot`` is the matrix product NumPy's own makes of it: each operand transposed
(free axes, then summed ones; summed, then free), reshaped to a matrix, multiplied and
reshaped to the free axes of both, so mixed dtypes and sizes go to the GEMM as ``@`` does.
"""
from __future__ import annotations

import numpy as np
from numpy.typing import DTypeLike

from tracejit.errors import at, user_error
from tracejit.frontend.context import user_location
from tracejit.frontend.dispatch import implements
from tracejit.frontend.numpy.linalg import einsum as pair_einsum
from tracejit.frontend.numpy.linalg import matmul
from tracejit.frontend.operands import Operand, as_array, as_operand, find_trace, is_tracer


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
    result = _contracted(subscripts, operands, out, dtype, order, casting, optimize)
    if optimize is not False and out is None and is_tracer(result) and result.ndim == 0 \
            and _last_step_is_a_product(subscripts, operands, optimize):
        result._scalar = False  # (NumPy's optimized einsum ends in matmul: a 0-d array, not a scalar)
    return result


def _last_step_is_a_product(subscripts: object, operands: tuple, optimize: object) -> bool:
    """Whether NumPy's optimized einsum (``optimize=`` not False) ends in a matrix product of
    two operands sharing a label (a 0-d array for a full contraction), not a one-operand
    einsum or a product of labels apart (NumPy scalars)."""
    if not isinstance(subscripts, str) or len(operands) < 2 or "." in subscripts:
        return False
    inputs, _, output = subscripts.replace(" ", "").partition("->")
    labels = [set(n) for n in inputs.split(",")]
    if len(labels) != len(operands) or any(len(n) != np.ndim(op) for n, op in zip(inputs.split(","), operands)):
        return False
    path = np.einsum_path(subscripts, *(_stand_in(op) for op in operands), optimize=optimize)[0][1:]
    for k, step in enumerate(path):
        group = [labels[i] for i in step]
        labels = [n for i, n in enumerate(labels) if i not in step]
        if k == len(path) - 1:
            return len(group) == 2 and bool(group[0] & group[1])
        rest = set(output).union(*labels) if labels else set(output)
        labels.append(set().union(*group) & rest)
    return False


def _contracted(subscripts: object, operands: tuple, out: object, dtype: DTypeLike, order: str | None,
                casting: str, optimize: object) -> Operand:
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


def _summed_axes(axes: object, ndim_a: int, ndim_b: int) -> tuple[list[int], list[int]]:
    """``np.tensordot``'s ``axes`` as two lists of axes summed over (an int N: ``a``'s last N
    with ``b``'s first N)."""
    try:
        first, second = axes
    except TypeError:
        n = int(axes)
        return list(range(ndim_a - n, ndim_a)), list(range(n))
    first = [int(first)] if np.ndim(first) == 0 else [int(x) for x in first]
    second = [int(second)] if np.ndim(second) == 0 else [int(x) for x in second]
    return first, second


@implements(np.tensordot)
def tensordot(a: Operand, b: Operand, axes: object = 2) -> Operand:
    """``np.tensordot``: the sum over ``axes`` as one matrix product (see the module's docstring)."""
    trace = find_trace([a, b])
    a, b = (as_operand(trace, as_array(trace, x)) for x in (a, b))
    sa, sb = tuple(a.shape), tuple(b.shape)
    first, second = _summed_axes(axes, len(sa), len(sb))
    first = [x % len(sa) if len(sa) else x for x in first]
    second = [x % len(sb) if len(sb) else x for x in second]
    if len(first) != len(second) or any(not 0 <= x < len(sa) for x in first) or \
            any(not 0 <= x < len(sb) for x in second) or any(sa[i] != sb[j] for i, j in zip(first, second)):
        raise user_error(ValueError(f"shape-mismatch for sum{at(user_location())}"))
    free_a = [i for i in range(len(sa)) if i not in first]
    free_b = [j for j in range(len(sb)) if j not in second]
    k = int(np.prod([sa[i] for i in first], dtype=np.int64))
    m = int(np.prod([sa[i] for i in free_a], dtype=np.int64))
    n = int(np.prod([sb[j] for j in free_b], dtype=np.int64))
    a2 = np.reshape(np.transpose(a, free_a + first), (m, k))
    b2 = np.reshape(np.transpose(b, second + free_b), (k, n))
    return np.reshape(matmul(a2, b2), tuple(sa[i] for i in free_a) + tuple(sb[j] for j in free_b))
