"""The core of tracing: a :class:`Trace` records a graph; a :class:`Tracer` is an abstract
array (shape, dtype) standing in for an ndarray while a function is traced, its value a
node of a trace's graph.

Layers above this one give the Tracer its NumPy behaviour: ``frontend/dispatch.py`` routes
``__array_function__``/``__array_ufunc__`` to the handlers of ``frontend/numpy/``, and
``frontend/numpy/methods.py`` installs the Tracer's own ndarray methods, the Python operators
and the real handler table its base (``frontend/arraylike.py``: what real and complex values
share, the ndarray methods that are NumPy functions included) runs. Here: the trace, how
values become graph nodes, the abstract value, and the conversions to concrete values that
tracing refuses.
"""
from __future__ import annotations

import hashlib

import numpy as np

from tracejit.compiler.dtypes import AVal, check_supported
from tracejit.compiler.graph import Graph
from tracejit.errors import (
    StaticNeeded,
    TraceError,
    TracerConversionError,
    UnsupportedError,
    at,
    user_error,
    with_location,
)
from tracejit.frontend.arraylike import ArrayLike
from tracejit.frontend.context import current_trace, user_location
from tracejit.frontend.refusals import note_refused
from tracejit.frontend.versions import redirected, refresh


def content_digest(value: np.ndarray) -> bytes:
    """A digest of ``value``'s elements (in C order): whether an array was written since."""
    return hashlib.blake2b(np.ascontiguousarray(value).view(np.uint8).reshape(-1), digest_size=16).digest()


class Trace:
    """One tracing session: the graph being built and its constants."""

    def __init__(self, name: str, parent: "Trace | None" = None, n_args: int = 0):
        self.graph = Graph(name)
        self._constants: dict = {}
        self._keepalive: list = []
        # A loop body or branch (frontend/control.py): traced inside ``parent``; its first
        # ``n_args`` inputs are its arguments, the others values of enclosing traces it reads.
        self.parent = parent
        self.n_args = n_args
        self.captured: dict[int, int] = {}  # parent node -> input node here
        self.closed = False  # a sub-trace whose function has returned
        # Arrays of enclosing traces a loop body writes without assigning them (``out[t] = v``):
        # their storage -> the carried stand-in its reads and writes here go to (frontend/versions.py).
        self.redirects: dict = {}
        self.redirect_reads: set = set()  # the keys of ``redirects`` a value of an enclosing trace was read by
        self.notes: list[str] = []  # (the root trace's) what lower() shows: loops rolled or unrolled, why
        # Arrays the function reached from outside its arguments become captured inputs
        # of the outermost trace instead of constants (frontend/capture.py).
        self.capturer = parent.capturer if parent is not None else None

    def encloses(self, other: "Trace") -> bool:
        """Whether ``other`` is this trace or one this trace runs inside."""
        t = self
        while t is not None:
            if t is other:
                return True
            t = t.parent
        return False

    def _capture(self, x, loc: str | None) -> int:
        """The input node standing for ``x``, a value of an enclosing trace."""
        if self.parent is None or not self.parent.encloses(x._home):
            raise TraceError("a traced value from another trace was used (a tracer leaked "
                             f"out of its jitted function, loop body or branch, e.g. through a global){at(loc)}")
        outer = self.parent.node_of(x, loc)
        nid = self.captured.get(outer)
        if nid is None:
            aval = self.parent.graph.aval(outer)
            index = self.n_args + len(self.captured)
            nid = self.captured[outer] = self.graph.add_input(index, f"captured{index}", aval, loc=loc)
        return nid

    def apply(self, op: str, operands: list, attrs: dict | None = None, scalar: bool = False) -> Tracer:
        """Record ``op`` applied to ``operands`` (tracers or arrays); returns a Tracer."""
        loc = user_location()
        if self.closed:
            raise TraceError(f"a traced value of a loop body or branch was used after it returned{at(loc)}")
        nodes = [self.node_of(x, loc) for x in operands]
        try:
            nid = self.graph.add(op, nodes, attrs=attrs, loc=loc)
        except (ValueError, TypeError, IndexError) as e:
            raise with_location(e, loc) from e
        aval = self.graph.aval(nid)
        return Tracer(self, nid, scalar=scalar and len(aval.shape) == 0)

    def node_of(self, x: object, loc: str | None = None) -> int:
        """The graph node holding ``x``: a tracer's own node, or a constant for an array."""
        if isinstance(x, Tracer):
            if x._home is not self:
                moved = redirected(self, x) if x._storage is not None else None
                return self._capture(x, loc) if moved is None else self.node_of(moved, loc)
            if x._storage is not None:  # a view of an array written since: read its new version
                refresh(x)
            return x._node
        if isinstance(x, (np.ndarray, np.generic)):
            return self.constant(np.asarray(x), loc)
        raise UnsupportedError(f"cannot use a value of type {type(x).__name__} as an array "
                               f"operand{at(loc)}")

    def constant(self, value: np.ndarray, loc: str | None = None) -> int:
        """A constant node for ``value``; the same array object or scalar maps to one node.
        An array the function reached from outside (``self.W``) is a captured input instead."""
        if self.capturer is not None and type(value) is np.ndarray:
            found = self.capturer.constant(value)
            if isinstance(found, Tracer):
                return self.node_of(found, loc)
        if value.dtype.byteorder not in "=|":  # captured big-endian data: native copy
            value = value.astype(value.dtype.newbyteorder("="))
        check_supported(value.dtype, f"constant array{at(loc)}")
        if value.size <= 1:
            key = ("scalar", value.dtype.str, value.shape, value.tobytes())
        else:  # the same object, unless it was written since (a NumPy array the function made)
            key = ("array", id(value), value.dtype.str, value.shape, content_digest(value))
            self._keepalive.append(value)  # ids stay unique while the trace lives
        nid = self._constants.get(key)
        if nid is None:
            nid = self._constants[key] = self.graph.add_constant(value, loc=loc)
        return nid

    def weak_scalar(self, value: object, dtype: np.dtype) -> Tracer:
        """A Python scalar as a constant of the dtype NumPy 2 promotion gave it."""
        loc = user_location()
        try:
            arr = np.asarray(value, dtype=dtype)
        except OverflowError as e:
            raise with_location(e, loc) from e
        return Tracer(self, self.constant(arr, loc))


_CONTROL_FLOW_HINT = (
    "The value depends on the function's array arguments, so it is not known while tracing. "
    "Use np.where(cond, a, b) for data-dependent selection, make the argument static "
    "(tj.jit(static_argnames=...)), or run the function eagerly with f.eager(...). "
    "For data-dependent loops and branches use tj.while_loop, tj.fori_loop and tj.cond.")


class Tracer(ArrayLike):
    """A traced array. Holds its trace, its graph node and its abstract value (the ndarray
    surface it shares with complex values: ``frontend/arraylike.py``)."""

    __slots__ = ("_home", "_node", "_scalar", "_storage", "_path", "_version", "_weak", "_origins", "_ambiguous",
                 "_affine", "__weakref__")
    __array_priority__ = 1000

    def __init__(self, trace: Trace, node: int, scalar: bool = False):
        self._home = trace  # the trace whose graph holds ``_node``
        self._node = node
        self._scalar = scalar  # NumPy would return a scalar (not a 0-d array) here
        # What writes go to (frontend/versions.py): the storage (None: created when
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
        self._affine = None  # an integer scalar's affine form and known range (frontend/affine.py)

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
        """The abstract value (shape and dtype) of this array."""
        return self._home.graph.aval(self._node)

    shape = property(lambda self: self.aval.shape)
    dtype = property(lambda self: self.aval.dtype)

    def __repr__(self) -> str:
        loc = self._home.graph.loc(self._node)
        return f"Tracer<{self.aval}> %{self._node}" + (f" from {loc}" if loc else "")

    # -- NumPy protocols: ``__array_function__`` and ``__array_ufunc__`` are installed by
    # ``frontend/dispatch.py``, the ndarray methods and Python operators by
    # ``frontend/numpy/methods.py`` (both build on this module)
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

    def __trunc__(self):
        self._concrete("math.trunc()")

    def __floor__(self):
        self._concrete("math.floor()")

    def __ceil__(self):
        self._concrete("math.ceil()")

    def __format__(self, spec: str) -> str:
        # f"{acc:.3f}" needs the value (object.__format__ raised a bare TypeError), and so does
        # f"W{i}" of a traced number (a rolled loop's index): its repr is never the text Python gives,
        # and failing here lets the loop unroll; an array's f"{x}" stays its repr, as in JAX
        if self._origins or spec or self.ndim == 0:
            self._concrete("formatting (f-string, str.format)")
        return super().__format__(spec)

    def __hash__(self):
        if self._origins:
            self._concrete("hashing (a dict key, a set)")
        return super().__hash__()


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


def run_time_int(trace: Trace, value: int) -> Tracer:
    """``value`` (a length, a trip count) as a traced weak int that compiled code reads from its
    size table (op ``size``): programs that differ only in it share machine code
    (``compiler/generic_sizes.py``), where a constant would make each value compile again."""
    t = trace.apply("size", [], {"value": int(value)}, scalar=True)
    t._weak = int
    return t
