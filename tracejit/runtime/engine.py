"""Turning LLVM IR into machine code: verify, optimize at O3 for the host CPU with the
new pass manager (loop and SLP vectorization on), and load into the process's one
MCJIT engine (created lazily, used under a lock).

A program's module may come in parts (``compiler/codegen/split.py``), each with its own
optimization level: they are optimized and turned into object code at once, one thread
each (:mod:`tracejit.runtime.parallel_llvm`), and loaded together."""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Callable

import llvmlite.binding as llvm

from tracejit.compiler.target import init_llvm, jit_features, target_machine
from tracejit.compiler.target import optimize_module as optimize_for
from tracejit.config import emit_log, log_enabled
from tracejit.runtime import diskcache, objcheck
from tracejit.runtime.parallel_llvm import compile_parts
from tracejit.stagetimes import stage

Parts = list[tuple[str, int]]  # a module's parts: (IR text, optimization level)

_lock = threading.Lock()
_engine = None
_stats = {"compilations": 0, "seconds": 0.0, "disk_loads": 0}


def _get_engine():
    global _engine
    if _engine is None:
        init_llvm()
        _engine = llvm.create_mcjit_compiler(llvm.parse_assembly(""), target_machine())
    return _engine


def optimize_module(mod: llvm.ModuleRef, level: int = 3) -> None:
    """O3 (or ``level``) for the host with loop and SLP vectorization, unrolling and interleaving."""
    optimize_for(mod, target_machine(), level)


@dataclass
class CompiledModule:
    """Machine code for one module, with its IR before and after optimization. A module
    loaded from the disk cache builds its IR (and from it the optimized IR and the
    assembly) only when asked, through ``build_ir``."""

    addresses: dict[str, int]
    seconds: float
    from_disk: bool = False
    build_ir: Callable[[], str] | None = field(default=None, repr=False)
    build_parts: Callable[[], Parts] | None = field(default=None, repr=False)  # the parts it was compiled from
    _llvm_ir: str | None = field(default=None, repr=False)
    _optimized_ir: list[str] | None = field(default=None, repr=False)  # per part
    _asm: str | None = field(default=None, repr=False)
    features: str = field(default_factory=jit_features)  # the host features it was compiled for (tj.config.isa)

    @property
    def llvm_ir(self) -> str:
        """The module's LLVM IR as generated (built now for code loaded from disk)."""
        if self._llvm_ir is None:
            self._llvm_ir = self.build_ir()
        return self._llvm_ir

    def _optimized_parts(self) -> list[str]:
        """The optimized IR of each part (of the whole module when it was compiled whole)."""
        if self._optimized_ir is None:
            texts = []
            for text, level in (self.build_parts() if self.build_parts else [(self.llvm_ir, 3)]):
                mod = llvm.parse_assembly(text)
                optimize_for(mod, target_machine(self.features), level)
                texts.append(str(mod))
            self._optimized_ir = texts
        return self._optimized_ir

    @property
    def optimized_ir(self) -> str:
        """The module's LLVM IR after O3 (optimized again now, part by part at each part's
        level when it was compiled in parts)."""
        return "\n".join(self._optimized_parts())

    @property
    def asm(self) -> str:
        """Host assembly, generated on demand from the optimized IR (of each part)."""
        if self._asm is None:
            self._asm = "\n".join(target_machine(self.features).emit_assembly(llvm.parse_assembly(text))
                                   for text in self._optimized_parts())
        return self._asm


def _addresses(engine, symbols: list[str]) -> dict[str, int]:
    addresses = {name: engine.get_function_address(name) for name in symbols}
    missing = [name for name, address in addresses.items() if not address]
    if missing:
        raise RuntimeError(f"tracejit: compiled code lacks {missing}")
    return addresses


def _link(obj: bytes, symbols: list[str], counter: str) -> dict[str, int]:
    """Load object code (one object file or a bundle, ``objcheck.bundle``) into the process's
    engine; the addresses of ``symbols``."""
    with _lock:
        engine = _get_engine()
        for one in objcheck.unbundle(obj):
            engine.add_object_file(llvm.ObjectFileRef.from_data(one))
        engine.finalize_object()
        _stats[counter] += 1
        return _addresses(engine, symbols)


def compile_text(text: str, symbols: list[str]) -> tuple[CompiledModule, bytes]:
    """Verify, optimize and compile the IR ``text`` to object code, load it, and return
    the addresses of ``symbols`` and the object code (for the disk cache)."""
    t0 = time.perf_counter()
    with stage("LLVM optimize"):
        init_llvm()
        mod = llvm.parse_assembly(text)
        mod.verify()
        optimize_module(mod)
        optimized = str(mod) if log_enabled("llvm") else None  # else printed only when asked (optimized again)
    with stage("machine code"):
        obj = target_machine().emit_object(mod)
    with stage("load"):
        addresses = _link(obj, symbols, "compilations")
    seconds = time.perf_counter() - t0
    _stats["seconds"] += seconds
    kept = None if optimized is None else [optimized]
    compiled = CompiledModule(addresses, seconds, _llvm_ir=text, _optimized_ir=kept)
    if optimized is not None:
        emit_log("llvm", f"module ({seconds * 1e3:.1f} ms):\n{optimized}")
    if log_enabled("asm"):
        emit_log("asm", f"module:\n{compiled.asm}")
    return compiled, obj


@dataclass(frozen=True)
class Companion:
    """A module of the runtime's own (the thread pool, the native dispatcher), loaded once
    per process: its cache key, entry points, IR and optimization level (1 by default, for
    code without hot loops: the dispatcher's machine code is the same as at O3, in less
    compile time). The first program a process compiles has those it needs compiled at the
    same time as its parts (``load_cached(..., along=...)``); :meth:`load` loads one alone,
    as its owner does."""

    key: str
    symbols: tuple[str, ...]
    build_ir: Callable[[], str]
    level: int = 1

    def parts(self) -> Parts:
        """Its module as one part, at its level."""
        return [(self.build_ir(), self.level)]

    def load(self) -> CompiledModule:
        """Its code: loaded already (with a program, or before), from the disk cache, or compiled now."""
        return load_cached(self.key, list(self.symbols), self.build_ir, self.parts)[0]


def compile_split(parts: Parts, symbols: list[str], build_ir: Callable[[], str],
                  build_parts: Callable[[], Parts] | None,
                  along: list[Companion] | None = None) -> tuple[CompiledModule, bytes]:
    """Compile a module given as ``parts`` (several threads at once), load it, and return the
    addresses of ``symbols`` and the object code (a bundle); its whole IR is ``build_ir()``.
    The modules ``along`` are compiled at the same time, then loaded and stored as their own."""
    t0 = time.perf_counter()
    along = along or []
    with stage("LLVM optimize"):
        init_llvm()
        extra = [c.parts()[0] for c in along]
        objects, optimized = compile_parts(parts + extra, keep_ir=log_enabled("llvm"))  # (per part)
    with stage("load"):
        for companion, one in zip(along, objects[len(parts):]):
            _modules[companion.key] = CompiledModule(_link(one, list(companion.symbols), "compilations"), 0.0,
                                                     build_ir=companion.build_ir, build_parts=companion.parts)
            diskcache.write(companion.key, one)
        objects, optimized = objects[:len(parts)], optimized and optimized[:len(parts)]
        obj = objcheck.bundle(objects)
        addresses = _link(obj, symbols, "compilations")
    seconds = time.perf_counter() - t0
    _stats["seconds"] += seconds
    _stats["parts"] = _stats.get("parts", 0) + len(parts)
    compiled = CompiledModule(addresses, seconds, build_ir=build_ir, build_parts=build_parts,
                              _optimized_ir=optimized)
    if optimized is not None:
        emit_log("llvm", f"module in {len(parts)} parts ({seconds * 1e3:.1f} ms):\n" + "\n".join(optimized))
    if log_enabled("asm"):
        emit_log("asm", f"module:\n{compiled.asm}")
    return compiled, obj


def load_object(obj: bytes, symbols: list[str], build_ir: Callable[[], str]) -> CompiledModule:
    """Load object code compiled earlier (from the disk cache); ``build_ir`` gives its IR."""
    t0 = time.perf_counter()
    with stage("load"):
        init_llvm()
        addresses = _link(obj, symbols, "disk_loads")
    return CompiledModule(addresses, time.perf_counter() - t0, from_disk=True, build_ir=build_ir)


_modules: dict[str, CompiledModule] = {}  # cache key -> code loaded in this process
_load_lock = threading.Lock()


def _missing(along: list[Companion]) -> list[Companion]:
    """The companions neither loaded in this process nor in the disk cache (those found
    there are loaded now)."""
    missing = []
    for companion in along:
        if companion.key in _modules:
            continue
        symbols = list(companion.symbols)
        obj = diskcache.read(companion.key, validate=lambda data, s=symbols: objcheck.problem(data, s))
        if obj is None:
            missing.append(companion)
        else:
            _modules[companion.key] = load_object(obj, symbols, companion.build_ir)
    return missing


def load_cached(key: str, symbols: list[str], build_ir: Callable[[], str],
                build_parts: Callable[[], Parts] | None = None,
                along: list[Companion] | None = None) -> tuple[CompiledModule, str]:
    """The code named ``key`` (:func:`diskcache.cache_key`) and where it came from:
    already loaded in this process (``memory``), from the disk cache (``disk``: an entry
    bound to ``key`` whose object code defines ``symbols``, see ``runtime/objcheck.py``),
    or compiled now and stored there (``compiled``): from ``build_parts()`` when given (the
    module in parts, compiled in parallel; one part is compiled as ``build_ir()`` would be),
    else from ``build_ir()``. When it is compiled, the :class:`Companion` modules ``along``
    that this process has not loaded yet are compiled at the same time (each part and
    each companion on a thread of its own: the first call waits for the longest)."""
    with _load_lock:
        compiled = _modules.get(key)
        if compiled is not None:
            return compiled, "memory"
        obj = diskcache.read(key, validate=lambda data: objcheck.problem(data, symbols))
        if obj is not None:
            compiled, source = load_object(obj, symbols, build_ir), "disk"
        else:
            parts = build_parts() if build_parts is not None else None
            missing = _missing(along or [])
            if not missing and (parts is None or (len(parts) == 1 and parts[0][1] == 3)):
                text = build_ir() if parts is None else parts[0][0]
                compiled, obj = compile_text(text, symbols)
            else:
                parts = [(build_ir(), 3)] if parts is None else parts
                compiled, obj = compile_split(parts, symbols, build_ir, build_parts, missing)
            source = "compiled"
            diskcache.write(key, obj)
        _modules[key] = compiled
    return compiled, source


def stats() -> dict:
    """Process-wide LLVM compilation count and time."""
    return dict(_stats)
