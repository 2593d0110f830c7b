"""``ndarray.flat`` of traced arrays: NumPy's flat iterator, the array's elements in C
order (whatever its memory layout). Reading it (``for v in a.flat``, ``a.flat[3]``,
``np.sum(a.flat)``) sees the array's values; indexing it gives a copy (NumPy's
``a.flat[1:3]`` is a new array) or a scalar; ``a.flat[k] = v`` writes into the array.

Where the elements of ``a`` in C order are a strided view of the array ``a`` is part of
(``a`` itself, ``a[1:]``, ``a[:, ::2]``), the iterator is that view (a logical reshape,
whatever NumPy's memory layout of ``a``), so a write through it is one ``update``; else
(``a.T``, ``a[::-1]`` of a matrix) a write updates a copy of the elements and stores it
back into ``a`` whole.
"""
from __future__ import annotations

from tracejit.compiler.layout import StridedView
from tracejit.compiler.ops import get_op
from tracejit.frontend.core import Tracer
from tracejit.frontend.numpy.indexing import getitem, setitem
from tracejit.frontend.numpy.shape import copy
from tracejit.frontend.versions import attach_view, storage_of


class FlatIter(Tracer):
    """``a.flat``: the elements of ``a`` (``_source``) in C order, indexed as NumPy's
    ``flatiter`` is (a copy or a scalar), written into ``a``."""

    __slots__ = ("_source",)

    def _now(self) -> Tracer:
        """The elements as they are now (a view is brought up to date when read)."""
        if self._storage is not None:
            return self
        src = self._source
        return src._trace.apply("reshape", [src], {"shape": (src.size,)})

    def __getitem__(self, key):
        item = getitem(self._now(), key)
        return item if item._scalar else copy(item, "C")

    def __setitem__(self, key, value):
        if self._storage is not None:
            setitem(self, key, value)
            return
        elements = copy(self._now(), "C")
        setitem(elements, key, value)
        src = self._source
        setitem(src, Ellipsis, src._trace.apply("reshape", [elements], {"shape": tuple(src.shape)}))

    def __len__(self) -> int:
        return self.shape[0]


def _c_order_view(a: Tracer) -> bool:
    """Whether the elements of ``a`` in C order are a strided view of its storage's."""
    st = storage_of(a)
    view = StridedView.contiguous(tuple(st.shape))
    for op, attrs in a._path:
        attrs = dict(attrs)
        fn = getattr(get_op(op), "view", None)
        if fn is None or "start_nodes" in attrs:
            return False
        view = fn(view, **attrs)
        if view is None:
            return False
    return view.reshape((a.size,)) is not None


def flat_of(a: Tracer) -> Tracer:
    """``a.flat``: the elements of ``a`` in C order; writes through it reach ``a``."""
    out = a._trace.apply("reshape", [a], {"shape": (a.size,)})
    if a._scalar:  # (a NumPy scalar's iterator: its value; no write changes a scalar)
        return out
    flat = FlatIter(out._home, out._node)
    flat._source = a
    if not a._ambiguous and _c_order_view(a):
        attach_view(a, flat, "reshape", {"shape": (a.size,)}, logical=True)
    return flat
