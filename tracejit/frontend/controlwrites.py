"""Writes into a loop's carried values or a branch's operands (``frontend/control.py``).

Eagerly a body or branch gets the caller's array objects themselves: a write into one
(``c[0] = i``, ``c += 1``) changes that array, and whatever else refers to it (an
argument, a view, a later use). A traced body writes into a stand-in instead, so the
write is written back after the loop or branch:

* a branch's operand: each branch returns its last version of the operand as an extra
  result (the untouched operand where that branch does not write it), and the operand
  gets the taken branch's;
* a loop's carried value that the body writes and returns as itself, in place: the
  same array is carried through every step, so it ends as the loop's result.

Where eager aliasing cannot be reproduced this way -- a body that writes into its
carried value but returns another array (the caller's array would keep only the first
step's write), an array given twice or also read from outside, a loop condition that
writes, a constant array of the program -- tracejit refuses with ``UnsupportedError``.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from tracejit.errors import UnsupportedError, at
from tracejit.frontend.core import Trace, Tracer
from tracejit.frontend.numpy.writes import write
from tracejit.frontend.refusals import TraceSites, created_sites


class Writes(NamedTuple):
    """What a traced body or branch did to its arguments' stand-ins."""

    written: list[bool]  # per argument: written into
    finals: list[int | None]  # per written argument: the node of its last version
    in_place: list[int | None]  # per result: the argument it is, unchanged in identity (else None)


def observe(stand_ins: list, results: list) -> Writes:
    """The writes of a sub-trace into ``stand_ins`` and which ``results`` are them."""
    storages = [t._storage for t in stand_ins]
    written = [st is not None and st.written for st in storages]
    finals = [st.node if w else None for st, w in zip(storages, written)]
    in_place = []
    for leaf in results:
        st = getattr(leaf, "_storage", None)
        hit = [j for j, (s, t) in enumerate(zip(storages, stand_ins))
               if leaf is t or (st is not None and s is st and not leaf._path)]
        in_place.append(hit[0] if hit else None)
    return Writes(written, finals, in_place)


def _target(leaf, others: list, captured: list[int], trace, what: str, loc):
    """The traced array ``leaf`` (an argument of the loop or branch) to write back into."""
    if isinstance(leaf, np.ndarray):
        error = UnsupportedError(f"{what} writes into a constant array of the program{at(loc)}; pass it as an "
                                 "argument or write into a copy")
        sites = created_sites(trace, leaf)
        if sites:  # made by the function from constants (np.eye(n)): traced again with it a traced array
            raise TraceSites(sites, error)
        raise error
    if not isinstance(leaf, Tracer):
        return None  # a number: a fresh value nobody else sees
    st = leaf._storage
    if len([o for o in others if o is leaf or (st is not None and getattr(o, "_storage", None) is st)]) > 1:
        raise UnsupportedError(f"{what} writes into an array it is given twice (or two views of one array)"
                               f"{at(loc)}; pass a copy")
    if leaf._home is trace and trace.node_of(leaf, loc) in captured:
        raise UnsupportedError(f"{what} writes into an array it also reads from outside{at(loc)}; "
                               "pass a copy as the loop state or operand")
    return leaf


def check_loop(writes: Writes, cond_writes: Writes, leaves: list, captured: list[int], trace: Trace,
               loc: str | None) -> list:
    """(carried index, array to write the loop's result into) for a loop body's writes."""
    if any(cond_writes.written):
        raise UnsupportedError(f"tj.while_loop: cond_fun writes into the loop state{at(loc)}; write in body_fun")
    out = []
    for j, w in enumerate(writes.written):
        if not w:
            continue
        if j >= len(writes.in_place) or writes.in_place[j] != j or writes.in_place.count(j) != 1:
            raise UnsupportedError(f"a loop body writes into its carried value {j} but does not return that array "
                                   f"as carried value {j}{at(loc)}: return the array it writes (or write into a "
                                   "copy)")
        target = _target(leaves[j], leaves, captured, trace, "a loop body", loc)
        if target is not None:
            out.append((j, target))
    return out


def branch_outputs(true_graph: object, true: Writes, false_graph: object, false: Writes, leaves: list,
                   captured: list[int],
                   trace: Trace, loc: str | None) -> list:
    """Append each written operand's last version to both branches' outputs; returns
    the arrays to write those extra results back into (None: a number, nothing to do)."""
    targets = []
    for j, (tw, fw) in enumerate(zip(true.written, false.written)):
        if not (tw or fw):
            continue
        targets.append(_target(leaves[j], leaves, captured, trace, "a tj.cond branch", loc))
        for graph, writes, written in ((true_graph, true, tw), (false_graph, false, fw)):
            node = writes.finals[j] if written else [n for n in graph.inputs if graph.attrs(n)["index"] == j][0]
            graph.add_output(len(graph.outputs), graph.add("copy", [node], loc=loc))
    return targets


def write_back(targets: list, values: list, loc: str | None) -> None:
    """Write each loop or branch result into the caller's array it stands for."""
    for target, value in zip(targets, values):
        if target is not None:
            write(target, value, loc)
