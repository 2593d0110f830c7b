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
    results = []
    for i, aval in enumerate(results_avals):
        u = users.get(i)
        if u is None:
            buf = out.new(("ctl", nid, "result", i), "temp", aval.shape, aval.dtype, label=f"result {i} of %{nid}")
        else:
            kind = "output" if u in outputs else "temp"
            buf = out.new(u, kind, aval.shape, aval.dtype, node=u, outputs=tuple(outputs.get(u, ())))
        results.append(buf.id)
    nbytes = tuple(int(np.prod(a.shape)) * a.dtype.itemsize for a in results_avals)
    if op == "gfor":
        control = gfor_control(attrs, operands, tuple(results), nbytes, results_avals, out, nid, compile_sub)
        return out.count, control  # (the count after gfor_control made its buffers)
    if op == "while":
        n_carry, n_cond = attrs["n_carry"], attrs["n_cond"]
        inits = tuple(operands[:n_carry])
        spare = tuple(out.new(("ctl", nid, "spare", i), "temp", a.shape, a.dtype, label=f"next carry {i} of %{nid}").id
                      for i, a in enumerate(results_avals))
        flag = out.new(("ctl", nid, "flag"), "temp", (), np.bool_, label=f"condition of %{nid}").id
        cond = _sub_call(attrs["cond"].graph, "cond", n_carry, tuple(operands[n_carry:n_carry + n_cond]), out, nid,
                         compile_sub)
        body = _sub_call(attrs["body"].graph, "body", n_carry, tuple(operands[n_carry + n_cond:]), out, nid,
                         compile_sub)
        scalar = tuple(a.dtype.itemsize if a.shape == () else 0 for a in results_avals)
        control = Control("while", (cond, body), tuple(results), nbytes, inits=inits, spare=spare, flag=flag,
                          scalar=scalar)
    else:
        n_true = attrs["n_true"]
        true = _sub_call(attrs["true"].graph, "true", 0, tuple(operands[1:1 + n_true]), out, nid, compile_sub)
        false = _sub_call(attrs["false"].graph, "false", 0, tuple(operands[1 + n_true:]), out, nid, compile_sub)
        control = Control("cond", (true, false), tuple(results), nbytes, pred=operands[0])
    return out.count, control


def control_kernel(name: str, graph: Graph, nid: int, control: Control) -> Kernel:
    """The kernel running ``control`` (the node and its ``loop_out`` nodes)."""
    nodes = sorted([nid] + [u for u, _ in graph.users(nid) if graph.op(u) == "loop_out"])
    return Kernel(name, "control", nodes, [], control=control)
