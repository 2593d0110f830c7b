"""``np.put(a, ind, v)`` in mode 'raise' with indices that may be out of bounds, as NumPy
does it: the elements of the indices before the first bad one are written, then
``IndexError`` is raised (``a`` keeps those writes).

With indices known while tracing, the first bad one is found then: the writes before it
are traced and an ``IndexError`` naming it is raised after the call. With traced
indices, the first bad position ``p`` is computed (a min over positions); the writes from
``p`` on repeat the last good one (its element and value again: after every other write
to that element, so NumPy's last-write-wins order keeps its result), or with none write
element 0's own value back; a check raises after the call when ``p`` is inside the list.
Either way the check records the arguments' versions after these writes
(``frontend/checks.py`` snapshot), which the caller's arrays receive when it fails.
"""
from __future__ import annotations

import numpy as np

from tracejit.errors import at
from tracejit.frontend import checks
from tracejit.frontend.core import Tracer
from tracejit.frontend.numpy.shape import reshape
from tracejit.frontend.numpy.writes import write
from tracejit.frontend.operands import is_tracer, lift


def put_raise(a: Tracer, ind: object, values: object, loc: str | None) -> None:
    """Write ``values`` into ``a.flat`` at ``ind`` (1-d, integer, as many as ``values``)
    up to the first index outside ``[-n, n)``, raising ``IndexError`` there after the call."""
    n, count = a.size, ind.shape[0]
    if not is_tracer(ind):
        bad = np.flatnonzero((ind < -n) | (ind >= n))
        if not bad.size:
            scatter_flat(a, ind, values, loc)
            return
        p = int(bad[0])
        if p:
            scatter_flat(a, ind[:p], values[:p], loc)
        trace = a._trace
        checks.record(Tracer(trace, trace.constant(np.asarray(True))), IndexError,
                      f"index {int(ind[p])} is out of bounds for axis 0 with size {n}{at(loc)}")
        return
    if checks.input_index(ind) is not None:  # an argument's indices: checked before the call, where a bad
        scatter_flat(a, ind, values, loc)  # one runs the function eagerly (frontend/checks.py): in place
        return
    ind = ind.astype(np.int64)
    positions = np.arange(count, dtype=np.int64)
    first = np.min(np.where((ind < -n) | (ind >= n), positions, count))
    ind = np.where(ind < 0, ind + n, ind)
    flat = reshape(a, (-1,))
    # from the first bad position on, repeat the last good write (the same value again, after
    # every other write to that element), or, with none, write element 0's own value back
    last = np.maximum(first - 1, 0)
    good = first > 0
    again = np.where(good, ind[last], 0)
    value = np.where(good, lift(a._trace, values)[last], flat[0])
    keep = positions < first
    scatter_flat(a, np.where(keep, ind, again), np.where(keep, values, value), loc)
    checks.record(first < count, IndexError, f"an index is out of bounds for axis 0 with size {n}{at(loc)}")


def scatter_flat(a: Tracer, ind: object, values: object, loc: str | None) -> None:
    """``a.flat[ind] = values`` of indices all in bounds."""
    flat = reshape(a, (-1,))
    if flat._storage is not None and flat._storage is a._storage:  # a view of ``a``: written in place
        flat[ind] = values
        return
    flat = flat.copy()
    flat[ind] = values
    write(a, reshape(flat, a.shape), loc)
