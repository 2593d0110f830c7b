"""Host fallback: a NumPy (or any Python) call tracejit has no handler for runs at run
time, inside the compiled program, as a call back into Python with concrete arrays.

Where the frontend has no handler (``dispatch.py``, ``numpy/ufuncs.py``) or a handler
refuses its arguments, :func:`host_call` records a ``host`` node (``compiler/ops/host.py``)
instead of raising, unless ``tj.jit(fallback=False)``. The call's arguments are
flattened: traced leaves become operands (a complex one as its two real parts), the
rest is static and bound in the Python closure (a ``np.random.Generator`` too: it
draws at run time, from the caller's stream). The results' shapes and dtypes come from
running the real function at trace time on placeholder arrays of the operands' shapes
and dtypes (``frontend/hostplaceholders.py``: no user random stream advances; results of
other layouts on other fillings make the result size data-dependent: refused, naming
the function and line). At run time the callback (``runtime/hostcalls.py``) runs it, and
each result is checked against its traced structure, shapes and dtypes (a dtype cast only
when it keeps every value: ``can_cast(..., "safe")``), a clear error otherwise
(``frontend/hostresults.py``: a reader made once per host call).

Host calls are effects: each takes the previous one's token (its last result) as an
ordering operand, and a loop or branch holding one passes its first result on as the
token, so side effects happen once per call, in program order; passes never merge,
drop or select them away.
"""
from __future__ import annotations

import inspect
import itertools
import operator
import sys
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Callable

import numpy as np

from tracejit.compiler.dtypes import AVal
from tracejit.compiler.ops.host import is_effectful
from tracejit.config import emit_log, log_enabled
from tracejit.errors import UnsupportedError, add_note, at, user_error
from tracejit.frontend.arraylike import METHOD_FALLBACK, complex_support
from tracejit.frontend.context import current_trace, user_location
from tracejit.frontend.core import Trace, Tracer, as_python_scalar
from tracejit.frontend.hostdynamic import dynamic_call
from tracejit.frontend.hostplaceholders import evaluate
from tracejit.frontend.hostresults import ResultCheck, ResultSpec
from tracejit.frontend.hostwrites import WritingCall, writing_call
from tracejit.frontend.operands import python_kind
from tracejit.frontend.rngslots import late_generators
from tracejit.frontend.tree import flatten, unflatten
from tracejit.frontend.versions import storage_of
from tracejit.runtime.hostcalls import callback_address, make_callback

_options = threading.local()
_tokens: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # trace -> its last effect (a Tracer)
_logged: set = set()  # (function, call, line) logged once (TRACEJIT_LOG=fallbacks)
_serial = itertools.count(1)
TOKEN = (np.dtype(np.uint8), ())
_TOKEN_VALUE = np.zeros((), np.uint8)  # (the interpreter's token)
SUPPORTED_KINDS = "biufc"
FOREIGN_UFUNC_MODULES = ("scipy.special",)  # other libraries' ufuncs, named by their module in fallbacks
WRITES_OUT = ("numpy.fft.",)  # functions given their one result's buffer as out= (no copy)


@contextmanager
def fallbacks(flag: bool) -> Iterator[None]:
    """Record unsupported calls as host calls (``flag``) or refuse them while tracing."""
    previous = getattr(_options, "enabled", True)
    _options.enabled = bool(flag)
    try:
        yield
    finally:
        _options.enabled = previous


def fallback_enabled() -> bool:
    """Whether unsupported calls become host calls now (``tj.jit(fallback=...)``, on by default)."""
    return getattr(_options, "enabled", True) and current_trace() is not None


def public_name(func: Any) -> str:
    """``numpy.linalg.inv``-like name of a function, ufunc or method."""
    if isinstance(func, np.ufunc):
        for module in FOREIGN_UFUNC_MODULES:  # (their ufuncs have no __module__: matched by identity)
            if getattr(np, func.__name__, None) is not func and module in sys.modules \
                    and getattr(sys.modules[module], func.__name__, None) is func:
                return f"{module}.{func.__name__}"
        return f"numpy.{func.__name__}"
    owner = getattr(func, "__self__", None)
    name = getattr(func, "__qualname__", None) or getattr(func, "__name__", None) or type(func).__name__
    if owner is not None and not isinstance(owner, type(np)):
        return f"{type(owner).__name__}.{getattr(func, '__name__', name)}"
    module = getattr(func, "__module__", None) or ""
    if module.startswith("numpy._core") or module.startswith("numpy.core") or module == "numpy":
        module = "numpy"
    elif module.startswith("numpy.random"):
        module = "numpy.random"
    return f"{module}.{name}" if module else name


class _Slot:
    """How one operand leaf of the call is rebuilt from its buffer at run time (a complex
    value's buffer holds (real, imaginary) pairs: the callback views it as complex)."""

    def __init__(self, position: int, dtype: np.dtype, shape: tuple, scalar: bool, kind: type | None):
        self.position, self.dtype, self.shape = position, dtype, shape
        self.scalar, self.kind = scalar, kind

    def value(self, out: np.ndarray) -> Any:
        """The leaf from its buffer's array."""
        if self.scalar or self.kind is not None:
            out = out[()]
            if self.kind is not None:
                out = self.kind(out)
        return out


def buffer_of(shape: tuple, dtype: np.dtype) -> tuple:
    """(shape, dtype) of the buffer holding an array: complex as pairs on a last axis of 2
    (the memory of the complex array itself, so the callback views it as one, no copy)."""
    if dtype.kind == "c":
        return tuple(shape) + (2,), np.dtype(dtype.char.lower())
    return tuple(shape), dtype


class HostCall:
    """One host call: the function, its static arguments and the layout of its operands
    and results (what ``compiler/ops/host.py`` reads as ``HostFunction``). Compared by
    identity; its ``repr`` (in the graph text and fingerprint) is unique."""

    def __init__(self, func: Callable, name: str, tree: Any, leaves: list, slots: list[_Slot],
                 out_tree: Any, out_leaves: list, results: list[ResultSpec], loc: str | None, reason: str):
        self.func, self.name, self.tree, self.leaves, self.slots = func, name, tree, leaves, slots
        self.out_tree, self.out_leaves, self.result_leaves = out_tree, out_leaves, results
        self.loc, self.reason = loc, reason
        self.serial = next(_serial)
        self.operand_views = [(s.shape, s.dtype) for s in slots]  # (how the callback sees the buffers)
        self.result_views = [(r.shape, r.dtype) for r in results] + [(TOKEN[1], TOKEN[0])]
        self._callback = None
        where = self._top_level()
        args, kwargs = unflatten(tree, leaves)
        self._fast = None if where is None else (tuple(args), kwargs, [where[s.position] for s in slots])
        self._one = (out_tree.kind == "leaf" and len(results) == 1 and not results[0].scalar
                     and results[0].kind is None)  # one array: checked directly
        self._check = ResultCheck(name, loc, out_tree, out_leaves, results)
        plain = self._fast is not None and not kwargs and all(not s.scalar and s.kind is None for s in slots)
        self._positional = (list(args), [name for _, name in self._fast[2]]) if plain else None
        self._into = plain and self._one and name.startswith(WRITES_OUT) and _takes_out(func)

    def __repr__(self) -> str:
        return f"<fallback {self.name} #{self.serial}>"

    def __copy__(self) -> HostCall:
        return self

    def __deepcopy__(self, memo: dict) -> HostCall:
        return self

    def results(self) -> list:
        """The results' buffers as AVals, the token last."""
        return [AVal(*buffer_of(r.shape, r.dtype)) for r in self.result_leaves] + [AVal(TOKEN[1], TOKEN[0])]

    def keepalive(self) -> Any:
        """What compiled code needs alive: this object (it holds the callback)."""
        return self

    def address(self) -> int:
        """The native callback's address (made on first use)."""
        if self._callback is None:
            self._callback = make_callback(self.run, self.operand_views, self.result_views, self._into)
        return callback_address(self._callback)

    def _top_level(self) -> dict | None:
        """Leaf position -> ("args", index) or ("kwargs", key) when every operand is an
        argument itself (not inside a list): then each call fills a copy of the statics."""
        args_tree, kwargs_tree = self.tree.children
        where, k = {}, 0
        for group, tree, names in (("args", args_tree, range(len(args_tree.children))),
                                   ("kwargs", kwargs_tree, kwargs_tree.keys)):
            for name, child in zip(names, tree.children):
                if child.kind == "leaf":
                    where[k] = (group, name)
                k += child.num_leaves
        if any(slot.position not in where for slot in self.slots):
            return None
        return where

    def call(self, arrays: list, outs: list | None = None) -> Any:
        """The function called on the operands' values ``arrays`` (its raw result); with
        ``outs``, the result buffers' arrays, it writes into the first (``out=``)."""
        if self._positional is not None:  # every operand an array argument by position
            args, where = self._positional
            args = list(args)
            for name, value in zip(where, arrays):
                args[name] = value
            return self.func(*args) if outs is None else self.func(*args, out=outs[0])
        if self._fast is not None:
            args, kwargs = list(self._fast[0]), dict(self._fast[1])
            k = 0
            for slot, (group, name) in zip(self.slots, self._fast[2]):
                value = slot.value(arrays[k]) if slot.scalar or slot.kind else arrays[k]
                k += 1
                if group == "args":
                    args[name] = value
                else:
                    kwargs[name] = value
            return self.func(*args, **kwargs)
        leaves = list(self.leaves)
        k = 0
        for slot in self.slots:
            leaves[slot.position] = slot.value(arrays[k])
            k += 1
        args, kwargs = unflatten(self.tree, leaves)
        return self.func(*args, **kwargs)

    def run(self, arrays: list, outs: list | None = None) -> list:
        """The results' values (the token left out: generated code zeroes it) of the call on
        ``arrays``, checked against the traced shapes and dtypes (``outs``: see :meth:`call`)."""
        try:
            result = self.call(arrays, outs)
        except Exception as error:
            add_note(error, f"(in {self.name}, run in Python by tracejit as a host call{at(self.loc)})")
            raise
        if self._one and type(result) is np.ndarray:
            want = self.result_leaves[0]
            if result.shape == want.shape and result.dtype == want.dtype:
                return [result]
        return self._check(result)

    def evaluate(self, values: list) -> tuple:
        """The results' buffers on concrete operand buffers (the interpreter's reference)."""
        arrays = [np.ascontiguousarray(v).view(s.dtype)[..., 0] if s.dtype.kind == "c" else np.asarray(v)
                  for s, v in zip(self.slots, values)]
        outs = self.run(arrays) + [_TOKEN_VALUE]
        return tuple(np.stack([r.real, r.imag], -1) if np.iscomplexobj(r) else r for r in outs)


def _interleaved(re: Tracer, im: Tracer, part: np.dtype) -> Tracer:
    """The traced (real, imaginary) pairs of a complex operand (shape ``re.shape + (2,)``)."""
    re, im = (x.astype(part) if x.dtype != part else x for x in (re, im))
    return np.concatenate([re[..., None], im[..., None]], axis=-1)


def _takes_out(func: Callable) -> bool:
    try:
        return "out" in inspect.signature(func).parameters
    except (TypeError, ValueError):
        return False


def _trace_of(leaves: list) -> Trace:
    trace = current_trace()
    if trace is None:
        trace = next(leaf._trace for leaf in leaves if isinstance(leaf, Tracer))
    return trace


def order_token(trace: Trace) -> Tracer | None:
    """The last effect recorded in ``trace`` or, before any there, in the traces enclosing it."""
    t = trace
    while t is not None:
        token = _tokens.get(t)
        if token is not None:
            return token
        t = t.parent
    return None


def after_control(trace: Trace, graphs: list, results: list) -> None:
    """A loop or branch whose ``graphs`` hold host calls orders later effects after it
    (its first result ``results[0]`` becomes ``trace``'s token)."""
    if results and any(is_effectful(g) for g in graphs):
        first = next((r for r in results if isinstance(r, Tracer)), None)
        if first is not None:
            _tokens[trace] = first


def _layout(result: Any) -> tuple:
    """(tree, leaves with arrays as :class:`ResultSpec`, the ResultSpecs, a comparable key)."""
    leaves, tree = flatten(result)
    shown, results, key = [], [], [repr(tree)]
    for leaf in leaves:
        if isinstance(leaf, (np.ndarray, np.generic, bool, int, float, complex)):
            arr = np.asarray(leaf)
            r = ResultSpec(arr.shape, arr.dtype, isinstance(leaf, np.generic), python_kind(leaf))
            r.view = type(leaf) is np.ndarray and not leaf.flags.writeable  # (the placeholders are read-only)
            shown.append(r)
            results.append(r)
            key.append((arr.shape, arr.dtype.str, type(leaf).__name__))
        else:
            shown.append(leaf)
            key.append(repr(leaf))
    return tree, shown, results, key


def host_call(func: Callable, args: tuple, kwargs: dict, reason: str, name: str | None = None) -> Any:
    """Record ``func(*args, **kwargs)`` (traced arguments among them) as a host call run at
    run time; returns its traced result. ``reason``: why it is not compiled natively."""
    loc = user_location()
    name = name or public_name(func)
    leaves, tree = flatten((tuple(args), dict(kwargs)))
    leaves = [getattr(leaf, "__tj_original__", leaf) if callable(leaf) else leaf for leaf in leaves]  # (user
    # functions the call runs, np.apply_along_axis(f, ...): the user's own, not the slower converted copies)
    func, leaves = late_generators(func, args, kwargs, leaves)  # (random_state=rng: this call's, rngargs.py)
    if "out" in kwargs and kwargs["out"] is not None:
        raise UnsupportedError(f"{name} with out= cannot run as a host call ({reason}){at(loc)}")
    trace = _trace_of(leaves)
    operands, slots, static = [], [], list(leaves)
    for i, leaf in enumerate(leaves):
        pair = complex_support().split(leaf) if not isinstance(leaf, (Tracer, np.ndarray, np.generic)) else None
        if isinstance(leaf, Tracer):
            operands.append(leaf)
            slots.append(_Slot(i, leaf.dtype, leaf.shape, leaf._scalar, python_kind(leaf)))
        elif pair is not None and isinstance(pair[0], Tracer):
            re, im = pair
            dtype = np.result_type(re.dtype, np.complex64)
            operands.append(_interleaved(re, im, buffer_of((), dtype)[1]))
            slots.append(_Slot(i, dtype, re.shape, bool(getattr(leaf, "_scalar", False)),
                               complex if getattr(leaf, "_weak", None) is complex else None))
        else:
            continue
        static[i] = None
    fills = [(s.position, AVal(s.shape, s.dtype), s.scalar, s.kind) for s in slots]
    outcomes = evaluate(func, name, tree, static, fills)
    good = [r for r, e in outcomes if e is None]
    for r in good[:1]:  # (before comparing fillings: objects of other kinds never compare equal)
        for leaf in flatten(r)[0]:
            if not isinstance(leaf, (np.ndarray, np.generic, bool, int, float, complex, str, bytes, np.dtype,
                                     type(None))):
                raise UnsupportedError(f"{name} returns a {type(leaf).__name__}, which a host call cannot "
                                       f"return (arrays, numbers, tuples, lists and dicts of them only) ({reason})"
                                       f"{at(loc)}")
    if not good:  # as eagerly for these shapes and dtypes (a shape error, say)
        error = outcomes[0][1]
        if isinstance(error, ValueError) and "read-only" in str(error):
            if isinstance(func, WritingCall):  # (it writes a concrete array too: one NumPy made while tracing)
                raise UnsupportedError(f"{name} writes into an array argument, which a host call cannot do "
                                       f"({reason}){at(loc)}")
            return writing_call(host_call, func, args, kwargs, reason, name, loc)  # (on copies, written back)
        add_note(error, f"(tracejit: {name} called on placeholder arrays of its arguments' shapes and dtypes"
                       f"{at(loc)})")
        raise user_error(error)
    layouts = [_layout(r) for r in good]
    if any(layout[3] != layouts[0][3] for layout in layouts[1:]):
        for leaf in leaves:  # a Python int argument sizing the result (n in rng.random(n)): made static
            if isinstance(leaf, Tracer) and leaf._scalar and python_kind(leaf) is int \
                    and getattr(leaf, "_origins", None):
                operator.index(leaf)  # (raises: traced again with its value, once per value)
        return dynamic_call(host_call, func, args, kwargs, reason, name, good, loc, trace)  # (or refused there)
    out_tree, out_leaves, results, _ = layouts[0]
    for r in results:
        if r.dtype.kind not in SUPPORTED_KINDS or r.dtype.itemsize > 16 \
                or r.dtype.kind == "c" and r.dtype.itemsize > 16:
            raise UnsupportedError(f"{name} returns an array of dtype {r.dtype}, which tracejit does not "
                                   f"support ({reason}){at(loc)}")
    host = HostCall(func, name, tree, static, slots, out_tree, out_leaves, results, loc, reason)
    return _record(trace, host, operands, loc)


def _record(trace: Trace, host: HostCall, operands: list, loc: str | None) -> Any:
    """Add the host node and its results to ``trace``; returns the traced result."""
    token = order_token(trace)
    order = [] if token is None else [token]
    nodes = [trace.node_of(x, loc) for x in order + operands]
    node = trace.graph.add("host", nodes, attrs={"host": host, "n_order": len(order)}, loc=loc)
    outs = []
    for i, aval in enumerate(host.results()):
        outs.append(trace.graph.add("loop_out", [node], attrs={"index": i, "shape": aval.shape, "dtype": aval.dtype},
                                    loc=loc))
    _tokens[trace] = Tracer(trace, outs[-1])
    values = []
    for r, out in zip(host.result_leaves, outs):
        scalar = r.scalar or r.kind is not None
        if r.dtype.kind == "c":
            pairs = Tracer(trace, out)
            value = complex_support().join(*(Tracer(trace, trace.node_of(pairs[..., j]), scalar=scalar)
                                             for j in (0, 1)))
        else:
            value = Tracer(trace, out, scalar=scalar)
            if r.kind is bool:
                value = as_python_scalar(value)
            elif r.kind is not None:
                value._weak = r.kind
        if r.view:  # eagerly a view of an argument: a write into it would reach the argument
            for part in complex_support().split(value) or (value,):
                storage_of(part).read_only = f"the result of {host.name} (a view of its argument)"
        values.append(value)
    it = iter(values)
    leaves = [next(it) if isinstance(leaf, ResultSpec) else leaf for leaf in host.out_leaves]
    _log(trace, host)
    return unflatten(host.out_tree, leaves)


def _log(trace: Trace, host: HostCall) -> None:
    root = trace
    while root.parent is not None:
        root = root.parent
    key = (root.graph.name, host.name, host.loc)
    if log_enabled("fallbacks") and key not in _logged:
        _logged.add(key)
        emit_log("fallbacks", f"{root.graph.name}: {host.name}{at(host.loc)} runs in Python (host call): "
                              f"{host.reason}")


def fallbacks_of(graph: Any) -> list[tuple[str, str | None, str]]:
    """(function, user line, reason) of each host call in ``graph``, loops and branches included."""
    found = []
    for nid in sorted(graph.nx.nodes):
        attrs = graph.attrs(nid)
        if graph.op(nid) == "host":
            h = attrs["host"]
            found.append((h.name, h.loc, h.reason))
        for key in ("cond", "body", "true", "false"):
            if key in attrs and hasattr(attrs[key], "graph"):
                found.extend(fallbacks_of(attrs[key].graph))
    seen, out = set(), []
    for item in found:
        if item not in seen:
            seen.add(item)
            out.append(item)
    return out


def method_host_call(value: Any, name: str) -> Callable | None:
    """ndarray method ``name`` of traced ``value`` (one tracejit has no handler for) as a
    function recording a host call, or None (fallback off, or not a method)."""
    method = getattr(np.ndarray, name, None)
    if not fallback_enabled() or not callable(method) or isinstance(method, type):
        return None
    return lambda *args, **kwargs: host_call(method, (value,) + args, kwargs, f"ndarray.{name} has no native handler",
                                             f"ndarray.{name}")


METHOD_FALLBACK["hook"] = method_host_call
