"""Arrays a rolled ``for`` loop (``frontend/autograph/loops.py``) carries for its body: those the body
writes into from outside (stand-ins redirected to the carried value) and the views of carried arrays."""
from __future__ import annotations

from typing import Any

from tracejit.frontend.core import Trace, Tracer
from tracejit.frontend.versions import storage_of


def outer_root(trace: Trace, st: object, error: Exception) -> tuple:
    """(the array of storage ``st`` as a value of ``trace``, the storages its stand-in answers for)."""
    if st.trace is trace:
        root = Tracer(trace, st.node)
        root._storage, root._path, root._version = st, (), st.version
        return root, (st,)
    stand_in = trace.redirects.get(st)
    if stand_in is None:
        raise error  # written from outside an enclosing loop too: that loop carries it first
    return stand_in, (st, storage_of(stand_in))


def storages_of(trace: Trace, value: Any) -> list:
    """The storages whose views stand for ``value`` (a whole array of ``trace``, carried): its
    own, and those an enclosing body redirects to it."""
    st = getattr(value, "_storage", None) if isinstance(value, Tracer) else None
    if st is None or value._path:
        return []
    keys = [st]
    t = trace
    while t is not None:
        keys.extend(key for key, stand_in in t.redirects.items() if stand_in is value and key is not st)
        t = t.parent
    return keys


def current(stand_in: Tracer) -> Tracer:
    """The carried stand-in at its storage's current version."""
    st = storage_of(stand_in)
    if st.node != stand_in._node:
        stand_in._node, stand_in._version = st.node, st.version
    return stand_in
