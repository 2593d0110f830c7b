"""Turning LLVM IR into machine code: verify, optimize at O3 for the host CPU with the
new pass manager (loop and SLP vectorization on), and load into the process's one
MCJIT engine (created lazily, used under a lock)."""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

import llvmlite.binding as llvm
from llvmlite import ir

from tracejit.compiler.target import init_llvm, target_machine
from tracejit.config import emit_log, log_enabled

_lock = threading.Lock()
_engine = None
_stats = {"compilations": 0, "seconds": 0.0}


def _get_engine():
    global _engine
    if _engine is None:
        init_llvm()
        _engine = llvm.create_mcjit_compiler(llvm.parse_assembly(""), target_machine())
    return _engine


def optimize_module(mod: llvm.ModuleRef) -> None:
    """O3 with loop and SLP vectorization, unrolling and interleaving."""
    pto = llvm.create_pipeline_tuning_options(speed_level=3)
    pto.loop_vectorization = True
    pto.slp_vectorization = True
    pto.loop_unrolling = True
    pto.loop_interleaving = True
    pb = llvm.create_pass_builder(target_machine(), pto)
    pb.getModulePassManager().run(mod, pb)


@dataclass
class CompiledModule:
    """Machine code for one module, with its IR before and after optimization."""

    llvm_ir: str
    optimized_ir: str
    addresses: dict[str, int]
    seconds: float
    _asm: str | None = field(default=None, repr=False)

    @property
    def asm(self) -> str:
        """Host assembly, generated on demand from the optimized IR."""
        if self._asm is None:
            mod = llvm.parse_assembly(self.optimized_ir)
            self._asm = target_machine().emit_assembly(mod)
        return self._asm


def compile_ir(module: ir.Module, symbols: list[str]) -> CompiledModule:
    """Compile ``module`` and return the addresses of ``symbols``."""
    t0 = time.perf_counter()
    text = str(module)
    init_llvm()
    mod = llvm.parse_assembly(text)
    mod.verify()
    optimize_module(mod)
    optimized = str(mod)
    with _lock:
        engine = _get_engine()
        engine.add_module(mod)
        engine.finalize_object()
        addresses = {name: engine.get_function_address(name) for name in symbols}
        _stats["compilations"] += 1
    seconds = time.perf_counter() - t0
    _stats["seconds"] += seconds
    compiled = CompiledModule(text, optimized, addresses, seconds)
    if log_enabled("llvm"):
        emit_log("llvm", f"module {module.name} ({seconds * 1e3:.1f} ms):\n{optimized}")
    if log_enabled("asm"):
        emit_log("asm", f"module {module.name}:\n{compiled.asm}")
    return compiled


def stats() -> dict:
    """Process-wide LLVM compilation count and time."""
    return dict(_stats)
