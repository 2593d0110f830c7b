"""``tj.jit``: trace once per signature, compile, cache, and call native code."""
from __future__ import annotations

import functools
import inspect
import threading
from dataclasses import dataclass
from typing import Any, Callable, Iterable, NamedTuple

import numpy as np

from tracejit.compile import Request, lower_call, trace_call
from tracejit.config import config, emit_log, log_enabled
from tracejit.errors import StaticNeeded, UnsupportedError, user_error
from tracejit.frontend.argchecks import check_callable, raise_if_bad_argument, static_parameters
from tracejit.frontend.boundary import raise_if_internal
from tracejit.frontend.checks import PrecheckFailed, prechecked, raise_failed, raise_prechecked
from tracejit.frontend.complex.boundary import as_complex
from tracejit.frontend.convert import converted
from tracejit.frontend.eagerfallback import EagerFallback, attempt
from tracejit.frontend.fastkey import keyword_fast_key, positional_fast_key
from tracejit.frontend.fastresults import complex_direct, results_direct, results_run
from tracejit.frontend.hostdynamic import release, take
from tracejit.frontend.lowered import Lowered
from tracejit.frontend.pickling import reduce_function
from tracejit.frontend.retrace import RETRACE_WARNING, describe_change, warn_retraces
from tracejit.frontend.rngslots import run_with
from tracejit.frontend.signature import NestedTrace, bind
from tracejit.frontend.traced_function import TracedFunction
from tracejit.frontend.tree import unflatten
from tracejit.frontend.writeback import write_back
from tracejit.report.env import compiled as report_compilation
from tracejit.runtime import MISS
from tracejit.runtime.counter import Counter
from tracejit.runtime.dispatcher import Slot, dispatcher
from tracejit.runtime.gcpause import paused_gc


class CacheInfo(NamedTuple):
    """What a jitted function's cache did (see :meth:`JitFunction.cache_info`).

    >>> tj.CacheInfo(traces=1, compilations=1, hits=5, disk_hits=0, entries=1)
    CacheInfo(traces=1, compilations=1, hits=5, disk_hits=0, entries=1, reused=0)
    """

    traces: int
    compilations: int
    hits: int
    disk_hits: int
    entries: int
    reused: int = 0


@dataclass
class _Entry:
    traced: TracedFunction
    lowered: Lowered

    def __post_init__(self):
        leaves, tree = self.traced.out_leaves, self.traced.out_tree
        self.direct = None  # positional arrays -> the result, or MISS (see JitFunction.__call__)
        self.native = None  # the same call made by runtime/dispatcher.py
        self.writebacks, self.checks = self.traced.writebacks, self.traced.checks
        self.prechecks = bool(self.checks) and prechecked(self.checks)  # (frontend/donation.py)
        self.guard = self.traced.guard  # captured arrays (frontend/capture.py): read at every call
        self.executable = self.lowered.executable  # loaded already (Compilation.compile)
        fast = not self.writebacks and complex_direct(self.executable, self.traced)  # (complex: the arrays)
        if self.writebacks:  # results go back into the caller's arrays: the general path
            self.run = self._run_and_write_back
        elif (fast and tree.kind == "leaf" and leaves[0].index == 0 and not leaves[0].scalar
              and leaves[0].mask is None and not self.checks and not self.traced.tickets):
            executable = self.executable
            if leaves[0].complex_dtype is None:  # one array result (complex: its pairs, viewed by _results)
                self.run = lambda arrays, originals=None: executable(arrays)[0]
            if self.guard is None:
                self.direct, self.native = executable.direct, executable.native
            elif not self.guard.needs_arguments and executable.direct is not None:
                self.direct = _guarded_direct(self.guard, executable.direct)  # not native: read in Python
        elif fast and self.guard is None and self.executable.direct_all is not None and not self.traced.tickets:
            self.direct = results_direct(self.executable.direct_all, tree, leaves, self.checks)
        if not self.writebacks and not self.traced.tickets and "run" not in self.__dict__:
            run = results_run(self.executable, tree, leaves, self.checks)  # (a prebuilt rebuild of the result)
            if run is not None:
                self.run = run

    def _run_and_write_back(self, arrays, originals=None) -> Any:
        """Run, then write the arguments the function updated back into the caller's
        arrays (``originals``: the objects behind ``arrays``), as eager NumPy would have."""
        originals = arrays if originals is None else originals
        targets = []
        for index, _ in self.writebacks:
            target = originals[index]
            if not isinstance(target, np.ndarray) or not target.flags.writeable:
                raise user_error(ValueError(f"{self._what(index)}: assignment destination is read-only"))
            for j, other in enumerate(originals):
                if j != index and other is not target and isinstance(other, np.ndarray) \
                        and np.may_share_memory(target, other):
                    raise UnsupportedError(
                        f"{self._what(index)} is written and overlaps {self._what(j)} in memory; "
                        "pass separate arrays")
            targets.append(target)
        if self.prechecks:  # range checks of argument indices: before arguments are updated in place
            raise_prechecked(self.checks, arrays)
        outs = self.executable(arrays)
        try:
            back = dict(zip((arg for arg, _ in self.writebacks), targets))
            raise_failed(self.checks, outs, lambda pairs: write_back(back, pairs, outs))
            write_back(back, self.writebacks, outs)
            return self._results(outs, arrays)
        finally:
            if self.traced.tickets:  # host results sized by the data (frontend/hostdynamic.py): dropped
                release(outs, self.traced.tickets)

    def _what(self, index: int) -> str:
        """An input array as error messages name it."""
        name = self.traced.in_specs[index].name
        return f"argument '{name}'" if self.guard is None or index < self.guard.n_args else f"captured array {name}"

    def run(self, arrays, originals=None) -> Any:
        outs = self.executable(arrays)
        try:
            raise_failed(self.checks, outs)
            return self._results(outs, arrays)
        finally:
            if self.traced.tickets:  # host results sized by the data (frontend/hostdynamic.py): dropped
                release(outs, self.traced.tickets)

    def _results(self, outs, arrays) -> Any:
        leaves = []
        for leaf in self.traced.out_leaves:
            if leaf.arg is not None:  # a selection from an argument: compacted from it
                leaves.append(np.asarray(arrays[leaf.arg])[outs[leaf.mask]])
            elif leaf.index is None:
                leaves.append(leaf.value)
            else:
                value = outs[leaf.index]
                if leaf.stashed:  # a host call's data-sized result, as the function returned it
                    leaves.append(take(value))
                    continue
                if leaf.mask is not None:  # a boolean selection: compacted here, with NumPy
                    value = value[outs[leaf.mask]]
                if leaf.complex_dtype is not None:
                    value = as_complex(value, leaf.complex_dtype)
                if leaf.python is not None:  # a Python number eagerly
                    leaves.append(leaf.python(value[()]))
                else:
                    leaves.append(value[()] if leaf.scalar else value)
        return unflatten(self.traced.out_tree, leaves)


def _guarded_direct(guard, direct: Callable) -> Callable:
    """The direct call of a function with captured arrays: they are read and checked, then
    passed after the arguments (MISS: the general path, which traces again if needed)."""
    def call(args: tuple):
        captured = guard.read(None, args)
        if type(captured) is str:
            return MISS
        return direct(args + tuple(captured[0]))
    return call


def _direct_of(entry: _Entry, args: tuple):
    """The entry's direct call when every argument is an array (a Python scalar in the key: compared in Python)."""
    return entry.direct if all(type(x) is np.ndarray for x in args) else None


class _Reentered(Exception):
    """A call of a signature whose trace is in progress on the same thread."""


class JitFunction:
    """A function compiled by tracejit (made by :func:`jit`); call it like the original.
    ``eager`` runs the original with NumPy, ``lower`` shows what a signature compiles to,
    ``cache_info`` counts traces and hits, ``clear_cache`` forgets compiled signatures.

    >>> double = tj.jit(lambda x: x * 2)
    >>> print(double(np.arange(3)), double.eager(np.arange(3)))
    [0 2 4] [0 2 4]
    """

    def __init__(self, fun: Callable, static_argnames: str | Iterable[str] = (),
                 static_argnums: int | Iterable[int] = (), fastmath: bool = False, freeze: bool = False,
                 autograph: bool = True, unroll_loops: bool = False, fallback: bool = True,
                 flush_denormals: bool = False):
        check_callable(fun, "tj.jit: fun")
        functools.update_wrapper(self, fun)
        self.fun = fun
        self.fastmath, self.flush_denormals = bool(fastmath), bool(flush_denormals)
        self.freeze = bool(freeze)
        self._pysig = inspect.signature(fun)
        names = list(self._pysig.parameters)
        static = static_parameters(fun, self._pysig, static_argnames, static_argnums)  # (frontend/argchecks.py)
        self._static = frozenset(static)
        self._names = names
        self._auto_static: frozenset = frozenset()  # scalar arguments whose values the function needs
        self._concrete: set = set()  # captured arrays whose values it needs (frontend/capture.py)
        self._static_positions: frozenset = frozenset()
        params = self._pysig.parameters.values()
        simple = not static and all(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in params)
        self._fast_arity = len(names) if simple else -1
        self._positions = {name: i for i, name in enumerate(names)} if simple else {}  # (keyword_fast_key)
        self._fast_cache: dict[tuple, _Entry] = {}
        self._direct = None  # the direct call of the last all-array positional signature
        self._cache: dict[tuple, _Entry] = {}
        self._lock = threading.RLock()  # re-entered by a host call that calls this function while tracing
        self._building: set = set()  # keys being traced and compiled (under _lock: by the thread holding it)
        self._reentered_logged = False
        self._traces = self._compilations = self._disk_hits = self._reused = 0  # changed under _lock
        self._hits = Counter()  # counted without the lock, exactly, by any number of threads
        self.autograph = bool(autograph)
        self._request = Request(fun, self._pysig, self._static, self.freeze, self._concrete, self.fastmath,
                                self.autograph, bool(unroll_loops), bool(fallback), self.flush_denormals)
        self._last_key = None
        self._slot = None  # native dispatch: set up with the first compiled signature (_enable_native)
        self._native_tried = False

    def _enable_native(self) -> None:
        """Make calls enter generated code first (``runtime/dispatcher.py``), where native
        dispatch works: done with the first compiled signature (under ``_lock``), not at
        decoration, so that decorating loads no llvmlite."""
        self._native_tried = True
        native = dispatcher()
        if native is not None:
            self._slot = Slot(JitFunction.__call__.__get__(self))  # the Python call path
            cls = type(self)
            self.__class__ = type(cls.__name__, (cls,), {"__call__": native.function(self._slot),
                                                         "__module__": cls.__module__, "__slots__": ()})

    def _install(self, entry: "_Entry | None", args: tuple) -> None:
        """Make ``entry``'s direct call the first thing a call tries (when every argument
        is an array), in Python and, with native dispatch, in the dispatcher's slot."""
        self._direct = _direct_of(entry, args) if entry is not None else None
        if self._slot is not None:
            self._slot.install(entry.native if self._direct is not None else None)

    def __call__(self, *args, **kwargs):
        """Call the compiled function (native dispatch: ``type(self).__call__``, the dispatcher's, falls back here)."""
        direct = self._direct
        if direct is not None and not kwargs and not config.disable_jit:
            # the last signature called with positional arrays: its compiled wrapper checks
            # natively that these are arrays of exactly that signature (~1 us in all)
            try:
                result = direct(args)
            except Exception as error:  # a failed run-time check (frontend/fastresults.py) or host call
                self._hits.add()
                raise_if_internal(error, self.fun)
                raise
            if result is not MISS:
                self._hits.add()
                return result
        try:
            return self._call(args, kwargs)
        except PrecheckFailed:  # an index check failed before the call: eager NumPy's own writes and error
            return self.fun(*args, **kwargs)
        except Exception as error:  # a bug inside tracejit leaves as InternalError (frontend/boundary.py)
            raise_if_bad_argument(error, self.fun, self._pysig, self._static, args, kwargs)
            raise_if_internal(error, self.fun)
            raise

    def _call(self, args: tuple, kwargs: dict):
        """Every call the direct path does not take: find (or trace and compile) the signature."""
        if config.disable_jit:
            return self.fun(*args, **kwargs)
        if kwargs:  # (only refused signatures are cached under a keyword key: they take no arrays from it)
            fast = keyword_fast_key(args, kwargs, self._positions, self._static_positions)
            entry = None if fast is None else self._fast_cache.get(fast[0])
            if entry is not None:
                self._hits.add()
                return entry(args, kwargs)
        else:
            fast = positional_fast_key(args, self._fast_arity, self._static_positions)
        if fast is not None and not kwargs:
            entry = self._fast_cache.get(fast[0])
            if entry is not None:
                if type(entry) is EagerFallback:  # a refused signature: the function itself, at once
                    self._hits.add()
                    return entry(args, kwargs)
                if entry.guard is None:
                    self._hits.add()
                    if self._direct is not None or _direct_of(entry, args) is not None:  # (else: nothing to change)
                        self._install(entry, args)
                    return run_with(entry.run, fast[2], fast[1])  # its arrays are the caller's objects
                captured = entry.guard.read(None, fast[1])
                if not isinstance(captured, str):  # else: traced again below
                    self._hits.add()
                    if self._direct is not None and self._direct is not entry.direct:
                        self._install(entry, args)
                    return run_with(entry.run, fast[2], fast[1] + captured[0], fast[1] + captured[1])
        try:
            call, entry, captured = self._entry(args, kwargs, self._compile)
        except NestedTrace:
            return converted(self.fun)(*args, **kwargs)  # called while tracing: inline
        except _Reentered:
            return self._run_reentered(args, kwargs)
        if type(entry) is EagerFallback:  # a signature tracejit refused: run eagerly (frontend/eagerfallback.py)
            if fast is not None:  # (keyed again, as below: later calls of it take the fast path)
                fast = keyword_fast_key(args, kwargs, self._positions, self._static_positions) if kwargs else \
                    positional_fast_key(args, self._fast_arity, self._static_positions)
                if fast is not None:
                    self._fast_cache[fast[0]] = entry
            return entry(args, kwargs)
        if fast is not None and not kwargs and (entry.guard is None or not entry.guard.needs_arguments):
            # keyed again: an argument the trace made static is keyed by its value now
            fast = positional_fast_key(args, self._fast_arity, self._static_positions)
            self._fast_cache[fast[0]] = entry
            self._install(entry, args)
        return run_with(entry.run, call.generators, *call.inputs(captured))  # (generator arguments: rngslots.py)

    def _entry(self, args: tuple, kwargs: dict, make: Callable, count: bool = True) -> tuple:
        """The bound call, its cache entry (made by ``make(call, reason)`` on a miss) and
        the captured arrays it reads (None: none); a trace that needs a scalar argument's
        value makes that argument static and binds again."""
        reason, fresh = None, 0
        while True:
            call = bind(self._pysig, self._static, args, kwargs, self._auto_static)
            entry = self._cache.get(call.key)
            if entry is not None:
                captured = entry.guard.read(call.static_args, call.originals) if entry.guard is not None else None
                if not isinstance(captured, str):
                    if count:
                        self._hits.add()
                    return call, entry, captured
                reason = captured  # a captured array was rebound: traced again
            try:
                made = make(call, reason)
            except StaticNeeded as need:  # a scalar argument's value is needed: static from now on
                self._make_static(need)
                continue
            if not isinstance(made, _Entry) or made.guard is None:
                return call, made, None
            captured = made.guard.read(call.static_args, call.originals)
            if not isinstance(captured, str):
                return call, made, captured
            fresh += 1
            if fresh >= 3:
                raise UnsupportedError(f"{self.fun.__qualname__}: what it reads from outside its arguments "
                                       f"changes at every trace ({captured}); pass it as an argument")
            reason = captured

    def _make_static(self, need: StaticNeeded) -> None:
        """Make the arguments ``need`` names static (their values key the cache) and say why."""
        with self._lock:
            new = need.names - self._auto_static
            if not new:
                raise RuntimeError(f"tracejit: {need} although already static") from need
            self._auto_static |= new
            self._static_positions = frozenset(i for i, n in enumerate(self._names) if n in self._auto_static)
        if log_enabled("retrace"):
            emit_log("retrace", f"{self.fun.__qualname__}: argument(s) {', '.join(sorted(new))} made static: "
                                f"{need.what} needs the value{' (at ' + need.loc + ')' if need.loc else ''}")

    def __get__(self, obj, objtype=None):
        return self if obj is None else functools.partial(self, obj)

    def __repr__(self) -> str:
        return f"<tracejit.jit of {self.fun.__qualname__}>"

    def __reduce__(self) -> str | tuple:
        """Pickled by qualified name where that leads back to it, else as the function and its
        options (``frontend/pickling.py``); no compiled code travels."""
        request = self._request
        return reduce_function(self, JitFunction, (self.fun,), dict(
            static_argnames=tuple(sorted(self._static)), fastmath=self.fastmath, freeze=self.freeze,
            autograph=self.autograph, unroll_loops=request.unroll_loops, fallback=request.fallback,
            flush_denormals=self.flush_denormals))

    def _run_reentered(self, args: tuple, kwargs: dict) -> Any:
        """A call of a signature this thread is tracing now (a host call of the function
        running on placeholders calls it back): run eagerly, as with ``disable_jit``."""
        if not self._reentered_logged:
            self._reentered_logged = True
            emit_log("fallbacks", f"{self.fun.__qualname__} was called again while being traced for the same "
                                  f"signature (from a host call): that call runs eagerly with NumPy")
        return self.fun(*args, **kwargs)

    def _compile(self, call, reason: str | None = None) -> _Entry:
        with self._lock, paused_gc():  # runtime/gcpause.py: the collector would walk the heap again and again
            entry = self._cache.get(call.key)
            if entry is not None and (entry.guard is None or not isinstance(
                    entry.guard.read(call.static_args, call.originals), str)):
                self._hits.add()  # another thread compiled it meanwhile: this call is a hit
                return entry
            if call.key in self._building:  # this thread is tracing this signature (the lock is re-entrant)
                raise _Reentered()
            self._building.add(call.key)
            try:
                return attempt(lambda: self._trace_and_compile(call, reason), self.fun, self._request.fallback,
                               self._cache, call.key)
            finally:
                self._building.discard(call.key)

    def _trace_and_compile(self, call, reason: str | None) -> _Entry:
        """Trace and compile ``call``'s signature (under ``_lock``) and cache its entry."""
        change = reason if reason is not None else describe_change(self._last_key, call.key) if self._cache else ""
        if change and log_enabled("retrace"):
            emit_log("retrace", f"{self.fun.__qualname__}: retracing "
                                f"{'(read from outside its arguments)' if reason else 'for a new signature'}: "
                                f"{change}")
        compilation = trace_call(self._request, call)  # compile.py: the trace, then every other stage
        self._traces += 1
        if self._traces == RETRACE_WARNING + 1:
            warn_retraces(self.fun, change)
        source = compilation.compile(self.fun.__qualname__).source  # compiled now, or found on disk or loaded
        report_compilation(self.fun.__qualname__, compilation)  # stage times (slow ones say so), TRACEJIT_REPORT
        if not self._native_tried:
            self._enable_native()
        if source == "compiled":
            self._compilations += 1
        elif source == "disk":
            self._disk_hits += 1
        else:
            self._reused += 1
        entry = self._cache[call.key] = _Entry(compilation.traced, Lowered(compilation))
        self._last_key = call.key
        return entry

    def eager(self, *args: Any, **kwargs: Any) -> Any:
        """Run the undecorated function with NumPy."""
        return self.fun(*args, **kwargs)

    def lower(self, *args: Any, **kwargs: Any) -> Lowered | EagerFallback:
        """Trace and optimize for these arguments without running (a :class:`Lowered`;
        machine code is compiled when asked for); a refused signature gives its eager fallback.

        >>> lowered = tj.jit(lambda x: np.exp(x).sum()).lower(np.ones(3))
        >>> len(lowered.kernels), lowered.fallbacks
        (1, [])
        """
        def lowered(call, reason=None):  # not cached: lowering runs no code
            return attempt(lambda: Lowered(lower_call(self._request, call)), self.fun, self._request.fallback)

        try:
            _, found, _ = self._entry(args, kwargs, lowered, count=False)
        except Exception as error:  # as in __call__
            raise_if_bad_argument(error, self.fun, self._pysig, self._static, args, kwargs)
            raise_if_internal(error, self.fun)
            raise
        return found.lowered if isinstance(found, _Entry) else found

    def cache_info(self) -> CacheInfo:
        """``traces`` (signatures traced), ``compilations`` (LLVM runs), ``hits`` (calls of a
        cached signature), ``disk_hits`` (code from the disk cache), ``entries`` (cached signatures),
        ``reused`` (code loaded already for the same structure with other sizes).

        >>> f = tj.jit(lambda x: x + 1)
        >>> _ = f(np.ones(3)), f(np.ones(3)), f(np.ones(5))
        >>> info = f.cache_info(); info.traces, info.hits, info.entries
        (2, 1, 2)
        """
        hits = self._hits.value + (self._slot.hits if self._slot is not None else 0)
        return CacheInfo(self._traces, self._compilations, hits, self._disk_hits, len(self._cache), self._reused)

    def clear_cache(self) -> None:
        """Forget every compiled signature (the code stays loaded for the process)."""
        with self._lock:
            self._cache.clear()
            self._fast_cache.clear()
            self._install(None, ())


def jit(fun: Callable | None = None, *, static_argnames: str | Iterable[str] = (),
        static_argnums: int | Iterable[int] = (), fastmath: bool = False,
        freeze: bool = False, autograph: bool = True, unroll_loops: bool = False, fallback: bool = True,
        flush_denormals: bool = False) -> JitFunction | Callable[[Callable], JitFunction]:
    """Compile ``fun`` with tracejit: ``@jit``, ``@jit(static_argnames=...)`` or ``jit(fun, ...)``.

    The first call of a signature (each array's shape, dtype and layout; static values)
    traces ``fun`` into a graph, optimizes and compiles it; later calls run the machine code.
    A new shape traces again but usually reuses the machine code (sizes are run-time
    parameters); code is also kept on disk (``TRACEJIT_CACHE_DIR``) for later processes.
    Python numbers are traced (a new value does not retrace) unless the function needs
    their value (``if n > 0``, a shape), which makes them static. Writes into arguments
    (``a[i] = v``, ``out=``) reach the caller's arrays, as in NumPy. See ``docs/guide/``.

    Args:
      static_argnames, static_argnums: arguments passed as Python values (a new one retraces).
      fastmath: let float arithmetic be reassociated and contracted (FMA); NaN/inf kept.
      freeze: read the arrays and numbers ``fun`` takes from globals, closures and ``self``
        once, as constants (by default arrays are read at every call, by reference).
      autograph: compile Python ``if``/``while``/``for``/``and``/``or``/``not`` on traced
        values to control flow (default); ``False`` traces the code as written.
      unroll_loops: unroll every ``for`` loop with a static trip count (default: short ones).
      fallback: NumPy calls tracejit does not compile run in Python inside the compiled
        program (``lower().fallbacks``), a signature it refuses runs eagerly; ``False``
        raises ``UnsupportedError`` instead.
      flush_denormals: subnormal floats are zeros during a call (FTZ/DAZ, as in XLA's CPU code; see denormals.py).

    >>> import numpy as np, tracejit as tj
    >>> @tj.jit
    ... def f(x, y):
    ...     return np.sin(x) * y + 1.0
    >>> print(np.round(f(np.arange(4.0), 2.0), 3))
    [1.    2.683 2.819 1.282]
    >>> _ = f(np.arange(4.0), 3.0); f.cache_info().traces  # a new scalar value: no retrace
    1
    """
    options = (static_argnames, static_argnums, fastmath, freeze, autograph, unroll_loops, fallback, flush_denormals)
    return (lambda f: JitFunction(f, *options)) if fun is None else JitFunction(fun, *options)
