"""The expression and loop nests of one kernel (:class:`KernelBuilder`).

A kernel's expression is built by walking operands down to buffers, carrying the view
steps met on the way; at a buffer the steps are applied, NumPy-style, to the buffer's
strided view, giving the affine index map of the load. A reshape that is not expressible
as a view of what lies below it raises :class:`NeedsCopy`, and a value the kernel would
recompute under too many different index maps (``x[:-1] + x[1:]`` repeated: 2**n maps)
raises :class:`NeedsBuffer`: formation (``kernelize/form.py``) changes the graph and
restarts.
"""
from __future__ import annotations

import math

import numpy as np

from tracejit.compiler.graph import Graph
from tracejit.compiler.kernelize.buffers import NeedsBuffer, is_materialized, reshaped_root
from tracejit.compiler.kernelize.sequences import affine_constant
from tracejit.compiler.kir import (
    NO_BUFFER,
    Acc,
    Access,
    Apply,
    Buffer,
    Const,
    Convert,
    Expr,
    Gather,
    Iota,
    Load,
    Nest,
    ScatterAccess,
    Search,
)
from tracejit.compiler.layout import StridedView, contiguous_strides
from tracejit.compiler.ops import elementwise_signature, get_op
from tracejit.compiler.ops.dynamic_slice import valid_starts
from tracejit.compiler.passes.cse import freeze

Step = tuple  # (view op name, frozen attrs, node that asked for it)
MAX_CONTEXTS = 3  # index maps a cheap value may be recomputed under in one kernel
MAX_CONTEXTS_EXPENSIVE = 1  # ... and an expensive one (transcendental and up)
EXPENSIVE = 8


class NeedsCopy(Exception):
    """View node ``node`` is not expressible as a view of what lies below it: formation
    inserts a ``copy`` under it and restarts."""

    def __init__(self, node: int):
        super().__init__(node)
        self.node = node


def view_step(op: str, origin: int, **attrs: object) -> Step:
    """The view step ``op(**attrs)`` that node ``origin`` applies (hashable: attrs frozen)."""
    return (op, freeze(attrs), origin)


def apply_steps(view: StridedView, steps: tuple[Step, ...]) -> StridedView:
    """``view`` after ``steps``, first to last; raises :class:`NeedsCopy` at a step that is
    not a view of it."""
    for op, attrs, origin in steps:
        new = get_op(op).view(view, **dict(attrs))
        if new is None:
            raise NeedsCopy(origin)
        view = new
    return view


class KernelBuilder:
    """Builds the kernel rooted at materialized node ``root``: its expressions (memoized
    per node and view steps) and the graph nodes it computes (``nodes``)."""

    def __init__(self, graph: Graph, buffers: dict[int, Buffer], root: int):
        self.graph, self.buffers, self.root = graph, buffers, root
        self.memo: dict = {}
        self.contexts: dict[int, int] = {}
        self.nodes: set[int] = {root}
        self.contraction: int | None = None  # a matmul computed under this root's epilogue

    def expr(self, nid: int, steps: tuple[Step, ...]) -> Expr:
        """The expression of ``nid`` read through ``steps`` (loads at buffers)."""
        key = (nid, steps)
        if key not in self.memo:
            self._count_context(nid)
            self.memo[key] = self._build(nid, steps)
        return self.memo[key]

    def _count_context(self, nid: int) -> None:
        g = self.graph
        if nid == self.root or is_materialized(g, nid) or get_op(g.op(nid)).kind != "elementwise":
            return
        count = self.contexts[nid] = self.contexts.get(nid, 0) + 1
        limit = MAX_CONTEXTS_EXPENSIVE if get_op(g.op(nid)).cost >= EXPENSIVE else MAX_CONTEXTS
        if count > limit:
            raise NeedsBuffer(nid)

    def _build(self, nid: int, steps) -> Expr:
        g = self.graph
        d = g.data(nid)
        if nid != self.root and is_materialized(g, nid):
            if d["op"] == "constant" and d["value"].size == 1:
                return Const(d["value"].reshape(()).item(), d["dtype"])
            if nid not in self.buffers:  # an arithmetic sequence: no buffer
                start, stride = affine_constant(d["value"])
                view = apply_steps(StridedView.contiguous(d["shape"]), steps)
                return Iota(Access(NO_BUFFER, d["dtype"], view.offset, view.strides), start, stride, d["dtype"])
            buf = self.buffers[nid]
            view = apply_steps(buf.view, steps)
            return Load(Access(buf.id, buf.dtype, view.offset, view.strides))
        self.nodes.add(nid)
        if d["op"] == "size":  # an iota at offset value + 1 (never 0): a parameter of the generic form
            view = apply_steps(StridedView((), (), d["attrs"]["value"] + 1), steps)
            return Iota(Access(NO_BUFFER, d["dtype"], view.offset, view.strides), -1, 1, d["dtype"])
        opdef = get_op(d["op"])
        if opdef.kind == "view":
            (src,) = g.operands(nid)
            return self.expr(src, (view_step(d["op"], nid, **d["attrs"]),) + steps)
        if opdef.kind == "contraction" and not steps and self.contraction in (None, nid):
            self.contraction = nid  # the root's expression is this product's epilogue
            return Acc(d["dtype"])
        if d["op"] == "searchsorted":
            return self._search(nid, d, steps)
        if opdef.kind == "gather":
            return self._dynamic_slice(nid, d, steps) if d["op"] == "dynamic_slice" else self._gather(nid, d, steps)
        if opdef.kind != "elementwise":
            raise AssertionError(f"node %{nid} ({d['op']}) must have a buffer")
        operands = g.operands(nid)
        loop, out = elementwise_signature(opdef, [g.aval(u).dtype for u in operands], **d["attrs"])
        args = []
        for u, loop_dtype in zip(operands, loop):
            s = steps
            if g.aval(u).shape != d["shape"]:  # implicit broadcasting of an operand
                s = (view_step("broadcast_to", nid, shape=d["shape"]),) + steps
            args.append(convert(self.expr(u, s), loop_dtype))
        return Apply(d["op"], tuple(args), loop[-1], out)

    def _gather(self, nid: int, d, steps) -> Expr:
        """A gather at the point: the load of its source with every gathered dim at 0
        (spread over the result's dims: the affine part), plus each index times the
        source's stride along its dim (read off the offsets of two loads, so any view
        chain down to the buffer works)."""
        g = self.graph
        x, *indices = g.operands(nid)
        axis, k = d["attrs"]["axis"], len(indices)
        xshape, out = g.aval(x).shape, d["shape"]
        nb = len(out) - (len(xshape) - k)
        pre, post = xshape[:axis], xshape[axis + k:]
        lengths = tuple(1 if axis <= a < axis + k else n for a, n in enumerate(xshape))

        def at(starts) -> Step:
            return view_step("slice", nid, starts=tuple(starts), steps=(1,) * len(xshape), shape=lengths)

        zero = at([0] * len(xshape))
        spread = (zero, view_step("reshape", nid, shape=pre + (1,) * nb + post),
                  view_step("broadcast_to", nid, shape=out))
        base = self.expr(x, spread + steps)
        if isinstance(base, Const):
            return base  # a one-element source: every valid index reads it
        if type(base) is not Load:
            raise NeedsBuffer(x)
        first = self.expr(x, (zero,)).access.offset
        strides = []
        for j in range(k):
            if xshape[axis + j] < 2:
                strides.append(0)
                continue
            starts = [0] * len(xshape)
            starts[axis + j] = 1
            strides.append(self.expr(x, (at(starts),)).access.offset - first)
        exprs = []
        for u in indices:
            ish = g.aval(u).shape
            s = (view_step("reshape", nid, shape=(1,) * (len(pre) + nb - len(ish)) + ish + (1,) * len(post)),
                 view_step("broadcast_to", nid, shape=out)) + steps
            exprs.append(convert(self.expr(u, s), np.dtype(np.int64)))
        extents = tuple(xshape[axis + j] for j in range(k))
        return Gather(base.access, tuple(exprs), tuple(strides), extents)

    def _search(self, nid: int, d, steps) -> Expr:
        """A binary search at the point: the sorted array's first element (spread over the
        result's dims: the affine part, constant over the nest), its stride, and the
        value's expression there (the frontend searches arrays of two or more elements)."""
        a, v = self.graph.operands(nid)
        out = d["shape"]

        def element(k: int) -> Step:
            return view_step("slice", nid, starts=(k,), steps=(1,), shape=(1,))

        spread = (element(0), view_step("reshape", nid, shape=(1,) * len(out)),
                  view_step("broadcast_to", nid, shape=out))
        base = self.expr(a, spread + steps)
        if type(base) is not Load:
            raise NeedsBuffer(a)
        stride = self.expr(a, (element(1),)).access.offset - self.expr(a, (element(0),)).access.offset
        return Search(base.access, (self.expr(v, steps),), (stride,), (self.graph.aval(a).shape[0],),
                      d["attrs"]["right"])

    def _unit_offsets(self, x: int, nid: int, dims: tuple[int, ...]) -> list[int]:
        """The offset in ``x``'s buffer between neighbours along each dim of ``dims`` (read
        off two one-element loads, so any view chain works; 0 for a dim of one element)."""
        xshape = self.graph.aval(x).shape
        nd = len(xshape)

        def at(starts) -> Step:
            return view_step("slice", nid, starts=tuple(starts), steps=(1,) * nd, shape=(1,) * nd)

        first = self.expr(x, (at([0] * nd),)).access.offset
        strides = []
        for d in dims:
            starts = [0] * nd
            starts[d] = 1
            strides.append(self.expr(x, (at(starts),)).access.offset - first if xshape[d] > 1 else 0)
        return strides

    def _starts(self, starts: list[int], nid: int, shape: tuple, steps=()) -> tuple[Expr, ...]:
        """The 0-d start nodes as int64 expressions broadcast over ``shape``."""
        spread = (view_step("reshape", nid, shape=(1,) * len(shape)), view_step("broadcast_to", nid, shape=shape))
        return tuple(convert(self.expr(u, spread + steps), np.dtype(np.int64)) for u in starts)

    def _dynamic_slice(self, nid: int, d, steps) -> Expr:
        """A slice at traced starts (``ops/dynamic_slice.py``): the load of the window at
        offset 0 plus each start times its dim's stride (a gather of loop-invariant indices,
        which code generation adds as one scalar offset to an ordinary load)."""
        x, *starts = self.graph.operands(nid)
        attrs, xshape = d["attrs"], self.graph.aval(x).shape
        every = [1] * len(xshape)
        for dim, t in zip(attrs["dims"], attrs["steps"]):
            every[dim] = t
        window = view_step("slice", nid, starts=(0,) * len(xshape), steps=tuple(every), shape=d["shape"])
        base = self.expr(x, (window,) + steps)
        if isinstance(base, Const):
            return base  # a one-element source: every valid start reads it
        if type(base) is not Load:
            raise NeedsBuffer(x)
        strides = self._unit_offsets(x, nid, attrs["dims"])
        extents = tuple(valid_starts(xshape[dim], n, t) for dim, n, t in zip(attrs["dims"], attrs["sizes"],
                                                                             attrs["steps"]))
        return Gather(base.access, self._starts(starts, nid, d["shape"], steps), tuple(strides), extents)

    # -- one nest per root kind ---------------------------------------------------------------
    def nests(self) -> tuple[str, list[Nest]]:
        """The kernel kind and loop nests of the root (an along-axis root is built apart)."""
        g, root = self.graph, self.root
        d = g.data(root)
        kind = get_op(d["op"]).kind
        out = self.buffers[root]
        if kind in ("elementwise", "view", "gather"):
            store = Access(out.id, out.dtype, 0, out.view.strides)
            value = self.expr(root, ())
            if self.contraction is not None:  # matmul + epilogue
                nest = self._matmul_nest(self.graph.data(self.contraction), out, self.contraction)
                return "contraction", [Nest(nest.shape, 1, nest.reduce, nest.value, nest.store, epilogue=value)]
            return "map", [Nest(d["shape"], 0, None, value, store)]
        if kind == "reduce":
            return "reduce", [self._reduce_nest(d, out)]
        if kind == "contraction":
            return "contraction", [self._matmul_nest(d, out)]
        if kind == "concat":
            return "concat", self._concat_nests(d, out)
        if kind == "update":
            if d["op"] == "dynamic_update":
                return "update", self._dynamic_update_nests(d, out)
            if d["op"] == "scatter_add":
                return "update", self._scatter_add_nests(d, out)
            return "update", self._scatter_nests(d, out) if d["op"] == "scatter" else self._update_nests(d, out)
        raise AssertionError(f"no kernel for op {d['op']}")

    def _reduce_nest(self, d, out: Buffer) -> Nest:
        (src,) = self.graph.operands(self.root)
        shape, axes = self.graph.aval(src).shape, d["attrs"]["axes"]
        kept = [a for a in range(len(shape)) if a not in axes]
        perm = tuple(kept) + tuple(axes)
        value = self.expr(src, (view_step("transpose", self.root, perm=perm),))
        strides = contiguous_strides(d["shape"])
        if d["attrs"]["keepdims"]:
            strides = tuple(s for a, s in enumerate(strides) if a not in axes)
        return Nest(tuple(shape[p] for p in perm), len(axes), d["op"], value,
                    Access(out.id, out.dtype, 0, strides))

    def _matmul_nest(self, d, out: Buffer, node: int | None = None) -> Nest:
        node = self.root if node is None else node
        self.nodes.add(node)
        a, b = self.graph.operands(node)
        ash, bsh = self.graph.aval(a).shape, self.graph.aval(b).shape
        a2 = (1,) + ash if len(ash) == 1 else ash
        b2 = bsh + (1,) if len(bsh) == 1 else bsh
        batch = tuple(np.broadcast_shapes(a2[:-2], b2[:-2]))
        m, k, n = a2[-2], a2[-1], b2[-1]
        space = batch + (m, n, k)
        r = node
        a_steps = (view_step("reshape", r, shape=a2[:-1] + (1, k)), view_step("broadcast_to", r, shape=space))
        nb = len(b2)
        b_steps = (view_step("reshape", r, shape=b2),
                   view_step("transpose", r, perm=tuple(range(nb - 2)) + (nb - 1, nb - 2)),
                   view_step("reshape", r, shape=b2[:-2] + (1, n, k)), view_step("broadcast_to", r, shape=space))
        loop = d["dtype"]
        how = get_op(d["op"]).extra  # a contraction: the reduce of a product
        value = Apply(how["product"], (convert(self.expr(a, a_steps), loop), convert(self.expr(b, b_steps), loop)),
                      loop, loop)
        return Nest(space, 1, how["reduce"], value, Access(out.id, out.dtype, 0, contiguous_strides(batch + (m, n))))

    def _update_nests(self, d, out: Buffer) -> list[Nest]:
        """Copy the base into ``out`` unless ``out`` is the base's own buffer, then store
        the value through the path."""
        base, value = self.graph.operands(self.root)
        nests = []
        region = self.graph.aval(value).shape
        steps = tuple(view_step(op, self.root, **dict(attrs)) for op, attrs in d["attrs"]["path"])
        view = apply_steps(StridedView.contiguous(d["shape"]), steps)
        if self.buffers.get(base) is not out:
            strides = out.view.strides
            for start, shape in _complement(d["shape"], region, view) if math.prod(region) else [
                    ((0,) * len(d["shape"]), d["shape"])]:
                part = (view_step("slice", self.root, starts=start, steps=(1,) * len(start), shape=shape),)
                copy = convert(self.expr(base, part), d["dtype"])
                offset = sum(a * st for a, st in zip(start, strides))
                nests.append(Nest(shape, 0, None, copy, Access(out.id, out.dtype, offset, strides)))
        if math.prod(region):
            stored = convert(self.expr(value, ()), d["dtype"])
            nests.append(Nest(region, 0, None, stored, Access(out.id, out.dtype, view.offset, view.strides)))
        return nests

    def _base_copy(self, base: int, d, out: Buffer) -> list[Nest]:
        """The nest copying a store's base into ``out``, or none when ``out`` is the base's own
        buffer (the store is in place)."""
        if self.buffers.get(base) is out or self.buffers.get(reshaped_root(self.graph, base, self.buffers)) is out:
            return []  # (in place, or into its buffer seen in its own shape: kernelize/buffers.py)
        copy = convert(self.expr(base, ()), d["dtype"])
        return [Nest(d["shape"], 0, None, copy, Access(out.id, out.dtype, 0, out.view.strides))]

    def _scatter_nests(self, d, out: Buffer) -> list[Nest]:
        """Copy the base into ``out`` unless ``out`` is the base's own buffer, then store
        each value at its computed address (one serial nest over the value, in order)."""
        g = self.graph
        base, value, *indices = g.operands(self.root)
        nests = self._base_copy(base, d, out)
        region = g.aval(value).shape
        if not math.prod(region):
            return nests
        axis, k = d["attrs"]["axis"], len(indices)
        view = out.view if out.shape == d["shape"] else StridedView.contiguous(d["shape"])  # (a reshape in place)
        strides = view.strides
        nb = len(region) - (len(d["shape"]) - k)
        pre, post = d["shape"][:axis], d["shape"][axis + k:]
        affine = strides[:axis] + (0,) * nb + strides[axis + k:]
        exprs = []
        for u in indices:
            ish = g.aval(u).shape
            s = (view_step("reshape", self.root, shape=(1,) * (len(pre) + nb - len(ish)) + ish + (1,) * len(post)),
                 view_step("broadcast_to", self.root, shape=region))
            exprs.append(convert(self.expr(u, s), np.dtype(np.int64)))
        combine = d["attrs"].get("combine")  # np.ufunc.at: combined in the value's dtype
        store = ScatterAccess(out.id, out.dtype, view.offset, affine, tuple(exprs),
                              strides[axis:axis + k], d["shape"][axis:axis + k], combine,
                              g.aval(value).dtype if combine else None)
        stored = self.expr(value, ()) if combine else convert(self.expr(value, ()), d["dtype"])
        nests.append(Nest(region, 0, None, stored, store))
        return nests

    def _scatter_add_nests(self, d, out: Buffer) -> list[Nest]:
        """Copy the base into ``out``, then add each value at its computed index (one serial nest, in order)."""
        base, value, index = self.graph.operands(self.root)
        nests = self._base_copy(base, d, out)
        region = self.graph.aval(value).shape
        if not math.prod(region):
            return nests
        at = convert(self.expr(index, ()), np.dtype(np.int64))
        store = ScatterAccess(out.id, out.dtype, out.view.offset, (0,) * len(region), (at,),
                              out.view.strides[:1], d["shape"], combine="add",
                              combine_dtype=out.dtype)
        nests.append(Nest(region, 0, None, convert(self.expr(value, ()), d["dtype"]), store))
        return nests

    def _dynamic_update_nests(self, d, out: Buffer) -> list[Nest]:
        """Copy the base into ``out`` unless ``out`` is the base's own buffer, then store the
        value through the window at the traced starts (a scatter store whose indices are
        loop-invariant: one scalar offset added to ordinary stores)."""
        g = self.graph
        base, value, *starts = g.operands(self.root)
        nests = self._base_copy(base, d, out)
        region = g.aval(value).shape
        if not math.prod(region):
            return nests
        dims, steps = d["attrs"]["dims"], d["attrs"]["steps"]
        strides = list(out.view.strides)
        for dim, t in zip(dims, steps):
            strides[dim] *= t
        extents = tuple(valid_starts(d["shape"][dim], region[dim], t) for dim, t in zip(dims, steps))
        store = ScatterAccess(out.id, out.dtype, out.view.offset, tuple(strides),
                              self._starts(starts, self.root, region),
                              tuple(out.view.strides[dim] for dim in dims), extents)
        nests.append(Nest(region, 0, None, convert(self.expr(value, ()), d["dtype"]), store))
        return nests

    def _concat_nests(self, d, out: Buffer) -> list[Nest]:
        axis = d["attrs"]["axis"]
        strides = out.view.strides
        nests, start = [], 0
        for u in self.graph.operands(self.root):
            shape = self.graph.aval(u).shape
            if math.prod(shape):
                value = convert(self.expr(u, ()), d["dtype"])
                store = Access(out.id, out.dtype, start * strides[axis], strides)
                nests.append(Nest(shape, 0, None, value, store))
            start += shape[axis]
        return nests


def _complement(shape: tuple, region: tuple, view: StridedView) -> list[tuple[tuple, tuple]]:
    """(start, shape) boxes covering the elements of an array of ``shape`` outside the
    region ``view`` selects (the elements an update keeps from its base): for a box
    region (unit steps, no dims dropped), up to two slabs per dim; else the whole array."""
    whole = [((0,) * len(shape), tuple(shape))]
    if len(region) != len(shape) or tuple(view.strides) != contiguous_strides(shape) or not shape:
        return whole
    lo = tuple((view.offset // st) % n if st else 0 for st, n in zip(view.strides, shape))
    if sum(a * st for a, st in zip(lo, view.strides)) != view.offset:
        return whole
    hi = tuple(a + m for a, m in zip(lo, region))
    if any(h > n for h, n in zip(hi, shape)):
        return whole
    boxes = []
    for d in range(len(shape)):
        head, rest = lo[:d], (0,) * (len(shape) - d - 1)
        for start, length in ((0, lo[d]), (hi[d], shape[d] - hi[d])):
            box = region[:d] + (length,) + tuple(shape[d + 1:])
            if math.prod(box):
                boxes.append((head + (start,) + rest, box))
    return boxes


def convert(e: Expr, dtype: np.dtype) -> Expr:
    """``e`` at ``dtype`` (constants are converted now, as NumPy's casting would)."""
    dtype = np.dtype(dtype)
    if e.dtype == dtype:
        return e
    if isinstance(e, Const):
        with np.errstate(all="ignore"):
            return Const(np.array(e.value, e.dtype).astype(dtype).item(), dtype)
    return Convert(e, dtype)
