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
from tracejit.compiler.kir import Buffer, Control, Kernel, Program, SubCall
from tracejit.compiler.layout import StridedView

CONTROL_OPS = ("while", "cond", "gfor")
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


def _sub_call(sub_graph: Graph, what: str, carries: int, captured: tuple[int, ...], out: _Buffers,
              nid: int, compile_sub: CompileSub) -> SubCall:
    program = compile_sub(sub_graph)
    generic = parametrize(program)
    constants = []
    for b in program.buffers:
        if b.kind == "constant":
            outer = out.new(("ctl", nid, what, "constant", b.id), "constant", b.shape, b.dtype,
                            label=f"constant of {what} of %{nid}", value=b.value)
            constants.append((b.id, outer.id))
    params = size_table(generic)
    sizes = out.new(("ctl", nid, what, "sizes"), "constant", params.shape, params.dtype,
                    label=f"size table of {what} of %{nid}", value=params)
    arena = None
    if program.plan.arena_bytes:
        arena = out.new(("ctl", nid, what, "arena"), "temp", (program.plan.arena_bytes,), np.uint8,
                        label=f"temporaries of {what} of %{nid}").id
    return SubCall(dataclasses.replace(generic, params=()), carries, captured, tuple(constants), sizes.id, arena,
                   concrete=program)


def donating(body: Graph, n_carry: int) -> Graph:
    """A copy of loop body ``body`` whose carried inputs (the first ``n_carry``) are marked
    ``donated``: the loop hands the body memory it owns, so an update of a carried value
    may store into it (``kernelize/buffers.py``) instead of copying it whole each step."""
    graph = body.copy()
    for nid in graph.inputs:
        if graph.attrs(nid)["index"] < n_carry:
            graph.data(nid)["donated"] = True
    return graph


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


def is_donated(graph: Graph, buf: Buffer) -> bool:
    """Whether input buffer ``buf`` is a loop's carried value the body may overwrite (its
    input node marked ``donated`` by :func:`donating`: the loop owns that memory)."""
    return buf.kind == "input" and buf.node >= 0 and bool(graph.data(buf.node).get("donated", False))


def _reusable_init(graph: Graph, nid: int, i: int, result: int | None, buffers: dict,
                   outputs: dict[int, list[int]]) -> Buffer | None:
    """The buffer of loop ``nid``'s initial carried value ``i`` when the loop may work in
    it (its result ``i`` then lives there, the initial copy disappears): a temporary, or
    a donated carried value of an enclosing body, that nothing but this operand reads
    (its earlier versions, updated in place, are read before), and, for a donated one,
    a result only as that same carried value. The buffer (made an output where the
    result is one), or None."""
    init = graph.operands(nid)[i]
    buf = buffers.get(init)
    if result is None or buf is None or graph.op(init) == "constant" or graph.users(init) != [(nid, i)]:
        return None
    if init in outputs:
        return None
    if is_donated(graph, buf):
        return buf if outputs.get(result, [buf.index]) == [buf.index] else None
    if buf.kind != "temp":
        return None
    if result in outputs:
        shared = dataclasses.replace(buf, kind="output", node=result, outputs=tuple(outputs[result]))
        buffers.update({n: shared for n, b in buffers.items() if b.id == buf.id})
        return shared
    return buf


def _results(graph: Graph, nid: int, avals: list, users: dict, outputs: dict[int, list[int]], out: _Buffers,
             reused: dict[int, Buffer]) -> tuple[int, ...]:
    """The buffers of control node ``nid``'s results (those in ``reused``: an initial value's)."""
    results = []
    for i, aval in enumerate(avals):
        u = users.get(i)
        if i in reused:
            out.buffers[u] = reused[i]
            buf = reused[i]
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
    results_avals = (attrs["segments"][0][2] if op == "gfor" else attrs["body" if op == "while" else "true"]
                     ).outputs_avals()
    users = {graph.attrs(u)["index"]: u for u, _ in graph.users(nid) if graph.op(u) == "loop_out"}
    nbytes = tuple(int(np.prod(a.shape)) * a.dtype.itemsize for a in results_avals)
    if op == "gfor":  # kernelize/generic_loop.py
        results = _results(graph, nid, results_avals, users, outputs, out, {})
        control = gfor_control(attrs, operands, results, nbytes, results_avals, out, nid,
                               lambda g: compile_sub(donating(g, attrs["n_carry"])), carried_writes)
        return out.count, control
    if op == "cond":
        n_true = attrs["n_true"]
        true = _sub_call(attrs["true"].graph, "true", 0, tuple(operands[1:1 + n_true]), out, nid, compile_sub)
        false = _sub_call(attrs["false"].graph, "false", 0, tuple(operands[1 + n_true:]), out, nid, compile_sub)
        results = _results(graph, nid, results_avals, users, outputs, out, {})
        return out.count, Control("cond", (true, false), results, nbytes, pred=operands[0])
    n_carry, n_cond = attrs["n_carry"], attrs["n_cond"]
    inits = tuple(operands[:n_carry])
    cond = _sub_call(attrs["cond"].graph, "cond", n_carry, tuple(operands[n_carry:n_carry + n_cond]), out, nid,
                     compile_sub)
    body = _sub_call(donating(attrs["body"].graph, n_carry), "body", n_carry, tuple(operands[n_carry + n_cond:]),
                     out, nid, compile_sub)
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
