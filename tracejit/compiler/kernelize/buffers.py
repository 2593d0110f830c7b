"""Buffer assignment, the first step of kernel formation: which graph nodes get a buffer
(inputs, constants that are not arithmetic sequences, temporaries, results) and which
``update``/``scatter`` may store straight into its base's buffer (:func:`_writes_in_place`).
Loops and branches get the buffers they hand their sub-programs (``kernelize/control.py``).
"""
from __future__ import annotations

import dataclasses

from tracejit.compiler.graph import Graph
from tracejit.compiler.kernelize.control import (
    CONTROL_OPS,
    CompileSub,
    assign_control_buffers,
    donated_target,
    keeps_donation,
)
from tracejit.compiler.kernelize.regions import reads_apart
from tracejit.compiler.kernelize.sequences import affine_constant
from tracejit.compiler.kir import Buffer
from tracejit.compiler.layout import StridedView
from tracejit.compiler.ops import get_op


class NeedsBuffer(Exception):
    """Node ``node`` would be recomputed under too many index maps (``builder.py``), or
    ``nodes`` are updates' values that read the arrays they are stored into (all found in
    one pass, so a loop of such writes restarts once): formation gives them buffers of
    their own and restarts."""

    def __init__(self, node: int, *more: int):
        super().__init__(node, *more)
        self.node = node
        self.nodes = (node, *more)


def is_materialized(graph: Graph, nid: int) -> bool:
    """Whether fusion marked ``nid`` to be stored in a buffer of its own."""
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


def _writes_in_place(graph: Graph, nid: int, buffers: dict[int, Buffer], pos: dict[int, int],
                     outputs: dict[int, list[int]], values: list[int]) -> bool:
    """Whether update ``nid`` may store straight into its base's buffer: the base is a
    temporary (or another update's), or a loop body's donated carried value, whose every
    other reading kernel runs before this one (computes one of its operands), and this
    kernel's own value (and a scatter's indices) reads the base only when it is one
    element (loaded whole before the store). A donated value written in place is a result
    only as the same carried value (result index = its argument index), and neither it
    nor the version written is a result as well. ``pos``: each node's place in the
    topological order; ``outputs``: result node -> its result indices; ``values``
    receives a value that should get a buffer of its own first (then not in place)."""
    base = graph.operands(nid)[0]  # a scatter's value and indices follow
    root = base if base in buffers else reshaped_root(graph, base, buffers) if graph.op(nid) == "scatter" else None
    if root is None or graph.op(root) == "constant":
        return False
    back = _write_back(graph, nid, root)
    if root != base and back is None:
        return False  # (the scatter's own shape is not its buffer's: only its write-back may read it)
    buf = buffers[root]
    target = donated_target(graph, buf)
    if target is not None:
        results = [outputs.get(n, [target]) for n in (nid, back) if n is not None]
        if root in outputs or buf.node in outputs or not all(keeps_donation(graph, buf, target, r) for r in results):
            return False
    elif buf.kind != "temp":
        return False
    readers, value_reads = _base_readers(graph, nid, root, base)
    readers.discard(back)
    if value_reads and graph.aval(graph.operands(nid)[1]).size != 1 and not reads_apart(graph, nid):
        # ``a[::-1] = a``, ``out[t] = f(out[t - 1])``: the store would overwrite elements still to
        # be read, unless the value is computed first into a buffer of its own (the region's size,
        # not the whole array's): the value's kernel then reads the base, before this one
        value = graph.operands(nid)[1]
        if value_reads == {1} and not is_materialized(graph, value) and get_op(graph.op(value)).kind != "source":
            values.append(value)
        return False
    return not readers or readers <= _ancestors(graph, nid, min(pos[r] for r in readers), pos)


def reshaped_root(graph: Graph, nid: int, buffers: dict[int, Buffer]) -> int | None:
    """The node with a buffer that ``nid`` is, or is a reshape of (through unmaterialized
    reshapes) when that buffer is contiguous: the same memory in the same C order; else None."""
    while nid not in buffers:
        if graph.op(nid) != "reshape" or is_materialized(graph, nid):
            return None
        nid = graph.operands(nid)[0]
    view = buffers[nid].view
    return nid if view.offset == 0 and view.is_contiguous() else None


def stores_itself(graph: Graph, nid: int) -> bool:
    """Whether ``update(base, value, path)`` ``nid`` stores ``value`` over all of ``base``
    in C order through reshapes only: where the value is in the base's buffer already (a
    scatter in place into a reshape of it, ``np.put``/``np.add.at``/``a[idx] += v``),
    nothing is left to store."""
    if graph.op(nid) != "update":
        return False
    path = graph.attrs(nid)["path"]
    if not all(op == "reshape" for op, _ in path):
        return False
    last = dict(path[-1][1])["shape"] if path else graph.aval(nid).shape
    return tuple(last) == tuple(graph.aval(graph.operands(nid)[1]).shape)


def stores_nothing(graph: Graph, nid: int, buffers: dict[int, Buffer]) -> bool:
    """Whether update ``nid`` writes back a value already in place in its own buffer (the
    scatter it writes back stored into the same memory): then it has no kernel."""
    return (stores_itself(graph, nid) and nid in buffers
            and buffers.get(graph.operands(nid)[1]) is buffers[nid])


def _write_back(graph: Graph, nid: int, root: int) -> int | None:
    """The update that stores scatter ``nid`` back over all of ``root`` (``update(root,
    nid, path)`` by :func:`stores_itself`) when that is ``nid``'s only reader, else None."""
    users = graph.users(nid)
    if len(users) != 1:
        return None
    user, index = users[0]
    if index != 1 or not stores_itself(graph, user) or graph.operands(user)[0] != root:
        return None
    return user


def _passes_through(graph: Graph, nid: int, buffers: dict[int, Buffer], outputs: dict[int, list[int]]) -> bool:
    """Whether ``copy`` ``nid`` is a donated input (or its last version, updated in place)
    returned as that input's own result: the value is in that buffer already."""
    (src,) = graph.operands(nid)
    buf = buffers.get(src)
    target = None if buf is None else donated_target(graph, buf)
    return (target is not None and graph.users(src) == [(nid, 0)]
            and keeps_donation(graph, buf, target, outputs.get(nid, [])))


def _base_readers(graph: Graph, nid: int, root: int, base: int) -> tuple[set[int], set[int]]:
    """The kernels other than update ``nid`` that read ``root`` (materialized nodes reached
    from it through unmaterialized ones: a view read by two kernels counts for both), and
    which of ``nid``'s operands (1: the value, 2...: a scatter's indices) read it (other
    than its base ``base``, ``root`` or a reshape of it)."""
    readers, value_reads = set(), set()
    seen, stack = {root}, [root]
    while stack:
        n = stack.pop()
        for user, index in graph.users(n):
            if user == nid:
                if n != base or index != 0:
                    value_reads.add(index)
            elif is_materialized(graph, user):
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


def assign_buffers(graph: Graph, compile_sub: CompileSub, controls: dict | None = None) -> dict[int, Buffer]:
    """Buffers of the materialized nodes (and, for loops and branches, of what they hand
    their sub-programs, which ``compile_sub`` optimizes: ``controls`` receives each one's
    :class:`Control`)."""
    outputs: dict[int, list[int]] = {}
    for out in graph.outputs:
        if not graph.data(out).get("unused", False):  # (a branch's result nobody reads: no buffer of its own)
            outputs.setdefault(graph.operands(out)[0], []).append(graph.attrs(out)["index"])
    buffers: dict[int, Buffer] = {}
    count = 0  # buffers made so far (an update in place shares its base's: no new id)
    order = graph.topo_order()
    pos = {n: i for i, n in enumerate(order)}
    values: list[int] = []  # updates' values to give buffers (then the updates store in place)
    for nid in order:
        d = graph.data(nid)
        if not is_materialized(graph, nid):
            continue
        shape, dtype = d["shape"], d["dtype"]
        if d["op"] in CONTROL_OPS:
            if values:  # (before compiling its sub-programs again)
                raise NeedsBuffer(*values)
            count, control = assign_control_buffers(graph, nid, buffers, count, outputs, compile_sub)
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
                continue  # computed from the element index (kernelize/sequences.py)
            view, kind, extra = StridedView.contiguous(shape), "constant", {"value": d["value"]}
        elif d["op"] == "copy" and _passes_through(graph, nid, buffers, outputs):
            buffers[nid] = buffers[graph.operands(nid)[0]]
            continue
        elif d["op"] in ("update", "scatter", "dynamic_update") and _writes_in_place(graph, nid, buffers, pos, outputs,
                                                                                     values):
            base = graph.operands(nid)[0]
            shared = buffers[base if base in buffers else reshaped_root(graph, base, buffers)]
            if nid in outputs and shared.kind == "temp":  # the last version is a result: the chain's buffer is
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
    if values:
        raise NeedsBuffer(*values)
    return buffers
