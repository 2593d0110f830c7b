"""Native dispatch: calling a jitted function enters generated code without a Python frame.

Each :class:`~tracejit.frontend.api.JitFunction` gets its own subclass whose
``__call__`` is a builtin function made from ``tj_dispatch`` (one function per process,
compiled once and kept in the disk cache like the thread pool). CPython calls it with
the call's arguments and ``self`` set to a capsule holding the function's *slot*::

    slot = {call, context, nargs, descr, nd, dims, release, fallback, hits}

``call`` and ``context`` are the compiled wrapper and context of the function's last
all-array positional signature (``codegen/call.py``), ``descr``/``nd``/``dims`` its
single output's dtype object and shape. ``tj_dispatch`` allocates the output with
NumPy's C API (``PyArray_Empty``), calls the wrapper with the argument objects
themselves (it checks type, dtype, dims, contiguity and alignment natively), releases
the GIL around it when the call moves enough data to be worth it, counts the hit (an
atomic add: exact under concurrent calls) and returns the array. Anything else -- no
slot yet, another arity, keywords, an argument the wrapper
refuses, ``TRACEJIT_DISABLE_JIT`` -- goes to ``fallback`` (the function's Python call
path) through ``PyObject_Vectorcall`` with the same arguments, so behaviour never
depends on which path ran.

The CPython and NumPy entry points are passed in a table at start-up (no symbol of the
interpreter is linked into generated code); the NumPy one is looked up in NumPy's own
C-API header by name, and a probe call checks it before native dispatch is switched on.
"""
from __future__ import annotations

import ctypes
import os
import re
import threading

import numpy as np
from llvmlite import ir

from tracejit.compiler.target import init_llvm
from tracejit.runtime.executable import array_layout_ok

PTR = ir.PointerType()
I32, I64 = ir.IntType(32), ir.IntType(64)
MAX_ARGS = 6  # arities dispatched natively; more arguments take the fallback
SYMBOLS = ["tj_dispatch", "tj_dispatch_configure"]
# the table tj_dispatch_configure receives (addresses), then the "enabled" flag
API = ("PyCapsule_GetPointer", "Py_IncRef", "Py_DecRef", "PyArray_Empty", "PyEval_SaveThread",
       "PyEval_RestoreThread", "PyObject_Vectorcall")
SLOT_FIELDS = ("call", "context", "nargs", "descr", "nd", "dims", "release", "fallback", "hits")
RELEASE_GIL_BYTES = 1 << 16  # calls moving at least this much: the GIL is released around the kernels
METH_FASTCALL, METH_KEYWORDS = 0x80, 0x02


def _field(b: ir.IRBuilder, base: ir.Value, index: int, ty: ir.Type) -> ir.Value:
    return b.load(b.gep(base, [ir.Constant(I64, index)], inbounds=True, source_etype=I64), typ=ty)


def build_module() -> ir.Module:
    """``tj_dispatch(self, args, nargs, kwnames)`` (METH_FASTCALL | METH_KEYWORDS) and
    ``tj_dispatch_configure(api)``."""
    import llvmlite.binding as llvm
    from tracejit.compiler.target import target_machine
    m = ir.Module("tracejit_dispatch")
    m.triple = llvm.get_process_triple()
    m.data_layout = str(target_machine().target_data)
    table = ir.GlobalVariable(m, ir.ArrayType(I64, len(API) + 1), "tj_dispatch_api")
    table.initializer = ir.Constant(table.value_type, [0] * (len(API) + 1))
    table.linkage = "internal"

    conf = ir.Function(m, ir.FunctionType(ir.VoidType(), [PTR]), "tj_dispatch_configure")
    b = ir.IRBuilder(conf.append_basic_block("entry"))
    for i in range(len(API) + 1):
        b.store(_field(b, conf.args[0], i, I64), b.gep(table, [ir.Constant(I64, 0), ir.Constant(I64, i)]))
    b.ret_void()

    fn = ir.Function(m, ir.FunctionType(PTR, [PTR, PTR, I64, PTR]), "tj_dispatch")
    self_, args, nargs, kwnames = fn.args
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    fallback = fn.append_basic_block("fallback")

    def api(name: str, ret: ir.Type, params: list[ir.Type]) -> ir.Value:
        i = API.index(name)
        addr = b.load(b.gep(table, [ir.Constant(I64, 0), ir.Constant(I64, i)]), typ=I64)
        return b.inttoptr(addr, ir.PointerType(ir.FunctionType(ret, params)))

    enabled = b.load(b.gep(table, [ir.Constant(I64, 0), ir.Constant(I64, len(API))]), typ=I64)
    slot = b.call(api("PyCapsule_GetPointer", PTR, [PTR, PTR]), [self_, ir.Constant(PTR, None)])
    call = _field(b, slot, SLOT_FIELDS.index("call"), PTR)
    want = _field(b, slot, SLOT_FIELDS.index("nargs"), I64)
    ready = b.and_(b.icmp_unsigned("!=", enabled, ir.Constant(I64, 0)),
                   b.icmp_unsigned("!=", call, ir.Constant(PTR, None)))
    ready = b.and_(ready, b.icmp_unsigned("==", kwnames, ir.Constant(PTR, None)))
    ready = b.and_(ready, b.icmp_signed("==", nargs, want))
    go = fn.append_basic_block("native")
    b.cbranch(ready, go, fallback)

    b.position_at_end(go)
    descr = _field(b, slot, SLOT_FIELDS.index("descr"), PTR)
    b.call(api("Py_IncRef", ir.VoidType(), [PTR]), [descr])  # PyArray_Empty steals it
    out = b.call(api("PyArray_Empty", PTR, [I32, PTR, PTR, I32]),
                 [b.trunc(_field(b, slot, SLOT_FIELDS.index("nd"), I64), I32),
                  _field(b, slot, SLOT_FIELDS.index("dims"), PTR), descr, ir.Constant(I32, 0)])
    allocated = fn.append_basic_block("allocated")
    failed = fn.append_basic_block("failed")
    b.cbranch(b.icmp_unsigned("==", out, ir.Constant(PTR, None)), failed, allocated)
    b.position_at_end(failed)
    b.ret(ir.Constant(PTR, None))  # MemoryError is set

    b.position_at_end(allocated)
    context = _field(b, slot, SLOT_FIELDS.index("context"), PTR)
    release = b.icmp_unsigned("!=", _field(b, slot, SLOT_FIELDS.index("release"), I64), ir.Constant(I64, 0))
    state = b.alloca(PTR)
    b.store(ir.Constant(PTR, None), state)
    with b.if_then(release):
        b.store(b.call(api("PyEval_SaveThread", PTR, []), []), state)
    result = b.alloca(I32)
    done = fn.append_basic_block("called")
    switch_block = b.block
    cases = []
    for n in range(1, MAX_ARGS + 1):
        case = fn.append_basic_block(f"arity{n}")
        cases.append((n, case))
        b.position_at_end(case)
        objs = [b.load(b.gep(args, [ir.Constant(I64, i)], inbounds=True, source_etype=PTR), typ=PTR)
                for i in range(n)]
        target = b.inttoptr(b.ptrtoint(call, I64), ir.PointerType(ir.FunctionType(I32, [PTR] * (n + 2))))
        b.store(b.call(target, objs + [out, context]), result)
        b.branch(done)
    other = fn.append_basic_block("arity_other")
    b.position_at_end(other)
    b.store(ir.Constant(I32, 1), result)
    b.branch(done)
    b.position_at_end(switch_block)
    sw = b.switch(nargs, other)
    for n, case in cases:
        sw.add_case(ir.Constant(I64, n), case)

    b.position_at_end(done)
    with b.if_then(release):
        b.call(api("PyEval_RestoreThread", ir.VoidType(), [PTR]), [b.load(state)])
    ok = fn.append_basic_block("ok")
    refused = fn.append_basic_block("refused")
    b.cbranch(b.icmp_signed("==", b.load(result), ir.Constant(I32, 0)), ok, refused)
    b.position_at_end(ok)
    hits = b.gep(slot, [ir.Constant(I64, SLOT_FIELDS.index("hits"))], inbounds=True, source_etype=I64)
    b.atomic_rmw("add", hits, ir.Constant(I64, 1), "monotonic")  # exact whatever holds the GIL
    b.ret(out)
    b.position_at_end(refused)  # an argument the wrapper's checks refused
    b.call(api("Py_DecRef", ir.VoidType(), [PTR]), [out])
    b.branch(fallback)

    b.position_at_end(fallback)
    target = _field(b, slot, SLOT_FIELDS.index("fallback"), PTR)
    b.ret(b.call(api("PyObject_Vectorcall", PTR, [PTR, PTR, I64, PTR]), [target, args, nargs, kwnames]))
    return m


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
    try:
        from numpy._core import _multiarray_umath as mu
    except ImportError:  # NumPy 1.x
        from numpy.core import _multiarray_umath as mu  # type: ignore[no-redef]
    capsule = getattr(mu, "_ARRAY_API", None)
    if capsule is None:
        return None
    get = ctypes.pythonapi.PyCapsule_GetPointer
    get.restype, get.argtypes = ctypes.c_void_p, [ctypes.py_object, ctypes.c_char_p]
    return get(capsule, None)


class Dispatcher:
    """The process's native dispatch function and the entry points it calls."""

    def __init__(self):
        from tracejit.runtime import diskcache
        from tracejit.runtime.engine import load_cached
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
        self.compiled, _ = load_cached(diskcache.cache_key("tracejit dispatcher"), SYMBOLS,
                                       lambda: str(build_module()))
        self._configure = ctypes.CFUNCTYPE(None, ctypes.c_void_p)(self.compiled.addresses["tj_dispatch_configure"])
        self._configure(ctypes.addressof(self._api))
        self._def = _MethodDef(b"__call__", self.compiled.addresses["tj_dispatch"], METH_FASTCALL | METH_KEYWORDS,
                               b"Call the compiled function (native dispatch).")
        new_capsule = api.PyCapsule_New
        new_capsule.restype, new_capsule.argtypes = ctypes.py_object, [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_void_p]
        self._new_capsule = new_capsule
        new_function = api.PyCFunction_NewEx
        new_function.restype = ctypes.py_object
        new_function.argtypes = [ctypes.c_void_p, ctypes.py_object, ctypes.py_object]
        self._new_function = new_function

    def set_enabled(self, on: bool) -> None:
        """Native dispatch on or off (``TRACEJIT_DISABLE_JIT``: every call falls back)."""
        self._api[len(API)] = int(on)
        self._configure(ctypes.addressof(self._api))  # the module keeps its own copy

    def function(self, slot: "Slot"):
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

    def __init__(self, fallback):
        self.fields = (ctypes.c_int64 * len(SLOT_FIELDS))()
        self._fallback = fallback  # the Python call path; the slot holds its address
        self.fields[SLOT_FIELDS.index("fallback")] = id(fallback)
        self._keep: dict = {}  # targets installed so far (a call in flight may still use one)

    @property
    def hits(self) -> int:
        return self.fields[SLOT_FIELDS.index("hits")]

    def install(self, target) -> None:
        """Dispatch to ``target`` (an Executable's ``NativeTarget``), or to nothing (None)."""
        f = self.fields
        f[SLOT_FIELDS.index("call")] = 0  # never half-updated: the call goes in last
        if target is None:
            return
        self._keep[id(target)] = target
        for name in ("context", "nargs", "descr", "nd", "dims", "release"):
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
                from tracejit.config import config, on_change
                _dispatcher.set_enabled(not config.disable_jit)
                on_change(lambda name, value: _dispatcher.set_enabled(not value) if name == "disable_jit" else None)
            except Exception:  # noqa: BLE001 - any surprise: the Python call path only
                _failed = True
        return _dispatcher
