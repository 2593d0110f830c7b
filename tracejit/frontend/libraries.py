"""Functions of other libraries (SciPy, scikit-learn, ...) called from converted code.

NumPy hands tracejit its own functions through ``__array_function__``; a function of
another library gets the traced values themselves and runs as Python: where it is made of
NumPy calls, it is traced (and compiled) through them; where it needs concrete arrays
(``np.asarray`` of a traced value, a C extension), tracing it raises
:class:`TracerConversionError` inside the library. Converted code sees such functions
wrapped (:func:`library_value`; modules as :class:`LibraryModule` proxies, so
``scipy.linalg.solve_triangular(...)`` is wrapped too): the wrapper first looks for a native
handler (:data:`NATIVE`, by the function's public path), then tries the function, and when
it refuses a traced value the call becomes a host call (``frontend/hostcall.py``) run at
run time on concrete arrays (unless ``tj.jit(fallback=False)``); a callback of the user's
the library calls then runs eagerly there too. The first, refused attempt may have run part of the
library function on traced values; it has no effect on the compiled program (nothing it
traced is used), only Python side effects of its own, if any, happen once more.
"""
from __future__ import annotations

import enum
import functools
import inspect
import sys
import types
from collections.abc import Callable
from typing import Any

import numpy as np

from tracejit.errors import TracerConversionError, UnsupportedError, at
from tracejit.frontend.context import user_location
from tracejit.frontend.hostcall import fallback_enabled, host_call
from tracejit.frontend.randomness import ADVICE, captured_generators
from tracejit.frontend.refusals import forget_refused
from tracejit.frontend.rngslots import takes_generator_arguments
from tracejit.frontend.usercode import is_library_file

NATIVE: dict[str, Callable] = {}  # "scipy.linalg.solve_triangular" -> its native handler (may raise UnsupportedError)

_OWN = ("numpy", "tracejit")
_wrapped: dict[int, tuple] = {}  # id(function or object) -> (it, its wrapper or LibraryObject)
_modules: dict[int, tuple] = {}  # id(module) -> (module, proxy)


def _top(name: str) -> str:
    return name.partition(".")[0]


def _is_library_module(module: types.ModuleType) -> bool:
    name = module.__name__
    if _top(name) in _OWN or _top(name) in sys.stdlib_module_names:
        return False
    filename = getattr(module, "__file__", None)
    return isinstance(filename, str) and is_library_file(filename)


_ARRAY_PROTOCOLS = ("__array__", "__array_interface__", "__array_function__", "__array_ufunc__", "__len__",
                    "__iter__")


def _is_library_object(value: object) -> bool:
    """An instance of a library's class that is neither array-like nor a container
    (``scipy.stats.norm``, a frozen distribution): converted code sees it as a :class:`LibraryObject`."""
    t = type(value)
    if isinstance(value, (type, types.ModuleType, np.ndarray, np.generic, enum.Enum)) or _is_routine(value):
        return False
    if any(hasattr(t, name) for name in _ARRAY_PROTOCOLS) or hasattr(value, "ntypes"):
        return False
    module = getattr(t, "__module__", None)
    if not isinstance(module, str) or _top(module) in _OWN or _top(module) in sys.stdlib_module_names:
        return False
    owner = sys.modules.get(module)
    return owner is not None and _is_library_module(owner)


def _is_library_function(value: object) -> bool:
    if not callable(value) or isinstance(value, type):
        return False
    module = getattr(value, "__module__", None)
    if not isinstance(module, str) or _top(module) in _OWN or _top(module) in sys.stdlib_module_names:
        return False
    if module == "builtins" or hasattr(value, "__array_ufunc__") or hasattr(value, "ntypes"):
        return False  # (ufuncs of other libraries reach tracejit through __array_ufunc__)
    code = getattr(value, "__code__", None)
    if code is not None:
        return is_library_file(code.co_filename)
    owner = sys.modules.get(module)
    return owner is not None and _is_library_module(owner)


class LibraryModule(types.ModuleType):
    """A library's module as converted code sees it: its functions wrapped (:func:`library_value`)."""

    def __init__(self, real: types.ModuleType):
        super().__init__(real.__name__, real.__doc__)
        object.__setattr__(self, "_tj_real", real)

    def __getattr__(self, name: str) -> Any:
        real = object.__getattribute__(self, "_tj_real")
        return library_value(getattr(real, name), f"{real.__name__}.{name}")


def _native(fn: Callable) -> Callable | None:
    """The native handler of ``fn``: a :data:`NATIVE` entry whose public path (its module
    loaded already) names ``fn`` itself."""
    for path, handler in NATIVE.items():
        module, _, attr = path.rpartition(".")
        if module in sys.modules and getattr(sys.modules[module], attr, None) is fn:
            return handler
    return None


def _is_routine(value: object) -> bool:
    """A function or method (Python, builtin, Cython), as opposed to a callable object."""
    return inspect.isroutine(value) or hasattr(value, "__code__") or isinstance(value, functools.partial)


class LibraryObject:
    """A library's object (``scipy.stats.norm``, a frozen distribution) as converted code sees
    it: its attributes through :func:`library_value` (``norm.pdf`` wrapped), ``isinstance``
    as the object's own class; passed to a library's function, the object itself."""

    __slots__ = ("_tj_real", "_tj_name")

    def __init__(self, real: object, name: str):
        object.__setattr__(self, "_tj_real", real)
        object.__setattr__(self, "_tj_name", name)

    def __getattr__(self, attr: str) -> Any:
        real = object.__getattribute__(self, "_tj_real")
        return library_value(getattr(real, attr), f"{object.__getattribute__(self, '_tj_name')}.{attr}")

    def __setattr__(self, attr: str, value: object) -> None:
        setattr(object.__getattribute__(self, "_tj_real"), attr, value)

    @property  # type: ignore[misc]
    def __class__(self) -> type:
        """The object's own class (``isinstance(norm, rv_continuous)`` holds)."""
        return type(object.__getattribute__(self, "_tj_real"))

    def __repr__(self) -> str:
        return repr(object.__getattribute__(self, "_tj_real"))

    def __str__(self) -> str:
        return str(object.__getattribute__(self, "_tj_real"))

    def __eq__(self, other: object) -> bool:
        return object.__getattribute__(self, "_tj_real") == _real(other)

    def __hash__(self) -> int:
        return hash(object.__getattribute__(self, "_tj_real"))

    def __bool__(self) -> bool:
        return bool(object.__getattribute__(self, "_tj_real"))


class CallableLibraryObject(LibraryObject):
    """A library's callable object (``scipy.stats.norm(loc, scale)`` freezes it): the call wrapped."""

    __slots__ = ("_tj_call",)

    def __init__(self, real: object, name: str):
        super().__init__(real, name)
        object.__setattr__(self, "_tj_call", _wrap(real, name))

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """The object's own call, wrapped."""
        return object.__getattribute__(self, "_tj_call")(*args, **kwargs)


def _real(value: object) -> object:
    """The library's own object behind a :class:`LibraryObject` (what the library expects as an argument)."""
    return object.__getattribute__(value, "_tj_real") if isinstance(value, LibraryObject) else value


def _wrap(fn: Callable, name: str) -> Callable:
    native = _native(fn)

    @functools.wraps(fn)
    def call(*args: Any, **kwargs: Any) -> Any:
        loc = user_location()
        args = tuple(_real(a) for a in args)
        kwargs = {k: _real(v) for k, v in kwargs.items()}
        args, kwargs, captured = captured_generators(args, kwargs)  # (random_state=G, G a global: drawn at run time)
        if native is not None and not captured:
            try:
                return native(*args, **kwargs)
            except UnsupportedError:
                pass  # (the library's own code, then maybe a host call)
        if captured or takes_generator_arguments(args, kwargs):  # (random_state=rng: drawn at run time, rngslots.py)
            if not fallback_enabled():
                raise UnsupportedError(f"{name} draws from a generator argument{at(loc)}: {ADVICE}")
            return host_call(fn, args, kwargs, "it draws from a generator argument", name)
        try:
            return library_value(fn(*args, **kwargs))  # (a library object it returns: seen wrapped too)
        except TracerConversionError as error:
            if not fallback_enabled():
                raise UnsupportedError(f"{name} needs concrete arrays (it converts a traced argument){at(loc)}; "
                                       "without fallback=False it runs as a host call") from error
            forget_refused()
            return host_call(fn, args, kwargs, "it needs concrete arrays (it converts a traced argument)", name)

    call.__tj_library__ = fn
    return call


def library_value(value: object, name: str | None = None) -> object:
    """What converted code sees for ``value``: a library's module as a :class:`LibraryModule`,
    a library's function wrapped as the module docstring says; other values themselves."""
    if isinstance(value, types.ModuleType):
        if not _is_library_module(value):
            return value
        known = _modules.get(id(value))
        if known is None or known[0] is not value:
            known = _modules[id(value)] = (value, LibraryModule(value))
        return known[1]
    if isinstance(value, LibraryObject):
        return value
    function = _is_library_function(value) and _is_routine(value)
    if not function and not _is_library_object(value):
        return value
    if isinstance(value, types.MethodType):  # (a new bound method at every access: not kept)
        return _wrap(value, name or f"{value.__module__}.{value.__qualname__}")
    known = _wrapped.get(id(value))
    if known is None or known[0] is not value:
        if function:
            path = name or f"{value.__module__}.{getattr(value, '__qualname__', getattr(value, '__name__', '?'))}"
            seen = _wrap(value, path)
        else:
            path = name or f"{type(value).__module__}.{type(value).__qualname__}"
            seen = (CallableLibraryObject if callable(value) else LibraryObject)(value, path)
        known = _wrapped[id(value)] = (value, seen)
    return known[1]
