"""Writes into traced arrays (``a[k] = v``, ``a += b``, ``out=``, ``np.copyto``), recorded as
``update`` ops on versions of the array's storage (``frontend/versions.py``): the value is
cast as NumPy's assignment casts it and broadcast to the target."""
from __future__ import annotations

import numpy as np

from tracejit.compiler.layout import StridedView
from tracejit.compiler.ops import get_op
from tracejit.errors import UnsupportedError, at, user_error
from tracejit.frontend import arrayconv
from tracejit.frontend.arraylike import is_complex_value
from tracejit.frontend.checks import record as record_check
from tracejit.frontend.context import user_location
from tracejit.frontend.core import Trace, Tracer
from tracejit.frontend.dispatch import implements
from tracejit.frontend.memorder import layout, mark_view, memory_order_steps
from tracejit.frontend.numpy.elementwise import where as np_where
from tracejit.frontend.numpy.shape import astype, broadcast_to
from tracejit.frontend.operands import Operand, as_operand, dtype_or_weak, is_tracer, weak_type
from tracejit.frontend.versions import Storage, ambiguous_error, redirected, refresh, storage_of

_READ_ONLY = frozenset({"broadcast_to", "diagonal"})  # views NumPy makes read-only
DYNAMIC = "dynamic_slice"  # a view step at traced offsets (its path attrs hold the start nodes)


def cast_assigned(trace: Trace, value: Operand, dtype: np.dtype) -> Operand:
    """``value`` cast to ``dtype`` as NumPy's assignment casts it (unsafely; a Python
    scalar out of range raises OverflowError), not broadcast: a masked write selects
    between the cast value and the array, so unselected elements stay bit-exact."""
    if isinstance(value, (list, tuple)):  # (``stack[top] = r, c`` of traced numbers: stacked as np.array does)
        # (concrete: converted to ``dtype`` as NumPy's assignment converts a list: a Python int
        # the dtype cannot hold raises OverflowError, where a cast from int64 would wrap)
        if arrayconv.holds_traced(value):
            if np.dtype(dtype).kind in "iu":  # (traced Python ints beyond the dtype: OverflowError after the call)
                arrayconv.check_python_ints(value, np.dtype(dtype), user_location())
            value = arrayconv.asarray(value)
        else:
            value = np.asarray(value, dtype=dtype)
    if is_complex_value(value) and np.dtype(dtype).kind != "c":
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


def check_scalar_store(value: Operand, dtype: np.dtype, loc: str | None) -> None:
    """Errors of ``a[i] = v`` (basic indexing: an element or a slice) for a traced scalar
    ``v`` (not an array) and a signed-integer ``a``: NumPy converts the scalar to a Python
    int and then to ``a``'s dtype, so NaN raises ValueError, infinity and a value beyond the
    dtype OverflowError (an array value is cast silently instead); recorded as run-time checks."""
    dtype = np.dtype(dtype)
    if dtype.kind != "i" or not isinstance(value, Tracer) or value.ndim or not (
            value._scalar or weak_type(value) is not None):
        return
    info, kind = np.iinfo(dtype), value.dtype.kind
    if kind == "f":
        x = astype(value, np.float64) if value.dtype != np.float64 else value
        record_check(np.isnan(x), ValueError, f"cannot convert float NaN to integer{at(loc)}")
        record_check(np.isinf(x), OverflowError, f"cannot convert float infinity to integer{at(loc)}")
        beyond = np.logical_and(np.isfinite(x), np.logical_or(np.greater_equal(x, float(info.max) + 1.0),
                                                              np.less(x, float(info.min))))
    elif kind in "iu" and not np.can_cast(value.dtype, dtype):
        high = min(int(info.max), int(np.iinfo(value.dtype).max))
        beyond = np.greater(value, np.asarray(high, value.dtype))
        if kind == "i":
            beyond = np.logical_or(beyond, np.less(value, np.asarray(info.min, value.dtype)))
    else:
        return
    record_check(beyond, OverflowError, f"Python integer out of bounds for {dtype.name} (a scalar stored into an "
                                        f"element of an array of {dtype.name}){at(loc)}")


def assigned_value(trace: Trace, value: Operand, shape: tuple, dtype: np.dtype, loc: str | None) -> Operand:
    """``value`` as an assignment of it into ``shape`` elements of ``dtype`` stores it:
    cast as NumPy's assignment casts, broadcast to ``shape``."""
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


def write(target: Tracer, value: Operand, loc: str | None) -> None:
    """Store ``value`` (broadcast to ``target``'s shape, cast as NumPy's assignment casts)
    into the elements ``target`` stands for."""
    if target._scalar:
        raise user_error(TypeError(f"'numpy.{target.dtype.name}' object does not support item assignment{at(loc)}"))
    if target._ambiguous:
        raise ambiguous_error(target, "writing into a reshaped array", loc)
    st = storage_of(target)
    if st.read_only is not None:  # (eagerly the write would reach an argument the host call saw)
        raise UnsupportedError(f"writing into {st.read_only} is not supported{at(loc)}: NumPy would write "
                               "through it into the argument; write into a copy (np.copy) or the argument itself")
    if any(op in _READ_ONLY for op, _ in target._path):
        raise user_error(ValueError(f"assignment destination is read-only (a broadcast or diagonal view){at(loc)}"))
    trace = target._trace
    if target._home is not trace or st.trace is not trace:
        moved = redirected(trace, target) if trace.redirects.get(st) is not None else None
        if moved is None:
            error = UnsupportedError(f"a loop body or branch writes into an array from outside it{at(loc)}: "
                                     "carry the array in the loop state (or return it from the branch) instead")
            error.storage = st  # (a converted loop carries that array and traces its body again)
            raise error
        target, st = moved, moved._storage
    value = assigned_value(trace, value, target.shape, target.dtype, loc)
    if any(op == DYNAMIC for op, _ in target._path):  # through a slice at traced offsets
        _write_dynamic(target, value, loc)
        return
    graph = trace.graph
    to_memory, back = _update_frame(st, target._path, loc)
    base = _replay(trace, st.node, to_memory, loc)
    new = graph.add("update", [base, trace.node_of(value, loc)], attrs={"path": back + target._path}, loc=loc)
    st.node = _replay(trace, new, back, loc)
    st.version += 1
    refresh(target)


def _write_dynamic(target: Tracer, value: Operand, loc: str | None) -> None:
    """Write through a view whose path holds a slice at traced offsets (the last one at
    ``k``): the window's new value stored back into the view it was sliced from."""
    st, path, trace = target._storage, target._path, target._trace
    k = max(j for j, (op, _) in enumerate(path) if op == DYNAMIC)
    attrs = dict(path[k][1])
    starts = list(attrs.pop("start_nodes"))
    graph = trace.graph
    source = Tracer(trace, _replay(trace, st.node, path[:k], loc))
    source._storage, source._path, source._version = st, path[:k], st.version
    new = trace.node_of(value, loc)
    if all(op == "reshape" for op, _ in path[k + 1:]):  # the whole window (``row = out[t]; row[...] = v``)
        shape = list(source.shape)
        for d, n in zip(attrs["dims"], attrs["sizes"]):
            shape[d] = n
        if tuple(target.shape) != tuple(shape):
            new = graph.add("reshape", [new], attrs={"shape": tuple(shape)}, loc=loc)
    else:
        window = graph.add(DYNAMIC, [source._node] + starts, attrs=attrs, loc=loc)
        new = graph.add("update", [window, new], attrs={"path": path[k + 1:]}, loc=loc)
    stored = graph.add("dynamic_update", [source._node, new] + starts,
                       attrs={"dims": attrs["dims"], "steps": attrs["steps"]}, loc=loc)
    write(source, Tracer(trace, stored), loc)
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
        attrs = dict(attrs)
        starts = list(attrs.pop("start_nodes", ()))  # a slice at traced offsets (frontend/numpy/dynamic.py)
        node = trace.graph.add(op, [node] + starts, attrs=attrs, loc=loc)
        mark_view(trace, node)
    return node


@implements(np.copyto)
def copyto(dst: Tracer, src: Operand, casting: str = "same_kind", where: Operand = True) -> None:
    """``np.copyto(dst, src)``: write ``src`` (broadcast, cast by ``casting``) into ``dst``."""
    loc = user_location()
    if not is_tracer(dst):
        raise UnsupportedError(f"numpy.copyto into a concrete array is not supported{at(loc)}")
    src_dtype = dtype_or_weak(src, loc)
    if isinstance(src_dtype, np.dtype) and not np.can_cast(src_dtype, dst.dtype, casting):
        raise user_error(TypeError(f"Cannot cast array data from {src_dtype!r} to {dst.dtype!r} according to the rule "
                                   f"{casting!r}{at(loc)}"))
    if where is not True:  # cast first: the elements not selected stay bit-exact
        src = np_where(where, cast_assigned(dst._trace, src, dst.dtype), dst)
    write(dst, src, loc)
