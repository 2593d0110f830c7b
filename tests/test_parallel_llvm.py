"""A program's module compiled in parts (``compiler/codegen/split.py``, ``runtime/parallel_llvm.py``):
the parts define the whole module's symbols once each, results equal NumPy's and the one-part
compile's, bundles round-trip through the disk cache and its checks, threads compile at once."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import threading

import numpy as np
import pytest
from llvmlite import ir

import tracejit as tj
from tracejit.compiler.codegen import split
from tracejit.runtime import objcheck


def sin_exp(a, b, c, d):
    return a * b + np.sin(c) * np.exp(-d)


def mlp(x, w1, b1, w2, b2):
    return np.maximum(x @ w1 + b1, 0.0) @ w2 + b2


def _mlp_args(rng, n=64):
    f32 = np.float32
    return (rng.standard_normal((8, n), dtype=f32), rng.standard_normal((n, n), dtype=f32) / 8,
            rng.standard_normal(n, dtype=f32), rng.standard_normal((n, n), dtype=f32) / 8,
            rng.standard_normal(n, dtype=f32))


def _program(fn, args):
    """The generic program of ``fn`` on ``args`` and a process-unique prefix."""
    from tracejit.compiler.generic_sizes import parametrize
    from tracejit.compiler.schedule.memplan import plan_memory
    program = tj.jit(fn).lower(*args).compilation.optimized.program
    if program.plan is None:
        program.plan = plan_memory(program)
    return parametrize(program)


def _defined(text: str) -> set[str]:
    """The functions ``text`` defines for other objects (not its internal ones)."""
    import re
    return {m.strip('"') for m in re.findall(r'^define (?!internal )(?!private )[^@]*@("[^"]+"|[\w.$]+)', text, re.M)}


def _defined_internal(text: str) -> set[str]:
    import re
    return {m.strip('"') for m in re.findall(r'^define internal [^@]*@("[^"]+"|[\w.$]+)', text, re.M)}


@pytest.fixture
def no_disk_cache():
    was = tj.config.cache_enabled
    tj.config.cache_enabled = False
    yield
    tj.config.cache_enabled = was


@pytest.mark.parametrize("fn, make", [(mlp, _mlp_args),
                                      (sin_exp, lambda rng: tuple(rng.standard_normal(100, dtype=np.float32)
                                                                  for _ in range(4)))])
def test_parts_define_every_symbol_once(fn, make):
    from tracejit.compiler.codegen.module import build_module
    generic = _program(fn, make(np.random.default_rng(0)))
    module, names = build_module(generic, "tjsplit_test")
    whole = _defined(str(module))
    cold = {n for n in _defined_internal(str(module)) if n.startswith("tracejit.")}  # the math library's slow paths
    parts = split.split_module(module, {names.entry, names.call}, 3)
    assert 2 <= len(parts) <= 4, [p.defines for p in parts]
    seen: list[str] = []
    for part in parts:
        defined = _defined(part.text)
        seen += defined
        assert set(part.defines) == defined
    expected = (whole - cold) | {f"tjsplit_test_{n}" for n in cold}  # cold paths: external, renamed, once
    assert len(seen) == len(set(seen)) and set(seen) <= expected  # each exported by one part at most
    copies = set().union(*(_defined_internal(p.text) for p in parts))
    assert expected - set(seen) <= copies  # the others (small inlinable functions) copied where used
    main = parts[0]
    assert {names.entry, names.call} <= set(main.defines)
    glue = {names.entry, names.call} | {n for n in main.defines if n.endswith("_task")}
    # glue only (no loop in the driver or wrapper): light; a kernel too small to move keeps it at O3
    assert main.level == (split.LIGHT_LEVEL if set(main.defines) == glue else split.FULL_LEVEL)
    kernels = parts[1:-1] if cold else parts[1:]
    assert all(p.level == split.FULL_LEVEL for p in kernels)
    assert kernels or cold
    if cold:
        assert parts[-1].level == split.LIGHT_LEVEL and set(parts[-1].defines) == expected - whole
        assert all('define internal fastcc <16 x float> @"tracejit.' not in p.text for p in parts)
    assert all(set(p.defines) & {names.entry, names.call} == set() for p in parts[1:])
    alone = split.split_module(module, {names.entry, names.call}, 1)  # one thread: kernels stay with the driver
    assert len(alone) == 1 + bool(cold) and alone[0].level == split.FULL_LEVEL
    if not cold:
        assert alone[0].text == str(module)


def test_small_modules_stay_whole():
    from tracejit.compiler.codegen.module import build_module
    generic = _program(lambda a, b: a + b, (np.ones(4), np.ones(4)))
    module, names = build_module(generic, "tjsplit_small")
    parts = split.split_module(module, {names.entry, names.call}, 4)
    assert len(parts) == 1 and parts[0].level == split.FULL_LEVEL


def test_loops_are_found():
    m = ir.Module()
    fn = ir.Function(m, ir.FunctionType(ir.VoidType(), [ir.IntType(1)]), "f")
    entry, after, body, done = (fn.append_basic_block(n) for n in ("entry", "after", "body", "done"))
    b = ir.IRBuilder(entry)
    b.cbranch(fn.args[0], body, after)
    ir.IRBuilder(body).branch(after)  # a later block branching to an earlier one: no cycle
    ir.IRBuilder(after).branch(done)
    ir.IRBuilder(done).ret_void()
    assert not split.has_loop(fn)
    g = ir.Function(m, ir.FunctionType(ir.VoidType(), [ir.IntType(1)]), "g")
    head, tail = g.append_basic_block("head"), g.append_basic_block("tail")
    ir.IRBuilder(head).cbranch(g.args[0], head, tail)
    ir.IRBuilder(tail).ret_void()
    assert split.has_loop(g)


@pytest.mark.parametrize("threads", [1, 2, 4])
def test_results_equal_numpy_in_any_number_of_parts(threads, monkeypatch, no_disk_cache):
    from tracejit.runtime import engine
    monkeypatch.setattr(tj.config, "num_threads", threads)
    rng = np.random.default_rng(threads)
    before = engine.stats().get("parts", 0)
    for n in (64, 96):  # (the second size reuses the code: it is generic in sizes)
        args = _mlp_args(rng, n)
        shifted = (lambda *a: mlp(*a) - threads)  # (a program of its own: no code shared with other cases)
        np.testing.assert_allclose(tj.jit(shifted)(*args), shifted(*args), rtol=2e-5, atol=2e-5)
        vec = tuple(rng.standard_normal(1000, dtype=np.float32) for _ in range(4))
        scaled = (lambda *a: sin_exp(*a) * threads)
        np.testing.assert_allclose(tj.jit(scaled)(*vec), scaled(*vec), rtol=2e-6, atol=2e-6)
    assert engine.stats().get("parts", 0) > before  # (one thread: still the slow paths apart)


def test_dumps_of_a_split_module(monkeypatch, no_disk_cache):
    monkeypatch.setattr(tj.config, "num_threads", 2)
    args = _mlp_args(np.random.default_rng(1))
    f = tj.jit(mlp)
    f(*args)
    low = f.lower(*args)
    assert low.as_text("llvm").count("define ") >= 3
    assert "define" in low.as_text("llvm-opt") and "ret" in low.as_text("asm")


def test_threads_compiling_at_once(monkeypatch, no_disk_cache):
    monkeypatch.setattr(tj.config, "num_threads", 2)
    rng = np.random.default_rng(3)
    errors, results = [], {}

    def work(i):
        try:
            args = _mlp_args(np.random.default_rng(i), 32 + 8 * i)
            fn = (lambda *a: mlp(*a) * (i + 1))
            results[i] = (tj.jit(fn)(*args), mlp(*args) * (i + 1))
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    for got, want in results.values():
        np.testing.assert_allclose(got, want, rtol=3e-5, atol=3e-5)
    del rng


def test_bundles_and_their_checks():
    import llvmlite.binding as llvm

    from tracejit.compiler.target import init_llvm, target_machine
    init_llvm()
    a = target_machine().emit_object(llvm.parse_assembly("define i32 @tj_a() {\n ret i32 7\n}"))
    b = target_machine().emit_object(llvm.parse_assembly("declare i32 @tj_a()\ndefine i32 @tj_b() {\n"
                                                         " %r = call i32 @tj_a()\n ret i32 %r\n}"))
    assert objcheck.bundle([a]) == a and objcheck.unbundle(a) == [a]
    both = objcheck.bundle([a, b])
    assert objcheck.unbundle(both) == [a, b]
    if not (sys.platform.startswith(("linux", "freebsd", "openbsd", "netbsd")) and sys.maxsize > 2**32):
        pytest.skip("object files are ELF only on Linux and the BSDs (64-bit)")
    assert objcheck.problem(both, ["tj_a", "tj_b"]) is None
    assert "does not define tj_c" in objcheck.problem(both, ["tj_a", "tj_b", "tj_c"])
    assert "both define tj_a" in objcheck.problem(objcheck.bundle([a, a]), ["tj_a"])
    for bad in (both[:-1], both[:12], both + b"x", both[:8] + b"\xff" * 8 + both[16:]):
        assert objcheck.problem(bad, ["tj_a", "tj_b"]) is not None
    for i in range(0, 48, 3):  # a damaged header: refused or read consistently, never an exception
        objcheck.problem(both[:i] + bytes([both[i] ^ 0x5A]) + both[i + 1:], ["tj_a", "tj_b"])


BUNDLE_PROGRAM = """
import json, numpy as np, tracejit as tj
tj.config.num_threads = 2
rng = np.random.default_rng(0)
f32 = np.float32
args = (rng.standard_normal((8, 64), dtype=f32), rng.standard_normal((64, 64), dtype=f32) / 8,
        rng.standard_normal(64, dtype=f32), rng.standard_normal((64, 64), dtype=f32) / 8,
        rng.standard_normal(64, dtype=f32))
f = tj.jit(lambda x, w1, b1, w2, b2: np.maximum(x @ w1 + b1, 0.0) @ w2 + b2)
y = f(*args)
info = f.cache_info()
from tracejit.runtime import engine
print(json.dumps({"compilations": info.compilations, "disk_hits": info.disk_hits,
                  "parts": engine.stats().get("parts", 0),
                  "y": y.tolist(), "asm": "ret" in f.lower(*args).as_text("asm")}))
"""


def test_split_code_round_trips_through_the_disk_cache(tmp_path):
    env = {**os.environ, "TRACEJIT_CACHE": "1", "TRACEJIT_CACHE_DIR": str(tmp_path / "cache")}

    def run():
        res = subprocess.run([sys.executable, "-c", BUNDLE_PROGRAM], capture_output=True, text=True, env=env,
                             timeout=120)
        assert res.returncode == 0, res.stderr
        return json.loads(res.stdout.strip().splitlines()[-1])

    first, second = run(), run()
    assert first["compilations"] == 1 and first["parts"] >= 2
    assert second["compilations"] == 0 and second["disk_hits"] == 1 and second["parts"] == 0
    assert first["y"] == second["y"] and second["asm"]
    bundles = [n for n in os.listdir(tmp_path / "cache") if n.endswith(".o")]
    assert any(objcheck.BUNDLE in open(tmp_path / "cache" / n, "rb").read() for n in bundles)


def test_stage_times_of_a_split_compile(monkeypatch, no_disk_cache):
    from tracejit.stagetimes import recorded
    monkeypatch.setattr(tj.config, "num_threads", 2)
    with recorded() as records:
        tj.jit(lambda *a: mlp(*a) + 7)(*_mlp_args(np.random.default_rng(5)))
    times = records[0][1]
    assert times.seconds["LLVM optimize"] > 0 and times.seconds["machine code"] > 0  # (the threads' share)
    assert sum(times.seconds.values()) <= times.total + 1e-6


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_compiles_in_parts(monkeypatch, no_disk_cache):
    monkeypatch.setattr(tj.config, "num_threads", 2)
    tj.jit(lambda *a: mlp(*a) + 11)(*_mlp_args(np.random.default_rng(6)))  # the parent's compile threads start
    pid = os.fork()
    if pid == 0:  # the child: a new program, compiled in parts again (the parent's threads are gone)
        code = 1
        try:
            import signal
            signal.alarm(60)  # (a child waiting on threads it does not have dies, the test fails)
            args = _mlp_args(np.random.default_rng(7))
            got = tj.jit(lambda *a: mlp(*a) + 13)(*args)
            code = 0 if np.allclose(got, mlp(*args) + 13, rtol=3e-5, atol=3e-5) else 2
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, status
