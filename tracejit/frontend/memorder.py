"""NumPy's memory layout of traced arrays, so that a reshape is a view exactly where
NumPy's is.

``x.reshape(shape)`` (and ``ravel``) is a view when NumPy can express the new shape
with strides of ``x``'s memory, a copy otherwise: writes through one reach the other
only in the first case. So the frontend needs the strides NumPy would give every array
of a trace. For an argument they are part of the signature; for a computed array they
are NumPy's choice for the operation that made it, modelled here per op of the graph:

* ufuncs, ``where``, ``astype``/``np.copy`` (``convert``, ``copy``), scans and sorts
  allocate in "order K", like NumPy's iterator (:func:`order_k`): axes whose strides are all negative
  are flipped, axes are sorted by the operands' stride magnitudes (the first operand
  deciding where others are ambiguous), and the result is dense in that order;
* reductions keep the order K of their input's remaining axes (argmax/argmin: C);
* ``argsort``, matrix products, constants: C order;
* concatenation sorts the axes by its operands' strides (NumPy's multi-array stride
  sort: from C order, largest first); a gather puts the indexed dims outermost and the
  others in their order in the source;
* views map their operand's strides (a reshape NumPy must copy is C order), written
  versions keep their base's.

Frontend handlers whose NumPy function decides otherwise (``ndarray.copy`` is C order,
``np.take`` too) record it with :func:`set_layout`. Where tracejit does not model
NumPy's choice (loop results, other ops), the layout is None: unknown.
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING

from tracejit.compiler.layout import StridedView
from tracejit.compiler.ops import get_op

if TYPE_CHECKING:  # (type hints only: these modules build on this one)
    from tracejit.frontend.core import Trace

_C_ORDER_OPS = frozenset({"argmax", "argmin", "argsort", "matmul", "constant", "searchsorted"})


def set_layout(t: object, layout: StridedView | None | str) -> None:
    """Record NumPy's layout of traced ``t`` (a fresh result): ``"C"``, a StridedView of
    its shape, or None for unknown."""
    if layout == "C":
        layout = StridedView.contiguous(tuple(t.shape))
    _memo(t._home)[t._home.node_of(t)] = layout


def numpy_layout(t: object) -> StridedView | None:
    """NumPy's strides of traced array ``t`` as it is now; None where unknown."""
    return layout(t._home, t._home.node_of(t))


def always_a_view(shape: tuple[int, ...], new_shape: tuple[int, ...]) -> bool:
    """Whether reshaping ``shape`` to ``new_shape`` is a view whatever the strides: only
    length-1 dims come or go, or at most one dim is longer than 1."""
    return _dense(shape) or [n for n in shape if n != 1] == [n for n in new_shape if n != 1]


def layout(trace: Trace, nid: int) -> StridedView | None:
    """NumPy's strides (in elements) of the array node ``nid`` of ``trace`` stands for;
    None where unknown."""
    memo = _memo(trace)
    if nid in memo:
        return memo[nid]
    graph = trace.graph
    stack = [nid]
    while stack:  # operands first, without recursion (traces can be long chains)
        n = stack[-1]
        pending = [u for u in graph.operands(n) if u not in memo] if graph.op(n) not in ("input", "constant") else []
        if pending:
            stack.extend(pending)
            continue
        stack.pop()
        if n not in memo:
            memo[n] = _compute(trace, n, memo)
    return memo[nid]


def mark_view(trace: Trace, nid: int) -> None:
    """Node ``nid`` (a view op) is a view of its operand's memory in NumPy too; a view op
    not marked so made a new array (a broadcast filled in, a reshape NumPy copies): C order."""
    views = getattr(trace, "view_nodes", None)
    if views is None:
        views = trace.view_nodes = set()
    views.add(nid)


def _memo(trace) -> dict:
    memo = getattr(trace, "layouts", None)
    if memo is None:
        memo = trace.layouts = {}
    return memo


def _dense(shape: tuple[int, ...]) -> bool:
    """At most one dim longer than 1 (or no elements): every layout reshapes alike."""
    return math.prod(shape) == 0 or sum(n > 1 for n in shape) <= 1


def _compute(trace, n: int, memo: dict) -> StridedView | None:
    shape = tuple(trace.graph.aval(n).shape)
    found = _computed(trace, n, memo, shape)
    return StridedView.contiguous(shape) if found is None and _dense(shape) else found


def _computed(trace, n: int, memo: dict, shape: tuple[int, ...]) -> StridedView | None:
    graph = trace.graph
    op = graph.op(n)
    operands = graph.operands(n)
    if op == "input":
        return _input_layout(trace, n)
    if op in _C_ORDER_OPS:
        return StridedView.contiguous(shape)
    kind = get_op(op).kind
    args = [memo[u] for u in operands]
    if kind == "view":
        if n not in getattr(trace, "view_nodes", ()) or args[0] is None:
            return StridedView.contiguous(shape) if n not in getattr(trace, "view_nodes", ()) else None
        view = get_op(op).view(args[0], **graph.attrs(n))
        return StridedView.contiguous(shape) if view is None else view  # NumPy's copying reshape: C
    if kind == "update":  # a written version keeps its base's memory
        return args[0]
    if any(a is None for a in args):
        return None
    if kind in ("elementwise", "along_axis"):
        return order_k(shape, [a.broadcast_to(shape) if a.shape != shape else a for a in args])
    if kind == "concat":
        return concatenated(shape, args)
    if kind == "reduce":
        return _reduced(args[0], shape, graph.attrs(n))
    if graph.op(n) == "dynamic_slice":  # a view of its source, as NumPy's slice is
        strides = list(args[0].strides)
        for d, t in zip(graph.attrs(n)["dims"], graph.attrs(n)["steps"]):
            strides[d] *= t
        return StridedView(shape, tuple(strides), args[0].offset)
    if kind == "gather":
        return _gathered(args[0], shape, graph.attrs(n)["axis"], len(operands) - 1)
    return None


def _input_layout(trace, n: int) -> StridedView | None:
    """An argument's strides; a loop body's or branch's input: what it captures, else unknown."""
    graph = trace.graph
    attrs = graph.attrs(n)
    shape = tuple(attrs["shape"])
    if trace.parent is None:
        strides = attrs.get("strides")
        return StridedView.contiguous(shape) if strides is None else StridedView(shape, tuple(strides))
    for outer, inner in trace.captured.items():
        if inner == n:
            return layout(trace.parent, outer)
    return None


def order_k(shape: tuple[int, ...], operands: list[StridedView]) -> StridedView:
    """The dense layout NumPy's iterator allocates for a result of ``shape`` computed from
    ``operands`` (views broadcast to ``shape``) with order='K'."""
    ndim = len(shape)
    strides = [[0 if v.shape[d] == 1 or shape[d] == 1 else v.strides[d] for d in range(ndim)] for v in operands]
    for d in range(ndim):  # flip axes along which no operand goes forward
        column = [s[d] for s in strides]
        if any(x < 0 for x in column) and not any(x > 0 for x in column):
            for s in strides:
                s[d] = -s[d]
    keys = [[abs(x) if x else None for x in s] for s in strides]
    perm = _sorted_axes(list(range(ndim - 1, -1, -1)), keys)  # iteration order, innermost first
    return _dense_in_order(shape, perm)


def einsum_layout(names: list[str], output: str, sizes: dict, operands: list[StridedView]) -> StridedView:
    """NumPy's einsum result: order K over the iteration of the output's labels, then the
    summed labels (alphabetically), restricted to the output's dims."""
    summed = sorted({c for n in names for c in n} - set(output))
    labels = list(output) + summed
    shape = tuple(sizes[c] for c in labels)
    views = [StridedView(shape, tuple(v.strides[n.index(c)] if c in n else 0 for c in labels))
             for n, v in zip(names, operands)]
    full = order_k(shape, views)
    inner_first = sorted(range(len(output)), key=lambda d: full.strides[d] if shape[d] > 1 else -1)
    return _dense_in_order(shape[:len(output)], inner_first)


def memory_order_steps(view: StridedView) -> tuple[tuple, tuple] | None:
    """View steps (path entries) taking an array laid out as ``view`` to its elements in
    memory order (axes by decreasing stride, negative ones reversed: C-contiguous when
    the memory is dense), and back; None when the memory is not dense."""
    shape, ndim = view.shape, len(view.shape)
    perm = tuple(sorted(range(ndim), key=lambda d: -abs(view.strides[d]) if shape[d] > 1 else 0))
    mem = view.transpose(perm)
    flips = tuple(mem.strides[d] < 0 and mem.shape[d] > 1 for d in range(ndim))
    reverse = ("slice", (("shape", mem.shape), ("starts", tuple(n - 1 if f else 0 for n, f in zip(mem.shape, flips))),
                         ("steps", tuple(-1 if f else 1 for f in flips))))
    mem = mem.slice(dict(reverse[1])["starts"], dict(reverse[1])["steps"], mem.shape)
    if not mem.is_contiguous():
        return None
    inverse = tuple(sorted(range(ndim), key=perm.__getitem__))
    to_memory = (("transpose", (("perm", perm),)),) + ((reverse,) if any(flips) else ())
    back = ((reverse,) if any(flips) else ()) + (("transpose", (("perm", inverse),)),)
    return to_memory, back


def fortran_order(shape: tuple[int, ...]) -> StridedView:
    """The dense F-order layout of ``shape``."""
    return _dense_in_order(tuple(shape), list(range(len(shape))))


def _dense_in_order(shape: tuple[int, ...], inner_first: list[int]) -> StridedView:
    out, step = [0] * len(shape), 1
    for d in inner_first:
        out[d] = step
        step *= max(shape[d], 1)
    return StridedView(tuple(shape), tuple(out))


def concatenated(shape: tuple[int, ...], operands: list[StridedView]) -> StridedView:
    """NumPy's concatenation result: dense in the axis order its operands agree on (a
    stable sort from C order by stride size, the first operand deciding conflicts only
    where it says to swap; length-1 dims stay put)."""
    keys = [[-abs(st) if n != 1 else None for n, st in zip(v.shape, v.strides)] for v in operands]
    perm = _sorted_axes(list(range(len(shape))), keys)  # outermost first
    return _dense_in_order(shape, list(reversed(perm)))


def _sorted_axes(perm: list[int], keys: list[list]) -> list[int]:
    """NumPy's stable insertion sort of the axes ``perm``: an axis moves before an earlier
    one only where every operand with a say (both keys not None) has its key smaller (a
    tie keeps the order) and some operand has a say. ``keys``: per operand, one per axis."""
    for i0 in range(1, len(perm)):
        ipos, a0 = i0, perm[i0]
        for i1 in range(i0 - 1, -1, -1):
            a1 = perm[i1]
            ambiguous, swap = True, False
            for k in keys:
                if k[a0] is not None and k[a1] is not None:
                    if k[a1] <= k[a0]:
                        swap = False
                    elif ambiguous:
                        swap = True
                    ambiguous = False
            if not ambiguous:
                if swap:
                    ipos = i1
                else:
                    break
        if ipos != i0:
            perm.insert(ipos, perm.pop(i0))
    return perm


def _reduced(source: StridedView, shape: tuple[int, ...], attrs: dict) -> StridedView:
    """A reduction's result: the order K of its input over the axes it keeps."""
    axes, keepdims = tuple(attrs["axes"]), attrs["keepdims"]
    full = order_k(source.shape, [source])
    inner_first = sorted(range(len(source.shape)), key=lambda d: full.strides[d] if source.shape[d] > 1 else -1)
    kept = [d for d in range(len(source.shape)) if d not in axes]
    if keepdims:
        order = [d for d in inner_first if d not in axes] + list(axes)
        return _dense_in_order(shape, order)
    position = {d: i for i, d in enumerate(kept)}
    return _dense_in_order(shape, [position[d] for d in inner_first if d in position])


def _gathered(source: StridedView, shape: tuple[int, ...], axis: int, k: int) -> StridedView:
    """A gather's result: the indexed dims outermost (C order among them), the others in
    the order K of the source."""
    nb = len(shape) - (len(source.shape) - k)
    full = order_k(source.shape, [source])
    rest = [d for d in range(len(source.shape)) if not axis <= d < axis + k]
    inner_first = sorted(rest, key=lambda d: full.strides[d] if source.shape[d] > 1 else -1)
    to_result = {d: (d if d < axis else d - k + nb) for d in rest}
    order = [to_result[d] for d in inner_first] + list(range(axis + nb - 1, axis - 1, -1))
    return _dense_in_order(shape, order)

