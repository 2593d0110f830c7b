"""Optimized programs across processes: a second process skips the optimizer too.

The disk cache (``runtime/diskcache.py``) spares a second process LLVM; this spares it
the graph passes, kernel formation and scheduling as well. The optimized program
(:class:`~tracejit.compiler.pipeline.Optimized`) is a function of the traced graph
(``compiler/fingerprint.graph_fingerprint``: ops, operands, shapes, dtypes, attributes,
source locations, constants' bytes) and of the settings the optimizer reads (threads,
fold limit, fast math, last-level cache size), and the key holds all of them plus what
every cache key holds (tracejit's sources, versions, the CPU). Entries are pickles in
the same private, checksummed, atomically written directory as object code (``.prog``
files); unpickling data from a directory others could write would run their code, and
the directory checks refuse exactly those. Programs holding more than 1 MiB of constants
are not stored (the entry would mostly be data). An entry that fails to load in any way
is ignored and the program optimized again.
"""
from __future__ import annotations

import pickle

from tracejit.compiler.fingerprint import graph_fingerprint
from tracejit.compiler.graph import Graph
from tracejit.compiler.pipeline import Optimized, optimize
from tracejit.compiler.target import last_level_cache_bytes
from tracejit.config import config
from tracejit.runtime import diskcache

SUFFIX = ".prog"
MAX_CONSTANT_BYTES = 1 << 20


def program_key(graph: Graph, fastmath: bool) -> str:
    settings = (f"threads={config.num_threads} fold_limit={config.fold_limit} fastmath={fastmath} "
                f"llc={last_level_cache_bytes()}")
    return diskcache.cache_key(f"optimized program\n{settings}\n{graph_fingerprint(graph)}")


def optimize_cached(graph: Graph, fastmath: bool = False) -> Optimized:
    """``optimize(graph)``, or the same program stored by an earlier process."""
    if not config.cache_enabled:
        return optimize(graph, fastmath=fastmath)
    key = program_key(graph, fastmath)
    data = diskcache.read(key, SUFFIX)
    if data is not None:
        try:
            optimized = pickle.loads(data)
            if isinstance(optimized, Optimized):
                return optimized
        except Exception:  # noqa: BLE001 - an entry from another build: optimize again
            pass
    optimized = optimize(graph, fastmath=fastmath)
    constants = sum(b.nbytes for b in optimized.program.buffers if b.kind == "constant")
    if constants <= MAX_CONSTANT_BYTES:
        diskcache.write(key, pickle.dumps(optimized, protocol=pickle.HIGHEST_PROTOCOL), SUFFIX)
    return optimized
