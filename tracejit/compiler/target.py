"""The machine code is generated for: a :class:`Target` (triple, CPU, features, vector
width, FMA, cache size, pointer width, alignment and non-temporal-store rules, data
layout). :func:`host_target` is the host, which the JIT compiles for (with the one JIT
target machine, created lazily under a lock), its features restricted to an ISA level by
``TRACEJIT_ISA`` (``tj.config.isa``: ``avx2`` compiles for the host as an AVX2 machine);
:meth:`Target.named` gives the cross targets of ``tj.export``, and :func:`emit_object`
compiles a module for any target into an object file (ELF, or wasm for wasm32). Code
generation and the schedule heuristics read every CPU-dependent choice from the Target
they are given, never from the host.

llvmlite is imported by :func:`binding`, on the first question only LLVM can answer
(``import tracejit`` loads no llvmlite: a deliberate deferral of a heavy dependency);
without llvmlite that question raises :class:`LLVMUnavailable`, which names it."""
from __future__ import annotations

import ctypes.util
import functools
import glob
import re
import threading
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING

from tracejit.config import config
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


# ISA levels the host target may be restricted to (``TRACEJIT_ISA``, ``tj.config.isa``; the names
# are config.ISA_LEVELS): the prefixes of the LLVM features each switches off ("avx2": the code an
# AVX2 machine runs, 256-bit vectors and 16 of them, on an AVX-512 one: benchmarks.gemm --isa avx2)
ISA_LEVELS: dict[str, tuple[str, ...]] = {"native": (), "avx2": ("avx512", "avx10", "amx", "evex512")}


@functools.lru_cache(maxsize=None)
def restrict_features(features: str, isa: str) -> str:
    """``features`` (LLVM's ``+x,-y,...``) with those above the ISA level ``isa`` (a key of
    :data:`ISA_LEVELS`) switched off: ``+avx512f`` becomes ``-avx512f`` for ``"avx2"``."""
    if isa not in ISA_LEVELS:
        raise ValueError(f"unknown ISA level {isa!r}: expected one of {', '.join(ISA_LEVELS)}")
    off = ISA_LEVELS[isa]
    return ",".join("-" + f[1:] if f[:1] == "+" and f[1:].startswith(off) else f for f in features.split(",") if f)


def jit_features() -> str:
    """The features the JIT compiles for: the host's, restricted to ``tj.config.isa``."""
    return restrict_features(host_features(), config.isa)


@functools.lru_cache(maxsize=1)
def host_cpu() -> str:
    """The host CPU's name as LLVM knows it (``znver3``, ``skylake-avx512``...)."""
    init_llvm()
    return binding().get_host_cpu_name()


def _host_vector_bytes(features: str) -> int:
    """Width of the host's vector registers in bytes (16, 32 or 64)."""
    feats = set(features.split(","))
    if "+avx512f" in feats:
        return 64
    if "+avx" in feats or "+avx2" in feats:
        return 32
    return 16


def target_machine(features: str | None = None) -> llvm.TargetMachine:
    """The host target machine the JIT compiles with (O3, JIT code model), for ``features``
    (default :func:`jit_features`), shared by all compilations."""
    return _shared_machine(features or jit_features())


@functools.lru_cache(maxsize=None)
def _shared_machine(features: str) -> llvm.TargetMachine:
    return new_target_machine(features)


def new_target_machine(features: str | None = None) -> llvm.TargetMachine:
    """A host target machine like :func:`target_machine`'s, of its own (one per compiling
    thread), for ``features`` (default :func:`jit_features`)."""
    init_llvm()
    llvm = binding()
    target = llvm.Target.from_triple(llvm.get_process_triple())
    return target.create_target_machine(cpu=host_cpu(), features=features or jit_features(), opt=3,
                                        codemodel="jitdefault", jit=True)


def describe() -> str:
    """The host as one line: triple, CPU name, vector width."""
    t = host_target()
    return f"{t.triple} {t.cpu} ({t.vector_bytes * 8}-bit vectors)"


DEFAULT_LLC_BYTES = 32 << 20
DEFAULT_L2_BYTES = 1 << 20
DEFAULT_L1_BYTES = 0  # unknown (cross targets, no sysfs): GEMM keeps its default K blocking


def _cache_sizes() -> dict[int, int]:
    """Data or unified cache level -> size in bytes, from Linux sysfs (empty when unreadable)."""
    sizes: dict[int, int] = {}
    for index in glob.glob("/sys/devices/system/cpu/cpu0/cache/index*"):
        try:
            with open(f"{index}/size") as fh:
                text = fh.read().strip().upper()
            with open(f"{index}/level") as fh:
                level = int(fh.read().strip())
            with open(f"{index}/type") as fh:
                kind = fh.read().strip()
        except (OSError, ValueError):
            continue
        scale = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}.get(text[-1:], 1)
        digits = text.rstrip("KMG")
        if digits.isdigit() and kind != "Instruction":
            sizes[level] = max(sizes.get(level, 0), int(digits) * scale)
    return sizes


@functools.lru_cache(maxsize=1)
def last_level_cache_bytes() -> int:
    """Size of the largest CPU cache (Linux sysfs; 32 MiB when it cannot be read)."""
    return max(_cache_sizes().values(), default=DEFAULT_LLC_BYTES)


@functools.lru_cache(maxsize=1)
def l1_cache_bytes() -> int:
    """Size of the host's level-1 data cache (Linux sysfs; 0, unknown, when it cannot be read)."""
    return _cache_sizes().get(1, DEFAULT_L1_BYTES)


@functools.lru_cache(maxsize=1)
def l2_cache_bytes() -> int:
    """Size of the host's (per-core) level-2 cache (Linux sysfs; 1 MiB when it cannot be read)."""
    return _cache_sizes().get(2, DEFAULT_L2_BYTES)


@dataclass(frozen=True)
class Target:
    """Everything CPU-dependent that code generation and scheduling read.

    ``vector_bytes``: the vector registers' width (the schedules' lanes and GEMM's tile
    width derive from it); ``fma``: a fused multiply-add instruction (else the math
    library multiplies and adds, and splits operands for its exact products);
    ``llc_bytes``: the last-level cache (maps with a larger footprint stream their stores);
    ``l2_bytes``: the per-core level-2 cache (GEMM's packed panel of B is sized by it);
    ``l1_bytes``: the level-1 data cache, 0 when unknown (GEMM's K blocking: a sliver of B
    stays in it);
    ``pointer_bits``; ``vector_align``: vector loads and stores must declare their
    alignment (armv7: NEON ``vld1`` with an alignment hint faults on less; codegen declares
    the element's on every one, and :func:`emit_object` refuses IR that does not);
    ``nontemporal``: how non-temporal stores are ordered before a kernel returns
    (``"sfence"``: x86's instruction, ``"fence"``: an LLVM ``fence``, None: the target has
    no such stores, so no kernel streams); ``abi``: the ``target-abi`` module flag (riscv's
    float ABI); ``data_layout``: LLVM's, from the target machine; ``half_libcalls``: float16
    converts by calls the target's C runtime may lack (the module defines them:
    ``codegen/halfcalls.py``)."""

    name: str
    triple: str
    cpu: str
    features: str
    vector_bytes: int
    fma: bool
    llc_bytes: int
    pointer_bits: int
    vector_align: bool
    nontemporal: str | None
    data_layout: str
    abi: str = ""
    half_libcalls: bool = False
    l2_bytes: int = DEFAULT_L2_BYTES
    l1_bytes: int = DEFAULT_L1_BYTES

    @property
    def vector_registers(self) -> int:
        """Architectural vector registers (GEMM's register tile is sized by them): 32 with
        AVX-512 or on AArch64 and RISC-V, 16 otherwise (SSE/AVX2, ARMv7 NEON's q registers,
        wasm's SIMD as its engines map it)."""
        feats = set(self.features.split(","))
        if "+avx512f" in feats or self.triple.startswith(("aarch64", "riscv")):
            return 32
        return 16

    @property
    def vector_compress(self) -> bool:
        """Whether the target compresses vector lanes into memory in one instruction
        (AVX-512's ``vpcompress``): the vectorized quicksort's partitions need it (elsewhere
        LLVM expands ``llvm.masked.compressstore`` into a store per lane, 5-10x slower than
        the network and radix sorts: measured on this machine as AVX2)."""
        return "+avx512f" in self.features.split(",")

    @property
    def key(self) -> str:
        """The text naming this target in cache keys and fingerprints."""
        return (f"{self.triple} cpu={self.cpu} features={self.features} vector={self.vector_bytes} "
                f"fma={self.fma} llc={self.llc_bytes} nt={self.nontemporal} abi={self.abi} half={self.half_libcalls}"
                f" l2={self.l2_bytes} l1={self.l1_bytes}")

    @staticmethod
    def named(name: str) -> Target:
        """The target called ``name``: ``"host"`` or one of :data:`TARGET_NAMES`."""
        if name == "host":
            return host_target()
        if name not in _CROSS:
            raise ValueError(f"unknown target {name!r}: expected 'host' or one of {', '.join(TARGET_NAMES)}")
        return _cross_target(name)


# name -> (triple, cpu, features, vector bytes, fma, llc bytes, pointer bits, vector_align, nontemporal, abi,
# half_libcalls)
_CROSS = {
    # generic armv8-a with NEON (Cortex-A53/A72-class), 1 MiB L2; STNP stores, ordered by dmb (fence)
    "aarch64-linux-gnu": ("aarch64-unknown-linux-gnu", "generic", "+neon,+fp-armv8", 16, True, 1 << 20, 64,
                          False, "fence", "", False),
    # Cortex-A7 class (Raspberry Pi 2): NEON, VFPv4 (its FMA), hard float, 512 KiB L2, no non-temporal stores
    "armv7-linux-gnueabihf": ("armv7-unknown-linux-gnueabihf", "cortex-a7", "+neon,+vfp4", 16, True, 512 << 10,
                              32, True, None, "", False),
    # rv64gc: no vector unit (8-byte "vectors" are pairs LLVM scalarizes), FMA in F/D, lp64d float ABI,
    # float16 by libcalls (libgcc has them since GCC 13 only)
    "riscv64-linux-gnu": ("riscv64-unknown-linux-gnu", "generic-rv64", "+m,+a,+f,+d,+c", 8, True, 2 << 20, 64,
                          False, None, "lp64d", True),
    # WebAssembly with 128-bit SIMD; no FMA instruction (llvm.fma would be a libm call); float16 by libcalls
    "wasm32-wasi": ("wasm32-unknown-wasi", "generic", "+simd128", 16, False, 1 << 20, 32, False, None, "", True),
}
TARGET_NAMES = tuple(_CROSS)
_all_initialized = False


def init_all_targets() -> None:
    """Initialize every LLVM target and assembly printer (for cross compilation) once."""
    global _all_initialized
    init_llvm()
    with _lock:
        if not _all_initialized:
            binding().initialize_all_targets()
            binding().initialize_all_asmprinters()
            _all_initialized = True


@functools.lru_cache(maxsize=None)
def _cross_target(name: str) -> Target:
    triple, cpu, features, vbytes, fma, llc, bits, align, nt, abi, half = _CROSS[name]
    init_all_targets()
    machine = _create_machine(triple, cpu, features)
    return Target(name, triple, cpu, features, vbytes, fma, llc, bits, align, nt, str(machine.target_data), abi, half)


def host_target() -> Target:
    """The host: what the JIT compiles for (triple, CPU and features as LLVM detects them,
    restricted to ``tj.config.isa``; vector width from the features, the caches from sysfs).
    Read at each compilation: code compiled before ``tj.config.isa`` changes keeps its target."""
    return _host_target(jit_features())


@functools.lru_cache(maxsize=None)
def _host_target(features: str) -> Target:
    """The host's Target for ``features`` (made again after ``host_target.cache_clear()``)."""
    init_llvm()
    triple = binding().get_process_triple()
    x86 = triple.startswith(("x86_64", "i686", "i386"))
    name = "host" if features == host_features() else f"host as {config.isa}"
    return Target(name, triple, host_cpu(), features, _host_vector_bytes(features),
                  "+fma" in features.split(","), last_level_cache_bytes(), ctypes.sizeof(ctypes.c_void_p) * 8,
                  False, "sfence" if x86 else "fence", str(_shared_machine(features).target_data),
                  l2_bytes=l2_cache_bytes(), l1_bytes=l1_cache_bytes())


host_target.cache_clear = _host_target.cache_clear  # type: ignore[attr-defined]  # (tests: caches resized)


def _create_machine(triple: str, cpu: str, features: str) -> llvm.TargetMachine:
    """A target machine for object files: O3, position-independent, default code model."""
    return binding().Target.from_triple(triple).create_target_machine(
        cpu=cpu, features=features, opt=3, reloc="pic", codemodel="default", jit=False)


@functools.lru_cache(maxsize=None)
def object_machine(target: Target) -> llvm.TargetMachine:
    """``target``'s machine for object files (PIC, default code model; not the JIT's)."""
    init_all_targets()
    return _create_machine(target.triple, target.cpu, target.features)


def pass_builder(machine: llvm.TargetMachine, level: int = 3) -> llvm.PassBuilder:
    """The new pass manager's builder for ``machine`` at ``level`` (3: O3 with loop and SLP
    vectorization, unrolling and interleaving; lower levels without them, for glue code)."""
    pto = binding().create_pipeline_tuning_options(speed_level=level)
    wide = level >= 2
    pto.loop_vectorization = wide
    pto.slp_vectorization = wide
    pto.loop_unrolling = wide
    pto.loop_interleaving = wide
    return binding().create_pass_builder(machine, pto)


def optimize_module(mod: llvm.ModuleRef, machine: llvm.TargetMachine, level: int = 3) -> None:
    """O3 (or ``level``) for ``machine``: see :func:`pass_builder`."""
    pb = pass_builder(machine, level)
    pb.getModulePassManager().run(mod, pb)


_UNALIGNED_VECTOR = re.compile(r"^\s*(?:%\S+ = )?(?:load <[^>]*>, ptr [^,\n]+|store <[^>]*> [^,\n]+, ptr [^,\n]+)$",
                               re.MULTILINE)


def emit_object(module_ir: str, target: Target) -> bytes:
    """Object code of the LLVM module ``module_ir`` (text) for ``target``: its triple,
    data layout and ABI set, verified, optimized at O3 for the target and compiled (an
    ELF relocatable object; a wasm object for wasm32). IR with a vector load or store that
    does not declare its alignment is refused for targets that need it (ValueError)."""
    init_all_targets()
    if target.vector_align:
        bad = _UNALIGNED_VECTOR.search(module_ir)
        if bad:
            raise ValueError(f"{target.name}: vector access without declared alignment: {bad.group(0).strip()}")
    if target.abi and '"target-abi"' not in module_ir:
        flag = 1 << 30  # a metadata number no generated module uses
        module_ir += f'\n!llvm.module.flags = !{{!{flag}}}\n!{flag} = !{{i32 1, !"target-abi", !"{target.abi}"}}\n'
    mod = binding().parse_assembly(module_ir)
    mod.triple = target.triple
    mod.data_layout = target.data_layout
    mod.verify()
    machine = object_machine(target)
    optimize_module(mod, machine)
    return machine.emit_object(mod)
