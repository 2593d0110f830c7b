"""The call path: the native wrapper that reads data pointers from array objects, its
specialized Python closures, and the table-of-pointers fallback give the same results."""
from __future__ import annotations

import numpy as np
import pytest

import tracejit as tj
from tests.conftest import assert_same
from tests.threaded import run_in_threads
from tracejit.runtime import executable

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
    monkeypatch.setattr(executable, "_layout_ok", wrapper)
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


def test_layout_probe():
    """On this interpreter the wrapper's view of NumPy's array object holds."""
    assert executable.array_layout_ok()


class Sub(np.ndarray):
    pass


def test_direct_calls_check_every_argument():
    """After a call, the next goes straight to the compiled wrapper, which checks type,
    dtype, dims, contiguity and alignment natively; anything else takes the general path
    and still matches eager NumPy."""
    f = tj.jit(lambda a, b: a * 2 + b)
    x = RNG.standard_normal((6, 5)).astype(np.float32)
    f(x, x)
    assert f._direct is not None
    misaligned = np.frombuffer(np.zeros(6 * 5 * 4 + 1, np.uint8).tobytes(), np.float32, 30, 1).reshape(6, 5)
    others = [
        (x, x), (x + 1, x - 1),                                     # the same signature
        (x.astype(np.float64), x), (x[:, :4], x[:, :4]),            # dtype, dims
        (x.T.copy().T, x), (x[::-1], x), (misaligned, x),           # layout, alignment
        (x.view(Sub), x), (2.5, x), (x[0], x),                      # type, Python values, broadcasting
        (x.astype(">f4"), x), (np.zeros((6, 5), np.int32), x),      # byte order, ints
    ]
    for a, b in others:
        with np.errstate(all="ignore"):
            got, want = f(a, b), a * 2 + b
        assert_same(np.asarray(got), np.asarray(want))
    with pytest.raises(ValueError):
        f(x.tolist(), x)  # a list times 2 repeats it: (12, 5) against (6, 5), as in eager


def test_direct_call_follows_the_latest_signature():
    f = tj.jit(lambda a: a + 1)
    small, big = np.arange(4.0), np.arange(9.0)
    for _ in range(3):
        assert_same(f(small), small + 1)
        assert_same(f(big), big + 1)
    assert f.cache_info().traces == 2 and f.cache_info().hits == 4


def test_native_dispatch_is_the_call_path():
    """A jitted function's class calls the dispatcher's builtin; hits are counted there."""
    from tracejit.runtime import dispatcher
    if dispatcher.dispatcher() is None:
        pytest.skip("native dispatch is not available in this interpreter")
    f = tj.jit(lambda a, b: a * 2 + b)
    x = RNG.standard_normal(9).astype(np.float32)
    for _ in range(5):
        assert_same(f(x, x), x * 2 + x)
    # set up by the first compiled signature (decorating loads no llvmlite)
    assert type(type(f).__dict__["__call__"]).__name__ == "builtin_function_or_method"
    assert f.cache_info().hits == 4 and f._slot.hits >= 4
    assert_same(f(x, b=x), x * 2 + x)  # keywords, other arities and refusals: the fallback
    assert_same(f(x[::2], x[::2]), x[::2] * 2 + x[::2])
    with pytest.raises(TypeError):
        f(x)
    f.clear_cache()
    assert_same(f(x, x), x * 2 + x) and f.cache_info().traces == 1


def test_native_dispatch_follows_disable_jit(monkeypatch):
    seen = []

    def fn(a):
        seen.append(1)  # runs at every eager call, only while tracing otherwise
        return a + 1

    f = tj.jit(fn)
    x = np.arange(4.0)
    f(x), f(x)
    assert len(seen) == 1
    monkeypatch.setattr(tj.config, "disable_jit", True)
    assert_same(f(x), x + 1)
    assert len(seen) == 2
    monkeypatch.setattr(tj.config, "disable_jit", False)
    f(x)
    assert len(seen) == 2


def test_native_calls_release_the_gil_for_long_kernels():
    """While one thread runs a long kernel (small output, large input), another runs Python."""
    import threading
    import time
    f = tj.jit(lambda a: (a * a).sum(axis=1))
    a = np.ones((64, 2_000_000), np.float32)
    f(a)  # compile; the next calls take the native path
    done = threading.Event()
    ticks = []

    def worker():
        for _ in range(5):
            f(a)
        done.set()

    t = threading.Thread(target=worker)
    start = time.perf_counter()
    t.start()
    while not done.is_set():
        ticks.append(time.perf_counter())
        time.sleep(0.0005)
    t.join()
    gaps = np.diff([start] + ticks)
    # with the GIL held through each call, the ticks would stall for a whole kernel
    assert len(ticks) > 10 and gaps.max() < 0.5 * (ticks[-1] - start), (len(ticks), gaps.max())


def _hammer(f, make_args, threads: int = 6, calls: int = 3000) -> int:
    """Call ``f`` from ``threads`` threads started together, ``calls`` times each; the total."""
    import threading
    barrier = threading.Barrier(threads)

    def work():
        args, kwargs = make_args()
        barrier.wait()
        for _ in range(calls):
            f(*args, **kwargs)

    errors = run_in_threads(work, [()] * threads, switch_interval=1e-6)  # switch as often as the interpreter can
    assert not errors, errors
    return threads * calls


@pytest.mark.parametrize("path", ["native", "python: two results", "python: keywords", "python: scalar",
                                  "python: big output"])
def test_cache_info_counts_every_call_under_threads(path):
    """Every call is a trace or a hit, exactly, whichever path ran and however many threads
    call at once -- including the first calls, which wait while one of them compiles."""
    x = np.arange(8, dtype=np.float32)
    fns = {"native": (lambda a, b: a * 2 + b, lambda: ((x, x), {})),
           "python: two results": (lambda a, b: (a * 2, b + 1), lambda: ((x, x), {})),
           "python: keywords": (lambda a, b: a * 2 + b, lambda: ((x,), {"b": x})),
           "python: scalar": (lambda a, s: a * s, lambda: ((x, 2.0), {})),
           "python: big output": (lambda a: a * 2, lambda: ((np.ones(1 << 18, np.float32),), {}))}
    fn, make_args = fns[path]
    f = tj.jit(fn)
    total = _hammer(f, make_args)
    info = f.cache_info()
    assert info.traces == 1 and info.hits == total - 1, info
    total += _hammer(f, make_args)  # warm: every call a hit
    assert f.cache_info().hits == total - 1
