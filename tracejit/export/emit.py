"""LLVM IR to object code for an export target. Only ``host`` for now: the host CPU's
triple, name and features, position-independent code (a static library linked into a
PIE executable). The one place an export meets a target machine, so that it becomes
``compiler/target.py``'s ``emit_object(module, Target.named(t))`` once code generation
takes a target."""
from __future__ import annotations

import functools

from tracejit.compiler.target import binding, host_cpu, host_features, init_llvm
from tracejit.errors import UnsupportedError

TARGETS = ("host",)


def check_target(target: str) -> None:
    """Refuse targets this version cannot generate code for."""
    if target not in TARGETS:
        raise UnsupportedError(f"tracejit.export: target {target!r} is not supported yet (supported: "
                               f"{', '.join(TARGETS)}); cross targets need code generation to take a Target")


@functools.lru_cache(maxsize=None)
def _machine(target: str):
    init_llvm()
    llvm = binding()
    triple = llvm.get_process_triple()
    return llvm.Target.from_triple(triple).create_target_machine(
        cpu=host_cpu(), features=host_features(), opt=3, reloc="pic", codemodel="default")


def target_triple(target: str) -> tuple[str, str]:
    """The LLVM triple and data layout modules for ``target`` carry."""
    check_target(target)
    llvm = binding()
    return llvm.get_process_triple(), str(_machine(target).target_data)


def describe_target(target: str) -> str:
    """The target as the header states it: ``host`` is this machine's CPU, its features included
    (the code may use AVX-512 where this CPU has it: it runs on CPUs with the same features)."""
    check_target(target)
    return f"{target} = {binding().get_process_triple()}, CPU {host_cpu()} and its features"


def emit_object(ir_text: str, target: str) -> bytes:
    """Verify, optimize (O3, as the JIT does) and compile ``ir_text`` to an object file for ``target``."""
    check_target(target)
    from tracejit.compiler.target import Target
    from tracejit.compiler.target import emit_object as emit_for
    return emit_for(ir_text, Target.named(target))
