"""Arrays a rolled ``for`` loop (``frontend/autograph/loops.py``) carries for its body: those the body
writes into from outside (stand-ins redirected to the carried value) and the views of carried arrays."""
from __future__ import annotations

from typing import Any

from tracejit.frontend.autograph.sequences import NotRollable
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


def rebound_aliases(trace: Trace, sub: Trace, state: tuple, carried: list, stand_ins: tuple, after: tuple,
                    rebound: set, written: list) -> bool:
    """Whether a step found more carried arrays its body assigns anew (``x = 0.5 * (x + a / x)``
    after ``x = a``) while reading their other names (``a``) through the carried value
    (``loops.py``'s redirects): those names hold the carried array only before the first step,
    so the body must be traced again reading them as they are (positions added to
    ``rebound``). An array the body also writes through such a name cannot be rolled."""
    found = False
    for k, v in zip(carried, stand_ins):
        now = after[k]
        if not isinstance(v, Tracer) or k in rebound or now is v or \
                getattr(now, "_storage", None) is not None and now._storage is getattr(v, "_storage", None):
            continue  # (kept, or written in place: every name of it sees the carried array)
        if any(key in sub.redirect_reads for key in storages_of(trace, state[k])):
            rebound.add(k)
            found = True
    for k in rebound:
        keys = storages_of(trace, state[k])
        if any(any(st is key for key in keys) for st, _ in written):
            raise NotRollable("the body assigns a carried array anew and writes it in place through another name")
    return found
