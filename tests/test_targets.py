"""Code generation for a Target (issue 19 item 3): real programs scheduled and generated for
each cross target and compiled to objects of that machine, the host JIT unchanged, and
the math library exact without FMA.

LLVM errors abort the process, so the objects are emitted in a subprocess
(``_emit_all``): a failure there is a test failure naming the program and target, not a
crashed test run."""
from __future__ import annotations

import dataclasses
import json
import re
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import tracejit as tj
from tests.exportprograms import jacobi_solve, stencil
from tracejit.compiler.target import TARGET_NAMES, Target, emit_object, host_target

# e_machine, ELF class (1: 32-bit, 2: 64-bit), and e_flags bits that must be set
ELF = {"aarch64-linux-gnu": (183, 2, 0), "armv7-linux-gnueabihf": (40, 1, 0x05000000),  # EABI version 5
       "riscv64-linux-gnu": (243, 2, 0x4)}  # EF_RISCV_FLOAT_ABI_DOUBLE
# what objects may leave undefined: libc/libm and compiler-runtime symbols (wasm: its linker's globals)
RUNTIME_SYMBOLS = re.compile(r"mem(cpy|set|move)|f(min|max|ma)f?|roundevenf?|__(extend|trunc)[a-z]+f2|__aeabi_\w+"
                             r"|__(stack_pointer|indirect_function_table|memory_base|table_base)")


def transcendental(x):
    return np.exp(-x * x) * np.sin(3.0 * x) + np.tanh(x)


def layer(x, w, b):
    z = x @ w + b
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)




def half_map(h):
    return np.sqrt(h * h + np.float16(1.0)) * np.exp(-h)


def reduction(x):
    return (x * x).sum(axis=1) + np.log1p(np.abs(x)).max()


def _programs():
    rng = np.random.default_rng(0)
    n = 1 << 19  # 2 MiB of float32 in and out: larger than every cross target's last-level cache
    a = rng.standard_normal((64, 64)).astype(np.float32) + 64 * np.eye(64, dtype=np.float32)
    return {
        "transcendental": (transcendental, (rng.standard_normal(n).astype(np.float32),)),
        "layer": (layer, (rng.standard_normal((256, 128)).astype(np.float32),
                          rng.standard_normal((128, 64)).astype(np.float32), np.zeros(64, np.float32))),
        "stencil": (stencil, (rng.standard_normal(4096),)),
        "solve": (jacobi_solve, (a, rng.standard_normal(64).astype(np.float32))),
        "half_map": (half_map, (rng.standard_normal(4096).astype(np.float16),)),
        "reduction": (reduction, (rng.standard_normal((300, 97)),)),
    }


def module_ir(fn, args, target: Target) -> str:
    """The LLVM IR of ``fn``'s program on ``args``, optimized and generated for ``target``."""
    from tracejit.compile import llvm_ir
    generic = tj.jit(lambda *a: fn(*a)).lower(*args).compilation.generic_for(target)
    return llvm_ir(generic, "tjx_" + fn.__name__)


EMIT = """
import json, sys
from tracejit.compiler.target import Target, emit_object
jobs = json.load(open(sys.argv[1]))
for name, target, ir_path, out in jobs:
    print("emitting", name, "for", target, flush=True)
    open(out, "wb").write(emit_object(open(ir_path).read(), Target.named(target)))
print("done", flush=True)
"""


def _emit_all(jobs: list, tmp: Path) -> None:
    spec = tmp / "jobs.json"
    spec.write_text(json.dumps(jobs))
    run = subprocess.run([sys.executable, "-c", EMIT, str(spec)], capture_output=True, text=True, timeout=900,
                         cwd=Path(__file__).resolve().parents[1])
    assert run.returncode == 0 and run.stdout.endswith("done\n"), \
        f"emission failed after: {run.stdout.strip().splitlines()[-1:]}\n{run.stderr[-3000:]}"


def _elf_header(data: bytes) -> tuple[int, int, int]:
    """(e_machine, ELF class, e_flags) of a relocatable little-endian ELF object."""
    assert data[:4] == b"\x7fELF" and data[5] == 1, "not a little-endian ELF file"
    cls = data[4]
    e_type, e_machine = struct.unpack_from("<HH", data, 16)
    assert e_type == 1, "not a relocatable object"
    e_flags = struct.unpack_from("<I", data, 48 if cls == 2 else 36)[0]
    return e_machine, cls, e_flags


@pytest.fixture(scope="module")
def programs():
    return _programs()


def test_every_cross_target_compiles_real_programs(programs, tmp_path):
    jobs = []
    for name, (fn, args) in programs.items():
        for target in (*TARGET_NAMES, "host"):
            text = module_ir(fn, args, Target.named(target))
            assert "llvm.x86" not in text, f"{name} for {target}: an x86 intrinsic"
            ir_path = tmp_path / f"{name}.{target}.ll"
            ir_path.write_text(text)
            jobs.append((name, target, str(ir_path), str(tmp_path / f"{name}.{target}.o")))
    _emit_all(jobs, tmp_path)
    nm = shutil.which("llvm-nm")
    for name, target, _, out in jobs:
        data = Path(out).read_bytes()
        if nm:  # no Python, NumPy, tracejit or host-address symbol: only the C runtime's
            listed = subprocess.run([nm, "-u", out], capture_output=True, text=True, check=True).stdout.split()
            undefined = {s for s in listed if s not in ("U", "w")}
            assert all(RUNTIME_SYMBOLS.fullmatch(s) for s in undefined), f"{name} for {target}: {undefined}"
        if target == "host":
            assert data[:4] == b"\x7fELF"
            continue
        if target == "wasm32-wasi":
            assert data[:8] == b"\0asm\x01\0\0\0", f"{name}: not a wasm object"
            continue
        machine, cls, flags = _elf_header(data)
        want_machine, want_cls, want_flags = ELF[target]
        assert (machine, cls) == (want_machine, want_cls), f"{name} for {target}: {machine}, class {cls}"
        assert flags & want_flags == want_flags, f"{name} for {target}: e_flags {flags:#x}"


def test_streaming_map_is_fenced_per_target(programs):
    """The map larger than the cache streams its stores where the target has non-temporal
    stores, ordered by an LLVM fence off x86 (it aborted with ``llvm.x86.sse.sfence``), and
    streams nothing on targets without them."""
    fn, args = programs["transcendental"]
    arm64 = module_ir(fn, args, Target.named("aarch64-linux-gnu"))
    assert "!nontemporal" in arm64 and "fence seq_cst" in arm64 and "sfence" not in arm64
    for target in ("armv7-linux-gnueabihf", "riscv64-linux-gnu", "wasm32-wasi"):
        assert "!nontemporal" not in module_ir(fn, args, Target.named(target))


def test_schedules_follow_the_vector_width(programs):
    fn, args = programs["transcendental"]
    narrow = tj.jit(fn).lower(*args).compilation.generic_for(Target.named("aarch64-linux-gnu"))
    assert {s.vector_width for k in narrow.kernels for s in k.schedules} == {8}  # 2 x 16 bytes of float32
    assert narrow.target.name == "aarch64-linux-gnu"


def test_armv7_vector_accesses_declare_alignment(programs):
    """NEON faults on an under-aligned vld1 with an alignment hint: every vector access
    declares the element's alignment, and emit_object refuses IR that does not."""
    armv7 = Target.named("armv7-linux-gnueabihf")
    for name, (fn, args) in programs.items():
        text = module_ir(fn, args, armv7)
        assert "ptr" in text and "e-m:e-p:32:32" in text, name
    bad = "define void @f(ptr %p) {\n  %v = load <4 x float>, ptr %p\n  ret void\n}\n"
    with pytest.raises(ValueError, match="alignment"):
        emit_object(bad, armv7)
    assert emit_object(bad.replace("ptr %p\n", "ptr %p, align 4\n"), armv7)[:4] == b"\x7fELF"


def test_named_targets():
    with pytest.raises(ValueError, match="aarch64-linux-gnu"):
        Target.named("sparc-sun")
    assert Target.named("host") is host_target()
    for name in TARGET_NAMES:  # the pointer width the exporter declares is the data layout's
        target = Target.named(name)
        assert ("-p:32:32" in target.data_layout) == (target.pointer_bits == 32), name
        assert target.triple.split("-")[0] == target.name.split("-")[0], name


def test_target_is_in_the_cache_keys(programs):
    from tracejit.compiler.fingerprint import program_fingerprint
    fn, args = programs["reduction"]
    comp = tj.jit(fn).lower(*args).compilation
    host, arm = comp.generic_for(host_target()), comp.generic_for(Target.named("aarch64-linux-gnu"))
    assert program_fingerprint(host) != program_fingerprint(arm)
    assert "target=" + host_target().key in program_fingerprint(host)


def _run_for(target: Target, fn, *args):
    """``fn(*args)`` run by the JIT from a program generated for ``target`` (a variant of
    the host, such as the host without FMA)."""
    from tracejit.compile import load, optimize_cached
    comp = tj.jit(fn).lower(*args).compilation
    program = optimize_cached(comp.traced.graph, comp.fastmath, target).program
    assert program.target == target
    return load(program)(list(args))[0]


def _ulps(got: np.ndarray, want: np.ndarray) -> float:
    return float(np.max(np.abs(got - want) / np.spacing(np.abs(want))))


def test_math_library_without_fma_keeps_its_accuracy():
    """A target without FMA (wasm32) gets no llvm.fma from the math library, and its exact
    products (Dekker's, for Payne-Hanek reduction, pow's double-double log, cbrt) stay
    exact: checked on the host against NumPy (the host's backend may still fuse
    ``llvm.fmuladd``, which the accuracy bound allows either way)."""
    no_fma = dataclasses.replace(host_target(), name="host without FMA", fma=False)
    rng = np.random.default_rng(1)
    huge = rng.uniform(1e6, 1e15, 20000)
    base, power = rng.uniform(0.1, 50.0, 20000), rng.uniform(-30.0, 30.0, 20000)
    cases = [(np.sin, (huge,)), (np.cos, (huge,)), (np.power, (base, power)), (np.cbrt, (huge,)),
             (np.exp, (power,)), (np.log, (base,)), (np.sin, (huge.astype(np.float32),)),
             (np.power, (base.astype(np.float32), (power / 4).astype(np.float32))),
             (np.exp, (power.astype(np.float32),)), (np.tanh, ((power / 10).astype(np.float32),))]
    for ufunc, args in cases:
        text = module_ir(ufunc, args, no_fma)
        assert "@llvm.fma." not in text, ufunc.__name__
        got = _run_for(no_fma, lambda *a, f=ufunc: f(*a), *args)
        assert _ulps(got, ufunc(*args)) <= 3, ufunc.__name__  # the documented bounds: 2 (float32), 3 ulp


CROSS_TOOLS = {"aarch64-linux-gnu": ("aarch64-linux-gnu-gcc", "qemu-aarch64"),
               "armv7-linux-gnueabihf": ("arm-linux-gnueabihf-gcc", "qemu-arm"),
               "riscv64-linux-gnu": ("riscv64-linux-gnu-gcc", "qemu-riscv64")}
HARNESS = r"""
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
typedef void (*task_t)(void *, int64_t, int64_t);
static void parallel_for(task_t task, void *args, int64_t extent, int64_t grain) {  /* serial */
    if (!task) return;  /* parking the pool: there is none */
    for (int64_t b = 0; b < extent; b += grain) task(args, b, b + grain < extent ? b + grain : extent);
}
extern void ENTRY(void **bufs, void *parallel_for);
static const long bytes[] = {BYTES};
static const int is_input[] = {INPUTS};
static int64_t sizes[] = {SIZES};
int main(int argc, char **argv) {
    void *bufs[NBUF + 1];
    FILE *in = fopen(argv[1], "rb"), *out = fopen(argv[2], "wb");
    for (int i = 0; i < NBUF; i++) {
        bufs[i] = aligned_alloc(64, (bytes[i] + 63) / 64 * 64);
        if (is_input[i] && fread(bufs[i], 1, bytes[i], in) != (size_t)bytes[i]) return 2;
    }
    bufs[NBUF] = sizes;
    ENTRY(bufs, (void *)parallel_for);
    for (int i = 0; i < NBUF; i++)
        if (!is_input[i]) fwrite(bufs[i], 1, bytes[i], out);
    return fclose(out);
}
"""


@pytest.mark.parametrize("target", list(CROSS_TOOLS))
@pytest.mark.parametrize("name", ["transcendental", "half_map"])
def test_objects_run_under_qemu(programs, tmp_path, target, name):
    """The object for ``target`` linked with a C caller and run under qemu computes what the
    host JIT computes (the same math library; within 2 ulps, the float32 bound, where the
    targets' instruction selection may contract or round differently)."""
    gcc, qemu = CROSS_TOOLS[target]
    if not (shutil.which(gcc) and shutil.which(qemu)):
        pytest.skip(f"needs {gcc} and {qemu}")
    from tracejit.compile import llvm_ir
    from tracejit.compiler.codegen.symbols import symbol_names
    from tracejit.compiler.generic_sizes import size_table
    fn, args = programs[name]
    jitted = tj.jit(lambda *a: fn(*a))
    generic = jitted.lower(*args).compilation.generic_for(Target.named(target))
    bufs = sorted(generic.buffers, key=lambda b: b.id)
    assert [b.id for b in bufs] == list(range(len(bufs))) and {b.kind for b in bufs} <= {"input", "output"}
    (tmp_path / "k.ll").write_text(llvm_ir(generic, "tjq"))
    _emit_all([(name, target, str(tmp_path / "k.ll"), str(tmp_path / "k.o"))], tmp_path)
    source = HARNESS.replace("ENTRY", symbol_names(generic, "tjq").entry).replace("NBUF", str(len(bufs)))
    want = np.asarray(jitted(*args))
    nbytes = [args[b.index].nbytes if b.kind == "input" else want.nbytes for b in bufs]
    assert len(generic.outputs) == 1
    source = source.replace("BYTES", ", ".join(map(str, nbytes)))
    source = source.replace("INPUTS", ", ".join("1" if b.kind == "input" else "0" for b in bufs))
    source = source.replace("SIZES", ", ".join(str(int(v)) for v in size_table(generic)))
    (tmp_path / "main.c").write_text(source)
    subprocess.run([gcc, "-O1", "-static", str(tmp_path / "main.c"), str(tmp_path / "k.o"), "-lm", "-o",
                    str(tmp_path / "prog")], check=True, capture_output=True)
    inputs = sorted((b for b in bufs if b.kind == "input"), key=lambda b: b.index)
    (tmp_path / "in.bin").write_bytes(b"".join(np.ascontiguousarray(args[b.index]).tobytes() for b in inputs))
    subprocess.run([qemu, str(tmp_path / "prog"), str(tmp_path / "in.bin"), str(tmp_path / "out.bin")],
                   check=True, timeout=300)
    got = np.frombuffer((tmp_path / "out.bin").read_bytes(), dtype=want.dtype)
    want = want.ravel()
    assert got.shape == want.shape
    close = np.isclose(got.astype(np.float64), want.astype(np.float64), rtol=0, atol=0) | \
        (np.abs(got.astype(np.float64) - want) <= 2 * np.spacing(np.abs(want)).astype(np.float64))
    assert close.all(), f"{(~close).sum()} of {got.size} differ: {got[~close][:5]} vs {want[~close][:5]}"



def _conversion_loops():
    """The module's half conversions, JIT-compiled on the host as loops over arrays of bits:
    (extend: uint16 -> uint32 bits, truncate: uint32 -> uint16 bits)."""
    import ctypes

    import llvmlite.binding as llvm
    from llvmlite import ir

    from tracejit.compiler.codegen.halfcalls import EXTEND, TRUNCATE, define_half_libcalls

    i16, i32, i64, ptr = ir.IntType(16), ir.IntType(32), ir.IntType(64), ir.PointerType()
    module = ir.Module("halfcalls")
    module.triple, module.data_layout = host_target().triple, host_target().data_layout
    define_half_libcalls(module)

    def loop(name, src, dst, convert):
        fn = ir.Function(module, ir.FunctionType(ir.VoidType(), [ptr, ptr, i64]), name)
        entry, body, done = (fn.append_basic_block(n) for n in ("entry", "body", "done"))
        b = ir.IRBuilder(entry)
        b.cbranch(b.icmp_signed(">", fn.args[2], ir.Constant(i64, 0)), body, done)
        b = ir.IRBuilder(body)
        i = b.phi(i64)
        i.add_incoming(ir.Constant(i64, 0), entry)
        value = convert(b, b.load(b.gep(fn.args[0], [i], source_etype=src), typ=src))
        b.store(value, b.gep(fn.args[1], [i], source_etype=dst))
        nxt = b.add(i, ir.Constant(i64, 1))
        i.add_incoming(nxt, body)
        b.cbranch(b.icmp_signed("<", nxt, fn.args[2]), body, done)
        ir.IRBuilder(done).ret_void()

    ext, trunc = module.globals[EXTEND], module.globals[TRUNCATE]
    loop("extend", i16, i32, lambda b, v: b.bitcast(b.call(ext, [b.bitcast(v, ir.HalfType())]), i32))
    loop("truncate", i32, i16, lambda b, v: b.bitcast(b.call(trunc, [b.bitcast(v, ir.FloatType())]), i16))
    parsed = llvm.parse_assembly(str(module))
    parsed.verify()
    host = host_target()  # an engine owns its target machine: its own, not the JIT's shared one
    machine = llvm.Target.from_triple(host.triple).create_target_machine(cpu=host.cpu, features=host.features, jit=True)
    engine = llvm.create_mcjit_compiler(parsed, machine)
    engine.finalize_object()
    proto = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64)
    fns = [proto(engine.get_function_address(n)) for n in ("extend", "truncate")]

    def run(fn, values, out_dtype):
        out = np.empty(values.size, out_dtype)
        fn(values.ctypes.data, out.ctypes.data, values.size)
        return out
    return engine, (lambda h: run(fns[0], h, np.uint32)), (lambda u: run(fns[1], u, np.uint16))


def test_module_half_conversions_round_as_numpy():
    """``codegen/halfcalls.py``'s conversions (riscv64 and wasm32 objects define them), run on
    the host: float16 -> float32 for all 65536 values, float32 -> float16 over the subnormal
    and overflow boundaries and random bits, both signs, bit for bit as NumPy (NaN: NaN)."""
    engine, extend, truncate = _conversion_loops()
    h = np.arange(65536, dtype=np.uint32).astype(np.uint16)
    got, want = extend(h).view(np.float32), h.view(np.float16).astype(np.float32)
    nan = np.isnan(want)
    assert (got[~nan].view(np.uint32) == want[~nan].view(np.uint32)).all() and np.isnan(got[nan]).all()
    rng = np.random.default_rng(0)
    u = np.concatenate([np.arange(0x33000000 - 64, 0x38900000, 11, dtype=np.uint32),  # subnormal results
                        np.arange(0x477FD000, 0x47801000, dtype=np.uint32),  # around 65504 and infinity
                        rng.integers(0, 2**32, 2_000_000, dtype=np.uint64).astype(np.uint32)])
    u = np.concatenate([u, u | np.uint32(0x80000000)])
    with np.errstate(over="ignore"):
        want16 = u.view(np.float32).astype(np.float16)
    got16 = truncate(u)
    nan = np.isnan(want16)
    assert (got16[~nan] == want16[~nan].view(np.uint16)).all() and np.isnan(got16[nan].view(np.float16)).all()
    del engine
