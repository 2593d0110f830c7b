"""The persistent cache: a second process loads object code instead of compiling;
corrupted entries are recompiled and rewritten; unsafe directories are refused with a
warning; concurrent writers both succeed."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

import tracejit as tj
from tracejit.runtime import diskcache

PROGRAM = """
import json, sys, warnings
import numpy as np, tracejit as tj
warnings.simplefilter("always")
x = np.linspace(-3, 3, 1000, dtype=np.float32)
f = tj.jit(lambda a, b: np.sin(a) * np.exp(-b) + a * b)
y = f(x, x[::-1].copy())
low = f.lower(x, x[::-1].copy())
info = f.cache_info()
print(json.dumps({"compilations": info.compilations, "disk_hits": info.disk_hits,
                  "sum": float(np.float64(y.astype(np.float64).sum())),
                  "asm": "ret" in low.as_text("asm"), "opt": "define" in low.as_text("llvm-opt")}))
"""


def run(cache_dir: str, enabled: str = "1") -> tuple[dict, str]:
    env = {**os.environ, "TRACEJIT_CACHE": enabled, "TRACEJIT_CACHE_DIR": cache_dir}
    res = subprocess.run([sys.executable, "-c", PROGRAM], capture_output=True, text=True, env=env, timeout=120)
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout.strip().splitlines()[-1]), res.stderr


RUNTIME_MODULES = {diskcache.cache_key(name) + ".o" for name in ("tracejit dispatcher", "tracejit thread pool")}


def entries(cache_dir) -> list[str]:
    """The cached programs (not the runtime's own dispatcher and thread pool modules)."""
    return sorted(n for n in os.listdir(cache_dir)
                  if n.endswith(".o") and not n.startswith(".") and n not in RUNTIME_MODULES)


def test_second_process_loads_object_code(tmp_path):
    cache = str(tmp_path / "cache")
    first, _ = run(cache)
    assert first["compilations"] == 1 and first["disk_hits"] == 0
    assert len(entries(cache)) == 1 and (os.stat(cache).st_mode & 0o777) == 0o700
    second, _ = run(cache)
    assert second["compilations"] == 0 and second["disk_hits"] == 1
    assert second["sum"] == first["sum"] and second["asm"] and second["opt"]


def test_corrupted_or_truncated_entries_are_recompiled_and_rewritten(tmp_path):
    cache = str(tmp_path / "cache")
    run(cache)
    (name,) = entries(cache)
    path = os.path.join(cache, name)
    good = open(path, "rb").read()
    for broken in (good[: len(good) // 2], good[:-1] + bytes([good[-1] ^ 0xFF]), b"", b"junk"):
        with open(path, "wb") as fh:
            fh.write(broken)
        again, _ = run(cache)
        assert again["compilations"] == 1 and again["disk_hits"] == 0
        assert open(path, "rb").read() == good  # rewritten
    assert run(cache)[0]["disk_hits"] == 1


def test_directory_others_can_write_is_refused(tmp_path):
    cache = tmp_path / "shared"
    cache.mkdir()
    os.chmod(cache, 0o777)
    result, stderr = run(str(cache))
    assert result["compilations"] == 1 and "not using cache directory" in stderr
    assert entries(cache) == []
    assert run(str(cache))[0]["disk_hits"] == 0


def test_entry_others_can_write_is_ignored(tmp_path):
    cache = str(tmp_path / "cache")
    run(cache)
    (name,) = entries(cache)
    os.chmod(os.path.join(cache, name), 0o666)
    result, stderr = run(cache)
    assert result["disk_hits"] == 0 and "others can write" in stderr


def test_cache_off_writes_nothing(tmp_path):
    cache = str(tmp_path / "cache")
    result, _ = run(cache, enabled="0")
    assert result["compilations"] == 1 and not os.path.exists(cache)


def test_two_processes_filling_the_cache_at_once(tmp_path):
    cache = str(tmp_path / "cache")
    env = {**os.environ, "TRACEJIT_CACHE": "1", "TRACEJIT_CACHE_DIR": cache}
    procs = [subprocess.Popen([sys.executable, "-c", PROGRAM], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, env=env) for _ in range(3)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), [e for _, e in outs]
    sums = {json.loads(o.strip().splitlines()[-1])["sum"] for o, _ in outs}
    assert len(sums) == 1 and len(entries(cache)) == 1
    assert not [n for n in os.listdir(cache) if n.startswith(".tmp-")]
    assert run(cache)[0]["disk_hits"] == 1


def test_identical_programs_in_one_process_share_code(tmp_path, monkeypatch):
    """Two functions compiling to the same IR load it once (same symbols, no clash)."""
    monkeypatch.setattr(tj.config, "cache_enabled", True)
    monkeypatch.setattr(tj.config, "cache_dir", str(tmp_path / "cache"))
    x = np.arange(1000.0)
    f = tj.jit(lambda a: np.tanh(a) * 3.0 + 0.25)
    g = tj.jit(lambda a: np.tanh(a) * 3.0 + 0.25)
    assert np.array_equal(f(x), g(x))
    assert f.lower(x).executable.compiled is not None
    assert len(entries(tmp_path / "cache")) == 1


def test_key_covers_ir_target_and_versions():
    a, b = diskcache.cache_key("define void @f() { ret void }"), diskcache.cache_key("define void @g() { ret void }")
    assert a != b and len(a) == 64 and a == diskcache.cache_key("define void @f() { ret void }")


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX ownership")
def test_private_check():
    st = os.stat_result((0o40700, 0, 0, 0, os.getuid(), 0, 0, 0, 0, 0))
    assert diskcache.owned_privately(st)
    assert not diskcache.owned_privately(os.stat_result((0o40770, 0, 0, 0, os.getuid(), 0, 0, 0, 0, 0)))
    assert not diskcache.owned_privately(os.stat_result((0o40700, 0, 0, 0, os.getuid() + 1, 0, 0, 0, 0, 0)))


OPTIMIZER_COUNT = """
import json
import numpy as np, tracejit as tj
import tracejit.compile as compile_path
calls = []
real = compile_path.optimize
compile_path.optimize = lambda *a, **k: calls.append(1) or real(*a, **k)
x = np.linspace(-3, 3, 4096, dtype=np.float32).reshape(64, 64)
f = tj.jit(lambda a: np.exp(a - a.max(axis=1, keepdims=True)) / 3.0)
y = f(x)
print(json.dumps({"optimized": len(calls), "sum": float(y.astype(np.float64).sum()),
                  "kernels": f.lower(x).as_text("kernels")}))
"""


def test_second_process_reuses_the_optimized_program(tmp_path):
    cache = str(tmp_path / "cache")
    env = {**os.environ, "TRACEJIT_CACHE": "1", "TRACEJIT_CACHE_DIR": cache}

    def child():
        res = subprocess.run([sys.executable, "-c", OPTIMIZER_COUNT], capture_output=True, text=True, env=env,
                             timeout=120)
        assert res.returncode == 0, res.stderr
        return json.loads(res.stdout.strip().splitlines()[-1])

    first = child()
    assert first["optimized"] == 1
    progs = [n for n in os.listdir(cache) if n.endswith(".prog")]
    assert len(progs) == 1
    second = child()
    assert second["optimized"] == 0 and second["sum"] == first["sum"] and second["kernels"] == first["kernels"]
    with open(os.path.join(cache, progs[0]), "r+b") as fh:  # a corrupted entry: optimized again
        fh.seek(-3, os.SEEK_END)
        fh.write(b"\0\0\0")
    third = child()
    assert third["optimized"] == 1 and third["sum"] == first["sum"]


def test_graph_fingerprint_tells_programs_apart():
    from tracejit.compiler.graph import graph_fingerprint
    x = np.ones(8, np.float32)
    g1 = tj.jit(lambda a: a * 2.0).lower(x).traced.graph
    g2 = tj.jit(lambda a: a * 3.0).lower(x).traced.graph
    g3 = tj.jit(lambda a: a + np.arange(8, dtype=np.float32)).lower(x).traced.graph
    g4 = tj.jit(lambda a: a + np.arange(1, 9, dtype=np.float32)).lower(x).traced.graph
    prints = {graph_fingerprint(g) for g in (g1, g2, g3, g4)}
    assert len(prints) == 4


# -- entries bound to their keys and validated before use (issue 14, item 22) --------------

TWO = """
import json, sys, warnings
import numpy as np, tracejit as tj
warnings.simplefilter("always")
x = np.linspace(-2, 2, 999)
fs = {"f": lambda a: np.sin(a) * 2.0 + a, "g": lambda a: np.cumsum(a) - 1.0}
out = {}
for name in sys.argv[1:]:
    j = tj.jit(fs[name])
    y = j(x)
    info = j.cache_info()
    out[name] = {"ok": bool(np.allclose(y, fs[name](x), rtol=1e-13, atol=0)), "compilations": info.compilations,
                 "disk_hits": info.disk_hits}
print(json.dumps(out))
"""


def _two(cache: str, *names: str) -> tuple[dict, str]:
    env = {**os.environ, "TRACEJIT_CACHE": "1", "TRACEJIT_CACHE_DIR": cache}
    res = subprocess.run([sys.executable, "-c", TWO, *names], capture_output=True, text=True, env=env, timeout=120)
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout.strip().splitlines()[-1])
    assert all(r["ok"] for r in out.values()), out
    return out, res.stderr


def _files_of_each(cache: str) -> dict[str, dict[str, str]]:
    """The entries (suffix -> path) that f's and g's programs wrote."""
    _two(cache, "f")
    before = set(os.listdir(cache))
    _two(cache, "g")
    files = {"f": {}, "g": {}}
    for name in os.listdir(cache):
        if not name.startswith(".") and name not in RUNTIME_MODULES:
            files["g" if name not in before else "f"][os.path.splitext(name)[1]] = os.path.join(cache, name)
    assert set(files["f"]) == set(files["g"]) == {".o", ".prog"}, files
    return files


def _payload(path: str) -> bytes:
    """An entry's contents without its envelope (format, checksum, key)."""
    data = open(path, "rb").read()
    return data[data.index(b"\n", len(diskcache.FORMAT) + 32) + 1:]


def _key(path: str) -> str:
    return os.path.splitext(os.path.basename(path))[0]


def _rewrap(monkeypatch, cache: str, key: str, payload: bytes, suffix: str) -> None:
    """Store ``payload`` under ``key`` as the cache itself would: a well-formed entry."""
    monkeypatch.setattr(tj.config, "cache_enabled", True)
    monkeypatch.setattr(tj.config, "cache_dir", cache)
    assert diskcache.write(key, payload, suffix)
    monkeypatch.undo()


def _assert_recovers(cache: str, files: dict, stderr: str, problem: str) -> None:
    """g was compiled again with a warning naming ``problem``; f and g then load from disk."""
    assert problem in stderr and stderr.count("ignoring cache entry") == 1, stderr
    again, stderr = _two(cache, "f", "g")
    assert again["f"]["disk_hits"] == again["g"]["disk_hits"] == 1, again
    assert "ignoring" not in stderr


def test_entry_copied_under_another_key_is_a_miss(tmp_path):
    cache = str(tmp_path / "cache")
    files = _files_of_each(cache)
    for suffix in (".o", ".prog"):
        shutil.copyfile(files["f"][suffix], files["g"][suffix])
    out, stderr = _two(cache, "g")
    assert out["g"] == {"ok": True, "compilations": 1, "disk_hits": 0}
    _assert_recovers(cache, files, stderr, "stored under another key")


def test_foreign_object_code_under_the_right_key_is_refused(tmp_path, monkeypatch):
    cache = str(tmp_path / "cache")
    files = _files_of_each(cache)
    g_key = _key(files["g"][".o"])
    # another program's object code, in an envelope that is right for g's key
    _rewrap(monkeypatch, cache, g_key, _payload(files["f"][".o"]), ".o")
    out, stderr = _two(cache, "g")
    assert out["g"]["compilations"] == 1
    _assert_recovers(cache, files, stderr, "does not define")
    # a well-formed object file of something else entirely
    import llvmlite.binding as llvm

    from tracejit.compiler.target import init_llvm, target_machine
    init_llvm()
    foreign = target_machine().emit_object(llvm.parse_assembly("define i32 @foo() {\n ret i32 7\n}"))
    _rewrap(monkeypatch, cache, g_key, foreign, ".o")
    out, stderr = _two(cache, "g")
    assert out["g"]["compilations"] == 1
    _assert_recovers(cache, files, stderr, "does not define")


def test_truncated_entries_are_a_miss(tmp_path, monkeypatch):
    cache = str(tmp_path / "cache")
    files = _files_of_each(cache)
    for suffix in (".o", ".prog"):
        data = open(files["g"][suffix], "rb").read()
        for cut in (len(data) // 3, len(data) - 1):
            with open(files["g"][suffix], "wb") as fh:
                fh.write(data[:cut])
            out, stderr = _two(cache, "g")
            assert out["g"]["disk_hits"] == (suffix == ".prog")  # a broken program entry: object code still loads
            _assert_recovers(cache, files, stderr, "truncated or corrupted")
    # a truncated object file in a well-formed envelope: refused before it is loaded
    g_key = _key(files["g"][".o"])
    payload = _payload(files["g"][".o"])
    for cut in (len(payload) // 2, 100, 3):
        _rewrap(monkeypatch, cache, g_key, payload[:cut], ".o")
        out, stderr = _two(cache, "g")
        assert out["g"]["compilations"] == 1
        _assert_recovers(cache, files, stderr, "not a well-formed object file")


def test_pickled_program_under_another_key_is_never_used(tmp_path, monkeypatch):
    cache = str(tmp_path / "cache")
    files = _files_of_each(cache)
    shutil.copyfile(files["f"][".prog"], files["g"][".prog"])  # copied: refused before unpickling
    out, stderr = _two(cache, "g")
    assert out["g"]["disk_hits"] == 1  # (its object code is fine)
    _assert_recovers(cache, files, stderr, "stored under another key")
    # f's pickled program in an envelope right for g's key: unpickled, and refused
    _rewrap(monkeypatch, cache, _key(files["g"][".prog"]), _payload(files["f"][".prog"]), ".prog")
    out, stderr = _two(cache, "g")
    _assert_recovers(cache, files, stderr, "not the program of this graph")
    _rewrap(monkeypatch, cache, _key(files["g"][".prog"]), b"\x80\x05junk", ".prog")
    out, stderr = _two(cache, "g")
    _assert_recovers(cache, files, stderr, "does not unpickle")


def test_object_check_never_raises_on_bad_bytes():
    import llvmlite.binding as llvm

    from tracejit.compiler.target import init_llvm, target_machine
    from tracejit.runtime import objcheck
    init_llvm()
    obj = target_machine().emit_object(llvm.parse_assembly("define i32 @tj_a() {\n ret i32 7\n}\n"
                                                           "define i32 @tj_b() {\n ret i32 8\n}"))
    if not (sys.platform.startswith(("linux", "freebsd", "openbsd", "netbsd")) and sys.maxsize > 2**32):
        pytest.skip("object files are ELF only on Linux and the BSDs (64-bit)")
    assert objcheck.defined_symbols(obj) == {"tj_a", "tj_b"}
    assert objcheck.problem(obj, ["tj_a", "tj_b"]) is None
    assert "does not define tj_c" in objcheck.problem(obj, ["tj_a", "tj_c"])
    assert "outside tj_a" in objcheck.problem(obj, ["tj_a"])
    rng = np.random.default_rng(0)
    for bad in [b"", b"\x7fELF", obj[:64], obj[: len(obj) // 2], obj[:-1], rng.bytes(4096),
                obj[:40] + b"\xff" * 8 + obj[48:], obj[:60] + b"\xff\xff" + obj[62:]]:
        assert objcheck.problem(bad, ["tj_a", "tj_b"]) is not None
    for i in range(0, len(obj), 7):  # every corrupted byte: a problem or the same symbols, never an exception
        damaged = obj[:i] + bytes([obj[i] ^ 0xA5]) + obj[i + 1:]
        objcheck.problem(damaged, ["tj_a", "tj_b"])
