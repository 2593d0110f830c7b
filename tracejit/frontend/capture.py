"""Arrays a jitted function reads from outside its arguments, read at every call.

Python reads globals, closure variables and attributes when the code runs, so a jitted
function must not keep using the arrays they held when it was traced. An ndarray the
function reads through a global or a closure cell (seen by converted code,
``frontend/convert.py``), or one reached through a static argument (``self.W``) or a
user module that becomes a graph constant (found by identity, ``frontend/reachable.py``),
is instead a *captured input*: a hidden graph input after the argument arrays, passed by
reference at every call, so in-place changes (``W[:] = 7``, ``self.W -= lr * g``) are
seen and writes the function makes reach it. A view of such an array (``self.W.T``) is
held as it is, by reference, as long as the array it views is still the one its path
holds.

Each capture is re-read by its path at every call and guarded (:class:`Guard`): the
same shape, dtype and layout class -> passed as is; anything else (another shape, a
non-array, an unset name, a rebound base of a held view, two captures or a capture and
an argument that became or stopped being the same array) -> the function is traced
again (``TRACEJIT_LOG=retrace`` says why). Python numbers, strings and None read
through globals and closures are guarded by value (a new value traces again).
Functions, modules, classes and other objects are bound when the function is traced.
``tj.jit(freeze=True)`` turns all of this off: values are read once, when tracing.
"""
from __future__ import annotations

import os

import networkx as nx
import numpy as np

from tracejit.errors import UnsupportedError
from tracejit.frontend.core import Tracer
from tracejit.frontend.randomness import Snapshots
from tracejit.frontend.reachable import Reach, getter, needs_arguments, owner_of, path_key, shown
from tracejit.frontend.signature import ArraySpec, prepare_array

ARRAY_TYPES = (np.ndarray, np.memmap)  # captured (subclasses with their own semantics are not)


def value_key(value: object) -> object:
    """A key telling apart Python values that trace differently, for immutable plain
    values (numbers, strings, None, NumPy scalars, tuples of such); None for others."""
    t = type(value)
    if t in (int, bool, str, bytes) or value is None:
        return (t, value)
    if t is float:
        return (t, value.hex())
    if t is complex:
        return (t, value.real.hex(), value.imag.hex())
    if isinstance(value, np.generic):
        return None if value.dtype.kind == "O" else (t, value.dtype.str, value.tobytes())
    if t is tuple and len(value) <= 64:  # longer ones are bound at trace time (a key per call costs)
        keys = tuple(value_key(v) for v in value)
        return None if any(k is None for k in keys) else (t, keys)
    return None


def _shape_text(key) -> str:
    shape, dtype, strides = key[0], key[1], key[2]
    return f"{np.dtype(dtype)}{list(shape)}" + (f" strides {strides}" if strides else "")


class _Passed:
    """An array read at ``path`` and passed as graph input ``index``."""

    def __init__(self, path, index: int, spec: ArraySpec):
        self.path, self.index, self.key, self.name = path, index, spec.key(), spec.name
        self.get = getter(path)
        dtype, self.shape = spec.aval.dtype, spec.aval.shape
        self.dtype = dtype if spec.strides is None and spec.complex_dtype is None and not spec.scalar else None
        self._last = (None, None)  # the array last found fit as it is, and its dtype object

    def prepared(self, value):
        """(array to pass, None) or (None, why not)."""
        last, last_dtype = self._last
        if value is last and value.dtype is last_dtype and value.shape == self.shape:
            return value, None  # the same array, not reshaped or retyped in place since
        if type(value) is np.ndarray and value.dtype == self.dtype and value.shape == self.shape:
            flags = value.flags
            if flags.c_contiguous and flags.aligned and value.dtype.isnative:
                self._last = (value, value.dtype)
                return value, None
        if not isinstance(value, ARRAY_TYPES):
            return None, f"{self.name}: an array when traced, now a {type(value).__name__}"
        try:
            arr, spec = prepare_array(value, self.name)
        except (TypeError, UnsupportedError) as e:
            return None, f"{self.name}: {e}"
        if spec.key() != self.key:
            return None, f"{self.name}: {_shape_text(self.key)} -> {_shape_text(spec.key())}"
        return arr, None

    def check(self, value, originals, read):
        """None when ``value`` (read at the path now) fits; appends to ``read``."""
        arr, why = self.prepared(value)
        if why:
            return why
        read.append((value, arr))
        return None


class _Held(_Passed):
    """A view of a captured array's memory, passed as it is while the array at ``path`` is
    still ``base`` (the object it was when traced)."""

    def __init__(self, path, index: int, spec: ArraySpec, view: np.ndarray, base: np.ndarray):
        super().__init__(path, index, spec)
        self.view, self.base = view, base

    def check(self, value, originals, read):
        if value is not self.base:
            return f"{self.name}: {shown(self.path)} was rebound"
        arr, why = self.prepared(self.view)
        if why:
            return why
        read.append((self.view, arr))
        return None


class _Same:
    """A path holding the same array as argument ``arg`` or as capture number ``slot``
    (in the order captures are read) did."""

    def __init__(self, path, name: str, arg: int | None, slot: int | None):
        self.path, self.name, self.arg, self.slot = path, name, arg, slot
        self.get = getter(path)

    def check(self, value, originals, read):
        target = originals[self.arg] if self.arg is not None else read[self.slot][0]
        if value is not target:
            return f"{self.name}: no longer the same array as " + (
                f"argument {self.arg}" if self.arg is not None else "another captured array")
        read.append((value, None))
        return None


class _Frozen:
    """An array whose values the trace needed (``if``, ``int()``, a shape): read as a
    constant, guarded by its contents."""

    def __init__(self, path, value: np.ndarray):
        self.path, self.name = path, shown(path)
        self.get = getter(path)
        self.snapshot = np.array(value, copy=True)

    def check(self, value, originals, read):
        snap = self.snapshot
        if not isinstance(value, np.ndarray) or value.shape != snap.shape or value.dtype != snap.dtype \
                or not np.array_equal(value, snap, equal_nan=snap.dtype.kind in "fc"):
            return f"{self.name}: its values changed (the trace used them)"
        return None


class _Value:
    """A global or closure variable holding a plain value (guarded by ``value_key``)."""

    def __init__(self, path, value, key):
        self.path, self.value, self.key, self.name = path, value, key, shown(path)
        self.get = getter(path)

    def check(self, value, originals, read):
        if value is self.value or value_key(value) == self.key:
            return None
        return f"{self.name}: {_plain(self.key)} -> {value!r}"[:200]


class Guard:
    """The captures of one traced signature, read and checked at every call."""

    def __init__(self, slots: list, n_args: int):
        self.slots = slots
        self.n_args = n_args
        self.needs_arguments = any(needs_arguments(s.path) for s in slots)
        self.names = {s.index: s.name for s in slots if isinstance(s, _Passed)}
        self._passed = [s for s in slots if isinstance(s, _Passed)]
        self._checks = [(s.get, s.check, s.name) for s in slots]

    def read(self, statics: object, originals: object) -> tuple[list, list] | str:
        """The arrays to pass after the arguments (and the objects behind them), or why
        this signature's trace no longer applies. ``statics``: the call's
        ``BoundCall.static_args`` (None on the positional fast path); ``originals``: the
        caller's argument objects."""
        read: list = []  # (object, array passed) of each _Passed, _Held and _Same, in order
        for get, check, name in self._checks:
            try:
                value = get(statics)
            except Exception:  # noqa: BLE001 - unset, deleted or no longer an attribute
                return f"{name}: can no longer be read"
            why = check(value, originals, read)
            if why is not None:
                return why
        if not self._passed:
            return [], []
        arrays, objects = [], []
        for obj, arr in read:
            if arr is None:  # a _Same: may be an argument or another capture
                continue
            for other in objects:  # distinct from each other and from the arguments
                if other is obj:
                    return _CLASH
            for other in originals:
                if other is obj:
                    return _CLASH
            objects.append(obj)
            arrays.append(arr)
        return arrays, objects


_CLASH = "a captured array is now the same array as an argument or another captured array"


def _plain(key) -> str:
    t, *rest = key
    if t is float:
        return repr(float.fromhex(rest[0]))
    return repr(rest[0]) if len(rest) == 1 else f"a {t.__name__}"


class Capturer:
    """Trace-time side: makes captured inputs as the traced function reads arrays."""

    def __init__(self, call: object, bind: object, freeze: bool, concrete: frozenset = frozenset()):
        """``bind(index, spec)`` makes the tracer of a new graph input (as for an argument);
        ``concrete``: keys of paths whose values an earlier trace needed (read as constants)."""
        self._bind = bind
        self.freeze = freeze
        self.concrete = concrete
        self._frozen_ids: set[int] = set()
        self.node_paths: dict[int, tuple] = {}  # graph input node of a capture -> its path
        self.next_index = len(call.specs)
        self.n_args = len(call.specs)
        self.specs: list[ArraySpec] = []
        self.slots: list = []
        self._paths: set = set()
        self._by_id: dict[int, tuple] = {}  # id(array) -> (tracer, slot number)
        self._keep: list = []
        self._arg_ids = {id(o): i for i, o in enumerate(call.originals or []) if isinstance(o, np.ndarray)}
        self.arg_tracers: dict[int, object] = {}  # argument array index -> its tracer
        self.snapshots = Snapshots()
        self.reach = Reach(self.snapshots)
        self.converter = None  # frontend/convert.py: set by the trace

    def guard(self) -> Guard | None:
        """What each call must read and check (None: nothing captured)."""
        return Guard(self.slots, self.n_args) if self.slots else None

    def _record(self, slot) -> bool:
        key = path_key(slot.path)
        if key in self._paths:
            return False
        self._paths.add(key)
        self.slots.append(slot)
        return True

    def forget(self, path: tuple) -> None:
        """Stop guarding the plain value at ``path`` (the function assigned it itself)."""
        key = path_key(path)
        self.slots = [s for s in self.slots if not (isinstance(s, _Value) and path_key(s.path) == key)]

    def watch(self, path: tuple, value: object) -> None:
        """``value`` (not an array) was read at ``path``: plain values are guarded by
        value; arrays inside objects may be found later by identity."""
        if self.freeze:
            return
        key = value_key(value)
        if key is not None:
            self._record(_Value(path, value, key))
        else:
            self.reach.add(path, value, 3)

    def load(self, path: tuple, value: object) -> object:
        """What the traced code sees for the array ``value`` read at ``path``: a tracer
        of a captured input (or of the argument that is the same array)."""
        if self.freeze or not isinstance(value, ARRAY_TYPES):
            return value
        if path_key(path) in self.concrete:
            if self._record(_Frozen(path, value)):
                self._frozen_ids.add(id(value))
                self._keep.append(value)
            return value
        existing = self._existing(value)
        if existing is None and path_key(path) in self._paths:
            return value  # rebound while tracing (by another thread): read as it is
        if existing is not None:
            tracer, arg, slot = existing
            self._record(_Same(path, shown(path), arg, slot))
            return tracer
        try:
            _, spec = prepare_array(value, shown(path))
        except (TypeError, UnsupportedError, ValueError):
            return value  # an array tracejit cannot take: it stays a concrete value
        return self._new(_Passed(path, self.next_index, spec), spec, value)

    def _existing(self, value):
        hit = self._by_id.get(id(value))
        if hit is not None:
            return hit[0], None, hit[1]
        arg = self._arg_ids.get(id(value))
        if arg is not None and arg in self.arg_tracers:
            return self.arg_tracers[arg], arg, None
        return None

    def _new(self, slot, spec: ArraySpec, value, key: tuple | None = None):
        number = sum(1 for s in self.slots if not isinstance(s, (_Value, _Frozen)))  # its place among the read objects
        if key is None:
            self._record(slot)
        else:
            self._paths.add(key)
            self.slots.append(slot)
        self.next_index += 1
        self.specs.append(spec)
        tracer = self._bind(slot.index, spec)
        node = getattr(tracer, "_node", None)
        if node is not None and not isinstance(slot, _Held):
            self.node_paths[node] = slot.path
        self._by_id[id(value)] = (tracer, number)
        self._keep.append(value)
        return tracer

    def constant(self, value: np.ndarray) -> object:
        """The tracer to use instead of the concrete array ``value`` becoming a graph
        constant, when it is one the function reached from outside (None: a constant)."""
        if self.freeze or id(value) in self._frozen_ids:
            return None
        found = self.reach.arrays.get(id(value))
        if found is not None:  # guarded at its path (the same array as a capture or argument, maybe)
            out = self.load(found[0], found[1])
            return out if out is not found[1] else None
        existing = self._existing(value)
        if existing is not None:
            return existing[0]
        candidates = self.reach.owners.get(id(owner_of(value)))
        if not candidates:
            return None
        path, base = candidates[0]  # a view of a reachable array's memory: held as it is
        try:
            _, spec = prepare_array(value, f"a view of {shown(path)}")
        except (TypeError, UnsupportedError, ValueError):
            return None
        return self._new(_Held(path, self.next_index, spec, value, base), spec, value, key=("view", id(value)))


def needed_paths(error: Exception, capturer: Capturer) -> set:
    """Keys of the captured arrays that the traced values tracejit was working on when
    ``error`` (a TracerConversionError or UnsupportedError) was raised were computed
    from: read as constants instead, such code works as it did on concrete arrays
    (``int(TABLE[0])``, ``x[MASK].reshape(...)``, ``np.linalg.inv(W)``)."""
    values: list = []
    tb = error.__traceback__
    while tb is not None:  # the operands of the operation that failed: locals of tracejit's frames
        frame = tb.tb_frame
        if frame.f_code.co_filename.startswith(_FRONTEND):
            for v in list(frame.f_locals.values()):
                _traced_parts(v, values, 2)
        tb = tb.tb_next
    found = set()
    for tracer in values:
        trace, nodes = tracer._home, {tracer._node}
        while True:
            graph = trace.graph.nx
            nodes = set().union(*(nx.ancestors(graph, n) | {n} for n in nodes if n in graph))
            if trace.parent is None:
                break
            outer = {inner: parent for parent, inner in trace.captured.items()}
            nodes = {outer[n] for n in nodes if n in outer}
            trace = trace.parent
        found |= {path_key(capturer.node_paths[n]) for n in nodes if n in capturer.node_paths}
    return found


_FRONTEND = os.path.dirname(os.path.abspath(__file__)) + os.sep


def _traced_parts(value, out: list, depth: int) -> None:
    """The tracers ``value`` is or holds (complex parts, a selection's values and mask)."""
    if isinstance(value, Tracer):
        out.append(value)
    elif depth and isinstance(value, (list, tuple)):
        for v in value[:16]:
            _traced_parts(v, out, depth - 1)
    elif depth and type(value).__module__.startswith("tracejit.frontend"):
        for attr in ("re_part", "im_part", "values", "mask"):
            try:
                part = getattr(value, attr, None)
            except Exception:  # noqa: BLE001 - a property that does not apply to this value
                continue
            _traced_parts(part, out, depth - 1)
