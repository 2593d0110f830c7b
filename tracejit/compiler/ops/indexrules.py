"""Building blocks of the differentiation rules of the indexing and along-axis ops
(``gather.py``, ``scatter.py``, ``scan_sort.py``...).

Every derivative here is built from ops that have rules themselves (gathers, scatters with
``combine="add"``, slices, concatenation, elementwise arithmetic), so second derivatives
go through them too. A *permutation-like* derivative (sorts, running maxima) is a
``take_along`` of the tangent at integer positions computed from the primal values
(``argsort``...: integer nodes, never differentiated) and its transpose, a ``put_along``
(a scatter that adds up repeated positions). Nothing here imports the transform: the
helpers build nodes through the builder ``b`` a rule gets (``compiler/autodiff/builder.py``).
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

Node = int
INDEX = np.dtype(np.int64)


def iota(b: Any, shape: tuple[int, ...], axis: int) -> Node:
    """The positions ``0..n-1`` along ``axis``, shaped ``1`` on the other dims of ``shape`` (int64 constant)."""
    dims = [1] * len(shape)
    dims[axis] = shape[axis]
    return b.array(np.arange(shape[axis], dtype=INDEX).reshape(dims))


def along_indices(b: Any, pos: Node, axis: int) -> list[Node]:
    """Index arrays (one per dim, for a gather/scatter from axis 0) that read, at each
    element of ``pos``'s shape, the position ``pos`` along ``axis`` and the element's own
    position on the other dims: ``np.take_along_axis``'s key."""
    shape = b.shape(pos)
    return [pos if d == axis else iota(b, shape, d) for d in range(len(shape))]


def take_along(b: Any, x: Node, pos: Node, axis: int) -> Node:
    """``np.take_along_axis(x, pos, axis)`` (``pos``: int64 of ``x``'s shape except along ``axis``)."""
    if 0 in b.shape(pos) or 0 in b.shape(x):
        return b.zeros(b.shape(pos), b.dtype(x))
    return b.op("gather", x, *along_indices(b, pos, axis), axis=0)


def put_along(b: Any, value: Node, pos: Node, axis: int, shape: tuple[int, ...]) -> Node:
    """The transpose of :func:`take_along`: zeros of ``shape`` with each element of ``value``
    added at ``pos`` along ``axis`` (repeated positions add up)."""
    base = b.zeros(shape, b.dtype(value))
    if 0 in b.shape(value) or 0 in shape:
        return base
    return b.op("scatter", base, value, *along_indices(b, pos, axis), axis=0, combine="add")


def flip(b: Any, x: Node, axis: int) -> Node:
    """``x`` reversed along ``axis`` (a slice of step -1)."""
    shape = b.shape(x)
    if shape[axis] <= 1 or 0 in shape:
        return x
    return b.op("slice", x, starts=tuple(n - 1 if d == axis else 0 for d, n in enumerate(shape)),
                steps=tuple(-1 if d == axis else 1 for d in range(len(shape))), shape=shape)


def shift(b: Any, x: Node, axis: int, by: int, fill: float) -> Node:
    """``x`` moved ``by`` places forward along ``axis``: the first ``by`` elements are
    ``fill``, the last ``by`` are dropped."""
    shape = b.shape(x)
    n = shape[axis]
    by = min(by, n)
    head = b.broadcast(b.const(fill, x), shape[:axis] + (by,) + shape[axis + 1:])
    if by == n:
        return head
    kept = b.op("slice", x, starts=(0,) * len(shape), steps=(1,) * len(shape),
                shape=shape[:axis] + (n - by,) + shape[axis + 1:])
    return b.op("concatenate", head, kept, axis=axis)


BLOCK = 8  # linear_scan: lines longer than this are scanned in blocks of this many


def linear_scan(b: Any, a: Node | None, c: Node, axis: int) -> Node:
    """``h`` along ``axis`` with ``h[i] = a[i] * h[i-1] + c[i]`` (``h[-1] = 0``; ``a`` None:
    all ones, a running sum): an associative scan of the pairs ``(a, c)`` built of products
    of shifted copies, with no division (exact where ``a`` has zeros) and differentiable
    again. A line of up to ``BLOCK`` is scanned by doubling steps; a longer one is cut into
    blocks of ``BLOCK`` (padded with the identity ``(1, 0)``), each scanned by doubling, the
    blocks' totals scanned the same way (a line ``BLOCK`` times shorter) and carried in:
    ``log2(BLOCK)`` passes over the whole line instead of ``log2(n)``."""
    if a is None:
        return b.op("cumsum", c, axis=axis)
    shape = b.shape(c)
    n = shape[axis]
    a = b.broadcast(a, shape)
    if n <= BLOCK or 0 in shape:
        return _doubling(b, a, c, axis, n, with_product=False)[1]
    m = -(-n // BLOCK)
    pad = m * BLOCK - n
    if pad:
        a = b.op("concatenate", a, b.broadcast(b.const(1.0, a), _along(shape, axis, pad)), axis=axis)
        c = b.op("concatenate", c, b.zeros(_along(shape, axis, pad), b.dtype(c)), axis=axis)
    blocks = shape[:axis] + (m, BLOCK) + shape[axis + 1:]
    prod, part = _doubling(b, b.reshape(a, blocks), b.reshape(c, blocks), axis + 1, BLOCK, with_product=True)
    last = {"starts": tuple(BLOCK - 1 if d == axis + 1 else 0 for d in range(len(blocks))),
            "steps": (1,) * len(blocks), "shape": _along(blocks, axis + 1, 1)}
    totals = [b.reshape(b.op("slice", v, **last), _along(shape, axis, m)) for v in (prod, part)]
    carry = shift(b, linear_scan(b, totals[0], totals[1], axis), axis, 1, 0.0)  # h before each block
    h = b.op("add", part, b.op("multiply", prod, b.reshape(carry, _along(blocks, axis + 1, 1))))
    h = b.reshape(h, _along(shape, axis, m * BLOCK))
    if pad:
        h = b.op("slice", h, starts=(0,) * len(shape), steps=(1,) * len(shape), shape=shape)
    return h


def _along(shape: tuple[int, ...], axis: int, n: int) -> tuple[int, ...]:
    return shape[:axis] + (n,) + shape[axis + 1:]


def _doubling(b: Any, a: Node, c: Node, axis: int, n: int, with_product: bool) -> tuple[Node, Node]:
    """The prefix products of ``a`` (when ``with_product``; else a partial one) and the scan
    of ``(a, c)`` along ``axis`` (length ``n``) by ``ceil(log2 n)`` doubling steps."""
    step = 1
    while step < n:  # (a[i], c[i]) composed with (a[i-step], c[i-step]); identity (1, 0) before the start
        c = b.op("add", c, b.op("multiply", a, shift(b, c, axis, step, 0.0)))
        if with_product or 2 * step < n:
            a = b.op("multiply", a, shift(b, a, axis, step, 1.0))
        step *= 2
    return a, c


def reverse_cumsum(b: Any, ct: Node, axis: int) -> Node:
    """``ct`` summed from each element to the end of its line along ``axis`` (cumsum's transpose)."""
    return flip(b, b.op("cumsum", flip(b, ct, axis), axis=axis), axis)


def cumprod_jvp(b: Any, t: Node, x: Node, out: Node, axis: int) -> Node:
    """Tangent of ``y = cumprod(x)``: ``ty[i] = x[i] ty[i-1] + y[i-1] t[i]`` (no division)."""
    before = shift(b, out, axis, 1, 1.0)  # y[i-1], 1 at the start
    return linear_scan(b, x, b.op("multiply", before, t), axis)


def cumprod_vjp(b: Any, ct: Node, x: Node, out: Node, axis: int) -> Node:
    """Cotangent of ``cumprod``'s operand: ``g[j] = y[j-1] R[j]`` with ``R[j] = ct[j] + x[j+1] R[j+1]``."""
    before = shift(b, out, axis, 1, 1.0)
    ahead = shift(b, flip(b, x, axis), axis, 1, 1.0)  # x[j+1] in reversed order
    rest = flip(b, linear_scan(b, ahead, flip(b, ct, axis), axis), axis)
    return b.op("multiply", before, rest)


def permutation_rules(perm_of: Any) -> dict[str, Any]:
    """``jvp``/``vjp`` of an op whose result is its operand's elements rearranged along
    ``attrs['axis']``: ``perm_of(b, x, out, **attrs)`` builds the int64 positions (result's
    shape) of the elements each result element is; tangents are taken along them and
    cotangents put back (added where a position repeats)."""
    def jvp(b: Any, tangents: list, operands: list, out: Node, **attrs: Any) -> Node | None:
        if tangents[0] is None:
            return None
        return take_along(b, tangents[0], perm_of(b, operands[0], out, **attrs), attrs["axis"])

    def vjp(b: Any, ct: Node, operands: list, out: Node, **attrs: Any) -> tuple:
        x = operands[0]
        return (put_along(b, ct, perm_of(b, x, out, **attrs), attrs["axis"], b.shape(x)),)

    return {"jvp": jvp, "vjp": vjp}


def last_extreme(b: Any, x: Node, out: Node, axis: int) -> Node:
    """For a running maximum/minimum ``out`` of ``x``: per element, the last position up to it
    where ``x`` equals the running value (the element it is; ties go to the latest, as
    ``torch.cummax`` does). Before any match (a leading NaN) position 0."""
    shape = b.shape(x)
    hit = b.op("equal", x, out)
    marks = b.op("where", hit, b.broadcast(iota(b, shape, axis), shape), b.zeros(shape, INDEX))
    return b.op("cummax", marks, axis=axis)


def matched_positions(b: Any, x: Node, out: Node, axis: int) -> Node:
    """For ``out``, a rearrangement of ``x`` along ``axis`` in an order the op does not
    specify (partitions): positions ``p`` with ``take_along(x, p) == out``, matched through
    the stable sorts of both (equal values pair up in order)."""
    sx = b.op("argsort", x, axis=axis)
    sy = b.op("argsort", out, axis=axis)
    base = b.zeros(b.shape(x), INDEX)
    if math.prod(b.shape(x)) == 0:
        return base
    return b.op("scatter", base, sx, *along_indices(b, sy, axis), axis=0)
