"""Optimized programs across processes: a second process skips the optimizer too.

The disk cache (``runtime/diskcache.py``) spares a second process LLVM; this spares it
the graph passes, kernel formation and scheduling as well. The optimized program
(:class:`~tracejit.compiler.pipeline.Optimized`) is a function of the traced graph
(``compiler/graph.graph_fingerprint``: ops, operands, shapes, dtypes, attributes,
source locations, constants' bytes) and of the settings the optimizer reads (threads,
fold limit, fast math, last-level cache size), and the key holds all of them plus what
every cache key holds (tracejit's sources, versions, the CPU). Entries are pickles in
the same private, checksummed, atomically written directory as object code (``.prog``
files); unpickling data from a directory others could write would run their code, and
the directory checks refuse exactly those, and nothing is unpickled before the entry's
checksum and key are checked. Programs holding more than 1 MiB of constants are not
stored (the entry would mostly be data). An entry that fails to load or to validate in
any way is ignored and the program optimized again.
"""
from __future__ import annotations

import hashlib
import pickle

from tracejit.compiler.graph import graph_fingerprint
from tracejit.compiler.graph import Graph
from tracejit.compiler.pipeline import Optimized, optimize
from tracejit.compiler.target import last_level_cache_bytes
from tracejit.config import config
from tracejit.runtime import diskcache

SUFFIX = ".prog"
MAX_CONSTANT_BYTES = 1 << 20


def _identity(graph: Graph, fastmath: bool) -> str:
    settings = (f"threads={config.num_threads} fold_limit={config.fold_limit} fastmath={fastmath} "
                f"llc={last_level_cache_bytes()}")
    return f"optimized program\n{settings}\n{graph_fingerprint(graph)}"


def program_key(graph: Graph, fastmath: bool) -> str:
    """The disk-cache key of ``graph``'s optimized program with these settings."""
    return diskcache.cache_key(_identity(graph, fastmath))


def _io_problem(optimized: Optimized, graph: Graph) -> str | None:
    """What of the program's inputs and outputs disagrees with the traced graph's."""
    program = optimized.program
    avals = lambda nodes: [(tuple(graph.aval(n).shape), graph.aval(n).dtype) for n in nodes]  # noqa: E731
    inputs, outputs = avals(graph.inputs), avals(graph.outputs)
    buffers = {b.id: b for b in program.buffers}
    if program.n_inputs != len(inputs) or len(program.outputs) != len(outputs):
        return "a program with other inputs or outputs"
    seen = [(b.index, (tuple(b.shape), b.dtype)) for b in program.buffers if b.kind == "input"]
    seen += [(-1 - i, (tuple(buffers[b].shape), buffers[b].dtype)) for i, b in enumerate(program.outputs)
             if b >= 0 and b in buffers]
    if any(not isinstance(i, int) or not -len(outputs) <= i < len(inputs) for i, _ in seen):
        return "a program with other inputs or outputs"
    if any(aval != (inputs[i] if i >= 0 else outputs[-1 - i]) for i, aval in seen):
        return "a program for other shapes or dtypes"
    return None


def optimize_cached(graph: Graph, fastmath: bool = False) -> Optimized:
    """``optimize(graph)``, or the same program stored by an earlier process. An entry
    holds the program with a digest of what it was optimized from: it is used only when
    that digest is this graph's and its inputs and outputs are the graph's (anything else
    is a miss: optimized again and rewritten)."""
    if not config.cache_enabled:
        return optimize(graph, fastmath=fastmath)
    identity = _identity(graph, fastmath)
    key, digest = diskcache.cache_key(identity), hashlib.sha256(identity.encode()).hexdigest()
    loaded: list[Optimized] = []

    def check(data: bytes) -> str | None:  # runs only on a checksummed entry bound to key
        try:
            stored, optimized = pickle.loads(data)
        except Exception as e:  # noqa: BLE001 - anything unpickling can raise: a miss
            return f"does not unpickle: {type(e).__name__}"
        if stored != digest or not isinstance(optimized, Optimized):
            return "not the program of this graph"
        problem = _io_problem(optimized, graph)
        if problem is None:
            loaded.append(optimized)
        return problem

    if diskcache.read(key, SUFFIX, validate=check) is not None:
        return loaded[0]
    optimized = optimize(graph, fastmath=fastmath)
    constants = sum(b.nbytes for b in optimized.program.buffers if b.kind == "constant")
    if constants <= MAX_CONSTANT_BYTES:
        diskcache.write(key, pickle.dumps((digest, optimized), protocol=pickle.HIGHEST_PROTOCOL), SUFFIX)
    return optimized
