"""Whether an ``update`` whose value reads its own base may still store in place.

``a[k+1:, k+1:] -= np.outer(a[k+1:, k], a[k, k+1:])`` (an LU step) computes the new block
from the block itself and from a column and a row of the same array. Stored into the
base's buffer, the kernel would overwrite elements it still has to read unless every
read of the base inside the kernel is

* of a region disjoint from the written one (the column ``k`` and the row ``k`` lie
  outside the block ``k+1:, k+1:``): those elements are never written by the kernel; or
* of the written region itself, through the same view path, feeding the value only
  through elementwise ops of the value's shape: element ``j`` is read by the iteration
  that writes element ``j``, before it writes it (vector lanes load before they store).

Regions are index boxes of a ``slice`` of the base (a path's first step; later steps may
only reshape, which keeps the elements covered); anything else (a gather, a transpose, a
reshape of the whole base) is refused, and the update copies its base as before. A store
at traced starts (``dynamic_update``, a ``scatter`` at one 0-d index: ``A[i] = A[i] + v``)
may read only its own window, at the same starts, element by element (reshapes keep each
element's place in C order): windows at other traced starts may overlap it.
"""
from __future__ import annotations

from tracejit.compiler.graph import Graph
from tracejit.compiler.ops import get_op

Box = tuple[tuple[int, int], ...] | None  # per dim (first, last) index, inclusive; None: no element


def box(attrs: dict) -> Box:
    """The elements a ``slice`` with ``attrs`` (starts, steps, shape) selects, as a box."""
    out = []
    for start, step, n in zip(attrs["starts"], attrs["steps"], attrs["shape"]):
        if n == 0:
            return None
        last = start + (n - 1) * step
        out.append((min(start, last), max(start, last)))
    return tuple(out)


def disjoint(a: Box, b: Box) -> bool:
    """Whether boxes ``a`` and ``b`` share no element."""
    if a is None or b is None:
        return True
    return any(hi0 < lo1 or hi1 < lo0 for (lo0, hi0), (lo1, hi1) in zip(a, b))


def _kernel_cone(graph: Graph, value: int, base: int) -> set[int]:
    """The nodes computed inside the update's kernel to make ``value`` (not materialized)."""
    cone, stack = set(), [value]
    while stack:
        n = stack.pop()
        if n in cone or n == base or graph.data(n).get("materialize", False) and n != value:
            continue
        cone.add(n)
        stack.extend(graph.operands(n))
    return cone


def _routes_to(graph: Graph, start: int, nid: int, cone: set[int], step_ok) -> bool:
    """Whether every route from ``start`` to update ``nid`` inside ``cone`` takes only steps
    ``step_ok(node, user)`` allows, and reaches ``nid`` as its value."""
    stack, seen = [start], set()
    while stack:
        n = stack.pop()
        if n in seen:
            continue
        seen.add(n)
        for user, index in graph.users(n):
            if user == nid:
                if index != 1:
                    return False
                continue
            if user not in cone:
                continue
            if not step_ok(n, user):
                return False
            stack.append(user)
    return True


def _elementwise_to(graph: Graph, start: int, nid: int, cone: set[int], shape: tuple) -> bool:
    """Whether every route from ``start`` to update ``nid`` inside ``cone`` goes through
    elementwise ops of ``shape`` only, and reaches ``nid`` as its value."""
    return _routes_to(graph, start, nid, cone, lambda n, user: get_op(graph.op(user)).kind == "elementwise"
                      and graph.aval(user).shape == shape)


def _pointwise_to(graph: Graph, start: int, nid: int, cone: set[int], size: int) -> bool:
    """Whether every route from ``start`` to ``nid`` inside ``cone`` keeps each element's
    place in C order (reshapes, and elementwise ops of ``size`` elements reading the route's
    value unbroadcast) and reaches ``nid`` as its value."""
    return _routes_to(graph, start, nid, cone, lambda n, user: graph.op(user) == "reshape" or (
        get_op(graph.op(user)).kind == "elementwise" and graph.aval(user).shape == graph.aval(n).shape
        and graph.aval(user).size == size))


def _reads_own_window(graph: Graph, nid: int) -> bool:
    """Whether a ``dynamic_update`` (or a ``scatter`` at one 0-d index) reads its base, in
    its kernel, only as the very window it writes (a ``dynamic_slice`` at the same starts),
    element by element (``A[i] = A[i] + v`` at a traced ``i``): it may store in place."""
    base, value, *starts = graph.operands(nid)
    if graph.op(nid) == "scatter":
        if len(starts) != 1 or graph.aval(starts[0]).shape != ():
            return False
        dims, steps, sizes = (graph.attrs(nid)["axis"],), (1,), (1,)
    else:
        dims, steps = tuple(graph.attrs(nid)["dims"]), tuple(graph.attrs(nid)["steps"])
        sizes = tuple(graph.aval(value).shape[d] for d in dims)
    cone = _kernel_cone(graph, value, base)
    size = graph.aval(value).size
    for user, index in graph.users(base):
        if user not in cone:
            continue
        attrs = graph.attrs(user)
        if graph.op(user) != "dynamic_slice" or index != 0 or graph.operands(user)[1:] != starts \
                or (tuple(attrs["dims"]), tuple(attrs["sizes"]), tuple(attrs["steps"])) != (dims, sizes, steps):
            return False
        if graph.aval(user).size != size or not _pointwise_to(graph, user, nid, cone, size):
            return False
    return True


def reads_apart(graph: Graph, nid: int) -> bool:
    """Whether update ``nid``'s value reads its base only apart from the region it writes
    or at the same element (see the module docstring): it may then store in place."""
    if graph.op(nid) in ("dynamic_update", "scatter"):
        return _reads_own_window(graph, nid)
    if graph.op(nid) != "update":
        return False
    base, value = graph.operands(nid)
    path = graph.attrs(nid)["path"]
    if value == base or not path or path[0][0] != "slice" or any(op != "reshape" for op, _ in path[1:]):
        return False
    written = box(dict(path[0][1]))
    cone = _kernel_cone(graph, value, base)
    shape = graph.aval(value).shape
    for user, _ in graph.users(base):
        if user not in cone:
            continue
        if graph.op(user) != "slice":
            return False
        attrs = dict(graph.attrs(user))
        if disjoint(box(attrs), written):
            continue
        if attrs != dict(path[0][1]):
            return False
        node = user  # the written region itself: the same path, then elementwise
        for op, step in path[1:]:
            nxt = [u for u, _ in graph.users(node) if u in cone]
            if len(nxt) != 1 or graph.op(nxt[0]) != op or dict(graph.attrs(nxt[0])) != dict(step):
                return False
            node = nxt[0]
        if graph.aval(node).shape != shape or not _elementwise_to(graph, node, nid, cone, shape):
            return False
    return True
