"""Native dispatch: calling a jitted function enters generated code without a Python frame.

Each :class:`~tracejit.frontend.api.JitFunction` gets its own subclass whose
``__call__`` is a builtin function made from ``tj_dispatch`` (one function per process,
compiled once and kept in the disk cache like the thread pool). CPython calls it with
the call's arguments and ``self`` set to a capsule holding the function's *slot*::

    slot = {call, context, nargs, descr, nd, dims, release, fallback, hits, exclusive, busy}

``call`` and ``context`` are the compiled wrapper and context of the function's last
all-array positional signature (``codegen/call.py``), ``descr``/``nd``/``dims`` its
single output's dtype object and shape. ``tj_dispatch`` allocates the output with
NumPy's C API (``PyArray_Empty``), calls the wrapper with the argument objects
themselves (it checks type, dtype, dims, contiguity and alignment natively), releases
the GIL around it when the call moves enough data to be worth it, counts the hit (an
atomic add: exact under concurrent calls) and returns the array. A program with
temporaries (``exclusive``) runs in the arena block of its target's context, one call at
a time: ``busy`` is claimed by an atomic compare-and-swap and released after the call;
a call finding it claimed (another thread, a call from inside a host call) falls back. Anything else -- no
slot yet, another arity, keywords, an argument the wrapper
refuses, ``TRACEJIT_DISABLE_JIT`` -- goes to ``fallback`` (the function's Python call
path) through ``PyObject_Vectorcall`` with the same arguments, so behaviour never
depends on which path ran.

The CPython and NumPy entry points are passed in a table at start-up (no symbol of the
interpreter is linked into generated code); the NumPy one is looked up in NumPy's own
C-API header by name, and a probe call checks it before native dispatch is switched on.
``tj_dispatch``'s IR is built by ``runtime/dispatchcode.py`` (imported lazily, like the
engine: a function gets native dispatch when its first signature is compiled, and
``import tracejit`` loads no llvmlite).
"""
from __future__ import annotations

import ctypes
import os
import re
import threading
from typing import TYPE_CHECKING, Callable

import numpy as np

try:
    from numpy._core import _multiarray_umath
except ImportError:  # NumPy 1.x
    from numpy.core import _multiarray_umath  # type: ignore[no-redef]

from tracejit.compiler.target import init_llvm
from tracejit.config import config, on_change
from tracejit.runtime import diskcache
from tracejit.runtime.executable import NativeTarget, array_layout_ok

if TYPE_CHECKING:
    from tracejit.runtime.engine import Companion

MAX_ARGS = 6  # arities dispatched natively; more arguments take the fallback
SYMBOLS = ["tj_dispatch", "tj_dispatch_configure"]
# the table tj_dispatch_configure receives (addresses), then the "enabled" flag
API = ("PyCapsule_GetPointer", "Py_IncRef", "Py_DecRef", "PyArray_Empty", "PyEval_SaveThread",
       "PyEval_RestoreThread", "PyObject_Vectorcall")
SLOT_FIELDS = ("call", "context", "nargs", "descr", "nd", "dims", "release", "fallback", "hits", "exclusive", "busy")
METH_FASTCALL, METH_KEYWORDS = 0x80, 0x02


def dispatch_module() -> Companion:
    """The dispatcher's module (compiled with the process's first program, ``engine.Companion``)."""
    from tracejit.runtime.engine import Companion  # deferred: llvmlite, loaded by the first compilation
    return Companion(diskcache.cache_key("tracejit dispatcher"), tuple(SYMBOLS), _dispatch_ir)


def pending() -> bool:
    """Whether native dispatch may still be set up in this process (not yet, and not failed)."""
    return _dispatcher is None and not _failed and array_layout_ok()


def _dispatch_ir() -> str:
    """The IR of ``tj_dispatch``: built only when no compiled one is in the disk cache."""
    from tracejit.runtime import dispatchcode  # deferred: llvmlite.ir, needed only to build it
    return str(dispatchcode.build_module(API, SLOT_FIELDS, MAX_ARGS))


class _MethodDef(ctypes.Structure):
    _fields_ = [("ml_name", ctypes.c_char_p), ("ml_meth", ctypes.c_void_p), ("ml_flags", ctypes.c_int),
                ("ml_doc", ctypes.c_char_p)]


def _numpy_api_index(name: str) -> int | None:
    """The index of ``name`` in NumPy's C-API table, read from NumPy's own header."""
    path = os.path.join(np.get_include(), "numpy", "__multiarray_api.h")
    try:
        with open(path) as f:
            text = f.read()
    except OSError:
        return None
    start = text.find(f"#define {name} \\\n")  # then the function type, then PyArray_API[i]
    if start < 0:
        return None
    match = re.compile(r"PyArray_API\[(\d+)\]").search(text, start, start + 400)
    return int(match.group(1)) if match else None


def _numpy_api_table() -> int | None:
    capsule = getattr(_multiarray_umath, "_ARRAY_API", None)
    if capsule is None:
        return None
    get = ctypes.pythonapi.PyCapsule_GetPointer
    get.restype, get.argtypes = ctypes.c_void_p, [ctypes.py_object, ctypes.c_char_p]
    return get(capsule, None)


class Dispatcher:
    """The process's native dispatch function and the entry points it calls."""

    def __init__(self):
        init_llvm()
        index, table = _numpy_api_index("PyArray_Empty"), _numpy_api_table()
        if index is None or not table:
            raise RuntimeError("NumPy's C-API table or header not found")
        empty = ctypes.c_void_p.from_address(table + 8 * index).value
        _probe_empty(empty)
        api = ctypes.pythonapi
        addresses = [ctypes.cast(getattr(api, name), ctypes.c_void_p).value if name != "PyArray_Empty" else empty
                     for name in API]
        self._api = (ctypes.c_int64 * (len(API) + 1))(*addresses, 1)
        self.compiled = dispatch_module().load()
        self._configure = ctypes.CFUNCTYPE(None, ctypes.c_void_p)(self.compiled.addresses["tj_dispatch_configure"])
        self._configure(ctypes.addressof(self._api))
        self._def = _MethodDef(b"__call__", self.compiled.addresses["tj_dispatch"], METH_FASTCALL | METH_KEYWORDS,
                               b"Call the compiled function (native dispatch).")
        new_capsule = api.PyCapsule_New
        new_capsule.restype = ctypes.py_object
        new_capsule.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_void_p]
        self._new_capsule = new_capsule
        new_function = api.PyCFunction_NewEx
        new_function.restype = ctypes.py_object
        new_function.argtypes = [ctypes.c_void_p, ctypes.py_object, ctypes.py_object]
        self._new_function = new_function

    def set_enabled(self, on: bool) -> None:
        """Native dispatch on or off (``TRACEJIT_DISABLE_JIT``: every call falls back)."""
        self._api[len(API)] = int(on)
        self._configure(ctypes.addressof(self._api))  # the module keeps its own copy

    def function(self, slot: Slot) -> Callable:
        """A builtin function dispatching through ``slot``."""
        capsule = self._new_capsule(ctypes.addressof(slot.fields), None, None)
        return self._new_function(ctypes.addressof(self._def), capsule, None)


def _probe_empty(address: int) -> None:
    """Check that ``address`` is ``PyArray_Empty``: a (3, 5) float32 array comes back."""
    fn = ctypes.PYFUNCTYPE(ctypes.py_object, ctypes.c_int, ctypes.c_void_p, ctypes.py_object, ctypes.c_int)(address)
    dims = (ctypes.c_int64 * 2)(3, 5)
    descr = np.dtype(np.float32)
    ctypes.pythonapi.Py_IncRef(ctypes.py_object(descr))
    arr = fn(2, ctypes.addressof(dims), descr, 0)
    if type(arr) is not np.ndarray or arr.shape != (3, 5) or arr.dtype != np.float32 or not arr.flags.c_contiguous:
        raise RuntimeError("NumPy's PyArray_Empty is not where its header says")


class Slot:
    """What one jitted function's native dispatch calls (see the module docstring)."""

    def __init__(self, fallback: Callable):
        self.fields = (ctypes.c_int64 * len(SLOT_FIELDS))()
        self._fallback = fallback  # the Python call path; the slot holds its address
        self.fields[SLOT_FIELDS.index("fallback")] = id(fallback)
        self._keep: dict = {}  # targets installed so far (a call in flight may still use one)

    @property
    def hits(self) -> int:
        """Calls that native dispatch ran through this slot (counted atomically)."""
        return self.fields[SLOT_FIELDS.index("hits")]

    def install(self, target: NativeTarget | None) -> None:
        """Dispatch to ``target`` (an Executable's ``NativeTarget``), or to nothing (None)."""
        f = self.fields
        f[SLOT_FIELDS.index("call")] = 0  # never half-updated: the call goes in last
        if target is None:
            return
        self._keep[id(target)] = target
        for name in ("context", "nargs", "descr", "nd", "dims", "release", "exclusive"):
            f[SLOT_FIELDS.index(name)] = getattr(target, name)
        f[SLOT_FIELDS.index("call")] = target.call


_dispatcher: Dispatcher | None = None
_failed = False
_lock = threading.Lock()


def dispatcher() -> Dispatcher | None:
    """The process's dispatcher, or None where native dispatch cannot work here."""
    global _dispatcher, _failed
    with _lock:
        if _dispatcher is None and not _failed:
            try:
                if not array_layout_ok():
                    raise RuntimeError("unexpected ndarray layout")
                _dispatcher = Dispatcher()
                _dispatcher.set_enabled(not config.disable_jit)
                on_change(lambda name, value: _dispatcher.set_enabled(not value) if name == "disable_jit" else None)
            except Exception:  # noqa: BLE001 - any surprise: the Python call path only
                _failed = True
        return _dispatcher
