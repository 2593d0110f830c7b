"""Every op kind in the registry, jit against the op's NumPy reference, over shapes and dtypes.

Each op has cases here (``CASES``; ops implementing a NumPy ufunc share one generic
builder): small NumPy functions whose traced or optimized graph holds the op, run on
inputs covering broadcasting, 0-size, size-1 and 0-d shapes and a sample of dtypes.
Each case checks three results agree: the compiled function, NumPy eager, and the
traced graph evaluated by the interpreter with each op's ``reference``. The coverage
tests fail when an op lacks a reference, a lowering or a case here. ``--runslow``
sweeps every dtype instead of a sample.
"""
from __future__ import annotations

import zlib
from typing import Callable

import numpy as np
import pytest

import tracejit as tj
from tests.cases import EXTRA_DTYPES, MAIN_DTYPES, values
from tests.conftest import assert_same
from tracejit.compiler.codegen.lowerings import LOWERINGS
from tracejit.compiler.interpreter import evaluate
from tracejit.compiler.ops import REGISTRY, get_op
from tracejit.frontend.probe import generalized_fori_loop
from tracejit.frontend.tree import flatten

Case = tuple[Callable, tuple]  # a NumPy function and its array arguments
CASES: dict[str, Callable[[np.random.Generator, bool], list[Case]]] = {}
NO_REFERENCE = ("input", "constant")  # sources: values, not computations
# Ops whose graph cannot be evaluated by references: compared with eager NumPy only. A generalized
# loop (frontend/probe.py) keeps one body per segment, traced at one index: the sizes of the
# others exist only in its compiled program.
EAGER_ONLY = {"gfor"}
# Results of different (equally accurate) math libraries: compared within ulps.
ULPS = {"exp", "exp2", "log", "log2", "log10", "log1p", "expm1", "sin", "cos", "tan", "arcsin", "arccos",
        "arctan", "sinh", "cosh", "tanh", "arcsinh", "arccosh", "arctanh", "cbrt", "arctan2", "hypot",
        "logaddexp", "power", "sigmoid", "erf",
        "gfor"}  # (a triangular solve in float32: its dot products summed in another order than BLAS's)
# Float sums and products (NumPy's SIMD loops associate differently along a short inner axis).
REASSOCIATED = {"sum", "prod"}
DOMAINS = {"arccosh": "atleast1", "arcsin": "unit", "arccos": "unit", "arctanh": "unit", "left_shift": "shift",
           "right_shift": "shift", "power": "exponent"}
FLOATS = [np.dtype(np.float64), np.dtype(np.float32)]


def cases_for(*names: str) -> Callable[[Callable], Callable]:
    """Register the decorated builder ``build(rng, slow) -> [(fn, args), ...]`` for ``names``."""
    def register(build):
        for name in names:
            CASES[name] = build
        return build
    return register


def _shapes(arity: int) -> list[list[tuple[int, ...]]]:
    """Operand shapes: plain, broadcast, 0-size, size-1 on both sides, 0-d."""
    return [[(37,)] * arity, [(3, 33)] + [(33,)] * (arity - 1), [(0, 4)] + [(4,)] * (arity - 1),
            [(4, 1)] + [(1, 5)] * (arity - 1), [()] * arity]


def _ufunc_dtypes(op, slow: bool) -> list[np.dtype]:
    usable = []
    for dt in MAIN_DTYPES + (EXTRA_DTYPES if slow else []):
        try:
            loop = op.ufunc.resolve_dtypes((dt,) * op.ufunc.nin + (None,) * op.ufunc.nout)
        except TypeError:
            continue
        if op.ufunc is np.signbit:
            loop = loop[-1:]
        if all(d.kind in "biuf" and d != np.float16 for d in loop):
            usable.append(dt)
    if slow:
        return usable
    # one dtype per op, a different one for neighbouring ops (tests/test_ops_elementwise.py
    # sweeps every ufunc op over every dtype)
    return [usable[sorted(REGISTRY).index(op.name) % len(usable)]]


def _ufunc_cases(name: str) -> Callable[[np.random.Generator, bool], list[Case]]:
    op = get_op(name)

    def build(rng, slow):
        out = []
        for dt in _ufunc_dtypes(op, slow):
            domain = "small" if name == "power" and dt.kind in "iu" else DOMAINS.get(name, "any")
            groups = [tuple(values(rng, s, dt, domain) for s in shapes) for shapes in _shapes(op.ufunc.nin)]
            if name == "power" and dt.kind == "i":
                groups = [(g[0],) + tuple(np.abs(x) for x in g[1:]) for g in groups]
            args = tuple(x for g in groups for x in g)
            n = op.ufunc.nin
            out.append((lambda *xs, uf=op.ufunc, n=n: tuple(uf(*xs[i:i + n]) for i in range(0, len(xs), n)), args))
        return out
    return build


for _op in REGISTRY.values():
    if _op.kind == "elementwise" and _op.ufunc is not None:
        CASES[_op.name] = _ufunc_cases(_op.name)


def _all(fn: Callable, arrays: list[np.ndarray]) -> Case:
    """One case applying ``fn`` to each array (one compilation for many shapes)."""
    return (lambda *xs: tuple(fn(x) for x in xs)), tuple(arrays)


def _arrays(rng, dtype, shapes) -> list[np.ndarray]:
    return [values(rng, s, dtype) for s in shapes]


# -- elementwise ops without a ufunc ---------------------------------------------------------

@cases_for("where")
def _where(rng, slow):
    out = []
    for dt in (MAIN_DTYPES if slow else [np.dtype(np.float32), np.dtype(np.int64)]):
        c, x, y = rng.random((3, 4)) < 0.5, values(rng, (4,), dt), values(rng, (3, 1), dt)
        z = values(rng, (0,), dt)
        out.append((lambda c, x, y, z: (np.where(c, x, y), np.where(z < 0, z, x[:0])), (c, x, y, z)))
    return out


@cases_for("convert", "input", "output")
def _convert(rng, slow):
    targets = MAIN_DTYPES + EXTRA_DTYPES if slow else MAIN_DTYPES
    x = values(rng, (2, 5), np.float64, "small") * 10
    return [(lambda x: tuple(x.astype(t) for t in targets), (x,)),
            (lambda b, i: (b.astype(np.float32), i.astype(np.uint8)),
             (rng.random(0) < 0.5, values(rng, (1, 3), np.int32)))]


@cases_for("size")
def _size(rng, slow):  # a loop's trip count is read from the size table
    x = values(rng, (7,), np.float64)
    return [(lambda x: (tj.fori_loop(0, x.shape[0], lambda i, acc: acc + x[i], np.zeros((), x.dtype)),), (x,))]


@cases_for("copy", "constant")
def _copy(rng, slow):
    x = values(rng, (3, 4), np.int32)
    return [(lambda x: (x, np.copy(x), x + np.arange(4, dtype=np.int32)), (x,))]


@cases_for("fma")
def _fma(rng, slow):
    def cplx(shape):
        return values(rng, shape, np.float64) + 1j * values(rng, shape, np.float64)
    return [(lambda a, b: (a * b, a * b[:1]), (cplx((7,)), cplx((7,))))]


@cases_for("sigmoid", "erf")
def _special(rng, slow):
    from tracejit import special
    return [(lambda x: (special.sigmoid(x), special.erf(x), 1 / (1 + np.exp(-x))), (values(rng, s, dt),))
            for dt in FLOATS for s in ((37,), (0,), ())]


# -- reductions ------------------------------------------------------------------------------

def _reduction_cases(fn: Callable, empty_ok: bool) -> Callable:
    def build(rng, slow):
        out = []
        for dt in (MAIN_DTYPES if slow else [np.dtype(np.float64), np.dtype(np.int32), np.dtype(bool)]):
            x, one = values(rng, (5, 7), dt), values(rng, (1, 1), dt)
            out.append((lambda x, one, e: (fn(x, None, False), fn(x, 0, False), fn(x, 1, True), fn(one, 0, False),
                                           fn(e, 1, False) if empty_ok else fn(e, 0, False)),
                        (x, one, values(rng, (3, 0) if empty_ok else (3, 4), dt))))
        return out
    return build


for _name, _fn, _empty in [("sum", np.sum, True), ("prod", np.prod, True), ("max", np.max, False),
                           ("min", np.min, False), ("nanmax", np.nanmax, False), ("nanmin", np.nanmin, False),
                           ("any", np.any, True), ("all", np.all, True)]:
    CASES[_name] = _reduction_cases(lambda x, axis, keep, f=_fn: f(x, axis=axis, keepdims=keep), _empty)
for _name, _fn in [("bitand", np.bitwise_and), ("bitor", np.bitwise_or), ("bitxor", np.bitwise_xor)]:
    CASES[_name] = _reduction_cases(lambda x, axis, keep, f=_fn: f.reduce(x.astype(np.int32) if x.dtype.kind == "f"
                                                                          else x, axis=axis, keepdims=keep), True)
CASES["argmax"] = _reduction_cases(lambda x, axis, keep: np.argmax(x, axis=axis, keepdims=keep), False)
CASES["argmin"] = _reduction_cases(lambda x, axis, keep: np.argmin(x, axis=axis, keepdims=keep), False)


# -- views, structure, indexing ------------------------------------------------------------

@cases_for("reshape", "transpose", "broadcast_to", "slice", "diagonal")
def _views(rng, slow):
    out = []
    for dt in (MAIN_DTYPES if slow else [np.dtype(np.float32), np.dtype(np.int64)]):
        x, e, s = values(rng, (4, 6), dt), values(rng, (0, 3), dt), values(rng, (1,), dt)
        out.append((lambda x, e, s: (x.reshape(3, 8) + 0, x.T * 1, np.broadcast_to(s, (2, 3)) + 0, x[1::2, ::-3] + 0,
                                     np.diagonal(x, 1) + 0, e.T.reshape(-1) + 0, x[:0] + 0), (x, e, s)))
    return out


@cases_for("concatenate")
def _concatenate(rng, slow):
    return [(lambda a, b, e: (np.concatenate([a, b]), np.concatenate([a, e], axis=1),
                              np.concatenate([b, b.astype(np.int8)])),
             (values(rng, (2, 3), dt), values(rng, (4, 3), dt), values(rng, (2, 0), dt)))
            for dt in (MAIN_DTYPES if slow else [np.dtype(np.float64), np.dtype(np.int32)])]


@cases_for("matmul")
def _matmul(rng, slow):
    out = []
    for dt in (MAIN_DTYPES if slow else [np.dtype(np.float64), np.dtype(np.float32), np.dtype(np.int64)]):
        def ints(shape):  # integer values: sums exact in any order (BLAS's differs from ours)
            return values(rng, shape, dt, "small").round().astype(dt)
        a, b, v, z = ints((2, 3, 5)), ints((5, 4)), ints((5,)), ints((3, 0))
        out.append((lambda a, b, v, z: (a @ b, v @ b, a @ v, v @ v, z @ z.T, b[:1] @ b.T[:, :1]), (a, b, v, z)))
    return out


@cases_for("gather")
def _gather(rng, slow):
    x, i, j = values(rng, (5, 4), np.float32), np.array([[0, -1], [4, 2]]), np.array([3, 0])
    return [(lambda x, i, j: (x[i], x[i, j], x[:, j], x[np.zeros((0,), np.int64)]), (x, i, j))]


@cases_for("scatter", "update")
def _writes(rng, slow):
    def f(x, i, v):
        y = x.copy()
        y[i] = v[: len(i)]
        y[1:3, ::2] = 7
        y[[]] = 0
        np.add.at(y, [0, 4, 0], v[0, 0])  # (a combining scatter: repeated indices accumulate)
        np.maximum.at(y, (i, 1), v[:3, 2])
        return y
    return [(f, (values(rng, (5, 4), dt), np.array([3, 0, -1]), values(rng, (3, 4), dt)))
            for dt in (MAIN_DTYPES if slow else [np.dtype(np.float64), np.dtype(np.uint8)])]


@cases_for("host")
def _host(rng, slow):
    x = values(rng, (8, 6), np.float64)  # (np.fft and np.linalg.svd have no native code: host calls)
    def fn(x):
        return np.abs(np.fft.rfft(x * 2.0, axis=1)) + 1.0, np.linalg.svd(x[:6] * 2.0, compute_uv=False)
    return [(fn, (x,))]


@cases_for("lapack")
def _lapack(rng, slow):
    def fn(spd):
        return np.linalg.det(spd), np.linalg.cholesky(spd * 2.0), np.linalg.eigvalsh(spd)
    spd = [(x @ x.T + 6 * np.eye(6)).astype(dt) for dt in FLOATS for x in [values(rng, (6, 8), np.float64, "unit")]]
    return [(fn, (x,)) for x in spd]


@cases_for("scatter_add")
def _scatter_add(rng, slow):
    x, w = np.array([3, 0, 3, 1, 3, 2], np.uint8), values(rng, (6,), np.float64)
    return [(lambda x, w: (np.bincount(x, minlength=256), np.bincount(x, weights=w, minlength=300)), (x, w))]


@cases_for("searchsorted")
def _searchsorted(rng, slow):
    a = np.array([-1.0, 0.5, 0.5, 2.0, np.nan])
    v = np.array([[np.nan, 0.5, -3.0], [2.0, 9.0, 0.7]])
    out = [(lambda a, v: (np.searchsorted(a, v), np.searchsorted(a, v, "right"), np.searchsorted(a, v[0, 1])), (a, v))]
    ints = np.array([-4, 0, 0, 7, 9], np.int32)
    return out + [(lambda a, v: (np.searchsorted(a, v), np.searchsorted(a, v, "right")), (ints, ints[::-1].copy()))]


@cases_for("dynamic_slice", "dynamic_update")
def _dynamic(rng, slow):
    def f(x, i):
        y = x.copy()
        y[i:i + 2, 1:3] = x[2 * i + 1:2 * i + 3, ::2][:, :2] + 1
        return y, x[i:i + 3:2, ::-1], x[i + 2:i - 1:-1]
    return [(f, (values(rng, (7, 4), dt), np.int64(2))) for dt in (FLOATS if not slow else MAIN_DTYPES)]


@cases_for("cumsum", "cumprod", "sort", "argsort")
def _along_axis(rng, slow):
    out = []
    for dt in (MAIN_DTYPES if slow else [np.dtype(np.float64), np.dtype(np.int32)]):
        x, e = values(rng, (4, 9), dt, "small"), values(rng, (0, 3), dt)
        out.append((lambda x, e: (np.cumsum(x, axis=1, dtype=x.dtype), np.cumprod(x, axis=0, dtype=x.dtype),
                                  np.sort(x, axis=1, kind="stable"), np.argsort(x, axis=0, kind="stable"),
                                  np.sort(e, axis=0), np.cumsum(x[:, :1], axis=1, dtype=x.dtype)), (x, e)))
    return out


@cases_for("partition", "argpartition", "sort_head", "argsort_head")
def _selections(rng, slow):
    """Partitions leave each side's order unspecified: the cases read what is determined
    (the kth values, each side's sorted values); heads are the stable sort's."""
    def f(x):
        p, i = np.partition(x, [1, 5], axis=1), np.argpartition(x, -2, axis=0)
        return (p[:, [1, 5]], np.sort(p[:, :1], axis=1), np.sort(p[:, 2:5], axis=1), np.sort(p[:, 6:], axis=1),
                np.take_along_axis(x, i, axis=0)[-2], np.sort(x, axis=1, kind="stable")[:, :2],
                np.argsort(x, axis=1, kind="stable")[:, :2])
    return [(f, (values(rng, (5, 17), dt, "small"),)) for dt in (MAIN_DTYPES if slow else
                                                                   [np.dtype(np.float64), np.dtype(np.int32)])]


@cases_for("cummax", "cummin", "cumand", "cumor", "cumxor")
def _other_scans(rng, slow):
    out = []
    for dt in (MAIN_DTYPES if slow else [np.dtype(np.float64), np.dtype(np.int32), np.dtype(bool)]):
        x = values(rng, (4, 9), dt, "small")
        out.append((lambda x: (np.maximum.accumulate(x, axis=1), np.minimum.accumulate(x[:, ::-1], axis=0),
                               np.bitwise_and.accumulate(x if x.dtype.kind != "f" else x > 0, axis=1),
                               np.logical_or.accumulate(x, axis=0), np.bitwise_xor.accumulate(x > 1, axis=1)), (x,)))
    return out


# -- control flow --------------------------------------------------------------------------------

@cases_for("while", "cond", "loop_out")
def _control(rng, slow):
    def f(x, n):
        y = tj.while_loop(lambda c: c.sum() < n.sum() * 50, lambda c: c * 2 + 1, x)
        z = tj.cond(x.sum() > 0, lambda a: a + 1, lambda a: a - 1, x)
        return y, z
    return [(f, (np.abs(values(rng, (3,), dt)) + 1, np.ones(2, dt))) for dt in FLOATS]


@cases_for("gfor")
def _generalized_loop(rng, slow):
    def trisolve(low, b):
        def step(i, x):
            x[i] = (b[i] - low[i, :i] @ x[:i]) / low[i, i]
            return x
        return generalized_fori_loop(0, b.shape[0], step, np.zeros_like(b))
    return [(trisolve, (np.tril(values(rng, (n, n), dt)) + n * np.eye(n, dtype=dt), values(rng, (n,), dt)))
            for dt in FLOATS for n in (1, 6)]


# -- the tests ------------------------------------------------------------------------------

def _ops_in(graph) -> set[str]:
    return {graph.op(n) for n in graph.topo_order()}


def _as_real(x: np.ndarray) -> np.ndarray:
    """A graph's view of an argument: complex arrays as (..., 2) float pairs."""
    if not np.iscomplexobj(x):
        return x
    x = np.ascontiguousarray(x)
    return x.view(x.real.dtype).reshape(x.shape + (2,))


def _check(name: str, fn: Callable, args: tuple) -> bool:
    """Compiled == eager == the traced graph evaluated with the references; True if a
    graph of the compilation holds op ``name``."""
    ulps = 8 if name in ULPS else 4 if name in REASSOCIATED else 0
    atol = 1e-12 if name in REASSOCIATED else 0.0
    with np.errstate(all="ignore"):
        expected = fn(*args)
        jitted = tj.jit(fn)
        actual = jitted(*args)
        low = jitted.lower(*args)
        ops = _ops_in(low.traced.graph)
        referenced = None if ops & EAGER_ONLY else evaluate(low.traced.graph, [_as_real(x) for x in args])
    assert_same(actual, expected, ulps=ulps, atol=atol, what=f"{name} vs eager")
    if referenced is None:
        return name in ops | _ops_in(low.optimized.graph)
    leaves, _ = flatten(actual)
    assert len(leaves) <= len(referenced), name  # (the graph's further outputs: bounds checks)
    for i, (a, r) in enumerate(zip(leaves, referenced)):
        a = np.asarray(a)
        if np.iscomplexobj(a):
            r = r[..., 0] + 1j * r[..., 1]
        assert_same(a, np.asarray(r, dtype=a.dtype), ulps=ulps, atol=atol, what=f"{name} vs reference, output {i}")
    return name in _ops_in(low.traced.graph) | _ops_in(low.optimized.graph)


def _run_cases(name: str, slow: bool) -> None:
    rng = np.random.default_rng(zlib.crc32(name.encode()))  # (by name: adding an op changes no other op's values)
    found = [_check(name, fn, args) for fn, args in CASES[name](rng, slow)]
    assert any(found), f"no case of {name} records the op: fix its entry in CASES"


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_op_against_reference(name: str) -> None:
    """Op ``name``: compiled == eager == reference, on a sample of dtypes."""
    _run_cases(name, slow=False)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_op_against_reference_all_dtypes(name: str) -> None:
    """Op ``name``: compiled == eager == reference, on every dtype."""
    _run_cases(name, slow=True)


def test_every_op_has_a_reference_a_lowering_and_cases() -> None:
    """No op without a NumPy reference, a way to become code, or a case above."""
    for op in REGISTRY.values():
        assert op.reference is not None or op.name in NO_REFERENCE, f"{op.name}: no NumPy reference"
        assert op.name in CASES, f"{op.name}: no cases in tests/test_op_registry.py"
        if op.kind == "elementwise":
            assert op.name in LOWERINGS, f"{op.name}: no lowering registered in codegen/lowerings/"
        if op.kind == "reduce":
            combine = op.reduction.combine
            assert combine is None or combine in LOWERINGS, f"{op.name}: combines with unlowered {combine}"
            assert (combine is None) == op.reduction.arg, op.name
        if op.kind == "view":
            assert op.view is not None, op.name
    assert set(LOWERINGS) <= set(REGISTRY), f"lowerings of unknown ops: {set(LOWERINGS) - set(REGISTRY)}"
