"""Loops whose slice sizes depend on the index: one compiled body for every index.

``for k in range(n - 1): a[k + 1:, k] /= a[k, k]`` (LU, Cholesky, triangular solves)
cannot be traced with a traced ``k``: the shapes of the slices would be unknown. Tracing
it with each concrete ``k`` (unrolling) gives ``n`` bodies of the same structure that
differ only in their integers. :func:`generalized_fori_loop` traces the body at a few
concrete indices (probes), compiles each probe to its kernel program and makes the program
generic over *all* its extents and offsets (``compiler/generic_sizes.py``, ``inner``
mode). Where two probes print the same generic program (same kernels, schedules, strides,
constants) and every size of the table is an affine function ``a + b * i`` of the index
(checked at further probes inside the range), one program serves the whole range, its
size table computed per step from ``i`` (the ``gfor`` control kernel,
``compiler/kernelize/generic_loop.py``, ``compiler/codegen/generic_loop.py``). Where the
structure changes (a slice becomes empty, a vector loop appears past some length), the
range is split by bisection into segments, each with a program of its own.

A body that cannot be generalized (a structure changing at too many indices, an integer
that is not affine in the index such as ``x * i`` in arithmetic, run-time checks inside
the body, a carried value changing type) raises :class:`NotGeneralizable`; the caller
then unrolls the loop.
"""
from __future__ import annotations

import hashlib
import re
from typing import Any, Callable

import networkx as nx
import numpy as np

from tracejit.compiler.dtypes import AVal
from tracejit.compiler.fingerprint import program_fingerprint
from tracejit.compiler.graph import Graph, SubGraph
from tracejit.compiler.kernelize.control import carrying
from tracejit.compiler.kernelize.generic_loop import loop_sizes, remember
from tracejit.compiler.kir import Program
from tracejit.compiler.ops.host import is_effectful
from tracejit.compiler.pipeline import optimize
from tracejit.errors import UnsupportedError, at
from tracejit.frontend import controlwrites
from tracejit.frontend.context import current_trace, differentiated, user_location
from tracejit.frontend.control import as_traced, join_complex, loop_results, split_complex, trace_sub
from tracejit.frontend.operands import python_kind
from tracejit.frontend.tree import flatten, unflatten

MAX_PROBES = 40  # compiled probes per loop before giving up
MAX_SEGMENTS = 12
MAX_PEELED = 3  # first steps run before the loop while they change carried types
ARENA_ALIGN = 64  # bytes a temporary's length is rounded up to, at most, in the arena
SCHEDULE = re.compile(r"Schedule\([^()]*\)")  # ranges of one structure per loop


class NotGeneralizable(UnsupportedError):
    """The loop body's programs at different indices do not differ only by sizes affine in
    the index (or cannot be probed): the caller unrolls the loop instead."""


class CarryRetyped(NotGeneralizable):
    """A step changes a carried value's structure, shape or dtype (a Python float plus a
    float32 value): the loop runs such first steps before it, as ``fori_loop`` does."""


class Probe:
    """The body traced and compiled at one concrete index."""

    def __init__(self, graph: Graph, captured: list[int], key: str, values: tuple[int, ...], weak: list,
                 program: Program):
        self.graph, self.captured, self.key, self.values, self.weak = graph, captured, key, values, weak
        self.program = program


def signature(graph: Graph, n_carry: int) -> tuple[str, tuple[int, ...], Program]:
    """The structure of ``graph``'s compiled generic program (its ``n_carry`` carried inputs
    donated, as kernel formation compiles it) (a digest of its code and
    constants, less its kernels' schedules) and its integers: the size table, then the
    arena's length. Schedules (vector widths, tiles, blocks, streaming stores) are left out:
    every schedule computes every extent (remainders run at run time), so a program
    scheduled for one index of a segment serves all of them."""
    program = optimize(carrying(graph, n_carry)).program
    generic, values = loop_sizes(program)
    text = SCHEDULE.sub("Schedule()", program_fingerprint(generic))
    digest = hashlib.sha256(text.encode())
    for b in program.buffers:
        if b.kind == "constant":
            value = np.ascontiguousarray(b.value)
            digest.update(f"{b.id}:{value.dtype.str}:{value.shape}".encode())
            digest.update(value.tobytes())
    return digest.hexdigest(), values, program


class _Prober:
    """Probes of one loop, by index, each traced and compiled once."""

    def __init__(self, trace, body_fun: Callable, tree, carried: list, loc):
        self.trace, self.body_fun, self.tree, self.carried, self.loc = trace, body_fun, tree, carried, loc
        self.avals = [c.aval for c in carried]
        self.probes: dict[int, Probe] = {}
        self.writes = None

    def __call__(self, i: int) -> Probe:
        probe = self.probes.get(i)
        if probe is not None:
            return probe
        if len(self.probes) >= MAX_PROBES:
            raise NotGeneralizable(f"the body's structure changes at too many indices ({MAX_PROBES} probes)"
                                   f"{at(self.loc)}")
        body_fun = self.body_fun
        try:
            traced = trace_sub(self.trace, "body", lambda v: body_fun(i, v), self.tree, self.carried, self.loc)
        except UnsupportedError as e:
            raise NotGeneralizable(f"the body does not trace at index {i}: {e}") from e
        except (IndexError, TypeError, ValueError) as e:
            raise NotGeneralizable(f"the body raises at index {i}: {type(e).__name__}: {e}") from e
        if traced.tree != self.tree or list(traced.avals) != self.avals:
            raise CarryRetyped(f"the body changes the carried values' structure, shapes or dtypes at index {i}"
                                   f"{at(self.loc)}")
        if traced.checks:
            raise NotGeneralizable(f"the body has run-time checks{at(self.loc)}")
        if is_effectful(traced.sub.graph):  # (host calls run on the calling thread, in order: not here)
            raise NotGeneralizable(f"the body makes host calls{at(self.loc)}")
        if self.writes is None:
            self.writes = traced.writes
        elif list(traced.writes.written) != list(self.writes.written) or \
                list(traced.writes.in_place) != list(self.writes.in_place):
            raise NotGeneralizable(f"the body writes into other carried values at index {i}{at(self.loc)}")
        key, values, program = signature(traced.sub.graph, len(self.carried))
        probe = Probe(traced.sub.graph, list(traced.captured), key, values, list(traced.weak), program)
        self.probes[i] = probe
        return probe

    def line(self, lo: int, hi: int) -> tuple[tuple[int, ...], tuple[int, ...]] | None:
        """(intercepts, slopes) of the integers of probes ``lo`` and ``hi`` (same structure),
        if every one is affine with an integer slope and every probe between lies on it."""
        a, b = self(lo), self(hi)
        if a.key != b.key or a.captured != b.captured:
            return None
        if hi == lo:
            return a.values[:-1], (0,) * (len(a.values) - 1)
        slopes = []
        for va, vb in zip(a.values[:-1], b.values[:-1]):
            if (vb - va) % (hi - lo):
                return None
            slopes.append((vb - va) // (hi - lo))
        base = tuple(va - s * lo for va, s in zip(a.values[:-1], slopes))
        for i in sorted({lo + 1, (lo + hi) // 2, hi - 1} - {lo, hi}):
            p = self(i)
            if p.key != a.key or p.captured != a.captured or any(
                    v != c + s * i for v, c, s in zip(p.values, base, slopes)):
                return None
        for i, p in self.probes.items():  # every probe inside already made
            if lo < i < hi and (p.key != a.key or any(v != c + s * i for v, c, s in zip(p.values, base, slopes))):
                return None
        return base, tuple(slopes)

    def segments(self, lo: int, hi: int) -> list[tuple[int, int]]:
        """Inclusive ranges of ``[lo, hi]`` of one structure and one affine line each."""
        if self.line(lo, hi) is not None:
            return [(lo, hi)]
        if hi - lo == 1:
            return [(lo, lo), (hi, hi)]
        mid = (lo + hi) // 2
        return self.segments(lo, mid) + self.segments(mid + 1, hi)

    def boundary(self, lo: int, hi: int) -> int:
        """The last index of ``[lo, hi]`` of the structure of ``lo``, by bisection (``hi``
        is of another structure; the structures of a range are taken to be contiguous)."""
        key = self(lo).key
        good, bad = lo, hi
        while bad - good > 1:
            mid = (good + bad) // 2
            if self(mid).key == key:
                good = mid
            else:
                bad = mid
        return good

    def merged(self, lo: int, hi: int) -> list[tuple[int, int]]:
        """Inclusive ranges of ``[lo, hi]``, each of one structure and one affine line.
        Structures change most often at the ends (an empty or one-element slice): single
        indices are peeled there first, then boundaries are found by bisection."""
        out: list[tuple[int, int]] = []
        right: list[tuple[int, int]] = []
        while lo <= hi:
            if len(out) + len(right) > MAX_SEGMENTS:
                raise NotGeneralizable(f"the body's structure changes at more than {MAX_SEGMENTS} indices"
                                       f"{at(self.loc)}")
            if self.line(lo, hi) is not None:
                out.append((lo, hi))
                break
            if self(lo + 1).key != self(lo).key:
                out.append((lo, lo))
                lo += 1
                continue
            if self(hi - 1).key != self(hi).key:
                right.append((hi, hi))
                hi -= 1
                continue
            end = self.boundary(lo, hi) if self(lo).key != self(hi).key else hi
            if self.line(lo, end) is not None:
                out.append((lo, end))
            else:  # one structure, but no one line: bisect
                for s in self.segments(lo, end):
                    if out and self.line(out[-1][0], s[1]) is not None:
                        out[-1] = (out[-1][0], s[1])
                    else:
                        out.append(s)
            lo = end + 1
        out.extend(reversed(right))
        if len(out) > MAX_SEGMENTS:
            raise NotGeneralizable(f"the body's structure changes at more than {MAX_SEGMENTS} indices{at(self.loc)}")
        return out


def generalized_fori_loop(lower: int, upper: int, body_fun: Callable[[int, Any], Any], init_val: Any, *,
                          steps_outside: bool = True) -> Any:
    """``val = init_val; for i in range(lower, upper): val = body_fun(i, val)`` with ``i`` a
    Python int, compiled to one native loop whose body's sizes are computed from ``i`` at
    run time; raises :class:`NotGeneralizable` where that cannot be done (see module docstring).
    With ``steps_outside=False`` the body is never run in the caller's trace (no first steps
    that retype, no single-index segments as plain steps: a caller that cannot undo such a
    step, as a converted ``for`` that may unroll after a refusal, asks for this)."""
    trace = current_trace()
    if not all(isinstance(b, (int, np.integer)) and not isinstance(b, bool) for b in (lower, upper)):
        raise NotGeneralizable(f"the bounds of a generalized loop must be Python ints, not {type(lower).__name__} "
                               f"and {type(upper).__name__}{at(user_location())}")
    lower, upper = int(lower), int(upper)
    if trace is None:
        val = init_val
        for i in range(lower, upper):
            val = body_fun(i, val)
        return val
    if not steps_outside:
        return init_val if lower >= upper else _generalized(trace, lower, upper, body_fun, init_val, False)
    for _ in range(MAX_PEELED):
        if lower >= upper:
            return init_val
        try:
            return _generalized(trace, lower, upper, body_fun, init_val)
        except CarryRetyped:
            init_val = body_fun(lower, init_val)  # the step that retypes, traced as it is
            lower += 1
    if lower >= upper:
        return init_val
    return _generalized(trace, lower, upper, body_fun, init_val)


def _not_differentiated(trace, nodes: list[int], loc: str | None) -> None:
    """Refuse a loop whose carried or captured values depend on a value being differentiated
    (``tj.grad`` & co. recording the function): the ``gfor`` node keeps one body per segment
    and has no derivative rule, so such a loop unrolls (each step traced with its index)."""
    aliases = differentiated(trace)
    if not aliases or not nodes:
        return
    graph = trace.graph.nx
    reached = set(aliases)
    for a in aliases:
        if a in graph:
            reached |= nx.descendants(graph, a)
    if reached.intersection(nodes):
        raise NotGeneralizable(f"a loop on a differentiated value is unrolled (no derivative rule for gfor){at(loc)}")


def _generalized(trace, lower: int, upper: int, body_fun: Callable, init_val: Any, ends: bool = True) -> Any:
    loc = user_location()
    leaves, tree = flatten(split_complex(init_val))
    carried = [as_traced(trace, leaf, "a generalized loop's carried value", loc) for leaf in leaves]
    _not_differentiated(trace, [trace.node_of(c, loc) for c in carried], loc)
    prober = _Prober(trace, body_fun, tree, carried, loc)
    ranges = prober.merged(lower, upper - 1)
    first = prober(lower)
    _not_differentiated(trace, first.captured, loc)
    segments = []
    for lo, hi in ranges:
        base, slopes = prober.line(lo, hi)
        rep = max((i for i in prober.probes if lo <= i <= hi), key=lambda i: sum(prober(i).values))
        p = prober(rep)
        if p.captured != first.captured:
            raise NotGeneralizable(f"the body reads other outer values at index {lo}{at(loc)}")
        # the arena's length is rounded per temporary (not affine): its largest probe, plus slack
        arena = max(prober(i).values[-1] for i in prober.probes if lo <= i <= hi)
        temps = len(p.graph.nx.nodes) + 1  # at least the number of its temporaries
        segments.append((lo, hi + 1, p, rep, base, slopes, arena + ARENA_ALIGN * temps if arena else 0))
    # single indices at the ends (an empty or one-element slice) run as plain steps around the
    # loop: they fuse with the code around it instead of compiling a program each
    head = tail = 0
    while ends and head < len(segments) - 1 and segments[head][1] - segments[head][0] == 1:
        head += 1
    while ends and len(segments) - tail - 1 > head and segments[-1 - tail][1] - segments[-1 - tail][0] == 1:
        tail += 1
    val = init_val
    for step in segments[:head]:
        val = body_fun(step[0], val)
    if head:
        leaves = flatten(split_complex(val))[0]
        carried = [as_traced(trace, leaf, "a generalized loop's carried value", loc) for leaf in leaves]
    kept = []
    for lo, end, p, rep, base, slopes, arena in segments[head:len(segments) - tail]:
        sub = SubGraph(p.graph)
        remember(sub.key, p.program)
        kept.append((lo, end, sub, rep, base, slopes, arena))
    writes = prober.writes
    empty = controlwrites.Writes([False] * len(leaves), [None] * len(leaves), [None] * len(leaves))
    targets = controlwrites.check_loop(writes, empty, leaves, first.captured, trace, loc)
    carried_nodes = [trace.node_of(c, loc) for c in carried]
    node = trace.graph.add("gfor", carried_nodes + first.captured,
                           attrs={"segments": tuple(kept), "n_carry": len(carried_nodes)}, loc=loc)
    weak = [w if python_kind(c) is not None else None for c, w in zip(carried, first.weak)]
    avals = [AVal(c.aval.shape, c.aval.dtype) for c in carried]
    outs = loop_results(trace, node, avals, [c._scalar for c in carried], loc, weak)
    written = [t for _, t in targets]
    controlwrites.write_back(written, [outs[j] for j, _ in targets], loc)
    for (j, _), t in zip(targets, written):
        if t is not None:  # the caller's array, holding the loop's result: later steps write into it
            outs[j] = t
    val = join_complex(unflatten(tree, outs))
    for step in segments[len(segments) - tail:]:
        val = body_fun(step[0], val)
    return val
