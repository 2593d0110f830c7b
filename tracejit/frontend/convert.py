"""Running the user's function as a converted copy, so that nothing global is patched.

``np.zeros(n)`` cannot be dispatched to tracejit (no argument is traced), ``np.random``
must be refused while tracing, and arrays read from globals and closures must be read
at call time (``frontend/capture.py``). Instead of replacing anything in NumPy or
``builtins`` (which every thread and library would see), the traced function runs as a
*converted copy*: the same code object (or, with ``autograph``, the code converted from
its source so that its control flow on traced values compiles: ``frontend/autograph/``), with

- globals: a :class:`ProxyGlobals`, a ``dict`` subclass. CPython's ``LOAD_GLOBAL`` on
  globals that are not exactly a ``dict`` asks ``__getitem__`` (3.10 to 3.13), which
  reads the real module dict at each access and maps what it finds (:meth:`Converter.value`):
  ``numpy`` -> :data:`NUMPY` (its ``zeros``/``empty``/``ones``/``full`` are tracejit's (``frontend/allocation.py``),
  the rest NumPy's own), NumPy's creation functions imported by name likewise, Python's
  ``min``/``max``/``sorted`` -> the selecting versions (``frontend/minmax.py``, ``sortedbuiltin.py``), anything of
  ``numpy.random`` -> stand-ins refusing to draw (``frontend/randomness.py``), arrays ->
  captured inputs, the user's functions -> converted copies (made once per trace, so
  helpers in the user's modules are converted too, lazily and recursively);
- closure cells and parameter defaults mapped the same way (new cells only where a
  value changes; nested functions and lambdas made while the copy runs inherit its
  globals, so ``fori_loop``/``cond`` bodies are converted as well).

A write to a global (``global n; n += 1``) lands in the proxy (CPython stores with
``PyDict_SetItem``) and is copied to the module when the trace ends. Code of NumPy,
tracejit, the standard library and installed packages (``frontend/usercode.py``) is
never converted: its own ``np.zeros`` gives NumPy arrays. Code reached through objects
(methods called on ``self``, functions held in containers) is not converted either.
"""
from __future__ import annotations

import builtins
import functools
import math
import types
from typing import Any

import numpy as np

from tracejit.errors import UnsupportedError
from tracejit.frontend.allocation import BY_ORIGINAL, CREATORS
from tracejit.frontend.arraylike import is_complex_value
from tracejit.frontend.autograph.conversion import Converted, closure, converted_code
from tracejit.frontend.context import current_trace
from tracejit.frontend.libraries import library_value
from tracejit.frontend.npobjects import BY_ORIGINAL as NP_BY_ORIGINAL
from tracejit.frontend.npobjects import OBJECTS as NP_OBJECTS
from tracejit.frontend.npobjects import Vectorize, retrying
from tracejit.frontend.operands import is_tracer
from tracejit.frontend.pymath import BY_ORIGINAL as MATH_BY_ORIGINAL
from tracejit.frontend.pymath import MATH
from tracejit.frontend.randomness import attribute, is_random, stand_in
from tracejit.frontend.reachable import CellRoot, DefaultRoot, GlobalRoot
from tracejit.frontend.sites import BY_ORIGINAL as SITE_BY_ORIGINAL
from tracejit.frontend.sites import CREATORS as SITE_CREATORS
from tracejit.frontend.sites import computed
from tracejit.frontend.sortedbuiltin import BUILTINS as SELECTING
from tracejit.frontend.usercode import is_user_function, is_user_module


class _NumpyProxy(types.ModuleType):
    """``numpy`` as converted code sees it."""

    def __init__(self):
        super().__init__("numpy", np.__doc__)
        self.__dict__.update(CREATORS)
        self.__dict__.update(SITE_CREATORS)
        self.__dict__.update(NP_OBJECTS)

    def __getattr__(self, name: str):
        value = attribute(np, name)
        if type(value) is _DISPATCHED:  # (a NumPy function given a list of traced values: npobjects.retrying)
            self.__dict__[name] = value = computed(retrying(value))
        return stand_in(value) if name == "random" else value

    def __dir__(self):
        return dir(np)

    def __repr__(self) -> str:
        return "<module 'numpy' as seen by tracejit's converted code>"


_DISPATCHED = type(np.sum)
NUMPY = _NumpyProxy()


class _UserModule(types.ModuleType):
    """A module of the user's as converted code sees it: its attributes mapped as its
    globals are (``mod.helper(x)`` calls the converted helper, ``mod.W`` is captured)."""

    def __init__(self, real: types.ModuleType, converter: "Converter"):
        object.__getattribute__(self, "__dict__")["_tj_module"] = (real, converter)
        super().__init__(real.__name__)

    def __getattribute__(self, name: str):
        real, converter = object.__getattribute__(self, "__dict__")["_tj_module"]
        namespace = real.__dict__
        if name not in namespace:
            return attribute(real, name)  # __dict__, __class__, a module __getattr__ (PEP 562)
        return converter.value(namespace[name], (GlobalRoot(namespace, name),))

    def __setattr__(self, name: str, value) -> None:
        setattr(object.__getattribute__(self, "__dict__")["_tj_module"][0], name, value)

    def __delattr__(self, name: str) -> None:
        delattr(object.__getattribute__(self, "__dict__")["_tj_module"][0], name)

    def __repr__(self) -> str:
        return f"<module {object.__getattribute__(self, '__name__')!r} as seen by tracejit's converted code>"


class ProxyGlobals(dict):
    """A module's globals as a converted function sees them (see the module docstring).
    Its own items are what the function assigned while tracing (and ``__name__``)."""

    def __init__(self, real: dict, converter: "Converter"):
        super().__init__()
        self._real = real
        self._converter = converter
        self._loaded: dict[str, tuple] = {}  # name -> (value in the module, what the code sees)
        self._name = real.get("__name__")
        dict.__setitem__(self, "__name__", self._name)  # read by MAKE_FUNCTION without __getitem__
        spec = real.get("__builtins__", builtins)
        self._builtins = spec.__dict__ if isinstance(spec, types.ModuleType) else spec
        # read by the functions made on these globals (their frames' builtins, without __getitem__): the
        # same builtins but __import__, so ``from scipy.stats import norm`` inside a function binds what a
        # global import gives converted code (a library's module or function wrapped, numpy's proxy)
        self._own_builtins = dict(self._builtins, __import__=self._import)
        dict.__setitem__(self, "__builtins__", self._own_builtins)

    def _import(self, name: str, globals: Any = None, locals: Any = None, fromlist: Any = (), level: int = 0) -> Any:
        module = self._builtins["__import__"](name, globals, locals, fromlist, level)
        if self._converter.closed or current_trace() is None:
            return module
        return self._converter.value(module, ())

    def __getitem__(self, name: str):
        if dict.__contains__(self, name):
            return dict.__getitem__(self, name)
        try:
            value = self._real[name]
        except KeyError:
            value = self._builtins[name]  # KeyError: CPython then raises NameError
            selecting = SELECTING.get(name)
            return selecting if selecting is not None and value is getattr(builtins, name) else value
        if self._converter.closed or current_trace() is None:
            return value  # called after its trace, or from another thread: plain Python
        hit = self._loaded.get(name)
        if hit is not None and hit[0] is value:
            return hit[1]
        mapped = self._converter.value(value, (GlobalRoot(self._real, name),))
        self._loaded[name] = (value, mapped)
        return mapped

    def get(self, name: str, default: object = None) -> object:
        """``dict.get`` through the mapping of global values (as ``__getitem__``)."""
        try:
            return self[name] if name in self else default
        except KeyError:
            return default

    def __contains__(self, name) -> bool:
        return dict.__contains__(self, name) or name in self._real

    def written(self) -> dict:
        """What the converted code assigned to globals."""
        return {k: v for k, v in dict.items(self) if not (k == "__name__" and v is self._name)
                and not (k == "__builtins__" and v is self._own_builtins)}


class Converter:
    """One trace's converted functions and module proxies."""

    def __init__(self, capturer: object, autograph: bool = True):
        self._capturer = capturer
        self._autograph = autograph  # run the user's functions from converted source (frontend/autograph/)
        self.conversions: list[Converted] = []  # the converted functions this trace ran, first called first
        self._functions: dict[int, tuple] = {}  # id(original) -> (original, converted copy)
        self._proxies: dict[int, ProxyGlobals] = {}  # id(module dict) -> its proxy
        self._modules: dict[int, _UserModule] = {}  # id(user module) -> how converted code sees it
        self._originals: dict[int, object] = {}  # id(converted copy) -> original
        self.closed = False

    def callable(self, fn: object) -> object:
        """``fn`` as the trace should call it: converted when it is the user's function
        (or a bound method or ``functools.partial`` of one)."""
        if is_user_function(fn):
            return self.function(fn)
        if isinstance(fn, types.MethodType) and is_user_function(fn.__func__):
            return types.MethodType(self.function(fn.__func__), fn.__self__)
        if isinstance(fn, functools.partial) and is_user_function(fn.func):
            return functools.partial(self.function(fn.func), *fn.args, **fn.keywords)
        return fn

    def value(self, value: object, path: tuple) -> object:
        """What converted code sees for ``value``, read at ``path`` (a global, a closure
        cell or a default)."""
        if self.closed or current_trace() is None:  # a converted function called after its trace
            return value
        t = type(value)
        if t is np.ndarray or t is np.memmap:
            return self._capturer.load(path, value)
        if t is types.ModuleType:
            if value is np:
                return NUMPY
            if value is math:
                return MATH
            if is_random(value):
                return stand_in(value)
            return self._module(value) if is_user_module(value) else library_value(value)
        if t in (types.FunctionType, types.BuiltinFunctionType):
            creator = BY_ORIGINAL.get(id(value)) or SITE_BY_ORIGINAL.get(id(value)) or MATH_BY_ORIGINAL.get(id(value))
            if creator is not None:
                return creator
            if is_user_function(value):
                return self.function(value)
            if not is_random(value):
                return library_value(value)
        if is_random(value):
            return stand_in(value)
        if id(value) in NP_BY_ORIGINAL and (value is np.vectorize or value is np.r_ or value is np.c_):
            return NP_BY_ORIGINAL[id(value)]
        if t is np.vectorize:
            return Vectorize.of(value)
        if t in (types.MethodType, functools.partial):
            return self.callable(value)
        if t not in (types.FunctionType, types.BuiltinFunctionType, type):
            seen = library_value(value)  # a library's object (scipy.stats.norm): its methods wrapped
            if seen is not value:
                return seen
            self._capturer.watch(path, value)
        return value

    def function(self, fn: types.FunctionType) -> types.FunctionType:
        """The converted copy of the user's function ``fn`` (one per trace)."""
        hit = self._functions.get(id(fn))
        if hit is not None:
            return hit[1]
        later = []  # cells and defaults holding functions: filled once the copy is known (recursion)
        cells = {}
        for name, cell in zip(fn.__code__.co_freevars, fn.__closure__ or ()):
            try:
                contents = cell.cell_contents
            except ValueError:  # not assigned yet
                cells[name] = cell
                continue
            if is_user_function(contents):
                cells[name] = types.CellType()
                later.append((cells[name], contents))
                continue
            mapped = self.value(contents, (CellRoot(cell, name),))
            cells[name] = cell if mapped is contents else types.CellType(mapped)
        code, closure_cells = fn.__code__, tuple(cells.values()) or None
        conversion = converted_code(fn) if self._autograph else None
        if conversion is not None:
            mapped_cells = closure(conversion, cells)
            if mapped_cells is not None or not conversion.code.co_freevars:
                code, closure_cells = conversion.code, mapped_cells
                self.conversions.append(conversion)
        copy = types.FunctionType(code, self._proxy(fn.__globals__), fn.__name__, None, closure_cells)
        self._functions[id(fn)] = (fn, copy)
        self._originals[id(copy)] = fn
        if fn.__defaults__:
            copy.__defaults__ = tuple(self.value(v, (DefaultRoot(fn, i),)) for i, v in enumerate(fn.__defaults__))
        if fn.__kwdefaults__:
            copy.__kwdefaults__ = {k: self.value(v, (DefaultRoot(fn, k),)) for k, v in fn.__kwdefaults__.items()}
        copy.__qualname__, copy.__module__, copy.__doc__ = fn.__qualname__, fn.__module__, fn.__doc__
        copy.__dict__.update(fn.__dict__)
        copy.__tj_original__ = fn  # (a host call runs the user's own function: hostcall.py, npobjects.py)
        for cell, inner in later:
            cell.cell_contents = self.function(inner)
        return copy

    def _module(self, module: types.ModuleType) -> _UserModule:
        proxy = self._modules.get(id(module))
        if proxy is None:
            proxy = self._modules[id(module)] = _UserModule(module, self)
            self._originals[id(proxy)] = module
        return proxy

    def _proxy(self, real: dict) -> ProxyGlobals:
        proxy = self._proxies.get(id(real))
        if proxy is None:
            proxy = self._proxies[id(real)] = ProxyGlobals(real, self)
        return proxy

    def unwrap(self, value: object) -> object:
        """A value converted code assigned, as the rest of the program should see it."""
        if value is NUMPY:
            return np
        return self._originals.get(id(value), value)

    def close(self) -> list[str]:
        """End of the trace: copy the globals the function assigned back to their modules;
        returns the names of those it assigned traced values to (not copied: a traced
        value must not outlive its trace)."""
        self.closed = True
        traced = []
        for proxy in self._proxies.values():
            for name, value in proxy.written().items():
                self._capturer.forget((GlobalRoot(proxy._real, name),))  # its own write: not a guard
                loaded = proxy._loaded.get(name)
                if loaded is not None and loaded[1] is value and loaded[0] is proxy._real.get(name):
                    continue  # `global W; W += x`: the captured array, updated in place
                if is_tracer(value) or is_complex_value(value):
                    traced.append(name)
                else:
                    proxy._real[name] = self.unwrap(value)
        return traced


def converted(fn: object) -> object:
    """``fn`` converted for the trace this thread is recording (``fn`` itself when none):
    a jitted function called on traced values inside another is inlined this way."""
    capturer = getattr(current_trace(), "capturer", None)
    converter = getattr(capturer, "converter", None)
    return fn if converter is None or converter.closed else converter.callable(fn)


def assigned_traced_error(function: str, names: list[str]) -> UnsupportedError:
    """The error for a function that assigned traced values to globals."""
    return UnsupportedError(
        f"{function} assigns a traced array to the global(s) {', '.join(sorted(names))}: it exists only while "
        "tracing; return it instead (or write into an existing global array: G[...] = value)")
