"""The ndarray API of a traced array: the methods, properties and Python operators of
:class:`~tracejit.frontend.core.Tracer` (``x.sum()``, ``x.T``, ``x[k]``, ``x += y``, ``a @ b``),
each the handler of its NumPy function or the ufunc NumPy's operator calls. Installed on the
Tracer when this module is imported (by ``frontend/numpy/__init__.py``): the core defines the
abstract value, the handlers build on it, and these connect the two. The methods that are a
NumPy function applied to the array (``x.sum()``, ``x.reshape()``, ``x.T``...) are the
``ArrayLike`` base's (``frontend/arraylike.py``, shared with complex values): installed here
is the table they take the handler from (``_handler_of``).
"""
from __future__ import annotations

import numpy as np

from tracejit.compiler.layout import StridedView
from tracejit.compiler.ops import get_op
from tracejit.errors import UnsupportedError, at, user_error
from tracejit.frontend.attributes import ARITHMETIC, install_operators
from tracejit.frontend.context import user_location
from tracejit.frontend.core import Tracer
from tracejit.frontend.dispatch import HANDLERS, array_function
from tracejit.frontend.numpy.elementwise import round_
from tracejit.frontend.numpy.indexing import getitem, setitem
from tracejit.frontend.numpy.linalg import matmul
from tracejit.frontend.numpy.scans_and_sorts import sort_in_place
from tracejit.frontend.numpy.shape import copy, flatten, read_only_zeros, reshape, swapaxes
from tracejit.frontend.numpy.ufuncs import apply_elementwise, write_inplace
from tracejit.frontend.versions import attach_view, storage_of


class _OwnMethods:
    """The Tracer's ndarray methods that are not a NumPy function applied to the array (those
    are ``ArrayLike``'s, each running the handler ``_handler_of`` finds in the real table)."""

    def _handler_of(self, func):
        """The real handler of NumPy function ``func`` (methods that are NumPy functions)."""
        return HANDLERS.get(func)

    def _unsupported_attribute(self, name: str) -> Exception:
        return UnsupportedError(f"ndarray.{name} is not available on traced arrays{at(user_location())} "
                                "(memory layout and flags are decided by the compiler)")

    mT = property(lambda self: swapaxes(self, -1, -2))

    real = property(lambda self: self)

    def __round__(self, ndigits=None):
        if ndigits is None or self._origins:  # a Python int, or Python rounding of a Python float
            self._concrete("round()")
        return round_(self, ndigits)

    def _inplace(self, ufunc, other):
        loc = user_location()
        if self._scalar:  # NumPy and Python scalars are immutable: `s += 1` makes a new object
            return apply_elementwise(ufunc, (self, other), loc=loc, operator=True)
        return write_inplace(self, apply_elementwise(ufunc, (self, other), loc=loc), ufunc.__name__, loc)

    def __setitem__(self, key, value):
        """``self[key] = value``: a functional update of this array (and every view of it)."""
        setitem(self, key, value)

    def __getitem__(self, key):
        return getitem(self, key)

    def copy(self, order="C"):
        """ndarray.copy: C order by default (np.copy keeps the memory order)."""
        return copy(self, order)

    def flatten(self, order="C"):
        return flatten(self, order)

    @property
    def flat(self):
        """ndarray.flat: the elements in C order, read (``for v in img.flat``, ``img.flat[3]``)
        and written (``img.flat[2] = 5``) as NumPy's iterator does (``FlatIter`` below)."""
        return flat_of(self)

    def conj(self):
        """Of a real array: the array itself (NumPy returns the same object)."""
        return self

    conjugate = conj

    @property
    def imag(self):
        """Real dtypes only: a read-only array of zeros like ``self`` (as ndarray.imag)."""
        return read_only_zeros(self)

    def take(self, indices, axis=None, out=None, mode="raise"):
        return array_function(np.take, (self, indices), {"axis": axis, "out": out, "mode": mode})

    def nonzero(self):
        return array_function(np.nonzero, (self,), {})

    def sort(self, axis=-1, kind=None, order=None, *, stable=None):
        """In place, as ndarray.sort (cumsum, cumprod, argsort: ``__getattr__``)."""
        return sort_in_place(self, axis, kind, order, stable=stable)


for _name, _value in vars(_OwnMethods).items():  # copied onto the Tracer: its class body stays the core's
    if not _name.startswith("__") or _name in ("__round__", "__setitem__", "__getitem__"):
        setattr(Tracer, _name, _value)


def _power(self, other):
    """ndarray.__pow__: NumPy squares for a Python exponent of 2 (so bool ** 2 is int8)."""
    if type(other) in (int, float) and other == 2:
        return apply_elementwise(np.square, (self,), operator=True)
    return apply_elementwise(np.power, (self, other), operator=True)


install_operators(Tracer, lambda ufunc, operands: apply_elementwise(ufunc, operands, operator=True),
                  ARITHMETIC + (("pow", np.power), ("and", np.bitwise_and), ("or", np.bitwise_or),
                                ("xor", np.bitwise_xor), ("lshift", np.left_shift), ("rshift", np.right_shift)))

for _name, _uf in [("neg", np.negative), ("pos", np.positive), ("abs", np.absolute),
                   ("invert", np.invert)]:
    setattr(Tracer, f"__{_name}__", (lambda uf: lambda self: apply_elementwise(uf, (self,), operator=True))(_uf))

Tracer.__pow__ = _power
Tracer.__matmul__ = lambda self, other: matmul(self, other)
Tracer.__rmatmul__ = lambda self, other: matmul(other, self)
Tracer.__divmod__ = lambda self, other: (self // other, self % other)


def _inplace_matmul(self, other):
    """``a @= b``: ``np.matmul(a, b, out=a)`` (same shape, 'same_kind' cast), as ndarray's."""
    loc = user_location()
    if self._scalar:  # (NumPy scalars have no in-place form: a new value)
        return matmul(self, other)
    if self.ndim < 1 or np.ndim(other) < 2:
        raise user_error(ValueError("inplace matrix multiplication requires the first operand to have at least "
                                    f"one and the second at least two dimensions.{at(loc)}"))
    result = matmul(self, other)
    if tuple(result.shape) != tuple(self.shape):
        raise user_error(ValueError(f"matmul: the result's shape {tuple(result.shape)} is not the shape "
                                    f"{tuple(self.shape)} of the array multiplied in place{at(loc)}"))
    return write_inplace(self, result, "matmul", loc)


def _set_shape(self, shape):
    """``a.shape = s``: ``a`` becomes its reshape, which must be a view (NumPy's rule)."""
    loc = user_location()
    if self._scalar:
        raise user_error(AttributeError(f"attribute 'shape' of 'numpy.generic' objects is not writable{at(loc)}"))
    if self._storage is not None and self._storage.arg is not None and not self._path:
        raise UnsupportedError(f"setting the shape of an argument{at(loc)}: NumPy changes the caller's array "
                               "object, which a compiled function cannot; rebind it instead (a = a.reshape(...))")
    new = reshape(self, shape)
    if new._storage is None or new._storage is not self._storage:
        raise user_error(AttributeError("Incompatible shape for in-place modification. Use `.reshape()` to make "
                                        f"a copy with the desired shape.{at(loc)}"))
    for slot in Tracer.__slots__:
        if slot != "__weakref__":
            setattr(self, slot, getattr(new, slot))


Tracer.__imatmul__ = _inplace_matmul
Tracer.shape = property(lambda self: self.aval.shape, _set_shape)


# -- a.flat ---------------------------------------------------------------------------------
# ``ndarray.flat`` of traced arrays: NumPy's flat iterator, the array's elements in C
# order (whatever its memory layout). Reading it (``for v in a.flat``, ``a.flat[3]``,
# ``np.sum(a.flat)``) sees the array's values; indexing it gives a copy (NumPy's
# ``a.flat[1:3]`` is a new array) or a scalar; ``a.flat[k] = v`` writes into the array.
#
# Where the elements of ``a`` in C order are a strided view of the array ``a`` is part of
# (``a`` itself, ``a[1:]``, ``a[:, ::2]``), the iterator is that view (a logical reshape,
# whatever NumPy's memory layout of ``a``), so a write through it is one ``update``; else
# (``a.T``, ``a[::-1]`` of a matrix) a write updates a copy of the elements and stores it
# back into ``a`` whole.

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
