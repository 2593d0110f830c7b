"""Optimized programs across processes: a second process skips the optimizer too.

The disk cache (``runtime/diskcache.py``) spares a second process LLVM; this spares it
the graph passes, kernel formation and scheduling as well. ``compile.py`` names an
optimized program by its *identity*: a text holding everything the program is a function
of (the traced graph's fingerprint and the settings the optimizer reads); the key holds
that identity plus what every cache key holds (tracejit's sources, versions, the CPU).
Entries are pickles in the same private, checksummed, atomically written directory as
object code (``.prog`` files); unpickling data from a directory others could write would
run their code, and the directory checks refuse exactly those, and nothing is unpickled
before the entry's checksum and key are checked. Each entry holds a digest of the
identity it was stored under, and what it unpickles to is validated by the caller
(``compile.py`` checks it is an optimized program with the traced graph's inputs and
outputs). An entry that fails to load or to validate in any way is ignored (a miss).
"""
from __future__ import annotations

import hashlib
import pickle
from typing import Any, Callable

from tracejit.config import config
from tracejit.runtime import diskcache

SUFFIX = ".prog"


def _digest(identity: str) -> str:
    return hashlib.sha256(identity.encode()).hexdigest()


def read(identity: str, validate: Callable[[Any], str | None]) -> Any | None:
    """The value stored under ``identity``, or None: the cache is off, nothing is stored,
    the entry is corrupted or bound to another identity, or ``validate`` (given the
    unpickled value, it returns what is wrong with it, or None) refuses it."""
    if not config.cache_enabled:
        return None
    digest = _digest(identity)
    loaded: list[Any] = []

    def check(data: bytes) -> str | None:  # runs only on a checksummed entry bound to the key
        try:
            stored, value = pickle.loads(data)
        except Exception as e:  # noqa: BLE001 - anything unpickling can raise: a miss
            return f"does not unpickle: {type(e).__name__}"
        if stored != digest:
            return "not the program of this graph"
        problem = validate(value)
        if problem is None:
            loaded.append(value)
        return problem

    if diskcache.read(diskcache.cache_key(identity), SUFFIX, validate=check) is None:
        return None
    return loaded[0]


def write(identity: str, value: Any) -> bool:
    """Store ``value`` (picklable) under ``identity``; False when the cache is off or unwritable."""
    if not config.cache_enabled:
        return False
    data = pickle.dumps((_digest(identity), value), protocol=pickle.HIGHEST_PROTOCOL)
    return diskcache.write(diskcache.cache_key(identity), data, SUFFIX)
