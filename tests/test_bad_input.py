"""A corpus of awkward and wrong inputs fed to jitted functions in a subprocess: every
call either behaves exactly like eager NumPy (same result, or the same exception type)
or raises a clear TypeError/ValueError naming the argument; the process never crashes."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

SCRIPT = r'''
import json, warnings
import numpy as np, tracejit as tj
warnings.simplefilter("ignore")

def functions():
    return {
        "reduce_and_reverse": tj.jit(lambda x: (x.sum(), x[..., ::-1] - 1)),
        "binary": tj.jit(lambda x, y: x * 2 + y),
        "tail": tj.jit(lambda x: x[-3:] * 2),
    }

ro = np.arange(6.0); ro.flags.writeable = False
misaligned = np.frombuffer(np.zeros(41, np.uint8).tobytes(), dtype=np.float64, offset=1, count=5)
one = {
    "list": [1.0, 2.0, 3.0], "nested list": [[1, 2], [3, 4]], "object array": np.array([1, "a"], dtype=object),
    "read-only": ro, "non-contiguous": np.arange(20.0)[::3], "fortran": np.asfortranarray(np.ones((3, 4))),
    "negative strides": np.arange(10.0)[::-1], "zero-size": np.zeros((0, 3)), "0-d": np.array(3.5),
    "nan/inf": np.array([np.nan, np.inf, -np.inf, 0.0]), "None": None, "string": "abc", "dict": {"a": 1},
    "complex": np.ones(3, np.complex128), "float16": np.ones(3, np.float16), "bool": np.array([True, False]),
    "big-endian": np.arange(4, dtype=">f8"), "int8": np.arange(5, dtype=np.int8), "python float": 3.0,
    "datetime": np.array(["2020-01-01"], dtype="datetime64[D]"), "structured": np.zeros(2, dtype=[("a", "f4")]),
    "misaligned": misaligned, "uint64 max": np.array([2**64 - 1], np.uint64),
    "huge broadcast": np.broadcast_to(np.float32(1), (2**31 + 7,)),
}
two = {
    "shape mismatch": (np.ones(3), np.ones(4)), "rank": (np.ones((2, 3)), np.ones(3)),
    "list and array": ([1, 2, 3], np.ones(3)), "dtype mix": (np.ones(3, np.int8), np.ones(3, np.float32)),
    "int overflow": (np.array([2**62], np.int64), np.array([2**62], np.int64)),
}

def same(a, b):
    if isinstance(a, (tuple, list)):
        return type(a) is type(b) and len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    a, b = np.asarray(a), np.asarray(b)
    return a.dtype == b.dtype and a.shape == b.shape and (
        np.array_equal(a, b, equal_nan=a.dtype.kind in "fc") or np.allclose(a, b, equal_nan=True))

def outcome(f, args):
    try:
        with np.errstate(all="ignore"):
            return "ok", f(*args)
    except Exception as exc:
        return type(exc).__name__, str(exc)

report = []
fs = functions()
cases = [(n, "reduce_and_reverse", (x,)) for n, x in one.items() if n != "huge broadcast"]
cases += [(n, "tail", (x,)) for n, x in one.items() if n in ("huge broadcast", "negative strides", "0-d", "list")]
cases += [(n, "binary", args) for n, args in two.items()]
for name, fname, args in cases:
    jit, eager = outcome(fs[fname], args), outcome(fs[fname].eager, args)
    if jit[0] == "ok" and eager[0] == "ok":
        verdict = "same" if same(jit[1], eager[1]) else "DIFFERENT"
    elif jit[0] == eager[0]:
        verdict = "same error"
    elif jit[0] in ("TypeError", "ValueError") and "argument 'x'" in jit[1]:
        verdict = "clear error"
    else:
        verdict = f"MISMATCH jit {jit[0]}: {jit[1][:200]} / eager {eager[0]}: {eager[1][:200]}"
    report.append([name, fname, verdict])
print(json.dumps(report))
'''


def test_corpus_never_crashes_and_matches_eager():
    env = {**os.environ, "TRACEJIT_NUM_THREADS": "2"}
    res = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=env, timeout=300)
    assert res.returncode == 0, f"exit {res.returncode}\n{res.stderr[-3000:]}"
    report = json.loads(res.stdout.strip().splitlines()[-1])
    bad = [r for r in report if r[2] not in ("same", "same error", "clear error")]
    assert not bad, bad
    verdicts = {r[0]: r[2] for r in report}
    assert verdicts["float16"] == "same"  # float16 is supported (tests/test_float16.py)
    assert verdicts["complex"] == "same"  # complex arrays are supported (frontend/complex/value.py)
    assert verdicts["read-only"] == verdicts["misaligned"] == verdicts["big-endian"] == "same"


RSS_SCRIPT = r'''
import sys, numpy as np, tracejit as tj
def rss_kb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4
f = tj.jit(lambda x, y: (x * 2 + y, (x * y).sum()))
x, y = np.ones(8, np.float32), np.arange(8, dtype=np.float32)
big = np.ones(1 << 18, np.float32)  # 1 MiB: outputs come from the pool
for _ in range(20000):
    f(x, y); f(big, big)
before = rss_kb()
for _ in range(int(sys.argv[1])):
    f(x, y)
    f(big, big)  # pooled outputs are reused once the caller drops them
print(before, rss_kb())
'''


def _rss_growth_kb(calls: int) -> int:
    res = subprocess.run([sys.executable, "-c", RSS_SCRIPT, str(calls)], capture_output=True, text=True,
                         timeout=600)
    assert res.returncode == 0, res.stderr
    before, after = map(int, res.stdout.split())
    return after - before


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="reads /proc")
def test_cached_calls_do_not_grow_memory():
    assert _rss_growth_kb(30_000) < 1024


@pytest.mark.slow
@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="reads /proc")
def test_a_million_cached_calls_do_not_grow_memory():
    assert _rss_growth_kb(1_000_000) < 1024
