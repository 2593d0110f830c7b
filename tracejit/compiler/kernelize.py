"""Kernel formation: turn the fused graph (nodes marked ``materialize``) into a
:class:`Program` of kernels and buffers.

Each materialized node that is not a source roots one kernel. Its expression is built
by walking operands down to buffers, carrying the view steps met on the way; at a
buffer the steps are applied, NumPy-style, to the buffer's strided view, giving the
affine index map of the load. A reshape that is not expressible as a view of what
lies below it gets a ``copy`` inserted (the optimized graph shows it) and formation
restarts. Likewise a value the kernel would recompute under too many different index
maps (``x[:-1] + x[1:]`` repeated: 2**n maps) gets a buffer of its own.

An ``update`` (a functional in-place write, ``compiler/ops/update.py``) becomes a copy of
its base (only of the elements outside the written box, when the path selects one: a
stencil's interior update copies its boundary) and a store of its value through the
path's strides, or the store alone into
its base's buffer when every other kernel reading the base runs before it and the
store cannot overwrite an element its own value still reads (see
:func:`_writes_in_place`).
"""
from __future__ import annotations

import dataclasses
import math

import numpy as np

from tracejit.compiler.along_axis import build_kernel as build_along_axis
from tracejit.compiler.control import CONTROL_OPS, assign_control_buffers, control_kernel
from tracejit.compiler.graph import Graph
from tracejit.compiler.iota import affine_constant
from tracejit.compiler.kernel import (Acc, Access, Apply, Buffer, Const, Convert, Expr, Gather, Iota, Kernel, Load, Nest,
                                      NO_BUFFER, Program, ScatterAccess)
from tracejit.compiler.layout import StridedView, contiguous_strides
from tracejit.compiler.ops import elementwise_signature, get_op
from tracejit.compiler.passes.cse import _freeze

Step = tuple  # (view op name, frozen attrs, node that asked for it)
MAX_CONTEXTS = 3  # index maps a cheap value may be recomputed under in one kernel
MAX_CONTEXTS_EXPENSIVE = 1  # ... and an expensive one (transcendental and up)
EXPENSIVE = 8


class _NeedsCopy(Exception):
    def __init__(self, reshape_node: int):
        self.node = reshape_node


class _NeedsBuffer(Exception):
    def __init__(self, node: int):
        self.node = node


def _step(op: str, origin: int, **attrs) -> Step:
    return (op, _freeze(attrs), origin)


def _apply_steps(view: StridedView, steps: tuple[Step, ...]) -> StridedView:
    for op, attrs, origin in steps:
        new = get_op(op).view(view, **dict(attrs))
        if new is None:
            raise _NeedsCopy(origin)
        view = new
    return view


def _materialized(graph: Graph, nid: int) -> bool:
    return graph.data(nid).get("materialize", False)


def _feeds_contraction(graph: Graph, nid: int) -> bool:
    """Whether a matrix product reads ``nid`` (through views): it needs a buffer to pack."""
    stack = [nid]
    while stack:
        for user, _ in graph.users(stack.pop()):
            kind = get_op(graph.op(user)).kind
            if kind == "contraction":
                return True
            if kind == "view":
                stack.append(user)
    return False


def _gathered_from(graph: Graph, nid: int) -> bool:
    """Whether a gather indexes ``nid`` (through views): it needs a buffer to load from."""
    stack = [nid]
    while stack:
        n = stack.pop()
        for user, _ in graph.users(n):
            kind = get_op(graph.op(user)).kind
            if kind == "gather" and graph.operands(user)[0] == n:
                return True
            if kind == "view":
                stack.append(user)
    return False


def _writes_in_place(graph: Graph, nid: int, buffers: dict[int, Buffer], pos: dict[int, int]) -> bool:
    """Whether update ``nid`` may store straight into its base's buffer: the base is a
    temporary (or another update's) whose every other reading kernel runs before this
    one (computes one of its operands), and this kernel's own value (and a scatter's
    indices) reads the base only when it is one element (loaded whole before the store).
    ``pos``: each node's place in the topological order."""
    base = graph.operands(nid)[0]  # a scatter's value and indices follow
    if base not in buffers or buffers[base].kind != "temp" or graph.op(base) == "constant":
        return False
    readers, value_reads = _base_readers(graph, nid, base)
    if value_reads and graph.aval(graph.operands(nid)[1]).size != 1:
        return False  # ``a[::-1] = a``: the store would overwrite elements still to be read
    return not readers or readers <= _ancestors(graph, nid, min(pos[r] for r in readers), pos)


def _base_readers(graph: Graph, nid: int, base: int) -> tuple[set[int], bool]:
    """The kernels other than update ``nid`` that read ``base`` (materialized nodes reached
    from it through unmaterialized ones: a view read by two kernels counts for both), and
    whether ``nid``'s value or indices read it."""
    readers, value_reads = set(), False
    seen, stack = {base}, [base]
    while stack:
        n = stack.pop()
        for user, index in graph.users(n):
            if user == nid:
                value_reads = value_reads or n != base or index != 0
            elif _materialized(graph, user):
                readers.add(user)
            elif user not in seen:
                seen.add(user)
                stack.append(user)
    return readers, value_reads


def _ancestors(graph: Graph, nid: int, first: int, pos: dict[int, int]) -> set[int]:
    """The nodes ``nid`` depends on, among those at topological place ``first`` or later."""
    seen, stack = set(), [nid]
    while stack:
        for u in graph.operands(stack.pop()):
            if u not in seen and pos.get(u, -1) >= first:
                seen.add(u)
                stack.append(u)
    return seen


def _assign_buffers(graph: Graph, controls: dict | None = None) -> dict[int, Buffer]:
    """Buffers of the materialized nodes (and, for loops and branches, of what they hand
    their sub-programs: ``controls`` receives each one's :class:`Control`)."""
    outputs: dict[int, list[int]] = {}
    for out in graph.outputs:
        outputs.setdefault(graph.operands(out)[0], []).append(graph.attrs(out)["index"])
    buffers: dict[int, Buffer] = {}
    count = 0  # buffers made so far (an update in place shares its base's: no new id)
    order = graph.topo_order()
    pos = {n: i for i, n in enumerate(order)}
    for nid in order:
        d = graph.data(nid)
        if not _materialized(graph, nid):
            continue
        shape, dtype = d["shape"], d["dtype"]
        if d["op"] in CONTROL_OPS:
            count, control = assign_control_buffers(graph, nid, buffers, count, outputs)
            if controls is not None:
                controls[nid] = control
            continue
        if d["op"] == "loop_out":
            continue  # its buffer was made with its control node's
        if d["op"] == "input":
            strides = d["attrs"].get("strides")
            view = StridedView(shape, strides) if strides is not None else StridedView.contiguous(shape)
            kind, extra = "input", {"index": d["attrs"]["index"]}
        elif d["op"] == "constant":
            if d["value"].size == 1:
                continue  # inlined into the code
            if (not _feeds_contraction(graph, nid) and not _gathered_from(graph, nid)
                    and affine_constant(d["value"]) is not None):
                continue  # computed from the element index (compiler/iota.py)
            view, kind, extra = StridedView.contiguous(shape), "constant", {"value": d["value"]}
        elif d["op"] in ("update", "scatter") and _writes_in_place(graph, nid, buffers, pos):
            shared = buffers[graph.operands(nid)[0]]
            if nid in outputs:  # the last version is a result: the whole chain's buffer is
                shared = dataclasses.replace(shared, kind="output", outputs=tuple(outputs[nid]))
                buffers.update({n: shared for n, b in buffers.items() if b.id == shared.id})
            buffers[nid] = shared
            continue
        else:
            view = StridedView.contiguous(shape)
            kind = "output" if nid in outputs else "temp"
            extra = {"outputs": tuple(outputs.get(nid, ()))}
        buffers[nid] = Buffer(count, kind, shape, dtype, nid, view, **extra)
        count += 1
    return buffers


class _KernelBuilder:
    def __init__(self, graph: Graph, buffers: dict[int, Buffer], root: int):
        self.graph, self.buffers, self.root = graph, buffers, root
        self.memo: dict = {}
        self.contexts: dict[int, int] = {}
        self.nodes: set[int] = {root}
        self.contraction: int | None = None  # a matmul computed under this root's epilogue

    def expr(self, nid: int, steps: tuple[Step, ...]) -> Expr:
        key = (nid, steps)
        if key not in self.memo:
            self._count_context(nid)
            self.memo[key] = self._build(nid, steps)
        return self.memo[key]

    def _count_context(self, nid: int) -> None:
        g = self.graph
        if nid == self.root or _materialized(g, nid) or get_op(g.op(nid)).kind != "elementwise":
            return
        count = self.contexts[nid] = self.contexts.get(nid, 0) + 1
        limit = MAX_CONTEXTS_EXPENSIVE if get_op(g.op(nid)).cost >= EXPENSIVE else MAX_CONTEXTS
        if count > limit:
            raise _NeedsBuffer(nid)

    def _build(self, nid: int, steps) -> Expr:
        g = self.graph
        d = g.data(nid)
        if nid != self.root and _materialized(g, nid):
            if d["op"] == "constant" and d["value"].size == 1:
                return Const(d["value"].reshape(()).item(), d["dtype"])
            if nid not in self.buffers:  # an arithmetic sequence: no buffer
                start, step = affine_constant(d["value"])
                view = _apply_steps(StridedView.contiguous(d["shape"]), steps)
                return Iota(Access(NO_BUFFER, d["dtype"], view.offset, view.strides), start, step, d["dtype"])
            buf = self.buffers[nid]
            view = _apply_steps(buf.view, steps)
            return Load(Access(buf.id, buf.dtype, view.offset, view.strides))
        self.nodes.add(nid)
        opdef = get_op(d["op"])
        if opdef.kind == "view":
            (src,) = g.operands(nid)
            return self.expr(src, (_step(d["op"], nid, **d["attrs"]),) + steps)
        if opdef.kind == "contraction" and not steps and self.contraction in (None, nid):
            self.contraction = nid  # the root's expression is this product's epilogue
            return Acc(d["dtype"])
        if opdef.kind == "gather":
            return self._gather(nid, d, steps)
        if opdef.kind != "elementwise":
            raise AssertionError(f"node %{nid} ({d['op']}) must have a buffer")
        operands = g.operands(nid)
        loop, out = elementwise_signature(opdef, [g.aval(u).dtype for u in operands], **d["attrs"])
        args = []
        for u, loop_dtype in zip(operands, loop):
            s = steps
            if g.aval(u).shape != d["shape"]:  # implicit broadcasting of an operand
                s = (_step("broadcast_to", nid, shape=d["shape"]),) + steps
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
            return _step("slice", nid, starts=tuple(starts), steps=(1,) * len(xshape), shape=lengths)

        zero = at([0] * len(xshape))
        spread = (zero, _step("reshape", nid, shape=pre + (1,) * nb + post), _step("broadcast_to", nid, shape=out))
        base = self.expr(x, spread + steps)
        if isinstance(base, Const):
            return base  # a one-element source: every valid index reads it
        if type(base) is not Load:
            raise _NeedsBuffer(x)
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
            s = (_step("reshape", nid, shape=(1,) * (len(pre) + nb - len(ish)) + ish + (1,) * len(post)),
                 _step("broadcast_to", nid, shape=out)) + steps
            exprs.append(convert(self.expr(u, s), np.dtype(np.int64)))
        extents = tuple(xshape[axis + j] for j in range(k))
        return Gather(base.access, tuple(exprs), tuple(strides), extents)

    # -- one nest per root kind ---------------------------------------------------------------
    def nests(self) -> tuple[str, list[Nest]]:
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
            return "update", self._scatter_nests(d, out) if d["op"] == "scatter" else self._update_nests(d, out)
        raise AssertionError(f"no kernel for op {d['op']}")

    def _reduce_nest(self, d, out: Buffer) -> Nest:
        (src,) = self.graph.operands(self.root)
        shape, axes = self.graph.aval(src).shape, d["attrs"]["axes"]
        kept = [a for a in range(len(shape)) if a not in axes]
        perm = tuple(kept) + tuple(axes)
        value = self.expr(src, (_step("transpose", self.root, perm=perm),))
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
        a_steps = (_step("reshape", r, shape=a2[:-1] + (1, k)), _step("broadcast_to", r, shape=space))
        nb = len(b2)
        b_steps = (_step("reshape", r, shape=b2), _step("transpose", r, perm=tuple(range(nb - 2)) + (nb - 1, nb - 2)),
                   _step("reshape", r, shape=b2[:-2] + (1, n, k)), _step("broadcast_to", r, shape=space))
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
        steps = tuple(_step(op, self.root, **dict(attrs)) for op, attrs in d["attrs"]["path"])
        view = _apply_steps(StridedView.contiguous(d["shape"]), steps)
        if self.buffers.get(base) is not out:
            strides = out.view.strides
            for start, shape in _complement(d["shape"], region, view) if math.prod(region) else [
                    ((0,) * len(d["shape"]), d["shape"])]:
                part = (_step("slice", self.root, starts=start, steps=(1,) * len(start), shape=shape),)
                copy = convert(self.expr(base, part), d["dtype"])
                offset = sum(a * st for a, st in zip(start, strides))
                nests.append(Nest(shape, 0, None, copy, Access(out.id, out.dtype, offset, strides)))
        if math.prod(region):
            stored = convert(self.expr(value, ()), d["dtype"])
            nests.append(Nest(region, 0, None, stored, Access(out.id, out.dtype, view.offset, view.strides)))
        return nests

    def _scatter_nests(self, d, out: Buffer) -> list[Nest]:
        """Copy the base into ``out`` unless ``out`` is the base's own buffer, then store
        each value at its computed address (one serial nest over the value, in order)."""
        g = self.graph
        base, value, *indices = g.operands(self.root)
        nests = []
        if self.buffers.get(base) is not out:
            copy = convert(self.expr(base, ()), d["dtype"])
            nests.append(Nest(d["shape"], 0, None, copy, Access(out.id, out.dtype, 0, out.view.strides)))
        region = g.aval(value).shape
        if not math.prod(region):
            return nests
        axis, k = d["attrs"]["axis"], len(indices)
        strides = out.view.strides
        nb = len(region) - (len(d["shape"]) - k)
        pre, post = d["shape"][:axis], d["shape"][axis + k:]
        affine = strides[:axis] + (0,) * nb + strides[axis + k:]
        exprs = []
        for u in indices:
            ish = g.aval(u).shape
            s = (_step("reshape", self.root, shape=(1,) * (len(pre) + nb - len(ish)) + ish + (1,) * len(post)),
                 _step("broadcast_to", self.root, shape=region))
            exprs.append(convert(self.expr(u, s), np.dtype(np.int64)))
        store = ScatterAccess(out.id, out.dtype, out.view.offset, affine, tuple(exprs),
                              strides[axis:axis + k], d["shape"][axis:axis + k])
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


def form_kernels(graph: Graph) -> Program:
    """Build the program; may insert copies into ``graph`` where a reshape needs one."""
    while True:
        try:
            return _form(graph)
        except _NeedsBuffer as e:
            graph.data(e.node)["materialize"] = True
        except _NeedsCopy as e:
            (src,) = graph.operands(e.node)
            copy = graph.add("copy", [src], loc=graph.loc(e.node))
            graph.nx.remove_edge(src, e.node, key=0)
            graph.nx.add_edge(copy, e.node, key=0)
            graph.data(copy)["materialize"] = True


def _form(graph: Graph) -> Program:
    controls: dict = {}
    buffers = _assign_buffers(graph, controls)
    kernels = []
    for nid in graph.topo_order():
        if nid in controls:
            kernels.append(control_kernel(f"k{len(kernels)}", graph, nid, controls[nid]))
            continue
        if graph.op(nid) == "loop_out":
            continue
        if nid not in buffers or buffers[nid].kind in ("input", "constant"):
            continue
        builder = _KernelBuilder(graph, buffers, nid)
        if get_op(graph.op(nid)).kind == "along_axis":  # a library kernel (scan, sort)
            kernels.extend(build_along_axis(builder, f"k{len(kernels)}"))
            continue
        kind, nests = builder.nests()
        nodes = sorted(builder.nodes)
        if kind == "update" and len(nests) >= 2:  # the copies run (in parallel) on their own
            kernels.append(Kernel(f"k{len(kernels)}", "map", nodes, nests[:-1]))
            nests = nests[-1:]
        if nests:
            kernels.append(Kernel(f"k{len(kernels)}", kind, nodes, nests))
    outputs = [-1] * len(graph.outputs)
    for out in graph.outputs:
        src = graph.operands(out)[0]
        outputs[graph.attrs(out)["index"]] = buffers[src].id
    unique = {b.id: b for b in buffers.values()}  # updates in place share their base's
    return Program(graph.name, [unique[i] for i in sorted(unique)], kernels, len(graph.inputs), outputs)
