"""Calls whose arguments and results are nests (dicts, lists, tuples, namedtuples of arrays:
a model's parameters and optimizer state) take the fast key (``frontend/fastkey.py``) and a
prebuilt rebuild of the result (``frontend/fastresults.py``), without binding the signature.

Each case is differential against eager NumPy, on every call: results (structure, key order,
dtypes, values) and the caller's arrays afterwards. Every change the fast key must see (keys,
key order, container types, dtypes, shapes, layouts, scalars, None, aliasing) traces again
or takes the general path, and a hit never runs another signature's code.
"""
from __future__ import annotations

import copy
import threading
from collections import namedtuple

import numpy as np
import pytest

import tracejit as tj
from tests.apicalls import counting
from tests.conftest import assert_same
from tests.differential import clone
from tracejit.frontend.fastkey import positional_fast_key
from tracejit.frontend.signature import bind

rng = np.random.default_rng(2026)
Pair = namedtuple("Pair", "w b")
Other = namedtuple("Other", "w b")


def _params(n: int = 6, dtype=np.float32, size: int = 5) -> dict:
    return {f"p{i}": rng.standard_normal(size).astype(dtype) for i in range(n)}


def _copy(x, memo: dict):
    """A deep copy of nest ``x`` keeping each array's layout (strides) and the sharing of arrays."""
    if id(x) in memo:
        return memo[id(x)]
    if isinstance(x, np.ndarray):
        out = clone(x)
    elif getattr(x, "__dict__", None):  # (a namedtuple with attributes)
        out = copy.deepcopy(x)
    elif isinstance(x, dict):
        out = {k: _copy(v, memo) for k, v in x.items()}
    elif isinstance(x, (list, tuple)):
        items = [_copy(v, memo) for v in x]
        out = items if type(x) is list else type(x)(*items) if hasattr(type(x), "_fields") else tuple(items)
    else:
        out = copy.deepcopy(x)
    memo[id(x)] = out
    return out


def _check(f, fn, *args, what: str = ""):
    """``f(*args)`` (jitted) == ``fn(*args)`` eagerly, on copies: results and arguments after."""
    mine, theirs = _copy(args, {}), _copy(args, {})
    assert [_layouts(a) for a in mine] == [_layouts(a) for a in args]
    got = f(*mine)
    with np.errstate(all="ignore"):
        want = fn(*theirs)
    assert_same(got, want, what=what or "result")
    assert_same(list(mine), list(theirs), what="arguments after the call")
    return got


def _layouts(x) -> list:
    if isinstance(x, np.ndarray):
        return [x.strides]
    if isinstance(x, dict):
        x = list(x.values())
    return [s for v in x for s in _layouts(v)] if isinstance(x, (list, tuple)) else []


def scale(p):
    return {k: v * 2.0 + 1.0 for k, v in p.items()}


def adam(params, m, v, step, lr):
    new_p, new_m, new_v = {}, {}, {}
    for k in params:
        new_m[k] = 0.9 * m[k] + 0.1 * params[k]
        new_v[k] = 0.999 * v[k] + 0.001 * params[k] ** 2
        new_p[k] = params[k] - lr * new_m[k] / (np.sqrt(new_v[k]) + 1e-8) / (1 - 0.9 ** (step + 1))
    return new_p, new_m, new_v, np.sum(new_p[next(iter(params))])


def test_dict_in_dict_out_takes_the_fast_path(monkeypatch):
    f = tj.jit(scale)
    p = _params(18)
    _check(f, scale, p)
    bound = counting(monkeypatch, "bind")
    for _ in range(3):
        p = _params(18)  # new arrays, the same signature
        _check(f, scale, p)
    assert not bound and f.cache_info().traces == 1 and f.cache_info().hits == 3


def test_adam_step_with_scalars_is_eager_on_every_call(monkeypatch):
    f = tj.jit(adam)
    p = _params()
    m = {k: np.zeros_like(a) for k, a in p.items()}
    v = {k: np.zeros_like(a) for k, a in p.items()}
    bound = None
    for step in range(5):
        got = f(p, m, v, step, 1e-2)
        want = adam(p, m, v, step, 1e-2)
        assert_same(got, want, rtol=1e-6)
        p, m, v, _ = got
        if bound is None:
            bound = counting(monkeypatch, "bind")
    assert not bound and f.cache_info().traces == 1


@pytest.mark.parametrize("change", ["keys", "order", "dtype", "shape", "strides", "fortran", "more", "fewer"])
def test_every_change_of_a_dict_retraces_or_binds(change):
    f = tj.jit(scale)
    p = _params(4, size=6)
    _check(f, scale, p)
    q = dict(p)
    if change == "keys":
        q = {k + "x": a for k, a in p.items()}
    elif change == "order":
        q = dict(reversed(list(p.items())))
    elif change == "dtype":
        q["p1"] = q["p1"].astype(np.float64)
    elif change == "shape":
        q["p2"] = rng.standard_normal(7).astype(np.float32)
    elif change == "strides":
        q["p0"] = rng.standard_normal(12).astype(np.float32)[::2]
    elif change == "fortran":
        q["p3"] = np.asfortranarray(rng.standard_normal((2, 3)).astype(np.float32))
    elif change == "more":
        q["extra"] = np.ones(6, np.float32)
    else:
        del q["p1"]
    _check(f, scale, q, what=change)
    assert f.cache_info().traces == 2
    _check(f, scale, p, what="back")  # the first signature's code, still right
    _check(f, scale, q, what="again")
    assert f.cache_info().traces == 2


def _mix(p):
    a, (b, c), d = p["a"], p["pair"], p["rest"]
    return [a * b, (c + d[0], d[1] - a), {"s": np.sum(a)}]


def test_nested_containers_and_container_types():
    f = tj.jit(_mix)

    def arg(outer=tuple, inner=list):
        return {"a": np.arange(4.0), "pair": inner([np.ones(4), np.full(4, 3.0)]),
                "rest": outer([np.arange(4.0) * 2, np.arange(4.0) + 1])}
    for outer, inner in [(tuple, list), (tuple, list), (list, tuple), (tuple, tuple), (list, list)]:
        _check(f, _mix, arg(outer, inner))
    assert f.cache_info().traces == 4


def test_namedtuples_are_keyed_by_their_class():
    def f(p):
        return type(p)(p.w * 2, p.b + 1), p.w.sum()
    jf = tj.jit(f)
    w, b = np.arange(3.0), np.ones(3)
    for arg in [Pair(w, b), Pair(w + 1, b), Other(w, b), (w, b)[::1] if False else Pair(b, w)]:
        _check(jf, f, arg)
    got = jf(Other(w, b))
    assert type(got[0]) is Other
    assert jf.cache_info().traces == 2


def test_none_and_string_leaves_are_static():
    def f(p):
        out = p["x"] * 2 if p["mask"] is None else np.where(p["mask"], p["x"], 0.0)
        return out + 1 if p["mode"] == "up" else out - 1
    jf = tj.jit(f)
    x = np.arange(5.0)
    for mask in (None, x > 2, None):
        for mode in ("up", "down"):
            _check(jf, f, {"x": x, "mask": mask, "mode": mode})
    assert jf.cache_info().traces == 4


def test_python_scalar_leaves_traced_then_static_when_needed():
    def f(p):
        return p["x"] * p["lr"]
    jf = tj.jit(f)
    x = np.arange(4, dtype=np.int32)
    flat = tj.jit(lambda x, lr: x * lr)  # the rules of a top-level scalar (an int times int32: its value)
    for lr in (0.5, 0.25, 2, 3, True, False, 1.5, 0.75, 2):
        _check(jf, f, {"x": x, "lr": lr})
        flat(x, lr)
    assert jf.cache_info()[:2] == flat.cache_info()[:2]
    assert jf.cache_info().hits >= 2  # (0.25, 1.5 and 0.75: the first float's code)

    def g(p):
        return np.zeros(p["n"]) + p["x"].sum()  # the value of n is needed: static from then on
    jg = tj.jit(g)
    for n in (3, 3, 4, 3):
        _check(jg, g, {"n": n, "x": x})
    assert jg.cache_info().traces <= 3  # (3 then 4; the first may trace once before n is static)
    big = 2 ** 70  # beyond int64: static (as NumPy would not make it int64 either)
    _check(tj.jit(lambda p: p["x"] + (p["n"] > 0)), lambda p: p["x"] + (p["n"] > 0), {"x": x, "n": big})


def test_numpy_scalar_and_complex_leaves():
    def f(p):
        return {"s": p["x"] * p["k"], "c": p["z"] * 2j}
    jf = tj.jit(f)
    for _ in range(2):
        _check(jf, f, {"x": np.arange(3.0), "k": np.float64(1.5), "z": np.arange(3) + 1j})
        _check(jf, f, {"x": np.arange(3.0), "k": np.float32(1.5), "z": (np.arange(3) + 1j).astype(np.complex64)})
    assert jf.cache_info().traces == 2


def test_writes_into_dict_leaves_reach_the_caller():
    def f(p, d):
        p["w"] += d
        p["b"][1:] = 7.0
        return np.sum(p["w"])
    jf = tj.jit(f)
    for _ in range(3):
        p = {"w": np.arange(4.0), "b": np.zeros(3)}
        _check(jf, f, p, np.ones(4))
        w, b = p["w"], p["b"]
        jf(p, np.ones(4))
        assert p["w"] is w and p["b"] is b  # the caller's own arrays were written
        np.testing.assert_array_equal(w, np.arange(4.0) + 1)
        np.testing.assert_array_equal(b, [0.0, 7.0, 7.0])
    assert jf.cache_info().traces == 1


def test_the_same_array_twice_is_keyed_apart_from_two_arrays():
    def f(p):
        p["a"][0] = 100.0
        return p["b"] * 2
    jf = tj.jit(f)
    x = np.arange(4.0)
    for _ in range(2):
        shared = x.copy()
        _check(jf, f, {"a": shared, "b": shared})  # (deepcopy keeps the sharing)
        out = jf({"a": shared, "b": shared})
        assert out[0] == 200.0
        a, b = x.copy(), x.copy()
        out = jf({"a": a, "b": b})
        assert out[0] == 0.0 and a[0] == 100.0 and b[0] == 0.0  # not the aliased signature's code
    y = x.copy()
    g = tj.jit(lambda a, p: (p["b"].__setitem__(0, 5.0), a + 1)[1])  # across a top-level and a nested leaf
    assert g(y, {"b": y})[0] == 6.0 and g(x.copy(), {"b": x.copy()})[0] == 1.0


def test_fast_key_implies_the_bound_key():
    """Calls with equal fast keys bind to equal keys: the fast cache never maps one key to two signatures."""
    x, y = np.arange(3.0), np.arange(3.0).astype(np.float32)
    calls = [({"a": x, "b": y},), ({"b": x, "a": y},), ({"a": x, "b": x},), ([x, y],), ((x, y),),
             (Pair(x, y),), ({"a": x, "b": None},), ({"a": x, "b": 1.0},), ({"a": x, "b": 1},),
             ({"a": x, "b": True},), ({"a": x, "b": "s"},), ({"a": (x,), "b": y},), ({"a": x, "b": (y,)},),
             ({"a": x},), ({},), ([],), (x, {"a": x}), (x, {"a": y})]
    keys = {}
    for args in calls:
        fast = positional_fast_key(args, 2)
        assert fast is not None, args
        call = bind(tj.jit(lambda p, q=None: p)._pysig, frozenset(), args, {})
        assert keys.setdefault(fast[0], call.key) == call.key, args
        assert len(fast[1]) == len(call.arrays)
        for mine, theirs in zip(fast[1], call.originals):
            assert mine is theirs or not isinstance(theirs, np.ndarray)
    assert len(keys) == len(calls)
    for odd in [({"a": x[::2]},), ({"a": x.astype(">f8")},), ({"a": np.float64(1)},),
                ({"a": np.array([None])},), ({"a": object()},)]:
        assert positional_fast_key(odd, 1) is None  # the general path binds (and copies where needed)


def test_threads_calling_with_different_signatures():
    f = tj.jit(scale)
    signatures = [_params(5, np.float32), _params(5, np.float64), _params(3, np.float32, size=9),
                  dict(reversed(list(_params(5).items())))]
    errors = []

    def worker(k: int):
        try:
            for i in range(40):
                p = signatures[(k + i) % len(signatures)]
                got = f(p)
                assert_same(got, scale(p))
        except Exception as error:  # noqa: BLE001 - reported by the main thread
            errors.append(error)
    threads = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[0]
    assert f.cache_info().traces == len(signatures)


def test_results_rebuilt_per_signature():
    def f(p):
        return (p["a"] + 1, [p["a"] * 2, {"k": p["a"].sum(), "n": None, "i": 3}], Pair(p["a"], p["a"] - 1))
    jf = tj.jit(f)
    for _ in range(3):
        got = _check(jf, f, {"a": np.arange(4.0)})
        assert type(got[2]) is Pair and got[1][1]["n"] is None and got[1][1]["i"] == 3
        assert got[1][0] is not got[0]


def test_generator_leaves_are_drawn_from_as_eager():
    def f(p):
        return p["x"] + p["rng"].standard_normal(3)
    jf = tj.jit(f)
    x = np.arange(3.0)
    mine, theirs = np.random.default_rng(5), np.random.default_rng(5)
    for _ in range(3):
        assert_same(jf({"x": x, "rng": mine}), f({"x": x, "rng": theirs}))
    assert jf.cache_info().traces == 1


class _Bunch(namedtuple("_Bunch", "a b")):
    pass


def test_odd_containers_take_the_general_path():
    from collections import OrderedDict
    x = np.arange(3.0)
    bunch = _Bunch(x, x + 1)
    bunch.extra = 2.0  # a namedtuple with attributes: SciPy's tuple bunches
    for arg in (OrderedDict(a=x), bunch):
        assert positional_fast_key((arg,), 1) is None

    def f(p):
        return p.a + p.b + p.extra
    jf = tj.jit(f)
    for _ in range(2):
        _check(jf, f, bunch)
    g = tj.jit(lambda d: d["a"] * 2)
    with pytest.raises(TypeError):  # (unhashable static leaf, as the general path always said)
        g(OrderedDict(a=x))


def test_results_merged_by_cse_stay_distinct_arrays_on_the_fast_call():
    """Two equal results (CSE keeps one output) come back as two arrays, as eager's, now
    that such programs take the plain call (``fastcall.distinct_results``), not only the general one."""
    def f(p):
        a = p["x"] * 2.0 + 1.0
        b = p["x"] * 2.0 + 1.0
        return {"a": a, "b": b, "big": p["y"] * 3.0, "big2": p["y"] * 3.0}
    jf = tj.jit(f)
    for _ in range(3):
        p = {"x": np.arange(4.0), "y": np.ones((64, 64))}  # (one small result, one from the pool)
        got = _check(jf, f, p)
        assert got["a"] is not got["b"] and not np.shares_memory(got["a"], got["b"])
        assert not np.shares_memory(got["big"], got["big2"])
        got["a"][0] = -1.0
        assert got["b"][0] == 1.0
    executable = next(iter(jf._cache.values())).executable
    assert executable.direct_all is not None  # the plain call, with its copies
    jf2 = tj.jit(lambda x: (x * 2.0 + 1.0, x * 2.0 + 1.0))
    for _ in range(3):
        u, v = jf2(np.arange(3.0))
        assert u is not v and not np.shares_memory(u, v)
