"""The host CPU as LLVM sees it: triple, CPU name, features, vector width, and the
one target machine used for every module (created lazily under a lock).

llvmlite is imported by :func:`binding`, on the first question only LLVM can answer
(``import tracejit`` loads no llvmlite: a deliberate deferral of a heavy dependency);
without llvmlite that question raises :class:`LLVMUnavailable`, which names it."""
from __future__ import annotations

import ctypes.util
import functools
import glob
import threading
from types import ModuleType
from typing import TYPE_CHECKING

from tracejit.errors import TracejitError

if TYPE_CHECKING:
    import llvmlite.binding as llvm

_lock = threading.Lock()
_initialized = False


class LLVMUnavailable(TracejitError, ImportError):
    """llvmlite cannot be imported: tracing works, compiling to machine code does not."""


def llvmlite_missing(error: ImportError) -> LLVMUnavailable:
    """The error saying that compiling needs llvmlite, which failed to import with ``error``."""
    return LLVMUnavailable(f"tracejit needs llvmlite to compile (pip install 'llvmlite>=0.45'); "
                           f"importing it failed: {error}")


def binding() -> ModuleType:
    """``llvmlite.binding``, imported on first use (see the module docstring)."""
    try:
        import llvmlite.binding as llvm_binding
    except ImportError as error:
        raise llvmlite_missing(error) from error
    return llvm_binding


def init_llvm() -> None:
    """Initialize LLVM's native target once per process (llvmlite >= 0.45 API)."""
    global _initialized
    with _lock:
        if not _initialized:
            llvm = binding()
            llvm.initialize_native_target()
            llvm.initialize_native_asmprinter()
            _initialized = True
            if "+f16c" not in llvm.get_host_cpu_features().flatten().split(","):
                _load_half_libcalls(llvm)


def _load_half_libcalls(llvm: ModuleType) -> None:
    """Without F16C, LLVM converts float16 by libcalls (``__extendhfsf2``, ``__truncsfhf2``):
    make libgcc's resolvable by the JIT linker."""
    path = ctypes.util.find_library("gcc_s")
    if path:
        llvm.load_library_permanently(path)


@functools.lru_cache(maxsize=1)
def host_features() -> str:
    """The host CPU's features as LLVM spells them (``+avx2,+fma,...``)."""
    init_llvm()
    return binding().get_host_cpu_features().flatten()


@functools.lru_cache(maxsize=1)
def host_cpu() -> str:
    """The host CPU's name as LLVM knows it (``znver3``, ``skylake-avx512``...)."""
    init_llvm()
    return binding().get_host_cpu_name()


@functools.lru_cache(maxsize=1)
def vector_bytes() -> int:
    """Width of the host's vector registers in bytes (16, 32 or 64)."""
    feats = set(host_features().split(","))
    if "+avx512f" in feats:
        return 64
    if "+avx" in feats or "+avx2" in feats:
        return 32
    return 16


@functools.lru_cache(maxsize=1)
def target_machine() -> llvm.TargetMachine:
    """The host target machine (O3, JIT code model), shared by all compilations."""
    init_llvm()
    llvm = binding()
    target = llvm.Target.from_triple(llvm.get_process_triple())
    return target.create_target_machine(cpu=host_cpu(), features=host_features(), opt=3,
                                        codemodel="jitdefault", jit=True)


@functools.lru_cache(maxsize=1)
def has_fma() -> bool:
    """True when the host has fused multiply-add (the vector math relies on it)."""
    return "+fma" in host_features().split(",")


def describe() -> str:
    """The host as one line: triple, CPU name, vector width."""
    return f"{binding().get_process_triple()} {host_cpu()} ({vector_bytes() * 8}-bit vectors)"


DEFAULT_LLC_BYTES = 32 << 20


@functools.lru_cache(maxsize=1)
def last_level_cache_bytes() -> int:
    """Size of the largest CPU cache (Linux sysfs; 32 MiB when it cannot be read)."""
    sizes = []
    for path in glob.glob("/sys/devices/system/cpu/cpu0/cache/index*/size"):
        try:
            with open(path) as fh:
                text = fh.read().strip().upper()
        except OSError:
            continue
        scale = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}.get(text[-1:], 1)
        digits = text.rstrip("KMG")
        if digits.isdigit():
            sizes.append(int(digits) * scale)
    return max(sizes, default=DEFAULT_LLC_BYTES)
