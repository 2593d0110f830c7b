"""Tracing a Python function into a Graph: arrays in become input nodes, the function
runs on Tracers, and whatever it returns becomes output nodes."""
from __future__ import annotations

import dataclasses
import inspect
import types
from contextlib import nullcontext
from dataclasses import dataclass, field

import numpy as np

import tracejit.frontend.numpy  # noqa: F401 - registers the handlers of every NumPy function (frontend/numpy/)
from tracejit.compiler.graph import Graph
from tracejit.errors import TracerConversionError, UnsupportedError
from tracejit.frontend.arraylike import complex_support, is_complex_value, is_traced
from tracejit.frontend.capture import Capturer, Guard, needed_paths
from tracejit.frontend.checks import Check, pending, prechecked
from tracejit.frontend.context import creating_traced_arrays
from tracejit.frontend.convert import Converter, assigned_traced_error
from tracejit.frontend.core import Trace, Tracer, as_python_scalar
from tracejit.frontend.donation import donate_written_arguments
from tracejit.frontend.hostdynamic import HostResult, tickets
from tracejit.frontend.numpy.selection import Selection
from tracejit.frontend.operands import python_kind
from tracejit.frontend.randomness import DrawLocator, leaked_stand_in, random_stand_in, undo_draws
from tracejit.frontend.reachable import ArgRoot, ObjectRoot
from tracejit.frontend.refusals import TraceSites, forget_refused, replaced_error
from tracejit.frontend.rngargs import argument_stand_in
from tracejit.frontend.signature import ARRAY, ArraySpec, BoundCall
from tracejit.frontend.tree import TreeDef, flatten, unflatten
from tracejit.frontend.usercode import user_namespaces
from tracejit.frontend.versions import Storage


@dataclass(frozen=True)
class OutLeaf:
    """One leaf of the result: an array output (by index) or a static Python value."""

    index: int | None = None
    scalar: bool = False
    value: object = None
    mask: int | None = None  # a boolean selection: the output holding its mask (compacted after the call)
    arg: int | None = None  # ... selecting from this argument array itself (unwritten): no copy of it
    complex_dtype: np.dtype | None = None  # a complex result, computed as its float pairs
    python: type | None = None  # a Python number (int, float, bool, complex) eagerly: returned as one
    stashed: bool = False  # a host call's data-sized result: the output holds its ticket (frontend/hostdynamic.py)


@dataclass
class TracedFunction:
    """A traced graph together with how to read its arguments and build its result."""

    graph: Graph
    in_specs: list[ArraySpec]
    out_tree: TreeDef
    out_leaves: list[OutLeaf] = field(default_factory=list)
    writebacks: list[tuple[int, int]] = field(default_factory=list)  # (argument array, output index)
    checks: list[Check] = field(default_factory=list)  # errors raised after the call (frontend/checks.py)
    guard: Guard | None = None  # captured arrays: read and checked at every call (frontend/capture.py)
    converted: list = field(default_factory=list)  # the functions it ran converted (frontend/autograph/: .source)
    notes: list[str] = field(default_factory=list)  # what the trace noted for lower() (why a loop unrolled...)
    tickets: list[int] = field(default_factory=list)  # outputs: tickets of stashed host results, dropped after


def trace_function(fun: object, pysig: inspect.Signature, static: frozenset, call: BoundCall,
                   name: str, freeze: bool = False, concrete: set | None = None,
                   autograph: bool = True) -> TracedFunction:
    """Run ``fun`` (converted: ``frontend/convert.py``) on tracers standing for the arrays
    of ``call``; record the graph. Arrays it reads from outside its arguments become
    captured inputs after the argument arrays (``frontend/capture.py``) unless ``freeze``.
    ``concrete`` (kept by the caller between traces) collects the captured arrays whose
    values the function needs (``if``, ``int()``, a shape, an operation tracejit supports
    on constants only): those are read as constants, guarded by their contents, and the
    function is traced again. ``autograph``: run the user's functions converted from
    their source (``frontend/autograph/``)."""
    concrete = set() if concrete is None else concrete
    drawn = False
    attempts: list = []  # each trace's generator snapshots (frontend/randomness.py), oldest first
    traced_sites: frozenset = frozenset()  # creation sites whose arrays are traced (frontend/sites.py)
    first = None
    while True:
        try:
            # (generator arguments: drawn from while tracing, frontend/rngargs.py; a trace again after
            # one that drew: the user's line that draws is looked for)
            with call.generators, DrawLocator(attempts) if drawn else nullcontext() as locator:
                traced, capturer = _trace_once(fun, pysig, static, call, name, freeze, frozenset(concrete),
                                               traced_sites, autograph, attempts)
        except TraceSites as e:
            first = first or e.error  # the refusal that started it (a later one may follow from it)
            if e.sites <= traced_sites:
                undo_draws(tuple(attempts))  # (refused: the function may run eagerly now)
                raise first from None
            traced_sites |= e.sites
            continue
        except (TracerConversionError, UnsupportedError) as e:
            capturer = getattr(e, "capturer", None)
            needed = needed_paths(e, capturer) - concrete if capturer is not None else set()
            if not needed:
                undo_draws(tuple(attempts))  # (refused: the function may run eagerly now)
                raise
            concrete |= needed
            continue
        if not capturer.snapshots.advanced():
            return traced
        if drawn:  # twice: not another thread drawing meanwhile (every trace's draws undone)
            capturer.snapshots.check(name, tuple(attempts), locator.loc)
        drawn = True


def _trace_once(fun, pysig: inspect.Signature, static: frozenset, call: BoundCall, name: str,
                freeze: bool, concrete: frozenset, traced_sites: frozenset = frozenset(), autograph: bool = True,
                attempts: list | None = None) -> tuple[TracedFunction, Capturer]:
    trace = Trace(name)
    trace.traced_sites = traced_sites
    specs = iter(enumerate(call.specs))
    storages: dict[int, Storage] = {}  # argument (or captured) array index -> its storage
    trace.arg_storages = storages  # (what a run-time check's snapshot reads: frontend/checks.py)
    capturer = Capturer(call, lambda index, spec: _bind_input(trace, index, spec, {}, storages, None), freeze,
                        concrete)
    trace.capturer = capturer
    if attempts is not None:
        attempts.append(capturer.snapshots)
    converter = capturer.converter = Converter(capturer, autograph)
    arguments = {}
    with creating_traced_arrays(trace):
        try:
            for pname, entry in call.static_args.items():
                if pname in static:
                    capturer.reach.add((ArgRoot(pname, None, pname),), entry, REACH_DEPTH)
                    arguments[pname] = converter.callable(random_stand_in(entry))
                    continue
                treedef, leaves = entry
                new_leaves = []
                for i, leaf in enumerate(leaves):
                    if leaf is ARRAY:
                        index, spec = next(specs)
                        tracer = _bind_input(trace, index, spec, call.aliases, storages, pname)
                        capturer.arg_tracers[index] = tracer
                        new_leaves.append(tracer)
                    else:
                        shown = pname if treedef.kind == "leaf" else f"{pname}[{i}]"
                        real = call.generators.real(leaf)  # (a generator argument: frontend/rngargs.py)
                        capturer.reach.add((ArgRoot(pname, i, shown),), real, REACH_DEPTH)
                        new_leaves.append(argument_stand_in(leaf, real) or converter.callable(random_stand_in(leaf)))
                arguments[pname] = unflatten(treedef, new_leaves)
            if not freeze:
                held = getattr(fun, "__self__", None)  # a bound method: its object
                if held is not None and not isinstance(held, types.ModuleType):
                    capturer.reach.add((ObjectRoot(held, "self"),), held, REACH_DEPTH)
                for namespace in user_namespaces():  # arrays code tracejit does not convert may read
                    capturer.reach.add_globals(namespace)
            bound = inspect.BoundArguments(pysig, arguments)
            forget_refused()
            try:
                result = converter.callable(fun)(*bound.args, **bound.kwargs)
            except Exception as e:  # noqa: BLE001 - an error NumPy put in place of tracejit's?
                ours = replaced_error(e) or leaked_stand_in(e)
                if ours is None:
                    raise
                raise ours from e
        except (TracerConversionError, UnsupportedError) as e:
            if capturer.node_paths:  # maybe the value of a captured array: see trace_function
                e.capturer = capturer
            raise
        finally:
            assigned = converter.close()
    if assigned:
        raise assigned_traced_error(name, assigned)
    written = [s for s in storages.values() if s.written]
    traced = _record_outputs(trace, result, list(call.specs) + capturer.specs, written)
    donate_written_arguments(traced, call.aliases or {}, len(call.specs))
    traced.guard = capturer.guard()
    traced.converted = converter.conversions
    traced.notes = list(getattr(trace, "notes", ()))
    return traced, capturer


REACH_DEPTH = 4  # attribute/item steps from a static argument searched for arrays and generators


def _bind_input(trace: Trace, index: int, spec, aliases: dict, storages: dict, pname: str | None):
    """The tracer of graph input ``index`` (an argument array, or a captured one when
    ``pname`` is None): written arrays get a storage, so writes reach the caller's array."""
    nid = trace.graph.add_input(index, spec.name, spec.aval, spec.strides)
    tracer = Tracer(trace, nid, scalar=spec.scalar)
    if spec.weak is None and not spec.scalar:  # writes reach the caller's array
        first = aliases.get(index, index)
        if first not in storages:
            storages[first] = Storage(nid, spec.aval.shape, arg=first, trace=trace)
        tracer._storage = storages[first]
    if spec.weak is not None:  # a Python scalar argument (frontend/operands.py)
        tracer._weak = spec.weak if spec.weak is not bool else None
        tracer._origins = frozenset([pname])
        as_python_scalar(tracer)
    if spec.complex_dtype is not None:  # real and imaginary parts of the pair view
        tracer = complex_support().bind_argument(tracer)
    return tracer


def _holds_tracer(leaf) -> bool:
    """A static result value that would leak traced arrays (a dataclass, a set, an object)."""
    if is_traced(leaf):
        return True
    if dataclasses.is_dataclass(leaf) and not isinstance(leaf, type):
        return any(_holds_tracer(getattr(leaf, f.name)) for f in dataclasses.fields(leaf))
    if isinstance(leaf, (set, frozenset)):
        return any(_holds_tracer(v) for v in leaf)
    return any(isinstance(v, Tracer) for v in getattr(leaf, "__dict__", {}).values())


def _record_outputs(trace: Trace, result, specs, written=()) -> TracedFunction:
    leaves, treedef = flatten(result)
    graph = trace.graph
    out_leaves: list[OutLeaf] = []
    by_node: dict[int, int] = {}

    def add(node: int) -> int:
        """The output index of ``node`` (outputs are fresh arrays: a copy of a source)."""
        if node not in by_node:
            by_node[node] = len(by_node)
            producer = node
            if graph.op(node) in ("input", "constant"):  # outputs are fresh arrays
                producer = graph.add("copy", [node], loc=graph.loc(node))
            graph.add_output(by_node[node], producer)
        return by_node[node]

    for leaf in leaves:
        if isinstance(leaf, HostResult):  # its ticket out, the array taken from the table after the call
            out_leaves.append(OutLeaf(index=add(trace.node_of(leaf.ticket)), scalar=True, stashed=True))
            continue
        if isinstance(leaf, Selection):  # values and mask out, compacted after the call
            values, mask = trace.node_of(leaf.values), trace.node_of(leaf.mask)
            if graph.op(values) == "input" and not written:  # x[m] of an argument: compact x itself
                out_leaves.append(OutLeaf(mask=add(mask), arg=graph.attrs(values)["index"]))
            else:
                out_leaves.append(OutLeaf(index=add(values), mask=add(mask)))
            continue
        if isinstance(leaf, (np.ndarray, np.generic)) and leaf.dtype.kind == "c":
            leaf = complex_support().constant(trace, leaf)
        if is_complex_value(leaf):  # returned as float pairs, viewed as complex
            pairs = complex_support().result_pairs(leaf)
            out_leaves.append(OutLeaf(index=add(trace.node_of(pairs)), scalar=leaf._scalar, complex_dtype=leaf.dtype,
                                      python=complex if getattr(leaf, "_weak", None) is complex else None))
            continue
        if isinstance(leaf, Tracer):
            node = trace.node_of(leaf)
            python = python_kind(leaf)
            if python is not None:
                out_leaves.append(OutLeaf(index=add(node), scalar=True, python=python))
                continue
            scalar = leaf._scalar
        elif isinstance(leaf, (np.ndarray, np.generic)):
            node = trace.constant(np.asarray(leaf))
            scalar = isinstance(leaf, np.generic)
        else:
            if _holds_tracer(leaf):
                raise UnsupportedError(
                    f"a jitted function returned a {type(leaf).__name__} holding traced arrays; "
                    "return arrays in tuples, lists, dicts or namedtuples")
            out_leaves.append(OutLeaf(value=leaf))
            continue
        out_leaves.append(OutLeaf(index=add(node), scalar=scalar))
    writebacks = []
    for st in written:  # arguments the function wrote: their last versions, written back
        index = len(by_node) + len(writebacks)
        graph.add_output(index, st.node)
        writebacks.append((st.arg, index))
    checks, index = [], len(by_node) + len(writebacks)
    before = prechecked(pending(trace))  # (all run before the call: no snapshot needed, frontend/checks.py)
    for check in pending(trace):  # last: results keep their indices
        for v in check.values:
            graph.add_output(index, trace.node_of(v))
            index += 1
        high = index - 1 if len(check.values) == 2 else None
        first = index - len(check.values)
        snapshot = []
        for arg, node in () if before else check.snapshot:  # the written arguments' versions when it fails
            graph.add_output(index, node)
            snapshot.append((arg, index))
            index += 1
        checks.append(Check(first, check.cases, high, check.bound, check.coded, check.arg, tuple(snapshot)))
    stashed = []
    for ticket in tickets(trace):  # every stashing host call's ticket: its table entry dropped after the call
        graph.add_output(index, trace.node_of(ticket))
        stashed.append(index)
        index += 1
    return TracedFunction(graph, list(specs), treedef, out_leaves, writebacks, checks, tickets=stashed)
