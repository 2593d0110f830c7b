"""Arrays a jitted function reads from outside its arguments, read at every call.

Python reads globals, closure variables and attributes when the code runs, so a jitted
function must not keep using the arrays they held when it was traced. An ndarray the
function reads through a global or a closure cell (seen by converted code,
``frontend/convert.py``), or one reached through a static argument (``self.W``) or a
user module that becomes a graph constant (found by identity, ``frontend/reach.py``),
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

import numpy as np

from tracejit.errors import UnsupportedError
from tracejit.frontend.randomness import Snapshots
from tracejit.frontend.reach import Reach, evaluate, needs_arguments, owner_of, path_key, shown
from tracejit.frontend.signature import ArraySpec, prepare_array

ARRAY_TYPES = (np.ndarray, np.memmap)  # captured (subclasses with their own semantics are not)


def value_key(value):
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
    if t is tuple:
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
        dtype, self.shape = spec.aval.dtype, spec.aval.shape
        self.dtype = dtype if spec.strides is None and spec.complex_dtype is None and not spec.scalar else None

    def prepared(self, value):
        """(array to pass, None) or (None, why not)."""
        if type(value) is np.ndarray and value.dtype == self.dtype and value.shape == self.shape:
            flags = value.flags
            if flags.c_contiguous and flags.aligned and value.dtype.isnative:
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


class _Held(_Passed):
    """A view of a captured array's memory, passed as it is while the array at ``path`` is
    still ``base`` (the object it was when traced)."""

    def __init__(self, path, index: int, spec: ArraySpec, view: np.ndarray, base: np.ndarray):
        super().__init__(path, index, spec)
        self.view, self.base = view, base


class _Same:
    """A path holding the same array as argument ``arg`` or as capture ``slot`` did."""

    def __init__(self, path, name: str, arg: int | None, slot: int | None):
        self.path, self.name, self.arg, self.slot = path, name, arg, slot


class _Frozen:
    """An array whose values the trace needed (``if``, ``int()``, a shape): read as a
    constant, guarded by its contents."""

    def __init__(self, path, value: np.ndarray):
        self.path, self.name = path, shown(path)
        self.snapshot = np.array(value, copy=True)

    def same(self, value) -> bool:
        snap = self.snapshot
        if not isinstance(value, np.ndarray) or value.shape != snap.shape or value.dtype != snap.dtype:
            return False
        return bool(np.array_equal(value, snap, equal_nan=snap.dtype.kind in "fc"))


class _Value:
    """A global or closure variable holding a plain value (guarded by ``value_key``)."""

    def __init__(self, path, key):
        self.path, self.key, self.name = path, key, shown(path)


class Guard:
    """The captures of one traced signature, read and checked at every call."""

    def __init__(self, slots: list, n_args: int):
        self.slots = slots
        self.n_args = n_args
        self.needs_arguments = any(needs_arguments(s.path) for s in slots)
        self.names = {s.index: s.name for s in slots if isinstance(s, _Passed)}

    def read(self, statics, originals) -> tuple[list, list] | str:
        """The arrays to pass after the arguments (and the objects behind them), or why
        this signature's trace no longer applies. ``statics``: the call's
        ``BoundCall.static_args`` (None on the positional fast path); ``originals``: the
        caller's argument objects."""
        arrays, objects, seen = [], [], []
        for slot in self.slots:
            try:
                value = evaluate(slot.path, statics)
            except Exception:  # noqa: BLE001 - unset, deleted or no longer an attribute
                return f"{slot.name}: can no longer be read"
            if isinstance(slot, _Value):
                if value_key(value) != slot.key:
                    return f"{slot.name}: {_plain(slot.key)} -> {value!r}"[:200]
            elif isinstance(slot, _Frozen):
                if not slot.same(value):
                    return f"{slot.name}: its values changed (the trace used them)"
            elif isinstance(slot, _Same):
                target = originals[slot.arg] if slot.arg is not None else seen[slot.slot]
                if value is not target:
                    return f"{slot.name}: no longer the same array as {self._what(slot)}"
                seen.append(value)
            elif isinstance(slot, _Held):
                if value is not slot.base:
                    return f"{slot.name}: {shown(slot.path)} was rebound"
                arr, why = slot.prepared(slot.view)
                if why:
                    return why
                arrays.append(arr)
                objects.append(slot.view)
                seen.append(value)
            else:
                arr, why = slot.prepared(value)
                if why:
                    return why
                arrays.append(arr)
                objects.append(value)
                seen.append(value)
        clash = self._clash(objects, originals)
        return clash if clash else (arrays, objects)

    def _what(self, slot: _Same) -> str:
        return f"argument {slot.arg}" if slot.arg is not None else "another captured array"

    def _clash(self, objects: list, originals) -> str | None:
        """Captured arrays must stay distinct from each other and from the argument
        arrays (a write through one must reach the other: traced as one array)."""
        ids = {id(o) for o in originals if isinstance(o, np.ndarray)}
        for slot, obj in zip((s for s in self.slots if isinstance(s, _Passed)), objects):
            if id(obj) in ids:
                return f"{slot.name}: now the same array as an argument or another captured array"
            ids.add(id(obj))
        return None


def _plain(key) -> str:
    t, *rest = key
    if t is float:
        return repr(float.fromhex(rest[0]))
    return repr(rest[0]) if len(rest) == 1 else f"a {t.__name__}"


class Capturer:
    """Trace-time side: makes captured inputs as the traced function reads arrays."""

    def __init__(self, call, bind, freeze: bool, concrete: frozenset = frozenset()):
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

    def watch(self, path: tuple, value) -> None:
        """``value`` (not an array) was read at ``path``: plain values are guarded by
        value; arrays inside objects may be found later by identity."""
        if self.freeze:
            return
        key = value_key(value)
        if key is not None:
            self._record(_Value(path, key))
        else:
            self.reach.add(path, value, 3)

    def load(self, path: tuple, value):
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

    def constant(self, value: np.ndarray):
        """The tracer to use instead of the concrete array ``value`` becoming a graph
        constant, when it is one the function reached from outside (None: a constant)."""
        if self.freeze or id(value) in self._frozen_ids:
            return None
        existing = self._existing(value)
        if existing is not None:
            return existing[0]
        found = self.reach.arrays.get(id(value))
        if found is not None:
            out = self.load(found[0], found[1])
            return out if out is not found[1] else None
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
    """Keys of the captured arrays a traced value whose concrete value was needed (the
    ``TracerConversionError`` ``error``) was computed from."""
    import networkx as nx
    from tracejit.frontend.tracer import Tracer
    tracer, tb = None, error.__traceback__
    while tb is not None:  # the innermost frame of a Tracer method: the value asked for
        candidate = tb.tb_frame.f_locals.get("self")
        if isinstance(candidate, Tracer):
            tracer = candidate
        tb = tb.tb_next
    if tracer is None:
        return set()
    trace, nodes = tracer._home, {tracer._node}
    while True:
        graph = trace.graph.nx
        nodes = set().union(*(nx.ancestors(graph, n) | {n} for n in nodes if n in graph))
        if trace.parent is None:
            break
        outer = {inner: parent for parent, inner in trace.captured.items()}
        nodes = {outer[n] for n in nodes if n in outer}
        trace = trace.parent
    return {path_key(capturer.node_paths[n]) for n in nodes if n in capturer.node_paths}
