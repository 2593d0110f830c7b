"""Kernel formation of generalized loops (``gfor`` nodes, ``frontend/probe.py``).

A ``gfor`` node runs, for each of its segments ``[start, end)``, one body program for
every index of the segment: the body sub-graph traced at one index of the segment,
compiled and made generic over all its extents and offsets
(``generic_sizes.parametrize(..., inner=True)``). Its size table is not a constant: at
run time each step computes slot ``k`` as ``base[k] + slope[k] * i`` from two constant
tables (``codegen/generic_loop.py``). The probes that built the node checked that every
integer is affine in the index over the segment and that the structure is the same; the
representative compiled here must give the same integers at its own index, else the
compilation is not deterministic and the loop is refused loudly. The segment's arena is
the largest the probes saw, plus the rounding of each temporary (``frontend/probe.py``).
"""
from __future__ import annotations

import dataclasses
from typing import Callable

import numpy as np

from tracejit.compiler.generic_sizes import GenericProgram, Param, parametrize
from tracejit.compiler.graph import Graph
from tracejit.compiler.kir import Control, Program, SubCall

CompileSub = Callable[[Graph], Program]
PROBED: dict[str, Program] = {}  # SubGraph key -> its program, compiled when probed (taken once)
PROBED_KEPT = 32


def remember(key: str, program: Program) -> None:
    """Keep the program ``frontend/probe.py`` compiled for the sub-graph of ``key`` (its
    kernel formation takes it instead of compiling it again; the oldest are dropped)."""
    PROBED[key] = program
    while len(PROBED) > PROBED_KEPT:
        PROBED.pop(next(iter(PROBED)))


def loop_sizes(program: Program) -> tuple[GenericProgram, tuple[int, ...]]:
    """The generic form of a body ``program`` (all extents parameters) and its integers:
    the size table, each kernel's chunk length 0 (a generalized loop's body runs its kernels
    serially: a chunk length is not affine in the index), then the arena's length."""
    generic = parametrize(program, inner=True)
    values = list(generic.params)
    for kernel in generic.kernels:
        if isinstance(kernel.parallel_grain, Param):
            values[kernel.parallel_grain.slot] = 0
    return generic, tuple(values) + (int(program.plan.arena_bytes),)


def gfor_control(attrs: dict, operands: list[int], results: tuple[int, ...], nbytes: tuple, avals: list,
                 out: object, nid: int, compile_sub: CompileSub, carried_writes: Callable) -> Control:
    """The :class:`Control` of ``gfor`` node ``nid`` (its operands' buffers ``operands``,
    its results' ``results``), new buffers made by ``out``, bodies compiled by ``compile_sub``
    with their carried inputs donated, ``carried_writes(program, n_carry)`` saying which
    carried values a body writes and which in place (all from ``kernelize/control.py``)."""
    n_carry = attrs["n_carry"]
    inits, captured = tuple(operands[:n_carry]), tuple(operands[n_carry:])
    subs, steps, owned, in_place = [], [], [False] * n_carry, [True] * n_carry
    for k, (start, end, sub_graph, at, base, slopes, arena_bytes) in enumerate(attrs["segments"]):
        program = PROBED.pop(sub_graph.key, None) or compile_sub(sub_graph.graph)
        writes = carried_writes(program, n_carry)  # owned if a segment's body writes it
        owned = [o or w or p for o, w, p in zip(owned, writes[0], writes[1])]
        in_place = [p and w for p, w in zip(in_place, writes[1])]
        generic, values = loop_sizes(program)
        if values[:-1] != tuple(b + s * at for b, s in zip(base, slopes)) or values[-1] > arena_bytes:
            raise AssertionError(f"tracejit: the body of generalized loop %{nid} compiled to other sizes than "
                                 "when probed")
        what = f"segment {k}"
        constants = []
        for b in program.buffers:
            if b.kind == "constant":
                outer = out.new(("ctl", nid, what, "constant", b.id), "constant", b.shape, b.dtype,
                                label=f"constant of {what} of %{nid}", value=b.value)
                constants.append((b.id, outer.id))
        table = np.array(base or (0,), dtype=np.int64)
        rates = np.array(slopes or (0,), dtype=np.int64)
        sizes = out.new(("ctl", nid, what, "sizes"), "constant", table.shape, table.dtype,
                        label=f"size table at index 0 of {what} of %{nid}", value=table)
        slope = out.new(("ctl", nid, what, "slopes"), "constant", rates.shape, rates.dtype,
                        label=f"size table slopes of {what} of %{nid}", value=rates)
        arena = None
        if arena_bytes:
            arena = out.new(("ctl", nid, what, "arena"), "temp", (arena_bytes,), np.uint8,
                            label=f"temporaries of {what} of %{nid}").id
        subs.append(SubCall(dataclasses.replace(generic, params=()), n_carry, captured,
                            tuple(constants), sizes.id, arena, concrete=program))
        steps.append((start, end, slope.id, len(table), tuple(writes[1])))
    spare = tuple(results[i] if in_place[i] else
                  out.new(("ctl", nid, "spare", i), "temp", a.shape, a.dtype, label=f"next carry {i} of %{nid}").id
                  for i, a in enumerate(avals))
    return Control("gfor", tuple(subs), results, nbytes, inits=inits, spare=spare, steps=tuple(steps),
                   owned=tuple(owned), in_place=tuple(in_place))
