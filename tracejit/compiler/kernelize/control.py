"""Kernel formation of loops and branches (``while``/``cond`` nodes, ``compiler/ops/control.py``).

Each sub-graph (condition, body, branch) is optimized and formed into a program of its
own, then made generic (``compiler/generic_sizes.py``). Optimizing a sub-graph runs the whole
pipeline again (``compiler/pipeline.py``): a deliberate recursion, through the
``compile_sub`` function the pipeline hands down to kernel formation, not an import.
The outer program gets the buffers the control kernel hands those programs: one buffer
per result (the ``loop_out`` nodes' buffers, or temporaries for results nobody reads), a
spare set of carried values and a one-byte flag for loops, and per sub-program a constant buffer per constant, a
constant size table and a temporary for its arena. The sub-programs' code is generated
into the outer module (``codegen/control.py``); their sizes are data of the outer
program, so the outer code stays size-generic like any other.
"""
from __future__ import annotations

import dataclasses
from typing import Callable

import numpy as np

from tracejit.compiler.generic_sizes import parametrize, size_table
from tracejit.compiler.graph import Graph
from tracejit.compiler.kernelize.generic_loop import gfor_control
from tracejit.compiler.kernelize.host import callback_constant, host_control
from tracejit.compiler.kernelize.lapack import lapack_control
from tracejit.compiler.kir import Buffer, Control, Kernel, Program, SubCall
from tracejit.compiler.layout import StridedView

CONTROL_OPS = ("while", "cond", "gfor", "host", "lapack")
CompileSub = Callable[[Graph], Program]  # a sub-graph -> its optimized, scheduled program


class _Buffers:
    """Hands out outer buffers with consecutive ids."""

    def __init__(self, buffers: dict, count: int):
        self.buffers, self.count = buffers, count

    def new(self, key: object, kind: str, shape: tuple, dtype, node: int = -1, label: str = "", **extra) -> Buffer:
        buf = Buffer(self.count, kind, tuple(shape), np.dtype(dtype), node, StridedView.contiguous(tuple(shape)),
                     label=label, **extra)
        self.count += 1
        self.buffers[key] = buf
        return buf

    def constant(self, key: object, value: np.ndarray, label: str) -> Buffer:
        """The constant buffer of ``key`` holding ``value``, made on first use."""
        if key not in self.buffers:
            self.new(key, "constant", value.shape, value.dtype, label=label, value=value)
        return self.buffers[key]


class _Same:
    """A key part equal only to itself's object (held: its id is never reused meanwhile)."""

    def __init__(self, obj: object):
        self.obj = obj

    def __hash__(self) -> int:
        return id(self.obj)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Same) and other.obj is self.obj


def _sub_call(program: Program, what: str, carries: int, captured: tuple[int, ...], out: _Buffers,
              nid: int) -> SubCall:
    """The call of sub-program ``program``; its constants and size table become constant
    buffers of the outer program, one set for every call of the same program object (the
    sub-programs of equal sub-graphs, ``pipeline._optimize_sub``: branches repeated in an
    unrolled loop share them, not one copy per call, nested level after level)."""
    generic = parametrize(program)
    constants = []
    for b in program.buffers:
        if b.kind == "constant":
            outer = out.constant(("ctl", _Same(program), "constant", b.id), b.value, f"constant of {what} of %{nid}")
            constants.append((b.id, outer.id))
    params = size_table(generic)
    sizes = out.constant(("ctl", _Same(program), "sizes"), params, f"size table of {what} of %{nid}")
    arena = None
    if program.plan.arena_bytes:
        arena = out.new(("ctl", nid, what, "arena"), "temp", (program.plan.arena_bytes,), np.uint8,
                        label=f"temporaries of {what} of %{nid}").id
    return SubCall(dataclasses.replace(generic, params=()), carries, captured, tuple(constants), sizes.id, arena,
                   concrete=program)


def donating(sub: Graph, targets: dict[int, int]) -> Graph:
    """A copy of sub-graph ``sub`` whose inputs ``targets`` (argument index -> result
    index) are marked ``donated``: the loop or branch hands it memory it owns, which is
    also that result's buffer, so an update of the input may store into it
    (``kernelize/buffers.py``) instead of copying it whole (each step, in a loop)."""
    graph = sub.copy()
    for nid in graph.inputs:
        if graph.attrs(nid)["index"] in targets:
            graph.data(nid)["donated"] = targets[graph.attrs(nid)["index"]]
    return graph


def carrying(body: Graph, n_carry: int) -> Graph:
    """Loop body ``body`` with its first ``n_carry`` inputs donated to the results of the same
    index (a loop's carries: step k's results are step k+1's arguments, in the same memory)."""
    return donating(body, {i: i for i in range(n_carry)})


def donated_target(graph: Graph, buf: Buffer) -> int | None:
    """The result index input buffer ``buf`` becomes when it is a donated input (marked by
    :func:`donating`: the loop or branch owns that memory), else None."""
    if buf.kind != "input" or buf.node < 0:
        return None
    return graph.data(buf.node).get("donated")


def keeps_donation(graph: Graph, buf: Buffer, target: int, results: list[int]) -> bool:
    """Whether donated input ``buf`` (to result ``target``) may hold a value that is the
    results ``results``: in a loop body or branch, only its own result; for an argument of
    the whole function (``frontend/donation.py``) that one and others too (those are then
    the argument array itself, as eagerly)."""
    if graph.data(buf.node).get("argument"):
        return target in results
    return results == [target]


def _drop(branch: Graph, unused: set[int]) -> Graph:
    """``branch`` with its results ``unused`` (nobody reads them) marked ``unused`` and,
    where a used result is a version of the same array, computed as that one (a branch
    returning the operand it writes also returns it written back: one array, not two)."""
    outs = branch.outputs
    roots = {k: _branch_root(branch, branch.operands(o)[0]) for k, o in enumerate(outs)}
    for k in unused:
        branch.data(outs[k])["unused"] = True
        same = [j for j in range(len(outs)) if j not in unused and roots[j] == roots[k]]
        if same and branch.op(roots[k]) == "input":
            src = branch.operands(outs[k])[0]
            branch.nx.remove_edge(src, outs[k], key=0)
            branch.nx.add_edge(branch.operands(outs[same[0]])[0], outs[k], key=0)
    return branch


def _branch_root(graph: Graph, node: int) -> int:
    """The node a branch result is a (copied, updated) version of."""
    while graph.op(node) in ("copy", "update", "scatter"):
        node = graph.operands(node)[0]
    return node


def _branch_donations(graph: Graph, nid: int, users: dict, buffers: dict, outputs: dict[int, list[int]]
                      ) -> tuple[dict[int, int], dict[int, int], dict[int, Buffer]]:
    """For branch node ``nid``: the operands each branch may update in place as a result
    (true and false argument index -> result index) and the result buffers that are those
    operands' (result index -> buffer): a result that both branches compute from the same
    operand (written, or returned as it is), an operand nothing else reads."""
    attrs, operands = graph.attrs(nid), graph.operands(nid)
    n_true = attrs["n_true"]
    true, false = attrs["true"].graph, attrs["false"].graph
    donate_true, donate_false, reused = {}, {}, {}
    for k, (t_out, f_out) in enumerate(zip(true.outputs, false.outputs)):
        t_root, f_root = _branch_root(true, true.operands(t_out)[0]), _branch_root(false, false.operands(f_out)[0])
        if true.op(t_root) != "input" or false.op(f_root) != "input":
            continue
        i_t, i_f = true.attrs(t_root)["index"], false.attrs(f_root)["index"]
        if operands[1 + i_t] != operands[1 + n_true + i_f] or i_t in donate_true or i_f in donate_false:
            continue
        positions = sorted(index for _, index in graph.users(operands[1 + i_t]))
        buf = _reusable(graph, operands[1 + i_t], users.get(k), positions == [1 + i_t, 1 + n_true + i_f], buffers,
                        outputs)
        if buf is not None:
            donate_true[i_t], donate_false[i_f], reused[k] = k, k, buf
    return donate_true, donate_false, reused


def carried_writes(program: Program, n_carry: int) -> tuple[tuple[bool, ...], tuple[bool, ...]]:
    """Per carried value of a compiled loop body: whether the body writes the buffer it is
    handed (the loop then owns it: the initial value is copied into the result first),
    and whether its next value is that same buffer, written in place (no second buffer)."""
    stored = {nest.store.buffer for k in program.kernels for nest in k.nests}
    stored |= {r for k in program.kernels if k.control is not None for r in k.control.results}  # a loop in it
    carried = {b.index: b.id for b in program.buffers if b.kind == "input" and b.index < n_carry}
    in_place = tuple(i in carried and program.outputs[i] == carried[i] for i in range(n_carry))
    owned = tuple(p or (i in carried and carried[i] in stored) for i, p in enumerate(in_place))
    return owned, in_place


def _reusable_init(graph: Graph, nid: int, i: int, result: int | None, buffers: dict,
                   outputs: dict[int, list[int]]) -> Buffer | None:
    """The buffer of loop ``nid``'s initial carried value ``i`` when the loop may work in
    it (its result ``i`` then lives there, the initial copy disappears), see :func:`_reusable`."""
    init = graph.operands(nid)[i]
    return _reusable(graph, init, result, graph.users(init) == [(nid, i)], buffers, outputs)


def _reusable(graph: Graph, init: int, result: int | None, only_reader: bool, buffers: dict,
              outputs: dict[int, list[int]]) -> Buffer | None:
    """The buffer of operand ``init`` of a loop or branch when its ``result`` may live
    there: a temporary, or a donated input of an enclosing body or branch, that nothing
    but this operand reads (``only_reader``; its earlier versions, updated in place, are
    read before), and, for a donated one, a result only as that input's own result. The
    buffer (made an output where the result is one), or None."""
    buf = buffers.get(init)
    if result is None or buf is None or graph.op(init) == "constant" or not only_reader or init in outputs:
        return None
    target = donated_target(graph, buf)
    if target is not None:
        return buf if keeps_donation(graph, buf, target, outputs.get(result, [target])) else None
    return buf if buf.kind == "temp" else None


def _in_place(program: Program, donated: dict[int, int]) -> bool:
    """Whether compiled branch ``program`` computes each result of ``donated`` (argument
    index -> result index) in its argument's buffer (else that result, written into the
    operand's buffer, would overwrite the argument while the branch still reads it)."""
    ids = {b.index: b.id for b in program.buffers if b.kind == "input"}
    return all(i in ids and program.outputs[k] == ids[i] for i, k in donated.items())


def _results(graph: Graph, nid: int, avals: list, users: dict, outputs: dict[int, list[int]], out: _Buffers,
             reused: dict[int, Buffer]) -> tuple[int, ...]:
    """The buffers of control node ``nid``'s results (those in ``reused``: an initial value's)."""
    results = []
    for i, aval in enumerate(avals):
        u = users.get(i)
        if i in reused:
            buf = reused[i]
            if buf.kind == "temp" and u in outputs:  # the result is the program's: so is the buffer
                buf = dataclasses.replace(buf, kind="output", node=u, outputs=tuple(outputs[u]))
                out.buffers.update({n: buf for n, b in out.buffers.items() if b.id == buf.id})
            if u is not None:
                out.buffers[u] = buf
        elif u is None:
            buf = out.new(("ctl", nid, "result", i), "temp", aval.shape, aval.dtype, label=f"result {i} of %{nid}")
        else:
            kind = "output" if u in outputs else "temp"
            buf = out.new(u, kind, aval.shape, aval.dtype, node=u, outputs=tuple(outputs.get(u, ())))
        results.append(buf.id)
    return tuple(results)


def assign_control_buffers(graph: Graph, nid: int, buffers: dict, count: int, outputs: dict[int, list[int]],
                           compile_sub: CompileSub) -> tuple[int, Control]:
    """Make the outer buffers of control node ``nid`` (keyed in ``buffers`` by their
    ``loop_out`` node, or by a tuple for buffers of no node), its sub-programs compiled by
    ``compile_sub``; returns the next free buffer id and the kernel's :class:`Control`."""
    out = _Buffers(buffers, count)
    attrs = graph.attrs(nid)
    op = graph.op(nid)
    operands = [buffers[u].id for u in graph.operands(nid)]
    if op == "lapack":  # calls of NumPy's LAPACK (kernelize/lapack.py)
        users = {graph.attrs(u)["index"]: u for u, _ in graph.users(nid) if graph.op(u) == "loop_out"}
        reused = {}  # a result LAPACK overwrites lives in its operand's buffer when nothing else reads that
        for r, k in attrs["call"].inits:
            init = graph.operands(nid)[k]
            buf = _reusable(graph, init, users.get(r, init), graph.users(init) == [(nid, k)], buffers, outputs)
            if buf is not None and buf.dtype == attrs["results"][r].dtype:
                reused[r] = buf
        results = _results(graph, nid, attrs["results"], users, outputs, out, reused)
        control = lapack_control(attrs, tuple(operands), results, out.constant)
        return out.count, control
    results_avals = (attrs["host"].results() if op == "host" else
                     (attrs["segments"][0][2] if op == "gfor" else attrs["body" if op == "while" else "true"]
                      ).outputs_avals())
    users = {graph.attrs(u)["index"]: u for u, _ in graph.users(nid) if graph.op(u) == "loop_out"}
    nbytes = tuple(int(np.prod(a.shape)) * a.dtype.itemsize for a in results_avals)
    if op == "host":  # a call back into Python (kernelize/host.py): its own results, its address as data
        results = _results(graph, nid, results_avals, users, outputs, out, {})
        callback = out.constant(("host", nid), callback_constant(attrs["host"]), f"callback of %{nid}")
        return out.count, host_control(tuple(operands[attrs["n_order"]:]), results, nbytes, callback.id,
                                       attrs["host"].name)
    if op == "gfor":  # kernelize/generic_loop.py
        results = _results(graph, nid, results_avals, users, outputs, out, {})
        carries = {i: i for i in range(attrs["n_carry"])}
        control = gfor_control(attrs, operands, results, nbytes, results_avals, out, nid,
                               lambda g: compile_sub(donating(g, carries)), carried_writes)
        return out.count, control
    if op == "cond":
        n_true = attrs["n_true"]
        donate_true, donate_false, reused = _branch_donations(graph, nid, users, buffers, outputs)
        unused = set(range(len(results_avals))) - set(users)
        programs = [compile_sub(_drop(donating(attrs[k].graph, d), unused))
                    for k, d in (("true", donate_true), ("false", donate_false))]
        if reused and not (_in_place(programs[0], donate_true) and _in_place(programs[1], donate_false)):
            reused = {}  # (a branch computes such a result elsewhere: no operand is shared)
            programs = [compile_sub(_drop(attrs[k].graph.copy(), unused)) for k in ("true", "false")]
        true = _sub_call(programs[0], "true", 0, tuple(operands[1:1 + n_true]), out, nid)
        false = _sub_call(programs[1], "false", 0, tuple(operands[1 + n_true:]), out, nid)
        results = _results(graph, nid, results_avals, users, outputs, out, reused)
        return out.count, Control("cond", (true, false), results, nbytes, pred=operands[0])
    n_carry, n_cond = attrs["n_carry"], attrs["n_cond"]
    inits = tuple(operands[:n_carry])
    cond = _sub_call(compile_sub(attrs["cond"].graph), "cond", n_carry, tuple(operands[n_carry:n_carry + n_cond]),
                     out, nid)
    body = _sub_call(compile_sub(carrying(attrs["body"].graph, n_carry)), "body", n_carry,
                     tuple(operands[n_carry + n_cond:]), out, nid)
    scalar = tuple(a.dtype.itemsize if a.shape == () else 0 for a in results_avals)
    owned, in_place = carried_writes(body.concrete, n_carry)
    reused = {i: _reusable_init(graph, nid, i, users.get(i), buffers, outputs) for i in range(n_carry)
              if owned[i] and not scalar[i]}
    results = _results(graph, nid, results_avals, users, outputs, out, {i: b for i, b in reused.items() if b})
    spare = tuple(results[i] if in_place[i] else
                  out.new(("ctl", nid, "spare", i), "temp", a.shape, a.dtype, label=f"next carry {i} of %{nid}").id
                  for i, a in enumerate(results_avals))
    flag = out.new(("ctl", nid, "flag"), "temp", (), np.bool_, label=f"condition of %{nid}").id
    control = Control("while", (cond, body), results, nbytes, inits=inits, spare=spare, flag=flag,
                      scalar=scalar, owned=owned, in_place=in_place)
    return out.count, control


def control_kernel(name: str, graph: Graph, nid: int, control: Control) -> Kernel:
    """The kernel running ``control`` (the node and its ``loop_out`` nodes)."""
    nodes = sorted([nid] + [u for u, _ in graph.users(nid) if graph.op(u) == "loop_out"])
    return Kernel(name, "control", nodes, [], control=control)
