"""Differentiating loops and branches (``while``/``cond`` nodes, ``compiler/ops/control.py``).

Their rules build new loops and branches whose sub-graphs are derivatives of the old ones,
so unlike other ops' rules they need the transform itself: the transform hands itself down
(``jvp_graph``/``vjp_graph``), as the interpreter hands itself to a loop's reference. Both
take and give a dict {result index: node} for the node's several results (``loop_out``).

- **Forward**: a new loop (branch) carrying the old values and the tangents of the carried
  values that can become nonzero (a fixpoint over the body), its body (branches) the old
  one followed by its ``jvp``. The old loop stays for the primal results (the new one
  recomputes them: one more run of the loop).
- **Reverse, ``cond``**: a backward ``cond`` on the same predicate whose branches recompute
  their forward branch and then its ``vjp`` (each branch's cotangents for its own operands;
  the branch not taken gives zeros).
- **Reverse, ``while``** (``tj.while_loop``, ``tj.fori_loop``, converted ``for``/``while``):
  the trip count is known only at run time, and shapes are static, so a loop first counts
  its trips (a copy of the loop carrying a counter); the backward loop then runs step
  ``k = N-1 .. 0``, each recomputing the carried values of step ``k`` from the initial ones
  (an inner loop of ``k`` body steps) and applying the body's ``vjp`` to the carried
  cotangent; cotangents of the values the body captures are summed over the steps.
  Memory: one set of carried values (no per-step buffer); time: ``N (N + 1) / 2`` body steps
  (see docs/design.md "Autodiff through control flow" for the trade-off).
"""
from __future__ import annotations

from typing import Callable, NamedTuple

import networkx as nx
import numpy as np

from tracejit.compiler.autodiff.builder import Builder, Node, is_float
from tracejit.compiler.dtypes import AVal
from tracejit.compiler.graph import Graph, SubGraph
from tracejit.compiler.ops import get_op

I64 = np.dtype(np.int64)


class Rules(NamedTuple):
    """The rules of an op with sub-graphs: ``jvp(b, tangents, operands, out, jvp_graph, **attrs)
    -> {index: tangent}``, ``vjp(b, cts: {index: ct}, operands, out, vjp_graph, **attrs) -> per operand``."""

    jvp: Callable[..., dict[int, Node]]
    vjp: Callable[..., list[Node | None]]


# -- sub-graph construction ---------------------------------------------------------------------
def _outputs(g: Graph) -> list[Node]:
    """The values ``g`` returns, in output order."""
    return [g.operands(o)[0] for o in g.outputs]


def _avals(g: Graph) -> list[AVal]:
    return [g.aval(v) for v in _outputs(g)]


def clone(dst: Graph, src: Graph, inputs: list[Node]) -> list[Node]:
    """Copy the nodes of ``src`` into ``dst`` with its input ``i`` as node ``inputs[i]``;
    returns the nodes of ``src``'s outputs there."""
    where: dict[Node, Node] = {}
    for nid in src.topo_order():
        op = src.op(nid)
        if op == "input":
            where[nid] = inputs[src.attrs(nid)["index"]]
        elif op != "output":
            d = src.data(nid)
            where[nid] = dst.add(op, [where[u] for u in src.operands(nid)], attrs=dict(d["attrs"]), loc=d["loc"],
                                 aval=src.aval(nid), value=d["value"])
    return [where[v] for v in _outputs(src)]


def _new_graph(name: str, avals: list[AVal], loc: str | None) -> tuple[Graph, list[Node]]:
    g = Graph(name)
    return g, [g.add_input(i, f"{name}{i}", a, loc=loc) for i, a in enumerate(avals)]


def _finish(g: Graph, values: list[Node], loc: str | None) -> SubGraph:
    """Make ``values`` the outputs of ``g`` (fresh arrays: an input or constant is copied)."""
    for i, v in enumerate(values):
        if g.op(v) in ("input", "constant"):
            v = g.add("copy", [v], loc=loc)
        g.add_output(i, v)
    return SubGraph(g)


def _materialize(b: Builder, node: Node | None, aval: AVal) -> Node:
    return node if node is not None else b.zeros(tuple(aval.shape), aval.dtype)


def _results(b: Builder, node: Node, avals: list[AVal], indices: list[int]) -> list[Node]:
    """``loop_out`` nodes picking results ``indices`` of ``node``."""
    return [b.op("loop_out", node, index=i, shape=tuple(avals[i].shape), dtype=np.dtype(avals[i].dtype))
            for i in indices]


def _depends(g: Graph, sources: list[Node], targets: list[Node]) -> list[bool]:
    """Per target: whether it depends on a node of ``sources`` (or is one)."""
    down: set[Node] = set(sources)
    for s in sources:
        down |= nx.descendants(g.nx, s)
    return [t in down for t in targets]


# -- loops ----------------------------------------------------------------------------------------
def _split(operands: list[Node], n_carry: int, n_cond: int) -> tuple[list[Node], list[Node], list[Node]]:
    return operands[:n_carry], operands[n_carry:n_carry + n_cond], operands[n_carry + n_cond:]


def _inputs(g: Graph) -> dict[int, Node]:
    """The input nodes of ``g`` by argument index (an unused argument may have none)."""
    return {g.attrs(n)["index"]: n for n in g.inputs}


def _cond_with_extra(cond: Graph, ins: list[AVal], n_carry: int, extra: list[AVal], loc) -> SubGraph:
    """``cond`` (arguments ``ins``: carried values, captures) taking ``extra`` more carried
    values (after the old ones), unused."""
    g, inputs = _new_graph("cond", ins[:n_carry] + extra + ins[n_carry:], loc)
    outs = clone(g, cond, inputs[:n_carry] + inputs[n_carry + len(extra):])
    return _finish(g, outs, loc)


def while_jvp(b: Builder, tangents: list, operands: list, out: Node, jvp_graph: Callable, *, cond: SubGraph,
              body: SubGraph, n_carry: int, n_cond: int) -> dict[int, Node]:
    """A loop carrying the values and the tangents of those that can become nonzero."""
    carries, cond_cap, body_cap = _split(operands, n_carry, n_cond)
    t_carry, _, t_cap = _split(tangents, n_carry, n_cond)
    bg = body.graph
    ins = _inputs(bg)
    avals = [b.aval(c) for c in carries]
    caps = [k for k, t in enumerate(t_cap) if t is not None]
    active = {j for j, t in enumerate(t_carry) if t is not None and is_float(avals[j].dtype)}
    while True:  # carried values whose tangent can become nonzero
        sources = [ins[j] for j in active if j in ins] + [ins[n_carry + k] for k in caps if n_carry + k in ins]
        deps = _depends(bg, sources, _outputs(bg))
        more = active | {j for j, d in enumerate(deps) if d and is_float(avals[j].dtype)}
        if more == active:
            break
        active = more
    act = sorted(active)
    if not act:
        return {}
    loc = b.loc
    t_avals = [avals[j] for j in act]
    cap_avals = [b.aval(c) for c in body_cap]
    g, inputs = _new_graph("body", avals + t_avals + cap_avals + [cap_avals[k] for k in caps], loc)
    vals, tin = inputs[:n_carry], inputs[n_carry:n_carry + len(act)]
    first_cap = n_carry + len(act)
    cin, tcin = inputs[first_cap:first_cap + len(body_cap)], inputs[first_cap + len(body_cap):]
    outs = clone(g, bg, vals + cin)
    sb = Builder(g)
    sb.loc = loc
    touts = jvp_graph(sb, [vals[j] for j in act] + [cin[k] for k in caps], tin + tcin, [outs[j] for j in act])
    touts = [_materialize(sb, t, a) for t, a in zip(touts, t_avals)]
    new_body = _finish(g, outs + touts, loc)
    new_cond = _cond_with_extra(cond.graph, [b.aval(u) for u in carries + cond_cap], n_carry, t_avals, loc)
    inits = [_materialize(b, t_carry[j], avals[j]) for j in act]
    node = b.op("while", *(carries + inits + cond_cap + body_cap + [t_cap[k] for k in caps]), cond=new_cond,
                body=new_body, n_carry=n_carry + len(act), n_cond=n_cond)
    picked = _results(b, node, avals + t_avals, list(range(n_carry, n_carry + len(act))))
    return dict(zip(act, picked))


def _counting_loop(b: Builder, carries, cond_cap, body_cap, cond: Graph, body: Graph, n_carry: int,
                   n_cond: int) -> Node:
    """The trip count of the loop (a copy of it carrying a counter)."""
    loc = b.loc
    avals = [b.aval(c) for c in carries]
    g, inputs = _new_graph("body", avals + [AVal((), I64)] + [b.aval(c) for c in body_cap], loc)
    outs = clone(g, body, inputs[:n_carry] + inputs[n_carry + 1:])
    count = g.add("add", [inputs[n_carry], g.add_constant(np.ones((), I64), loc=loc)], loc=loc)
    new_body = _finish(g, outs + [count], loc)
    new_cond = _cond_with_extra(cond, [b.aval(u) for u in carries + cond_cap], n_carry, [AVal((), I64)], loc)
    zero = b.array(np.zeros((), I64))
    node = b.op("while", *(carries + [zero] + cond_cap + body_cap), cond=new_cond, body=new_body,
                n_carry=n_carry + 1, n_cond=n_cond)
    return _results(b, node, avals + [AVal((), I64)], [n_carry])[0]


def _steps(g: Graph, body: Graph, start: list[Node], count: Node, caps: list[Node], loc) -> list[Node]:
    """In ``g``: the carried values after ``count`` steps of ``body`` from ``start`` (an inner loop)."""
    avals = [g.aval(v) for v in start]
    n = len(start)
    cg, cin = _new_graph("cond", [AVal((), I64)] + avals + [AVal((), I64)], loc)
    new_cond = _finish(cg, [cg.add("less", [cin[0], cin[n + 1]], loc=loc)], loc)
    bg, bin_ = _new_graph("body", [AVal((), I64)] + avals + [g.aval(c) for c in caps], loc)
    outs = clone(bg, body, bin_[1:])
    step = bg.add("add", [bin_[0], bg.add_constant(np.ones((), I64), loc=loc)], loc=loc)
    new_body = _finish(bg, [step] + outs, loc)
    zero = g.add_constant(np.zeros((), I64), loc=loc)
    node = g.add("while", [zero] + start + [count] + caps,
                 attrs={"cond": new_cond, "body": new_body, "n_carry": n + 1, "n_cond": 1}, loc=loc)
    return [g.add("loop_out", [node], attrs={"index": i + 1, "shape": tuple(a.shape), "dtype": np.dtype(a.dtype)},
                  loc=loc) for i, a in enumerate(avals)]


STATIC_OPS = ("constant", "size", "add", "subtract", "multiply", "convert", "minimum", "maximum", "negative")


def _static(g: Graph, nid: Node, depth: int = 0) -> int | None:
    """The value of integer node ``nid`` if it follows from constants and trace-time sizes."""
    op = g.op(nid)
    if op not in STATIC_OPS or depth > 8 or g.aval(nid).shape != () or g.aval(nid).dtype.kind not in "iu":
        return None
    if op == "constant":
        return int(g.data(nid)["value"])
    if op == "size":
        return int(g.attrs(nid)["value"])
    args = [_static(g, u, depth + 1) for u in g.operands(nid)]
    if any(a is None for a in args):
        return None
    return int(get_op(op).reference(*[np.int64(a) for a in args], **g.attrs(nid)))


def _counted(g: Graph, carries: list[Node], cond_cap: list[Node], cond: Graph, body: Graph,
             n_carry: int) -> tuple[Node, Node, int] | None:
    """A ``fori_loop``-shaped loop (carried value 0 an index stepping by 1 from ``start`` while
    ``< stop``, a run-time ``stop``/``start`` known when traced): (start, stop, static trip count)."""
    (test,) = _outputs(cond)
    if cond.op(test) != "less":
        return None
    i, stop = cond.operands(test)
    bins = _inputs(body)
    if cond.op(i) != "input" or cond.op(stop) != "input" or cond.attrs(i)["index"] != 0 \
            or cond.attrs(stop)["index"] < n_carry or 0 not in bins:
        return None
    step = _outputs(body)[0]
    if body.op(step) != "add" or bins[0] not in body.operands(step):
        return None
    (one,) = [u for u in body.operands(step) if u != bins[0]] or [bins[0]]
    if body.op(one) != "constant" or int(body.data(one)["value"]) != 1:
        return None
    stop_node = cond_cap[cond.attrs(stop)["index"] - n_carry]
    lo, hi = _static(g, carries[0]), _static(g, stop_node)
    if lo is None or hi is None:
        return None
    return carries[0], stop_node, max(0, hi - lo)


def _saving_loop(b: Builder, carries, cond_cap, body_cap, cond: Graph, body: Graph, n_carry: int, n_cond: int,
                 start: Node, trips: int) -> list[Node]:
    """The loop again, writing each step's carried values into row ``i - start`` of a buffer
    ``[trips, ...]`` per carried value (``dynamic_update``); the buffers."""
    loc = b.loc
    avals = [b.aval(c) for c in carries]
    bufs = [AVal((trips,) + tuple(a.shape), a.dtype) for a in avals]
    g, inputs = _new_graph("body", avals + bufs + [b.aval(start)] + [b.aval(c) for c in body_cap], loc)
    vals, bin_, first = inputs[:n_carry], inputs[n_carry:2 * n_carry], inputs[2 * n_carry]
    outs = clone(g, body, vals + inputs[2 * n_carry + 1:])
    row = g.add("subtract", [vals[0], first], loc=loc)
    saved = [g.add("dynamic_update", [buf, g.add("reshape", [v], attrs={"shape": (1,) + tuple(a.shape)}, loc=loc), row],
                   attrs={"dims": (0,), "steps": (1,)}, loc=loc) for buf, v, a in zip(bin_, vals, avals)]
    new_body = _finish(g, outs + saved, loc)
    new_cond = _cond_with_extra(cond, [b.aval(u) for u in carries + cond_cap], n_carry, bufs, loc)
    inits = [b.zeros(tuple(a.shape), a.dtype) for a in bufs]
    node = b.op("while", *(carries + inits + cond_cap + [start] + body_cap), cond=new_cond, body=new_body,
                n_carry=2 * n_carry, n_cond=n_cond)
    return _results(b, node, avals + bufs, list(range(n_carry, 2 * n_carry)))


def _row(g: Graph, buf: Node, row: Node, aval: AVal, loc) -> Node:
    """Row ``row`` of buffer ``buf`` ([n, ...]) as a value of ``aval``'s shape."""
    piece = g.add("dynamic_slice", [buf, row], attrs={"dims": (0,), "sizes": (1,), "steps": (1,)}, loc=loc)
    return g.add("reshape", [piece], attrs={"shape": tuple(aval.shape)}, loc=loc)


CHECKPOINTS = 64  # most checkpoints a while_loop's reverse mode keeps
CHECKPOINT_BYTES = 1 << 28  # ... and at most this many bytes of them


def checkpoint_slots(avals: list[AVal]) -> int:
    """How many checkpoints of carried values ``avals`` a reverse while_loop keeps."""
    size = sum(int(np.prod(a.shape, dtype=np.int64)) * np.dtype(a.dtype).itemsize for a in avals)
    return max(1, min(CHECKPOINTS, CHECKPOINT_BYTES // max(1, size)))


def _checkpoint_loop(b: Builder, carries, cond_cap, body_cap, cond: Graph, body: Graph, n_carry: int, n_cond: int,
                     stride: Node, slots: int) -> list[Node]:
    """The loop again, keeping the carried values of every ``stride``-th step (a run-time
    stride: ``ceil(N / slots)``) in row ``k // stride`` of a buffer ``[slots, ...]`` each."""
    loc = b.loc
    avals = [b.aval(c) for c in carries]
    bufs = [AVal((slots,) + tuple(a.shape), a.dtype) for a in avals]
    extra = [AVal((), I64)] + bufs
    g, inputs = _new_graph("body", avals + extra + [AVal((), I64)] + [b.aval(c) for c in body_cap], loc)
    vals, k, bin_ = inputs[:n_carry], inputs[n_carry], inputs[n_carry + 1:2 * n_carry + 1]
    step = inputs[2 * n_carry + 1]
    outs = clone(g, body, vals + inputs[2 * n_carry + 2:])
    row = g.add("floor_divide", [k, step], loc=loc)
    keep = g.add("equal", [g.add("multiply", [row, step], loc=loc), k], loc=loc)
    saved = []
    for buf, v, a in zip(bin_, vals, avals):
        new = g.add("where", [keep, v, _row(g, buf, row, a, loc)], loc=loc)
        new = g.add("reshape", [new], attrs={"shape": (1,) + tuple(a.shape)}, loc=loc)
        saved.append(g.add("dynamic_update", [buf, new, row], attrs={"dims": (0,), "steps": (1,)}, loc=loc))
    one = g.add_constant(np.ones((), I64), loc=loc)
    new_body = _finish(g, outs + [g.add("add", [k, one], loc=loc)] + saved, loc)
    new_cond = _cond_with_extra(cond, [b.aval(u) for u in carries + cond_cap], n_carry, extra, loc)
    inits = [b.array(np.zeros((), I64))] + [b.zeros(tuple(a.shape), a.dtype) for a in bufs]
    node = b.op("while", *(carries + inits + cond_cap + [stride] + body_cap), cond=new_cond, body=new_body,
                n_carry=2 * n_carry + 1, n_cond=n_cond)
    return _results(b, node, avals + extra, list(range(n_carry + 1, 2 * n_carry + 1)))


def while_vjp(b: Builder, cts: dict[int, Node], operands: list, out: Node, vjp_graph: Callable, *, cond: SubGraph,
              body: SubGraph, n_carry: int, n_cond: int) -> list[Node | None]:
    """A backward loop over the steps in reverse: a ``fori_loop`` with a trip count known when
    traced reads each step's saved carried values, any other loop recomputes them."""
    carries, cond_cap, body_cap = _split(operands, n_carry, n_cond)
    loc = b.loc
    avals = [b.aval(c) for c in carries]
    floats = [j for j, a in enumerate(avals) if is_float(a.dtype)]
    fcaps = [k for k, c in enumerate(body_cap) if is_float(b.dtype(c))]
    cap_avals = [b.aval(c) for c in body_cap]
    counted = _counted(b.graph, carries, cond_cap, cond.graph, body.graph, n_carry)
    grads_out: list[Node | None] = [None] * len(operands)
    if counted is not None and counted[2] == 0:  # no step: the values pass through
        for j in floats:
            grads_out[j] = cts.get(j)
        return grads_out
    if counted is not None:
        start, stop, bound = counted
        saved = _saving_loop(b, carries, cond_cap, body_cap, cond.graph, body.graph, n_carry, n_cond, start, bound)
        trips = b.op("maximum", b.op("subtract", stop, start), b.array(np.zeros((), I64)))
        held, held_avals = saved, [b.aval(s) for s in saved]
    else:
        trips = _counting_loop(b, carries, cond_cap, body_cap, cond.graph, body.graph, n_carry, n_cond)
        slots = checkpoint_slots(avals)
        stride = b.op("maximum", b.op("floor_divide", b.op("add", trips, b.array(np.int64(slots - 1))),
                                      b.array(np.int64(slots))), b.array(np.int64(1)))
        held = _checkpoint_loop(b, carries, cond_cap, body_cap, cond.graph, body.graph, n_carry, n_cond, stride,
                                slots) + [stride]
        held_avals = [b.aval(h) for h in held]
    # backward body: (k, ct per float carry, sum per float capture; captured: saved or initial values, captures)
    state = [AVal((), I64)] + [avals[j] for j in floats] + [cap_avals[k] for k in fcaps]
    g, inputs = _new_graph("body", state + held_avals + cap_avals, loc)
    nf, nc, nh = len(floats), len(fcaps), len(held)
    k, ct_in, acc_in = inputs[0], inputs[1:1 + nf], inputs[1 + nf:1 + nf + nc]
    held_in, cap_in = inputs[1 + nf + nc:1 + nf + nc + nh], inputs[1 + nf + nc + nh:]
    prev = g.add("subtract", [k, g.add_constant(np.ones((), I64), loc=loc)], loc=loc)
    if counted is not None:
        at_step = [_row(g, buf, prev, a, loc) for buf, a in zip(held_in, avals)]
    else:
        stride = held_in[-1]  # recompute from the checkpoint before step k - 1
        row = g.add("floor_divide", [prev, stride], loc=loc)
        left = g.add("subtract", [prev, g.add("multiply", [row, stride], loc=loc)], loc=loc)
        start = [_row(g, buf, row, a, loc) for buf, a in zip(held_in[:-1], avals)]
        at_step = _steps(g, body.graph, start, left, cap_in, loc)
    # fresh copies: the step's derivative holds the step's values and the captures fixed
    vals = [g.add("copy", [v], loc=loc) for v in at_step]
    capv = [g.add("copy", [c], loc=loc) for c in cap_in]
    outs = clone(g, body.graph, vals + capv)
    sb = Builder(g)
    sb.loc = loc
    grads = vjp_graph(sb, [vals[j] for j in floats] + [capv[k] for k in fcaps], [outs[j] for j in floats], ct_in)
    new_ct = [_materialize(sb, c, avals[j]) for c, j in zip(grads[:nf], floats)]
    new_acc = [sb.add(a, c) for a, c in zip(acc_in, grads[nf:])]
    new_body = _finish(g, [prev] + new_ct + new_acc, loc)
    cg, cin = _new_graph("cond", state, loc)
    new_cond = _finish(cg, [cg.add("greater", [cin[0], cg.add_constant(np.zeros((), I64), loc=loc)], loc=loc)], loc)
    ct0 = [_materialize(b, cts.get(j), avals[j]) for j in floats]
    acc0 = [b.zeros(tuple(cap_avals[k].shape), cap_avals[k].dtype) for k in fcaps]
    node = b.op("while", *([trips] + ct0 + acc0 + held + body_cap), cond=new_cond, body=new_body,
                n_carry=1 + nf + nc, n_cond=0)
    res = _results(b, node, state, list(range(1, 1 + nf + nc)))
    for j, r in zip(floats, res[:nf]):
        grads_out[j] = r
    for k, r in zip(fcaps, res[nf:]):
        grads_out[n_carry + n_cond + k] = r
    return grads_out


# -- branches ---------------------------------------------------------------------------------------
def cond_jvp(b: Builder, tangents: list, operands: list, out: Node, jvp_graph: Callable, *, true: SubGraph,
             false: SubGraph, n_true: int) -> dict[int, Node]:
    """A branch returning its results and their tangents (zeros where a branch gives none)."""
    pred, ops = operands[0], operands[1:]
    tans = tangents[1:]
    avals = _avals(true.graph)
    floats = [r for r, a in enumerate(avals) if is_float(a.dtype)]
    if not floats:
        return {}
    loc = b.loc
    new, new_ops = [], []
    for sub, lo, hi in ((true, 0, n_true), (false, n_true, len(ops))):
        mine = [(u, t) for u, t in zip(ops[lo:hi], tans[lo:hi])]
        act = [i for i, (_, t) in enumerate(mine) if t is not None]
        g, inputs = _new_graph(sub.graph.name, [b.aval(u) for u, _ in mine] + [b.aval(mine[i][0]) for i in act], loc)
        outs = clone(g, sub.graph, inputs[:len(mine)])
        sb = Builder(g)
        sb.loc = loc
        touts = jvp_graph(sb, [inputs[i] for i in act], inputs[len(mine):], [outs[r] for r in floats])
        touts = [_materialize(sb, t, avals[r]) for t, r in zip(touts, floats)]
        new.append(_finish(g, outs + touts, loc))
        new_ops.append([u for u, _ in mine] + [mine[i][1] for i in act])
    node = b.op("cond", pred, *(new_ops[0] + new_ops[1]), true=new[0], false=new[1], n_true=len(new_ops[0]))
    picked = _results(b, node, avals + [avals[r] for r in floats], list(range(len(avals), len(avals) + len(floats))))
    return dict(zip(floats, picked))


def cond_vjp(b: Builder, cts: dict[int, Node], operands: list, out: Node, vjp_graph: Callable, *, true: SubGraph,
             false: SubGraph, n_true: int) -> list[Node | None]:
    """A backward branch on the same predicate: each recomputes its forward branch and its ``vjp``."""
    pred, ops = operands[0], operands[1:]
    avals = _avals(true.graph)
    given = sorted(r for r, c in cts.items() if c is not None)
    loc = b.loc
    new, new_ops, wanted = [], [], []
    for sub, lo, hi in ((true, 0, n_true), (false, n_true, len(ops))):
        mine = ops[lo:hi]
        floats = [i for i, u in enumerate(mine) if is_float(b.dtype(u))]
        g, inputs = _new_graph(sub.graph.name, [b.aval(u) for u in mine] + [avals[r] for r in given], loc)
        vals = [g.add("copy", [v], loc=loc) for v in inputs[:len(mine)]]
        outs = clone(g, sub.graph, vals)
        sb = Builder(g)
        sb.loc = loc
        grads = vjp_graph(sb, [vals[i] for i in floats], [outs[r] for r in given], inputs[len(mine):])
        wanted.append([lo + i for i in floats])
        new.append([_materialize(sb, c, b.aval(mine[i])) for c, i in zip(grads, floats)])
        new_ops.append(list(mine) + [cts[r] for r in given])
        new[-1] = (g, new[-1])
    # both branches return every float operand's cotangent (the true branch's first)
    (tg, tvals), (fg, fvals) = new
    t_avals = [b.aval(ops[i]) for i in wanted[0]]
    f_avals = [b.aval(ops[i]) for i in wanted[1]]
    tz = Builder(tg)
    fz = Builder(fg)
    true_sub = _finish(tg, tvals + [tz.zeros(tuple(a.shape), a.dtype) for a in f_avals], loc)
    false_sub = _finish(fg, [fz.zeros(tuple(a.shape), a.dtype) for a in t_avals] + fvals, loc)
    node = b.op("cond", pred, *(new_ops[0] + new_ops[1]), true=true_sub, false=false_sub, n_true=len(new_ops[0]))
    res = _results(b, node, t_avals + f_avals, list(range(len(t_avals) + len(f_avals))))
    grads_out: list[Node | None] = [None] * len(operands)
    for i, r in zip(wanted[0] + wanted[1], res):
        grads_out[1 + i] = r
    return grads_out


SUBGRAPH_RULES: dict[str, Rules] = {"while": Rules(while_jvp, while_vjp), "cond": Rules(cond_jvp, cond_vjp)}

