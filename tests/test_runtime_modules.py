"""The runtime's own modules (native dispatch, the thread pool) are compiled with a process's
first program, at the same time as its parts (``engine.Companion``), not one after another
on its first call; the pool only for a program that runs parallel kernels. Each case runs in
a fresh process (what a first call meets), the disk cache off or in a folder of its own."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

CHILD = """
import json, os, sys
import numpy as np
import tracejit as tj
from tracejit.runtime import engine, threads
loads = []
load_cached = engine.load_cached

def recording(key, symbols, *args, **kwargs):
    compiled, source = load_cached(key, symbols, *args, **kwargs)
    loads.append([symbols[0], source, len(kwargs.get("along") or (args[2:3] and args[2]) or [])])
    return compiled, source

engine.load_cached = recording
n = int(sys.argv[1])
f = tj.jit(lambda x, y: np.sin(x) * y + 1.0)
x = np.linspace(0.0, 3.0, n).astype(np.float32)
ok = bool(np.allclose(f(x, x), np.sin(x) * x + 1.0, rtol=1e-5, atol=1e-5)) and f(x, x).shape == x.shape
if sys.argv[2] == "fork":  # the child compiles (its parts on threads) and runs the pool's code
    pid = os.fork()
    if pid == 0:
        g = tj.jit(lambda x: np.cos(x) * 2.0)
        good = np.allclose(g(x), np.cos(x) * 2.0, rtol=1e-5, atol=1e-5) and np.allclose(f(x, x), np.sin(x) * x + 1.0)
        os._exit(0 if good else 3)
    ok = ok and os.waitpid(pid, 0)[1] == 0
print(json.dumps({"ok": ok, "loads": loads, "pool": threads.started()}))
"""


def _first_call(n: int, cache_dir: str | None, fork: bool = False) -> dict:
    env = dict(os.environ, TRACEJIT_NUM_THREADS="2")
    if cache_dir is None:
        env["TRACEJIT_CACHE"] = "0"
    else:
        env.pop("TRACEJIT_CACHE", None)
        env["TRACEJIT_CACHE_DIR"] = cache_dir
    done = subprocess.run([sys.executable, "-c", CHILD, str(n), "fork" if fork else "-"], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def _sources(out: dict) -> dict[str, str]:
    return {name: source for name, source, _ in out["loads"]}


def test_parallel_program_compiles_pool_and_dispatch_with_it():
    out = _first_call(1 << 20, None)
    assert out["ok"] and out["pool"]
    program, along = out["loads"][0][0], out["loads"][0][2]
    assert along == 2  # native dispatch and the pool, at the same time as the program
    assert _sources(out) == {program: "compiled", "tj_worker": "memory", "tj_dispatch": "memory"}


def test_serial_program_compiles_no_pool():
    out = _first_call(100, None)
    assert out["ok"] and not out["pool"]
    assert [(s, a) for _, s, a in out["loads"]] == [("compiled", 1), ("memory", 0)]
    assert "tj_worker" not in _sources(out)


def test_disk_cache_holds_them_apart(tmp_path):
    """Compiled with the program, each is stored under its own key: a second process finds
    the program on disk and loads the pool and the dispatcher from there too."""
    first = _first_call(1 << 20, str(tmp_path))
    second = _first_call(1 << 20, str(tmp_path))
    assert first["ok"] and second["ok"]
    assert set(_sources(second).values()) == {"disk"}


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_fork_after_the_first_call():
    """A forked child compiles (parts on threads of its own) and runs parallel code."""
    out = _first_call(1 << 20, None, fork=True)
    assert out["ok"]
