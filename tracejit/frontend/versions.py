"""Versions of writable traced arrays: in-place updates are functionalized as pure
``update`` ops on versions (the writes themselves: ``frontend/numpy/writes.py``).

Every array a trace can write has a :class:`Storage`: the graph node of its current
version. An op's result owns a storage of its own; a view (slice, reshape, transpose...)
shares its base's, with the *path* of view steps from the base to itself. A write
(``a[i] = v``, ``a += b``, ``np.copyto``, ``out=``, through any view) records
``update(current base, value, path)`` (``compiler/ops/update.py``) and makes that the
storage's new version; a view whose storage has moved on replays its path on the new
version the next time it is read (:func:`refresh`), so reads after writes see exactly
what eager NumPy would. Argument storages remember their argument: if a trace leaves
one at another version, the final version is written back into the caller's array
after the call. A reshape is a view exactly where NumPy's is, judged by NumPy's memory
layout of the array (``frontend/memorder.py``: an argument's strides, the order NumPy
allocates a result in); a write through a reshape only that layout makes a view is
recorded on the array's elements in memory order. Broadcasts and diagonals (read-only
in NumPy) and NumPy scalars behave as in NumPy.
"""
from __future__ import annotations

from tracejit.errors import UnsupportedError, at
from tracejit.frontend.context import user_location
from tracejit.frontend.memorder import always_a_view, mark_view, numpy_layout


class Storage:
    """The current version (graph node) of one writable array of a trace."""

    __slots__ = ("node", "version", "arg", "initial", "shape", "trace", "read_only")

    def __init__(self, node: int, shape: tuple, arg: int | None = None, trace: object = None):
        self.trace = trace  # whose graph ``node`` is in
        self.node = self.initial = node
        self.version = 0
        self.arg = arg  # the argument (array index) it stands for, if any
        self.shape = shape
        self.read_only: str | None = None  # why writes are refused (a host call's view of its argument)

    @property
    def written(self) -> bool:
        """Whether the array was written (its current version is not its first)."""
        return self.node != self.initial


def storage_of(t: object) -> Storage:
    """``t``'s storage (a fresh result gets its own on first need)."""
    if t._storage is None:
        t._storage = Storage(t._node, t.shape, trace=t._home)
        t._path, t._version = (), 0
    return t._storage


def refresh(t: object) -> None:
    """Bring a view up to its storage's current version (no-op when it is current)."""
    st = t._storage
    if st is None or t._version == st.version:
        return
    if t._ambiguous:
        raise ambiguous_error(t, "reading a reshaped array after a write to its memory", user_location())
    node = st.node
    graph = t._home.graph
    for op, attrs in t._path:
        attrs = dict(attrs)
        starts = list(attrs.pop("start_nodes", ()))  # a slice at traced offsets (frontend/numpy/dynamic.py)
        node = graph.add(op, [node] + starts, attrs=attrs, loc=graph.loc(t._node))
        mark_view(t._home, node)
    t._node, t._version = node, st.version


def redirected(trace: object, t: object) -> object | None:
    """``t`` (a value of an enclosing trace) as the loop body ``trace`` (or one it runs
    inside) carries its array, when that body writes it without assigning it
    (``frontend/autograph/loops.py``): the same view of the carried stand-in's current
    version (a value of the trace that carries it); None when no body carries it."""
    inner = trace
    while inner is not None and inner is not t._storage.trace:
        stand_in = inner.redirects.get(t._storage)
        if stand_in is not None:
            inner.redirect_reads.add(t._storage)  # (a loop whose body rebinds the carried array: not its alias)
            return _view_of(stand_in, t)
        inner = inner.parent
    return None


def _view_of(stand_in: object, t: object) -> object:
    """The view ``t._path`` of ``stand_in``'s storage at its current version."""
    st = storage_of(stand_in)
    home = stand_in._home
    node = st.node
    for op, attrs in t._path:
        node = home.graph.add(op, [node], attrs=dict(attrs), loc=home.graph.loc(t._node))
        mark_view(home, node)
    view = type(stand_in)(home, node, scalar=t._scalar)
    view._storage, view._path, view._version, view._weak = st, t._path, st.version, t._weak
    return view


def attach_view(base: object, out: object, op: str, attrs: dict, logical: bool = False) -> None:
    """Make ``out`` (just computed as view ``op`` of ``base``) a view of ``base``'s storage,
    or an array of its own when NumPy's result would be a copy: a reshape no strides of
    ``base``'s memory in NumPy express (``frontend/memorder.py``). ``logical``: a view
    of the elements in C order whatever the memory layout (``a.flat``)."""
    if base._storage is not None and base._home is not out._home:  # a carried array, read in a loop body
        moved = redirected(out._home, base)
        base = base if moved is None else moved
    ambiguous = base._ambiguous
    if op == "reshape" and not logical and not always_a_view(tuple(base.shape), tuple(attrs["shape"])):
        view = numpy_layout(base)
        if view is not None and view.reshape(tuple(attrs["shape"])) is None:
            return  # NumPy copies: ``out`` owns its data
        if view is None:
            ambiguous = user_location() or "?"
    storage_of(base)
    mark_view(out._home, out._node)
    out._storage = base._storage
    out._path = base._path + ((op, tuple(sorted(attrs.items()))),)
    out._version = base._storage.version
    out._ambiguous = ambiguous


def ambiguous_error(t: object, what: str, loc: str | None) -> UnsupportedError:
    """The error for ``what`` done to ``t``, a reshape NumPy may make a view or a copy of."""
    return UnsupportedError(
        f"{what}{at(loc)}: the array was reshaped (at {t._ambiguous}) from an array whose memory layout "
        "in NumPy tracejit does not model (the result of a loop, branch or another computation NumPy may "
        "lay out in another order), so NumPy's reshape may be a view or a copy of it. Make the reshape "
        "a copy (.copy()), or reshape a C-ordered copy (np.ascontiguousarray(x) is not traced: x.copy())")
