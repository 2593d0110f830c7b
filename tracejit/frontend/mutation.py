"""In-place updates, functionalized: writes become pure ``update`` ops on versions.

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

import numpy as np

from tracejit.compiler.layout import StridedView
from tracejit.compiler.ops import get_op
from tracejit.errors import UnsupportedError, at, user_error
from tracejit.frontend.memorder import always_a_view, layout, mark_view, memory_order_steps, numpy_layout

_READ_ONLY = frozenset({"broadcast_to", "diagonal"})  # views NumPy makes read-only


class Storage:
    """The current version (graph node) of one writable array of a trace."""

    __slots__ = ("node", "version", "arg", "initial", "shape", "trace")

    def __init__(self, node: int, shape: tuple, arg: int | None = None, trace=None):
        self.trace = trace  # whose graph ``node`` is in
        self.node = self.initial = node
        self.version = 0
        self.arg = arg  # the argument (array index) it stands for, if any
        self.shape = shape

    @property
    def written(self) -> bool:
        return self.node != self.initial


def storage_of(t) -> Storage:
    """``t``'s storage (a fresh result gets its own on first need)."""
    if t._storage is None:
        t._storage = Storage(t._node, t.shape, trace=t._home)
        t._path, t._version = (), 0
    return t._storage


def refresh(t) -> None:
    """Bring a view up to its storage's current version (no-op when it is current)."""
    st = t._storage
    if st is None or t._version == st.version:
        return
    if t._ambiguous:
        from tracejit.frontend.trace import user_location
        raise _ambiguous_error(t, "reading a reshaped array after a write to its memory", user_location())
    node = st.node
    graph = t._home.graph
    for op, attrs in t._path:
        node = graph.add(op, [node], attrs=dict(attrs), loc=graph.loc(t._node))
        mark_view(t._home, node)
    t._node, t._version = node, st.version


def attach_view(base, out, op: str, attrs: dict) -> None:
    """Make ``out`` (just computed as view ``op`` of ``base``) a view of ``base``'s storage,
    or an array of its own when NumPy's result would be a copy: a reshape no strides of
    ``base``'s memory in NumPy express (``frontend/memorder.py``)."""
    ambiguous = base._ambiguous
    if op == "reshape" and not always_a_view(tuple(base.shape), tuple(attrs["shape"])):
        view = numpy_layout(base)
        if view is not None and view.reshape(tuple(attrs["shape"])) is None:
            return  # NumPy copies: ``out`` owns its data
        if view is None:
            from tracejit.frontend.trace import user_location
            ambiguous = user_location() or "?"
    storage_of(base)
    mark_view(out._home, out._node)
    out._storage = base._storage
    out._path = base._path + ((op, tuple(sorted(attrs.items()))),)
    out._version = base._storage.version
    out._ambiguous = ambiguous


def _ambiguous_error(t, what: str, loc) -> UnsupportedError:
    return UnsupportedError(
        f"{what}{at(loc)}: the array was reshaped (at {t._ambiguous}) from an array whose memory layout "
        "in NumPy tracejit does not model (the result of a loop, branch or another computation NumPy may "
        "lay out in another order), so NumPy's reshape may be a view or a copy of it. Make the reshape "
        "a copy (.copy()), or reshape a C-ordered copy (np.ascontiguousarray(x) is not traced: x.copy())")


def cast_assigned(trace, value, dtype: np.dtype):
    """``value`` cast to ``dtype`` as NumPy's assignment casts it (unsafely; a Python
    scalar out of range raises OverflowError), not broadcast: a masked write selects
    between the cast value and the array, so unselected elements stay bit-exact."""
    from tracejit.frontend.functions import astype
    from tracejit.frontend.values import as_operand, is_tracer, weak_type
    from tracejit.frontend.complexvalue import ComplexTracer
    if isinstance(value, (list, tuple)):
        value = np.asarray(value)
    if isinstance(value, ComplexTracer) and np.dtype(dtype).kind != "c":
        value = value.astype(dtype)  # the real part, with NumPy's ComplexWarning
    elif is_tracer(value) and weak_type(value) is None:
        if value.dtype != dtype:
            value = astype(value, dtype)  # NumPy's assignment casts unsafely
    elif isinstance(value, np.ndarray) or isinstance(value, np.generic):
        with np.errstate(all="ignore"):
            value = np.asarray(value).astype(dtype)
    else:
        value = as_operand(trace, value, dtype)  # Python scalars: may raise OverflowError
    return value


def assigned_value(trace, value, shape: tuple, dtype: np.dtype, loc):
    """``value`` as an assignment of it into ``shape`` elements of ``dtype`` stores it:
    cast as NumPy's assignment casts, broadcast to ``shape``."""
    from tracejit.frontend.functions import broadcast_to
    from tracejit.frontend.values import is_tracer
    value = cast_assigned(trace, value, dtype)
    vshape = tuple(value.shape)
    if vshape != shape:
        while len(vshape) > len(shape) and vshape[0] == 1:
            vshape = vshape[1:]
        try:
            np.broadcast_shapes(vshape, shape)
            if len(vshape) > len(shape) or np.broadcast_shapes(vshape, shape) != shape:
                raise ValueError
        except ValueError:
            raise user_error(ValueError(f"could not broadcast input array from shape {tuple(value.shape)} into shape "
                                        f"{shape}{at(loc)}")) from None
        if not is_tracer(value):
            value = np.broadcast_to(np.asarray(value).reshape(vshape), shape)
        else:
            if vshape != tuple(value.shape):
                value = trace.apply("reshape", [value], {"shape": vshape})
            value = broadcast_to(value, shape)
    return value


def write(target, value, loc) -> None:
    """Store ``value`` (broadcast to ``target``'s shape, cast as NumPy's assignment casts)
    into the elements ``target`` stands for."""
    if target._scalar:
        raise user_error(TypeError(f"'numpy.{target.dtype.name}' object does not support item assignment{at(loc)}"))
    if target._ambiguous:
        raise _ambiguous_error(target, "writing into a reshaped array", loc)
    st = storage_of(target)
    if any(op in _READ_ONLY for op, _ in target._path):
        raise user_error(ValueError(f"assignment destination is read-only (a broadcast or diagonal view){at(loc)}"))
    trace = target._trace
    if target._home is not trace or st.trace is not trace:
        raise UnsupportedError(f"a loop body or branch writes into an array from outside it{at(loc)}: "
                               "carry the array in the loop state (or return it from the branch) instead")
    value = assigned_value(trace, value, target.shape, target.dtype, loc)
    graph = trace.graph
    to_memory, back = _update_frame(st, target._path, loc)
    base = _replay(trace, st.node, to_memory, loc)
    new = graph.add("update", [base, trace.node_of(value, loc)], attrs={"path": back + target._path}, loc=loc)
    st.node = _replay(trace, new, back, loc)
    st.version += 1
    refresh(target)


def _update_frame(st: Storage, path: tuple, loc) -> tuple[tuple, tuple]:
    """Where an update of the view ``path`` of ``st`` is recorded: on the array itself, or,
    when the path holds a reshape only NumPy's memory layout of the array makes a view
    (a Fortran-order argument raveled), on its elements in memory order, so the written
    version is laid out as NumPy's memory and the path stays a strided view of it."""
    view = StridedView.contiguous(st.shape)
    for op, attrs in path:
        view = view and get_op(op).view(view, **dict(attrs))
    if view is not None:
        return (), ()
    steps = memory_order_steps(layout(st.trace, st.initial))
    if steps is None:
        raise UnsupportedError(f"writing through a reshape of an array whose memory is not dense (a strided "
                               f"argument){at(loc)}: tracejit cannot lay out the written array as NumPy's memory; "
                               "write into a copy")
    return steps


def _replay(trace, node: int, steps: tuple, loc) -> int:
    """View ``steps`` applied to ``node`` (views of its memory: marked so for memorder)."""
    for op, attrs in steps:
        node = trace.graph.add(op, [node], attrs=dict(attrs), loc=loc)
        mark_view(trace, node)
    return node
