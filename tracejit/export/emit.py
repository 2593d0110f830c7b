"""The export's targets: a name to a :class:`~tracejit.compiler.target.Target`, what the
header says of it, its object code (``compiler/target.py``'s ``emit_object``: O3 for that
machine, position-independent), and the C compiler that builds the thread runtime for it.

``host`` is this machine's CPU and features; the cross targets are ``TARGET_NAMES``
(aarch64, armv7 hard-float, riscv64 gc, wasm32-wasi). wasm32-wasi has no threads here
(WASI preview 1 has no ``pthread_create``): ``threads=True`` is refused for it."""
from __future__ import annotations

import shutil

from tracejit.compiler.target import TARGET_NAMES, Target, emit_object
from tracejit.errors import UnsupportedError

TARGETS = ("host", *TARGET_NAMES)
# the C compiler (Debian's cross gcc) that builds the thread runtime's source for each cross target
CROSS_CC = {"aarch64-linux-gnu": "aarch64-linux-gnu-gcc", "armv7-linux-gnueabihf": "arm-linux-gnueabihf-gcc",
            "riscv64-linux-gnu": "riscv64-linux-gnu-gcc"}


def check_target(target: str, threads: bool = False) -> Target:
    """The :class:`Target` called ``target``; UnsupportedError for an unknown name, and
    for threads on a target without them (wasm32-wasi)."""
    if target not in TARGETS:
        raise UnsupportedError(f"tracejit.export: unknown target {target!r} (supported: {', '.join(TARGETS)})")
    if threads and target.startswith("wasm32"):
        raise UnsupportedError(f"tracejit.export: {target} has no threads (WASI preview 1 cannot start one); "
                               f"export with threads=False")
    return Target.named(target)


def describe_target(target: Target) -> str:
    """The target as the header states it: its name, triple, CPU and features (``host``:
    this machine's, AVX-512 included where it has them: the code runs on CPUs with the same
    features), pointer width, and whether it has FMA."""
    return (f"{target.name} = {target.triple}, CPU {target.cpu}, features {target.features}; "
            f"{target.pointer_bits}-bit pointers, {'FMA' if target.fma else 'no FMA'}")


def emit_module(ir_text: str, target: Target) -> bytes:
    """Verify, optimize (O3, as the JIT does) and compile ``ir_text`` to an object file for
    ``target`` (ELF; a wasm object for wasm32)."""
    return emit_object(ir_text, target)


def runtime_compiler(target: Target) -> list[str] | None:
    """The command compiling the thread runtime for ``target`` (None: no compiler here; the
    source is then left beside the library for the user's)."""
    if target.name == "host":
        cc = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
        return [cc] if cc else None
    cc = shutil.which(CROSS_CC.get(target.name, ""))
    if cc is None:
        return None
    return [cc, "-march=armv7-a", "-mfpu=neon-vfpv4", "-mfloat-abi=hard"] if target.name.startswith("armv7") else [cc]
