"""Turning LLVM IR into machine code: verify, optimize at O3 for the host CPU with the
new pass manager (loop and SLP vectorization on), and load into the process's one
MCJIT engine (created lazily, used under a lock)."""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Callable

import llvmlite.binding as llvm

from tracejit.compiler.target import init_llvm, target_machine
from tracejit.compiler.target import optimize_module as optimize_for
from tracejit.config import emit_log, log_enabled
from tracejit.runtime import diskcache, objcheck

_lock = threading.Lock()
_engine = None
_stats = {"compilations": 0, "seconds": 0.0, "disk_loads": 0}


def _get_engine():
    global _engine
    if _engine is None:
        init_llvm()
        _engine = llvm.create_mcjit_compiler(llvm.parse_assembly(""), target_machine())
    return _engine


def optimize_module(mod: llvm.ModuleRef) -> None:
    """O3 for the host with loop and SLP vectorization, unrolling and interleaving."""
    optimize_for(mod, target_machine())


@dataclass
class CompiledModule:
    """Machine code for one module, with its IR before and after optimization. A module
    loaded from the disk cache builds its IR (and from it the optimized IR and the
    assembly) only when asked, through ``build_ir``."""

    addresses: dict[str, int]
    seconds: float
    from_disk: bool = False
    build_ir: Callable[[], str] | None = field(default=None, repr=False)
    _llvm_ir: str | None = field(default=None, repr=False)
    _optimized_ir: str | None = field(default=None, repr=False)
    _asm: str | None = field(default=None, repr=False)

    @property
    def llvm_ir(self) -> str:
        """The module's LLVM IR as generated (built now for code loaded from disk)."""
        if self._llvm_ir is None:
            self._llvm_ir = self.build_ir()
        return self._llvm_ir

    @property
    def optimized_ir(self) -> str:
        """The module's LLVM IR after O3 (optimized again now for code loaded from disk)."""
        if self._optimized_ir is None:
            mod = llvm.parse_assembly(self.llvm_ir)
            optimize_module(mod)
            self._optimized_ir = str(mod)
        return self._optimized_ir

    @property
    def asm(self) -> str:
        """Host assembly, generated on demand from the optimized IR."""
        if self._asm is None:
            mod = llvm.parse_assembly(self.optimized_ir)
            self._asm = target_machine().emit_assembly(mod)
        return self._asm


def _addresses(engine, symbols: list[str]) -> dict[str, int]:
    addresses = {name: engine.get_function_address(name) for name in symbols}
    missing = [name for name, address in addresses.items() if not address]
    if missing:
        raise RuntimeError(f"tracejit: compiled code lacks {missing}")
    return addresses


def _link(obj: bytes, symbols: list[str], counter: str) -> dict[str, int]:
    """Load object code into the process's engine; the addresses of ``symbols``."""
    with _lock:
        engine = _get_engine()
        engine.add_object_file(llvm.ObjectFileRef.from_data(obj))
        engine.finalize_object()
        _stats[counter] += 1
        return _addresses(engine, symbols)


def compile_text(text: str, symbols: list[str]) -> tuple[CompiledModule, bytes]:
    """Verify, optimize and compile the IR ``text`` to object code, load it, and return
    the addresses of ``symbols`` and the object code (for the disk cache)."""
    t0 = time.perf_counter()
    init_llvm()
    mod = llvm.parse_assembly(text)
    mod.verify()
    optimize_module(mod)
    optimized = str(mod) if log_enabled("llvm") else None  # else printed only when asked (optimized again)
    obj = target_machine().emit_object(mod)
    addresses = _link(obj, symbols, "compilations")
    seconds = time.perf_counter() - t0
    _stats["seconds"] += seconds
    compiled = CompiledModule(addresses, seconds, _llvm_ir=text, _optimized_ir=optimized)
    if optimized is not None:
        emit_log("llvm", f"module ({seconds * 1e3:.1f} ms):\n{optimized}")
    if log_enabled("asm"):
        emit_log("asm", f"module:\n{compiled.asm}")
    return compiled, obj


def load_object(obj: bytes, symbols: list[str], build_ir: Callable[[], str]) -> CompiledModule:
    """Load object code compiled earlier (from the disk cache); ``build_ir`` gives its IR."""
    t0 = time.perf_counter()
    init_llvm()
    addresses = _link(obj, symbols, "disk_loads")
    return CompiledModule(addresses, time.perf_counter() - t0, from_disk=True, build_ir=build_ir)


_modules: dict[str, CompiledModule] = {}  # cache key -> code loaded in this process
_load_lock = threading.Lock()


def load_cached(key: str, symbols: list[str], build_ir: Callable[[], str]) -> tuple[CompiledModule, str]:
    """The code named ``key`` (:func:`diskcache.cache_key`) and where it came from:
    already loaded in this process (``memory``), from the disk cache (``disk``: an entry
    bound to ``key`` whose object code defines ``symbols``, see ``runtime/objcheck.py``),
    or compiled from ``build_ir()`` now and stored there (``compiled``)."""
    with _load_lock:
        compiled = _modules.get(key)
        if compiled is not None:
            return compiled, "memory"
        obj = diskcache.read(key, validate=lambda data: objcheck.problem(data, symbols))
        if obj is not None:
            compiled, source = load_object(obj, symbols, build_ir), "disk"
        else:
            (compiled, obj), source = compile_text(build_ir(), symbols), "compiled"
            diskcache.write(key, obj)
        _modules[key] = compiled
    return compiled, source


def stats() -> dict:
    """Process-wide LLVM compilation count and time."""
    return dict(_stats)
