"""The call path: the native wrapper that reads data pointers from array objects, its
specialized Python closures, and the table-of-pointers fallback give the same results."""
from __future__ import annotations

import numpy as np
import pytest

import tracejit as tj
from tracejit.runtime import executable
from tests.conftest import assert_same

RNG = np.random.default_rng(95)


def programs():
    x = RNG.standard_normal((40, 30)).astype(np.float32)
    w = (RNG.standard_normal((30, 30)) / 5).astype(np.float32)
    v = RNG.standard_normal(300_000).astype(np.float32)  # pooled (>= 1 MiB) outputs
    return [
        ("one output", lambda a, b: a * 2 + b, (x, x)),
        ("several outputs and a scalar", lambda a, b: (a + b, (a * b).sum(), {"d": a - b}), (x, x[::-1])),
        ("repeated result", lambda a: (a * 2, a * 2), (x,)),
        ("temporaries in the arena", lambda a, w: np.tanh(a @ w) @ w + a.sum(axis=0), (x, w)),
        ("unused argument", lambda a, b, c: a + c, (x, x, x)),
        ("pooled output", lambda a: np.exp(-a) * 3, (v,)),
        ("constant operand", lambda a: a + np.linspace(0.0, 1.0, 30, dtype=np.float32), (x,)),
    ]


@pytest.mark.parametrize("name,fn,args", programs(), ids=[p[0] for p in programs()])
@pytest.mark.parametrize("wrapper", [True, False], ids=["native wrapper", "pointer table"])
def test_call_paths_match_eager(name, fn, args, wrapper, monkeypatch):
    monkeypatch.setattr(executable, "_offset_ok", wrapper)
    f = tj.jit(fn)
    for _ in range(3):  # first call, then the cached fast path
        got = f(*args)
    assert (f.lower(*args).executable._call is not None) == wrapper
    assert_same(got, fn(*args), rtol=2e-5, atol=2e-5)


def test_results_are_fresh_arrays_each_call():
    f = tj.jit(lambda a: a + 1)
    x = np.arange(5.0)
    r1, r2 = f(x), f(x)
    assert r1 is not r2 and not np.shares_memory(r1, r2)
    r1[:] = 0
    assert_same(r2, x + 1)


def test_data_offset_probe_matches_numpy():
    assert executable.array_data_offset_ok() in (True, False)
    probe = np.arange(4.0)
    import ctypes
    if executable.array_data_offset_ok():
        assert ctypes.c_void_p.from_address(id(probe) + executable.ARRAY_DATA_OFFSET).value == probe.ctypes.data
