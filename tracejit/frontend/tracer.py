"""The Tracer: an abstract array (shape, dtype) standing in for an ndarray while a
function is traced. NumPy hands every operation on it to tracejit through
``__array_ufunc__`` and ``__array_function__``; operators and methods route to the
same handlers."""
from __future__ import annotations

import numpy as np

from tracejit.compiler.dtypes import AVal
from tracejit.errors import StaticNeeded, TracerConversionError, UnsupportedError, at, user_error
from tracejit.frontend import along_axis, clipping, functions, indexing
from tracejit.frontend.arraylike import ArrayLike
from tracejit.frontend.creation import current_trace
from tracejit.frontend.refusals import note_refused
from tracejit.frontend.attributes import ARITHMETIC, install_operators
from tracejit.frontend.trace import user_location
from tracejit.frontend.ufuncs import apply_elementwise, call_ufunc, reduce_method, write_inplace

_CONTROL_FLOW_HINT = (
    "The value depends on the function's array arguments, so it is not known while tracing. "
    "Use np.where(cond, a, b) for data-dependent selection, make the argument static "
    "(tj.jit(static_argnames=...)), or run the function eagerly with f.eager(...). "
    "For data-dependent loops and branches use tj.while_loop, tj.fori_loop and tj.cond.")


class Tracer(ArrayLike):
    """A traced array. Holds its trace, its graph node and its abstract value (the ndarray
    surface it shares with complex values: ``frontend/arraylike.py``)."""

    __slots__ = ("_home", "_node", "_scalar", "_storage", "_path", "_version", "_weak", "_origins", "_ambiguous",
                 "__weakref__")
    __array_priority__ = 1000

    def __init__(self, trace, node: int, scalar: bool = False):
        self._home = trace  # the trace whose graph holds ``_node``
        self._node = node
        self._scalar = scalar  # NumPy would return a scalar (not a 0-d array) here
        # What writes go to (frontend/mutation.py): the storage (None: created when
        # needed), the view path from it, and the storage version ``_node`` is of.
        self._storage = None
        self._path: tuple = ()
        self._version = 0
        # A reshape whose view-or-copy status NumPy decides by a memory layout tracejit
        # does not know (frontend/memorder.py): the user's line, else None.
        self._ambiguous = None
        # A traced Python scalar argument, or arithmetic on such only: ``_weak`` is its
        # Python type (float or int: promoted weakly, like the Python scalar; bool:
        # NumPy's bool), ``_origins`` the arguments it comes from. Where its value is
        # needed, those arguments become static (StaticNeeded) and the function is traced again.
        self._weak = None
        self._origins: frozenset = frozenset()

    @property
    def _trace(self):
        """The trace operations on this value record into: its own, or, while a loop body
        or branch inside it is traced (``frontend/control.py``), that inner trace (which
        reads the value as a captured input)."""
        home = self._home
        active = current_trace()
        if active is None or active is home or not active.encloses(home):
            return home
        return active

    # -- abstract value ------------------------------------------------------------------
    @property
    def aval(self) -> AVal:
        return self._home.graph.aval(self._node)

    shape = property(lambda self: self.aval.shape)
    dtype = property(lambda self: self.aval.dtype)
    mT = property(lambda self: functions.swapaxes(self, -1, -2))
    real = property(lambda self: self)

    def __repr__(self) -> str:
        loc = self._home.graph.loc(self._node)
        return f"Tracer<{self.aval}> %{self._node}" + (f" from {loc}" if loc else "")

    # -- NumPy protocols -------------------------------------------------------------------
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if method == "__call__":
            return call_ufunc(ufunc, inputs, kwargs)
        return reduce_method(ufunc, method, inputs, kwargs)

    def __array_function__(self, func, types, args, kwargs):
        return functions.dispatch(func, args, kwargs)

    def __array__(self, dtype=None, copy=None):
        if self._origins:
            self._concrete("np.asarray/np.array")
        error = TracerConversionError(
            f"np.asarray/np.array of a traced value{at(user_location())}: tracejit cannot "
            "produce a concrete array while tracing. Operate on the value with NumPy "
            "functions directly; build arrays from traced values with np.stack or "
            "np.concatenate. To index a constant array by traced indices, pass the array as an argument.")
        note_refused(error, user_location(), self.ndim == 0 and self.dtype == np.bool_)  # (s[mask] of a NumPy scalar)
        raise error

    # -- concrete conversions fail clearly -----------------------------------------------
    def _concrete(self, what: str):
        if self._origins:
            need = StaticNeeded(self._origins, what, user_location())
            note_refused(need, need.loc)  # (NumPy may replace it by an error of its own)
            raise need
        error = TracerConversionError(f"{what} on a traced array{at(user_location())}. " + _CONTROL_FLOW_HINT)
        note_refused(error, user_location())  # (maybe a write into a concrete array: frontend/sites.py)
        raise error

    def __round__(self, ndigits=None):
        if ndigits is None or self._origins:  # a Python int, or Python rounding of a Python float
            self._concrete("round()")
        return clipping.round_(self, ndigits)

    def __trunc__(self):
        self._concrete("math.trunc()")

    def __floor__(self):
        self._concrete("math.floor()")

    def __ceil__(self):
        self._concrete("math.ceil()")

    def __format__(self, spec: str) -> str:
        if self._origins:
            self._concrete("formatting (f-string, str.format)")
        return super().__format__(spec)

    def __hash__(self):
        if self._origins:
            self._concrete("hashing (a dict key, a set)")
        return super().__hash__()

    # -- in-place updates --------------------------------------------------------------------
    def _inplace(self, ufunc, other):
        loc = user_location()
        if self._scalar:  # NumPy and Python scalars are immutable: `s += 1` makes a new object
            return apply_elementwise(ufunc, (self, other), loc=loc, operator=True)
        return write_inplace(self, apply_elementwise(ufunc, (self, other), loc=loc), ufunc.__name__, loc)

    def __setitem__(self, key, value):
        """``self[key] = value``: a functional update of this array (and every view of it)."""
        indexing.setitem(self, key, value)

    # -- indexing and methods -------------------------------------------------------------------
    def __getitem__(self, key):
        return indexing.getitem(self, key)

    def copy(self, order="C"):
        """ndarray.copy: C order by default (np.copy keeps the memory order)."""
        return functions.copy(self, order)

    def flatten(self, order="C"):
        return functions.flatten(self, order)

    def conj(self):
        """Of a real array: the array itself (NumPy returns the same object)."""
        return self

    conjugate = conj

    @property
    def imag(self):
        """Real dtypes only: a read-only array of zeros like ``self`` (as ndarray.imag)."""
        return functions.read_only_zeros(self)

    def _handler_of(self, func):
        """The real handler of NumPy function ``func`` (methods that are NumPy functions)."""
        return functions.HANDLERS.get(func)

    def _unsupported_attribute(self, name: str) -> Exception:
        return UnsupportedError(f"ndarray.{name} is not available on traced arrays{at(user_location())} "
                                "(memory layout and flags are decided by the compiler)")

    def take(self, indices, axis=None, out=None, mode="raise"):
        return functions.dispatch(np.take, (self, indices), {"axis": axis, "out": out, "mode": mode})

    def nonzero(self):
        return functions.dispatch(np.nonzero, (self,), {})

    def sort(self, axis=-1, kind=None, order=None, *, stable=None):
        """In place, as ndarray.sort (cumsum, cumprod, argsort: ``__getattr__``)."""
        return along_axis.sort_in_place(self, axis, kind, order, stable=stable)


class ScalarTracer(Tracer):
    """A traced Python scalar: a ``float``, ``int`` or ``bool`` argument, or Python
    arithmetic on such. Like the Python value it stands for it has no array methods
    (``x.sum()`` raises AttributeError, ``x[0]`` TypeError, as in eager Python)."""

    __slots__ = ()
    _VISIBLE = frozenset({"dtype", "shape", "ndim", "size", "aval", "itemsize", "nbytes", "real", "imag"})

    def __getattribute__(self, name: str):
        if name[0] == "_" or name in ScalarTracer._VISIBLE:
            return object.__getattribute__(self, name)
        kind = object.__getattribute__(self, "_python_type")()
        raise user_error(AttributeError(f"'{kind}' object has no attribute '{name}'{at(user_location())}"))

    def __getattr__(self, name: str):
        raise user_error(AttributeError(f"'{self._python_type()}' object has no attribute "
                                        f"'{name}'{at(user_location())}"))

    def _python_type(self) -> str:
        weak = object.__getattribute__(self, "_weak")
        return weak.__name__ if weak is not None else "bool"

    def __getitem__(self, key):
        raise user_error(TypeError(f"'{self._python_type()}' object is not subscriptable{at(user_location())}"))


def as_python_scalar(tracer: Tracer) -> Tracer:
    """Make ``tracer`` (a traced Python scalar, ``_weak``/``_origins`` set) a ScalarTracer."""
    tracer.__class__ = ScalarTracer
    return tracer


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
Tracer.__matmul__ = lambda self, other: functions.matmul(self, other)
Tracer.__rmatmul__ = lambda self, other: functions.matmul(other, self)
Tracer.__divmod__ = lambda self, other: (self // other, self % other)


def _unsupported_inplace_matmul(self, other):
    raise UnsupportedError(f"in-place matmul (@=) is not supported{at(user_location())}")


Tracer.__imatmul__ = _unsupported_inplace_matmul

assert UnsupportedError  # re-exported for handlers
