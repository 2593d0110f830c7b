"""Converted ``for`` loops (``frontend/autograph/loops.py``) driven as converted code drives
them (``for_stmt`` with ``get_state``/``set_state`` callbacks over a namespace): rolled,
unrolled and generalized paths against the same functions run eagerly."""
from __future__ import annotations

import numpy as np
import pytest

import tracejit as tj
from tests.differential import same
from tracejit.frontend.autograph import loops as ag
from tracejit.frontend.autograph.operators import list_append
from tracejit.frontend.autograph.sequences import is_undefined

try:
    from tracejit.frontend.autograph.undefined import Undefined
except ImportError:  # the autograph package before its merge: an equivalent marker
    class Undefined:  # noqa: D101 - the converted code's marker of an unassigned name
        def __init__(self, name: str, lineno: int = 0):
            self.name = name

    Undefined.__module__ = "tracejit.frontend.autograph.undefined"


class NS:
    """The converted function's locals (what the ``nonlocal`` callbacks read and write)."""

    def __init__(self, **values):
        self.__dict__.update(values)


def loop(ns: NS, names: tuple, target: str, iterated, step, extra_test=None, **opts) -> None:
    """``for <target> in iterated: step(ns)`` as converted code runs it (names: the state)."""
    for name in names:
        if not hasattr(ns, name):
            setattr(ns, name, Undefined(name))
    tnames = [t.strip() for t in target.strip("()").split(",")]

    def body(item):
        if len(tnames) == 1:
            setattr(ns, tnames[0], item)
        else:
            for t, v in zip(tnames, item):
                setattr(ns, t, v)
        step(ns)

    def get_state():
        return tuple(getattr(ns, n) for n in names)

    def set_state(values):
        for n, v in zip(names, values):
            setattr(ns, n, v)

    options = {"lineno": 0, "filename": "", "function": "f", "target": target}
    options.update(opts)
    ag.for_stmt(iterated, extra_test, body, get_state, set_state, names, options)


def check(fn, *args, rtol=1e-12, jit=None):
    """Jitted vs eager on copies of ``args``; returns the jitted function."""
    copies = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
    want = fn(*args)
    f = jit or tj.jit(fn)
    got = f(*copies)
    same(got, want, rtol)
    return f



def notes(f, *args) -> list[str]:
    return f.lower(*args).traced.notes


# -- programs ---------------------------------------------------------------------------------------
def ema(x, a):
    ns = NS(out=np.empty_like(x))
    ns.out[0] = x[0]

    def step(ns):
        ns.out[ns.t] = a * x[ns.t] + (1 - a) * ns.out[ns.t - 1]
    loop(ns, ("t",), "t", ag.iterate(range, 1, x.shape[0]), step)
    return ns.out


def recurrent(x, w):
    ns = NS(h=np.zeros((x.shape[1], w.shape[1]), x.dtype))

    def step(ns):
        ns.z = np.tanh(x[ns.t] @ w + ns.h)
        ns.h = (1 - 0.5) * ns.h + ns.z * 0.5
    loop(ns, ("h", "t", "z"), "t", ag.iterate(range, x.shape[0]), step)
    return ns.h, ns.t


def traced_count(x):
    ns = NS(s=np.zeros(x.shape[1:]), k=0)

    def step(ns):
        ns.s = ns.s * 0.5 + x[ns.i % x.shape[0]]
        ns.k = ns.k + ns.i
    loop(ns, ("s", "k", "i"), "i", ag.iterate(range, (x > 0).sum()), step)
    return ns.s, ns.k


def rows(x):
    ns = NS(acc=np.zeros(x.shape[1]), m=-np.inf)

    def step(ns):
        ns.acc = ns.acc + ns.row * ns.row
        ns.m = np.maximum(ns.m, ns.row.max())
    loop(ns, ("acc", "m", "row"), "row", x, step)
    return ns.acc, ns.m, ns.row


def enum_zip(x, y):
    ns = NS(acc=np.zeros(x.shape[1]))

    def step(ns):
        ns.acc = ns.acc + ns.i * ns.a - ns.b.sum()
    loop(ns, ("acc", "i", "a", "b"), "(i, (a, b))", ag.iterate(enumerate, ag.iterate(zip, x, y), start=2), step)
    return ns.acc


def enum_zip_flat(x, y):  # (the helper binds one level of tuple: enumerate of x, zip of x and y)
    ns = NS(acc=np.zeros(x.shape[1]))

    def step(ns):
        ns.acc = ns.acc * 0.5 + ns.i * ns.a
    loop(ns, ("acc", "i", "a"), "(i, a)", ag.iterate(enumerate, x, start=2), step)

    def step2(ns):
        ns.acc = ns.acc - ns.a * ns.b.sum()
    loop(ns, ("acc", "a", "b"), "(a, b)", ag.iterate(zip, x, y), step2)
    return ns.acc


def backwards(x):
    ns = NS(out=np.zeros_like(x), c=np.zeros(x.shape[1]))

    def step(ns):
        ns.c = ns.c * 0.9 + x[ns.t]
        ns.out[ns.t] = ns.c
    loop(ns, ("c", "t"), "t", ag.iterate(reversed, ag.iterate(range, x.shape[0])), step)
    return ns.out


def dtype_change(x):
    ns = NS(s=0)  # a Python int that becomes a float array after the first step

    def step(ns):
        ns.s = ns.s + x[ns.t]
    loop(ns, ("s", "t"), "t", ag.iterate(range, x.shape[0]), step)
    return ns.s


def with_break(x, limit):
    ns = NS(s=np.zeros(()), stop=False)

    def step(ns):
        ns.s = ns.s + x[ns.t]
        ns.stop = ns.s > limit  # (a traced `if ...: break` as converted code carries it)
    loop(ns, ("s", "stop", "t"), "t", ag.iterate(range, x.shape[0]), step, extra_test=lambda: np.logical_not(ns.stop))
    return ns.s


def losses(X, y):
    ns = NS(w=np.zeros(X.shape[1]), losses=[])

    def step(ns):
        p = 1 / (1 + np.exp(-(X @ ns.w)))
        ns.loss = -np.mean(y * np.log(p + 1e-12) + (1 - y) * np.log(1 - p + 1e-12))
        ns.w = ns.w - 0.5 * X.T @ (p - y) / len(y)
        ns.losses = list_append(ns.losses, ns.loss)
    loop(ns, ("w", "losses", "loss", "e"), "e", ag.iterate(range, 12), step)
    return ns.w, np.array(ns.losses), ns.losses[-1], sum(ns.losses)


def python_index(x, ws):
    ns = NS(h=x)

    def step(ns):
        ns.h = np.tanh(ns.h @ ws[ns.i])  # a Python list indexed by the loop index
    loop(ns, ("h", "i"), "i", ag.iterate(range, len(ws)), step)
    return ns.h


# -- tests ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("rows_, cols", [(6, 5), (1, 3), (2, 1), (40, 7)])
def test_ema_rolls_and_writes_an_array_from_outside(rows_, cols):
    x = np.random.default_rng(rows_).standard_normal((rows_, cols))
    f = check(ema, x, 0.3)
    text = " ".join(notes(f, x, 0.3))
    assert (": rolled" in text) == (rows_ - 1 > ag.UNROLL_MAX), text


def test_recurrent_rolled_target_holds_last_item_and_temporaries():
    rng = np.random.default_rng(1)
    x, w = rng.standard_normal((9, 4, 3)).astype(np.float32), rng.standard_normal((3, 3)).astype(np.float32)
    f = check(recurrent, x, w, rtol=1e-5)
    assert any(": rolled" in n for n in notes(f, x, w))


def test_unroll_option_and_tj_unroll():
    rng = np.random.default_rng(2)
    x, w = rng.standard_normal((9, 4, 3)), rng.standard_normal((3, 3))
    f = check(recurrent, x, w, jit=tj.jit(recurrent, unroll_loops=True))
    assert any("unrolled (unroll_loops=True)" in n for n in notes(f, x, w))

    def forced(x):
        ns = NS(s=np.zeros(x.shape[1]))

        def step(ns):
            ns.s = ns.s + x[ns.i]
        loop(ns, ("s", "i"), "i", tj.unroll(range(x.shape[0])), step)
        return ns.s
    f = check(forced, x[:, 0, :])
    assert any("unrolled (tj.unroll)" in n for n in notes(f, x[:, 0, :]))


def test_traced_trip_count_compiles_once():
    f = tj.jit(traced_count)
    for n, cols in ((7, 3), (0, 3), (1, 3), (25, 3)):
        x = np.linspace(-1, 1, n * cols).reshape(n, cols) if n else np.zeros((1, cols)) - 1
        check(traced_count, x, jit=f)
    assert f.cache_info().traces <= 3  # one per shape; the trip count is data


def test_traced_trip_count_same_shape_one_trace():
    f = tj.jit(traced_count)
    rng = np.random.default_rng(3)
    for _ in range(4):
        x = rng.standard_normal((12, 2))
        check(traced_count, x, jit=f)
    info = f.cache_info()
    assert info.traces == 1 and info.compilations + info.reused <= 1


def test_array_rows_enumerate_zip_reversed():
    rng = np.random.default_rng(4)
    x, y = rng.standard_normal((11, 3)), rng.standard_normal((9, 2))
    check(rows, x)
    check(rows, x[:2])
    check(enum_zip_flat, x, y)
    check(backwards, x)
    check(backwards, x[:1])


def test_carried_dtype_changes_in_first_step():
    x = np.arange(24, dtype=np.float32).reshape(8, 3)
    f = check(dtype_change, x)
    assert any(": rolled" in n for n in notes(f, x))
    check(dtype_change, np.arange(9, dtype=np.int32))


@pytest.mark.parametrize("limit", [-1.0, 3.0, 1e9])
def test_break_by_traced_test(limit):
    x = np.linspace(0, 2, 20)
    check(with_break, x, limit)


def test_list_appended_in_rolled_loop_becomes_stacked():
    rng = np.random.default_rng(5)
    X = rng.standard_normal((30, 3))
    y = (X @ np.ones(3) > 0).astype(np.float64)
    f = check(losses, X, y)
    assert any(": rolled" in n for n in notes(f, X, y))


def test_body_needing_python_index_unrolls_with_reason():
    rng = np.random.default_rng(6)
    x = rng.standard_normal((2, 3))
    ws = [rng.standard_normal((3, 3)) for _ in range(6)]
    f = check(python_index, x, ws)
    text = " ".join(notes(f, x, ws))
    assert "unrolled (6 steps)" in text or "probes" in text


def test_not_tracing_runs_python():
    x = np.random.default_rng(7).standard_normal((6, 3))
    np.testing.assert_allclose(ema(x, 0.5), ema.__wrapped__(x, 0.5) if hasattr(ema, "__wrapped__") else ema(x, 0.5))
    assert list(tj.unroll(range(3))) == [0, 1, 2]
    assert is_undefined(Undefined("q"))
