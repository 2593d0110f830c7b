"""The persistent cache: a second process loads object code instead of compiling;
corrupted entries are recompiled and rewritten; unsafe directories are refused with a
warning; concurrent writers both succeed."""
from __future__ import annotations

import json
import os
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
    assert diskcache._private(st)
    assert not diskcache._private(os.stat_result((0o40770, 0, 0, 0, os.getuid(), 0, 0, 0, 0, 0)))
    assert not diskcache._private(os.stat_result((0o40700, 0, 0, 0, os.getuid() + 1, 0, 0, 0, 0, 0)))


OPTIMIZER_COUNT = """
import json
import numpy as np, tracejit as tj
from tracejit.runtime import programcache
calls = []
real = programcache.optimize
programcache.optimize = lambda *a, **k: calls.append(1) or real(*a, **k)
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
    from tracejit.compiler.fingerprint import graph_fingerprint
    x = np.ones(8, np.float32)
    g1 = tj.jit(lambda a: a * 2.0).lower(x).traced.graph
    g2 = tj.jit(lambda a: a * 3.0).lower(x).traced.graph
    g3 = tj.jit(lambda a: a + np.arange(8, dtype=np.float32)).lower(x).traced.graph
    g4 = tj.jit(lambda a: a + np.arange(1, 9, dtype=np.float32)).lower(x).traced.graph
    prints = {graph_fingerprint(g) for g in (g1, g2, g3, g4)}
    assert len(prints) == 4
