"""Arrays a rolled ``for`` loop (``frontend/autograph/loops.py``) carries for its body: those the body
writes into from outside (stand-ins redirected to the carried value) and the views of carried arrays."""
from __future__ import annotations

from typing import Any

from tracejit.frontend.context import current_trace
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


def written_from_outside(error: Exception) -> tuple:
    """(the storage of the array that ``error`` says a body or branch wrote into from outside it
    (``frontend/numpy/writes.py``), the error that says so); (None, None) for other errors."""
    cause = error if getattr(error, "storage", None) is not None else error.__cause__
    st = getattr(cause, "storage", None)
    return (st, cause) if st is not None else (None, None)


def redirect(outer: list, roots: tuple) -> None:
    """In the body or branch being traced, read and write each carried array of ``outer``
    (pairs of :func:`outer_root`) through its stand-in in ``roots``."""
    sub = current_trace()
    for (_, keys), stand_in in zip(outer, roots):
        storage_of(stand_in)
        for key in keys:
            sub.redirects[key] = stand_in
