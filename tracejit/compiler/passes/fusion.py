"""Fusion: decide which values get a buffer; everything else is recomputed inside the
kernels that read it.

Reductions, matmuls, concatenations and graph outputs always get a buffer and each
roots a kernel; every other elementwise or view node is fused into the kernels of its
consumers. Fusion stops (the node gets a buffer and a kernel of its own) where it
would cost more than a memory pass:

* an expensive value read by several kernels (it would be recomputed in each);
* an expensive value read through a broadcast (recomputed for every copy);
* a matmul operand (the contraction would recompute it once per output column);
* a value whose fused expression would be deeper than ``DEPTH_LIMIT`` elementwise ops
  (a long unrolled loop such as ``for _ in range(100): z = z*z + c``): it is stored
  once, which only lowers recomputation, and code generation never recurses that deep.

A matmul whose result only flows through elementwise ops of its own shape and dtype
(bias, activation, residual, scale) gets no buffer: that chain becomes the epilogue of
its kernel, applied as the product is stored.

The decision is stored as node data ``materialize``; :mod:`tracejit.compiler.kernelize`
turns it into kernels.
"""
from __future__ import annotations

from tracejit.compiler.graph import Graph
from tracejit.compiler.ops import get_op

RECOMPUTE_LIMIT = 8  # cone cost from which a value shared by kernels is stored once
EXPAND_LIMIT = 8  # cone cost from which a value read through a broadcast is stored once
DEPTH_LIMIT = 48  # fused expression depth from which a value is stored (deep trees overflow recursion)
SHARED_DEPTH = 8  # in such deep graphs, depth from which a value read by several nodes is stored
ROOT_KINDS = ("reduce", "contraction", "concat", "update", "control", "along_axis")


def _kind(graph: Graph, nid: int) -> str:
    return get_op(graph.op(nid)).kind


def outputs_are_computed(graph: Graph) -> bool:
    """Outputs must be fresh arrays: put a copy between an output and a source node."""
    changed = False
    for out in graph.outputs:
        (src,) = graph.operands(out)
        if _kind(graph, src) == "source":
            copy = graph.add("copy", [src], loc=graph.loc(out))
            graph.nx.remove_edge(src, out, key=0)
            graph.nx.add_edge(copy, out, key=0)
            changed = True
    return changed


def control_operands_are_buffers(graph: Graph) -> bool:
    """A loop or branch hands its operands to programs of their own, which read them as
    contiguous arrays: put a copy before an operand that is a view, a constant (small
    and arithmetic-sequence constants have no buffer) or a strided input."""
    changed = False
    for nid in list(graph.nx.nodes):
        if graph.op(nid) not in ("while", "cond", "gfor", "host", "lapack"):
            continue
        copies: dict[int, int] = {}  # one copy per operand (a branch's operands are listed per branch)
        for k, u in enumerate(graph.operands(nid)):
            d = graph.data(u)
            if _kind(graph, u) == "view" or d["op"] == "constant" or (
                    d["op"] == "input" and d["attrs"].get("strides") is not None):
                copy = copies.get(u)
                if copy is None:
                    copy = copies[u] = graph.add("copy", [u], loc=graph.loc(nid))
                graph.nx.remove_edge(u, nid, key=k)
                graph.nx.add_edge(copy, nid, key=k)
                changed = True
    return changed


def cone_costs(graph: Graph, order: list[int]) -> dict[int, int]:
    """Per node: the cost of recomputing it from buffers (sources and kernel roots)."""
    cost: dict[int, int] = {}
    for nid in order:
        kind = _kind(graph, nid)
        if kind in ("elementwise", "view"):
            inner = sum(cost[u] for u in graph.operands(nid)
                        if _kind(graph, u) in ("elementwise", "view"))
            cost[nid] = min(get_op(graph.op(nid)).cost + inner, 10_000)
        else:
            cost[nid] = 0
    return cost


def epilogue_roots(graph: Graph) -> dict[int, int]:
    """matmul node -> the last node of the elementwise chain that becomes its epilogue."""
    roots = {}
    for nid in graph.nx.nodes:
        if _kind(graph, nid) != "contraction" or graph.aval(nid).dtype.kind != "f":
            continue
        if any(graph.aval(u).ndim < 2 for u in graph.operands(nid)):
            continue  # 1-D operands drop an output dim: keep the plain layout
        aval, node = graph.aval(nid), nid
        while True:
            users = graph.users(node)
            if len(users) != 1:
                break
            user = users[0][0]
            if _kind(graph, user) != "elementwise" or graph.aval(user) != aval:
                break
            if any(u != node and _kind(graph, u) == "contraction" for u in graph.operands(user)):
                break  # another product's epilogue (``acc += a @ b`` repeated): ends this chain
            node = user
        if node != nid:
            roots[nid] = node
    # two products whose chains meet (``(a @ b) * 2 + (b @ a) * 3``): a kernel holds one
    # contraction, so only the first keeps the shared epilogue, the others get buffers
    taken: set[int] = set()
    for nid in sorted(roots):
        if roots[nid] in taken:
            del roots[nid]
        else:
            taken.add(roots[nid])
    return roots


def decide_materialized(graph: Graph) -> set[int]:
    """The nodes that get a buffer: sources and kernel roots."""
    order = graph.topo_order()
    cost = cone_costs(graph, order)
    epilogues = epilogue_roots(graph)
    forced = set(epilogues.values())
    keep: set[int] = set()
    kernels: dict[int, set[int]] = {}  # node -> kernel roots that compute it
    expanded: dict[int, bool] = {}  # read through a broadcast by some kernel
    feeds_matmul: dict[int, bool] = {}
    for nid in reversed(order):
        kind = _kind(graph, nid)
        if kind == "output":
            continue
        if kind == "source":
            keep.add(nid)
            continue
        users = [u for u, _ in graph.users(nid)]
        if nid in epilogues:  # computed inside its epilogue's kernel
            kernels[nid] = {epilogues[nid]}
            continue
        if nid in forced or kind in ROOT_KINDS or any(_kind(graph, u) in ("output", "control") for u in users):
            keep.add(nid)
            kernels[nid] = {nid}
            continue
        roots: set[int] = set()
        expand = matmul = False
        size = graph.aval(nid).size
        for u in users:
            ukind = _kind(graph, u)
            roots |= {u} if u in keep else kernels.get(u, set())
            matmul |= ukind == "contraction" or (ukind == "view" and feeds_matmul.get(u, False))
            if ukind in ("view", "elementwise"):
                expand |= graph.aval(u).size > size or (u not in keep and expanded.get(u, False))
        if kind == "view":
            kernels[nid], expanded[nid], feeds_matmul[nid] = roots, expand, matmul
            continue
        if (matmul or (len(roots) > 1 and cost[nid] >= RECOMPUTE_LIMIT)
                or (expand and cost[nid] >= EXPAND_LIMIT)):
            keep.add(nid)
            kernels[nid] = {nid}
        else:
            kernels[nid], expanded[nid] = roots, expand
    in_epilogue = {n for m in epilogues for n in _chain(graph, m, epilogues[m])}
    return keep | (_too_deep(graph, order, keep) - in_epilogue)


def _chain(graph: Graph, start: int, end: int) -> list[int]:
    """The single-user chain from ``start`` to ``end`` (a matmul's epilogue)."""
    nodes, node = [], start
    while node != end:
        node = graph.users(node)[0][0]
        nodes.append(node)
    return nodes


def _depths(graph: Graph, order: list[int], stored, cut) -> dict[int, int]:
    """Per fused node: the depth of its expression in elementwise ops, restarting at the
    nodes in ``stored`` and those ``cut(nid, depth)`` adds to it."""
    depth: dict[int, int] = {}
    for nid in order:
        kind = _kind(graph, nid)
        if kind not in ("elementwise", "view"):
            continue
        inner = max((depth.get(u, 0) for u in graph.operands(nid) if u not in stored), default=0)
        depth[nid] = inner + (kind == "elementwise")
        if kind == "elementwise" and nid not in stored and cut(nid, depth[nid]):
            stored.add(nid)
    return depth


def _too_deep(graph: Graph, order: list[int], keep: set[int]) -> set[int]:
    """Fused nodes stored to bound expression depth, in graphs where some expression
    would be ``DEPTH_LIMIT`` elementwise ops deep (long unrolled loops): each value read
    by several nodes at depth ``SHARED_DEPTH`` or more (the loop's state, its masks: so
    no two stored values recompute a long common cone), and any node reaching
    ``DEPTH_LIMIT``. Shallower graphs are left as they are."""
    depth = _depths(graph, order, set(keep), lambda nid, d: False)
    if max(depth.values(), default=0) < DEPTH_LIMIT:
        return set()
    stored = set(keep)
    _depths(graph, order, stored, lambda nid, d: d >= DEPTH_LIMIT or (d >= SHARED_DEPTH and len(graph.users(nid)) > 1))
    return stored - keep


def fusion(graph: Graph) -> bool:
    """Mark each node's ``materialize`` flag (True: it has a buffer)."""
    outputs_are_computed(graph)
    control_operands_are_buffers(graph)
    keep = decide_materialized(graph)
    for nid in graph.nx.nodes:
        graph.data(nid)["materialize"] = nid in keep
    return True
