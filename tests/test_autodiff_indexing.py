"""Differentiation rules of the indexing and along-axis ops (gathers, scatters, updates, dynamic
slices, scans, sorts, partitions), straight on the Graph IR against central finite differences
(``tests/test_autodiff_rules.check``: both modes), and user-level NumPy code through
``tj.grad``, ``tj.jit(tj.grad(...))`` and ``tj.jvp``, first and second order."""
from __future__ import annotations

import numpy as np
import pytest

import tracejit as tj
from tests import test_autodiff_rules
from tests.test_autodiff_api import close, numeric_grad
from tracejit.compiler.ops import REGISTRY, get_op

RNG = np.random.default_rng(1806)
I64 = np.int64


def check(op: str, operands: list[np.ndarray], attrs: dict | None = None, **kw: float) -> None:
    """``tests/test_autodiff_rules.check`` drawing its random directions from this module's
    generator (that module's sweep keeps its own sequence, whatever runs in the same process)."""
    saved = test_autodiff_rules.RNG
    test_autodiff_rules.RNG = RNG
    try:
        test_autodiff_rules.check(op, operands, attrs, **kw)
    finally:
        test_autodiff_rules.RNG = saved


def _x(*shape, dtype=np.float64) -> np.ndarray:
    return RNG.uniform(-2, 2, shape).astype(dtype)


def _distinct(*shape) -> np.ndarray:
    """Values far apart (no ties, no near-ties for the finite differences of sorts)."""
    n = int(np.prod(shape))
    return (RNG.permutation(n) * 0.37 + RNG.uniform(0, 0.05, n)).reshape(shape) - n * 0.15


# -- the rules, one op at a time -----------------------------------------------------------------

@pytest.mark.parametrize("shape,indices,axis", [
    ((5,), [np.array([0, 2, 2, 4, -1], I64)], 0),  # duplicates and a negative index
    ((4, 3), [np.array([[1, 3], [3, 0]], I64)], 0),
    ((3, 5, 2), [np.array([4, -5, 1], I64)], 1),
    ((3, 4), [np.array([[0], [2]], I64), np.array([1, 3, 3], I64)], 0),  # two broadcast index arrays
    ((3, 4), [np.zeros(0, I64)], 1),  # nothing read
    ((2, 3), [np.array(1, I64)], 0),  # a 0-d index
])
def test_gather(shape, indices, axis):
    check("gather", [_x(*shape)] + indices, {"axis": axis})


@pytest.mark.parametrize("shape,value_shape,indices,axis", [
    ((6,), (5,), [np.array([0, 2, 2, 4, -1], I64)], 0),  # -1 is 5: distinct from 4; 2 repeats
    ((6,), (4,), [np.array([1, -5, 3, 1], I64)], 0),  # -5 is 1: three writes to 1
    ((4, 3), (2, 2, 3), [np.array([[1, 3], [3, 0]], I64)], 0),
    ((3, 5, 2), (3, 3, 2), [np.array([4, -5, 4], I64)], 1),
    ((3, 4), (2, 3), [np.array([[0], [2]], I64), np.array([1, 3, 3], I64)], 0),
    ((3, 4), (3, 0), [np.zeros(0, I64)], 1),
])
@pytest.mark.parametrize("combine", [None, "add", "subtract", "multiply", "maximum", "fmin"])
def test_scatter(shape, value_shape, indices, axis, combine):
    attrs = {"axis": axis} if combine is None else {"axis": axis, "combine": combine}
    check("scatter", [_x(*shape), _x(*value_shape)] + indices, attrs)


def test_scatter_multiply_with_zeros():
    index = np.array([0, 2, 2, 2, 3, 3], I64)
    for zeros in ([], [1], [1, 2], [4]):
        value = _x(6)
        value[zeros] = 0.0
        base = _x(5)
        base[3] = 0.0
        check("scatter", [base, value, index], {"axis": 0, "combine": "multiply"})


def test_scatter_maximum_ties_split_evenly():
    from tracejit.compiler.autodiff import Builder, vjp_graph
    from tracejit.compiler.dtypes import AVal
    from tracejit.compiler.graph import Graph
    from tracejit.compiler.interpreter import evaluate
    g = Graph("ties")
    base = g.add_input(0, "b", AVal((3,), np.dtype(np.float64)))
    value = g.add_input(1, "v", AVal((4,), np.dtype(np.float64)))
    index = g.add_constant(np.array([0, 0, 1, 2], I64))
    out = g.add("scatter", [base, value, index], attrs={"axis": 0, "combine": "maximum"})
    cts = vjp_graph(Builder(g), [base, value], [out], [g.add_constant(np.array([1.0, 2.0, 4.0]))])
    g.add_output(0, cts[0])
    g.add_output(1, cts[1])
    gb, gv = evaluate(g, [np.array([1.0, 0.0, 5.0]), np.array([1.0, 1.0, 3.0, 2.0])])
    np.testing.assert_array_equal(gb, [1 / 3, 0, 4])  # base 1 ties with two values of 1; 5 wins alone
    np.testing.assert_array_equal(gv, [1 / 3, 1 / 3, 2, 0])


def test_scatter_other_combines_raise():
    from tracejit.compiler.autodiff import Builder, vjp_graph
    from tracejit.compiler.dtypes import AVal
    from tracejit.compiler.graph import Graph
    from tracejit.errors import UnsupportedError
    g = Graph("s")
    base = g.add_input(0, "b", AVal((4,), np.dtype(np.float64)))
    value = g.add_input(1, "v", AVal((2,), np.dtype(np.float64)))
    index = g.add_constant(np.array([0, 0], I64))
    out = g.add("scatter", [base, value, index], attrs={"axis": 0, "combine": "power"})
    with pytest.raises(UnsupportedError, match="combine='power'"):
        vjp_graph(Builder(g), [base, value], [out], [out])


@pytest.mark.parametrize("n,index", [(5, np.array([0, 2, 2, 4, -1, 2], I64)), (4, np.array([[3, 0], [0, 0]], I64)),
                                     (3, np.zeros(0, I64))])
def test_scatter_add(n, index):
    check("scatter_add", [_x(n), _x(*index.shape), index])


@pytest.mark.parametrize("shape,starts,dims,sizes,steps", [
    ((7,), [np.array(2, I64)], (0,), (3,), (1,)),
    ((7,), [np.array(-3, I64)], (0,), (2,), (2,)),  # a negative start wraps
    ((7,), [np.array(9, I64)], (0,), (3,), (1,)),  # too far: clamped
    ((4, 6), [np.array(1, I64), np.array(2, I64)], (0, 1), (2, 3), (1, 2)),
    ((3, 5), [np.array(4, I64)], (1,), (0,), (1,)),
])
def test_dynamic_slice_and_update(shape, starts, dims, sizes, steps):
    check("dynamic_slice", [_x(*shape)] + starts, {"dims": dims, "sizes": sizes, "steps": steps})
    value = list(shape)
    for d, n in zip(dims, sizes):
        value[d] = n
    check("dynamic_update", [_x(*shape), _x(*value)] + starts, {"dims": dims, "steps": steps})


@pytest.mark.parametrize("shape,path", [
    ((6,), (("slice", (("shape", (4,)), ("starts", (1,)), ("steps", (1,)))),)),
    ((4, 5), (("transpose", (("perm", (1, 0)),)),
              ("slice", (("shape", (2, 4)), ("starts", (4, 0)), ("steps", (-2, 1)))))),
    ((2, 6), (("reshape", (("shape", (3, 4)),)),
              ("slice", (("shape", (3, 2)), ("starts", (0, 1)), ("steps", (1, 2)))))),
    ((3, 4), ()),
])
def test_update(shape, path):
    from tracejit.compiler.dtypes import AVal
    from tracejit.compiler.ops.update import path_aval
    region = path_aval(AVal(shape, np.dtype(np.float64)), path).shape
    check("update", [_x(*shape), _x(*region)], {"path": path})


SCAN_SHAPES = [((7,), 0), ((3, 5), 1), ((4, 3), 0), ((2, 3, 4), 1), ((3, 0), 1), ((0, 3), 1), ((1,), 0)]


@pytest.mark.parametrize("shape,axis", SCAN_SHAPES)
@pytest.mark.parametrize("op", ["cumsum", "cumprod", "cummax", "cummin", "sort"])
def test_scans_and_sort(op, shape, axis):
    x = _distinct(*shape) if op != "cumsum" else _x(*shape)
    if op == "cumprod":
        x = RNG.uniform(0.5, 1.5, shape) * RNG.choice([-1, 1], shape)
    check(op, [x], {"axis": axis})


def test_cumprod_with_zeros_exact():
    """No division: zeros anywhere (one, several, leading, trailing) give the exact derivative."""
    for zeros in ([0], [3], [7], [2, 5], [0, 1, 7]):
        x = RNG.uniform(0.5, 1.5, 8) * RNG.choice([-1, 1], 8)
        x[zeros] = 0.0
        check("cumprod", [x], {"axis": 0})
    x = RNG.uniform(0.5, 1.5, (3, 33))  # blocks of 8 (padded), their totals scanned by doubling
    x[1, 5] = x[2, 0] = x[2, 20] = 0.0
    check("cumprod", [x], {"axis": 1})
    x = RNG.uniform(0.7, 1.3, (130, 2))  # three levels of blocks (130 -> 17 -> 3)
    x[[0, 64, 65, 129], [0, 1, 1, 0]] = 0.0
    check("cumprod", [x], {"axis": 0})
    check("cumprod", [RNG.uniform(0.7, 1.3, (2, 64, 1))], {"axis": 1})  # no padding


def test_cummax_ties_go_to_the_latest():
    from tracejit.compiler.autodiff import Builder, vjp_graph
    from tracejit.compiler.dtypes import AVal
    from tracejit.compiler.graph import Graph
    from tracejit.compiler.interpreter import evaluate
    g = Graph("ties")
    x = g.add_input(0, "x", AVal((6,), np.dtype(np.float64)))
    out = g.add("cummax", [x], attrs={"axis": 0})
    (ct,) = vjp_graph(Builder(g), [x], [out], [g.add_constant(np.arange(1.0, 7.0))])
    g.add_output(0, ct)
    # running max 1, 3, 3, 3, 3, 5: 3 first at 1, tied at 3
    np.testing.assert_array_equal(evaluate(g, [np.array([1.0, 3.0, 2.0, 3.0, 0.0, 5.0])])[0],
                                  [1, 2 + 3, 0, 4 + 5, 0, 6])


@pytest.mark.parametrize("shape,axis,k", [((9,), 0, 3), ((4, 6), 1, 6), ((5, 3), 0, 1)])
def test_sort_head(shape, axis, k):
    check("sort_head", [_distinct(*shape)], {"axis": axis, "k": k})


@pytest.mark.parametrize("shape,axis,kth", [((9,), 0, (4,)), ((4, 7), 1, (0, 3, 6)), ((6, 3), 0, (2, 3))])
def test_partition(shape, axis, kth):
    check("partition", [_distinct(*shape)], {"axis": axis, "kth": kth})
    x = _distinct(*shape)
    check("partition", [x], {"axis": axis, "kth": (), "nanq": (0.5,)})


def test_partition_with_ties():
    """The positions are matched through sorts: with equal values (NumPy's partition and
    argpartition then disagree) the derivative still sums to the right totals per value."""
    x = np.array([3.0, 1.0, 3.0, 2.0, 1.0, 3.0, 0.5, 2.0] * 3)
    check("partition", [x + RNG.uniform(0, 1e-3, x.size)], {"axis": 0, "kth": (4, 11)})
    for kth in [(4,), (0, 7, 23)]:  # exact ties: every output element gets the tangent of an equal input
        y, ty = tj.jvp(lambda x: np.partition(x, kth), (x,), (np.arange(x.size, dtype=float),))
        np.testing.assert_array_equal(y[list(kth)], np.partition(x, kth)[list(kth)])  # (the rest: any order)
        assert sorted(ty) == list(range(x.size))
        np.testing.assert_array_equal(x[ty.astype(int)], y)


@pytest.mark.parametrize("op", ["sort", "cumsum", "cumprod", "gather", "scatter"])
def test_float32(op):
    x = RNG.uniform(0.5, 1.5, (4, 5)).astype(np.float32)
    operands, attrs = [x if op != "sort" else _distinct(4, 5).astype(np.float32)], {"axis": 1}
    if op == "gather":
        operands, attrs = [x, np.array([4, 0, 0], I64)], {"axis": 1}
    if op == "scatter":
        operands, attrs = [x, _x(4, 3, dtype=np.float32), np.array([4, 0, 0], I64)], {"axis": 1, "combine": "add"}
    check(op, operands, attrs, rtol=2e-3, eps=1e-2)


# the ops with rules swept above (tests/test_autodiff_rules.py sweeps the other kinds)
INDEXING_OPS = {"gather", "scatter", "scatter_add", "dynamic_slice", "dynamic_update", "update", "cumsum", "cumprod",
                "cummax", "cummin", "sort", "sort_head", "partition"}


def test_every_float_indexing_op_has_rules_and_is_swept():
    kinds = ("gather", "update", "along_axis")
    missing = [op.name for op in REGISTRY.values() if op.kind in kinds and op.vjp is None]
    integer = {"argsort", "argpartition", "argsort_head", "searchsorted", "cumand", "cumor", "cumxor"}
    assert set(missing) == integer
    assert {op.name for op in REGISTRY.values() if op.kind in kinds and op.vjp is not None} == INDEXING_OPS
    assert get_op("searchsorted").infer((_aval((4,)), _aval((2,))), right=False).dtype.kind == "i"


def _aval(shape):
    from tracejit.compiler.dtypes import AVal
    return AVal(shape, np.dtype(np.float64))


# -- user-level code -------------------------------------------------------------------------------

def _add_at(x):
    a = np.zeros(5)
    np.add.at(a, np.array([0, 2, 2, 4, 2]), x[:5] ** 2)
    return np.sum(a * np.arange(1.0, 6.0))


def _maximum_at(x):
    a = x[4:8] * 0.5
    np.maximum.at(a, np.array([0, 1, 1, 3, 0]), x[:5])
    return np.sum(a * np.arange(1.0, 5.0))


def _sliced_add(x):
    a = x * 1.5
    a[1:-1] += np.sin(x[:-2])
    return np.sum(a ** 2)


def _setitem(x):
    a = x.copy()
    a[np.array([3, 1, 3])] = x[:3] ** 2  # 3 twice: only x[2] ** 2 lands there
    return np.sum(a ** 3)


def _setitem_scalar_index(x):
    a = np.cos(x)
    a[2] = x[0] * x[5]
    a[-1] *= 3.0
    return np.sum(a * a)


def _view_writes(x):
    a = x.copy()
    a.reshape(3, 4).T[1] = x[:3] ** 2  # through a reshape, a transpose and a row
    m = a.reshape(3, 4)[1:]
    m[:, ::2] = m[:, 1::2] * x[0]  # a strided region from another one of the same array
    m[:, [0, 0, 2]] = x[:6].reshape(2, 3) * 2  # column 0 twice: the second wins
    return np.sum(a ** 3)


def _mask_reduced(x):
    m = x > 0.1
    return np.sum(x[m] ** 2) + np.max(x[m])


def _mask_assign(x):
    a = x.copy()
    a[a < 0] = 0.5 * a[a < 0] ** 2
    return np.sum(a * x)


USER = {
    "fancy": lambda x: np.sum(x[[0, 2, 2]] ** 2 * np.array([1.0, 2.0, 3.0])),
    "fancy_2d": lambda x: np.sum(np.tanh(x.reshape(3, 4)[[2, 0, 2]][:, [1, -1]])),
    "mask_reduced": _mask_reduced,
    "mask_assign": _mask_assign,
    "take_along_axis": lambda x: np.sum(np.take_along_axis(x.reshape(3, 4), np.array([[1], [3], [0]]), 1) ** 3),
    "take": lambda x: np.sum(np.take(x, [5, -1, 5]) * x[:3]),
    "add_at": _add_at,
    "sliced_add": _sliced_add,
    "setitem": _setitem,
    "setitem_scalar_index": _setitem_scalar_index,
    "view_writes": _view_writes,
    "sort_head_sum": lambda x: np.sum(np.sort(x)[:4] ** 2),
    "sort_axis": lambda x: np.sum(np.sort(x.reshape(3, 4), axis=0)[-1] * np.arange(4.0)),
    "cumsum": lambda x: np.sum(np.cumsum(x) ** 2),
    "cumprod": lambda x: np.sum(np.cumprod(1.0 + 0.3 * x)),
    "maximum_accumulate": lambda x: np.sum(np.maximum.accumulate(x) * np.arange(12.0)),
    "minimum_accumulate": lambda x: np.sum(np.minimum.accumulate(x.reshape(3, 4), axis=1) ** 2),
    "median": lambda x: np.median(x ** 2) + np.percentile(x, 30),
    "partition": lambda x: np.sum(np.partition(x, 3)[:4] * np.arange(1.0, 5.0)),
    "nanquantile": lambda x: np.sum(np.nanquantile(x ** 2, [0.1, 0.5, 0.9])),
    "interp": lambda x: np.sum(np.interp(np.linspace(-0.5, 0.5, 7), np.sort(x), x ** 2)),
    "put": lambda x: _put(x),
    "maximum_at": _maximum_at,
    "bincount": lambda x: np.sum(np.bincount(np.array([0, 2, 2, 1, 5], np.int8), weights=x[:5]) ** 2),
    "histogram_weights": lambda x: np.sum(np.histogram(np.arange(12.0), bins=3, weights=x ** 2)[0] ** 2),
    "roll_pad": lambda x: np.sum(np.pad(np.roll(x, 3), (2, 1), mode="reflect") ** 2 * np.arange(15.0)),
}


def _put(x):
    a = x.copy()
    np.put(a, [1, 5, -1, 5], x[:4] ** 2)
    return np.sum(a ** 2)


def _point(name: str) -> np.ndarray:
    x = _distinct(12) / 3.0  # (no ties: sorts and running maxima are differentiable there)
    if name == "mask_reduced" or name == "mask_assign":
        x = x + 0.05 * np.sign(x - 0.1)
    return x


@pytest.mark.parametrize("name", sorted(USER))
def test_user_grad(name):
    f = USER[name]
    x = _point(name)
    expect = numeric_grad(f, x)
    close(tj.grad(f)(x), expect)
    close(tj.jit(tj.grad(f))(x), expect)
    close(tj.grad(tj.jit(f))(x), expect)
    v = RNG.standard_normal(12)
    close(tj.jvp(f, (x,), (v,))[1], float(expect @ v))
    tj.config.disable_jit = True  # eagerly: the same program run by the ops' NumPy references
    try:
        close(tj.grad(f)(x), expect)
    finally:
        tj.config.disable_jit = False


@pytest.mark.parametrize("name", sorted(USER))
def test_user_hessian_vector_product(name):
    """Second order: the rules' own ops differentiate (forward over reverse, reverse over reverse)."""
    f = USER[name]
    x, v = _point(name), RNG.standard_normal(12)
    g = tj.grad(f)
    eps = 1e-5
    expect = (g(x + eps * v) - g(x - eps * v)) / (2 * eps)
    close(tj.jvp(lambda x: tj.grad(f)(x), (x,), (v,))[1], expect, rtol=1e-5)
    close(tj.grad(lambda x: np.sum(tj.grad(f)(x) * v))(x), expect, rtol=1e-5)


def test_traced_window_in_jit():
    """``x[i:i+3]`` with a traced ``i``: a dynamic slice, differentiated inside ``tj.jit``."""
    def f(x, i):
        w = x[i:i + 3]
        return np.sum(w ** 2 * np.array([1.0, 2.0, 3.0]))

    def h(x, i):
        return x[i] * x[i + 1] ** 2 + np.sum(x[i - 3:i] * np.array([1.0, 2.0, 3.0]))

    def g(x, i):
        y = x.copy()
        y[i:i + 3] = np.exp(x[:3])
        return np.sum(y * x)

    x = _point("")
    for fn in (f, g, h):
        for i in (3, 4, 9):
            expect = numeric_grad(lambda x: fn(x, i), x)
            close(tj.jit(lambda x, i: tj.grad(fn)(x, i))(x, i), expect)
            close(tj.jit(tj.grad(fn))(x, i), expect)
            v = RNG.standard_normal(12)
            close(tj.jit(lambda x, v, i: tj.jvp(lambda x: fn(x, i), (x,), (v,))[1])(x, v, i), float(expect @ v))


# -- against jax.grad (optional dependency) -------------------------------------------------------

def _writes(xp, x):
    if xp is np:
        a = x * 1.5
        a[1:-1] += xp.sin(x[:-2])
        a[np.array([0, 7])] = x[3:5] ** 2
        np.add.at(a, np.array([2, 2, 9]), x[:3])
        return xp.sum(a ** 2)
    a = x * 1.5
    a = a.at[1:-1].add(xp.sin(x[:-2]))
    a = a.at[np.array([0, 7])].set(x[3:5] ** 2)
    a = a.at[np.array([2, 2, 9])].add(x[:3])
    return xp.sum(a ** 2)


JAX_FUNCTIONS = {
    "fancy": lambda xp, x: xp.sum(x[np.array([0, 2, 2, -1])] ** 2 * xp.arange(1.0, 5.0)),
    "take_along_axis": lambda xp, x: xp.sum(xp.take_along_axis(x.reshape(3, 4), np.array([[1], [3], [0]]), 1) ** 3),
    "sort": lambda xp, x: xp.sum(xp.sort(x.reshape(3, 4), axis=1)[:, :2] * xp.arange(2.0)),
    "cumsum_cumprod": lambda xp, x: xp.sum(xp.cumsum(x) ** 2) + xp.sum(xp.cumprod(xp.where(x > 0.4, 0.0, x + 1))),
    "median": lambda xp, x: xp.median(x ** 2),
    "writes": _writes,
}


@pytest.mark.parametrize("name", sorted(JAX_FUNCTIONS))
def test_grad_matches_jax(name):
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    f = JAX_FUNCTIONS[name]
    x = _distinct(12) / 3.0
    ours = tj.grad(lambda x: f(np, x))(x)
    theirs = np.asarray(jax.grad(lambda x: f(jax.numpy, x))(jax.numpy.asarray(x)))
    np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)


def test_distinct_constant_indices_need_no_winner_mask():
    """``a[[3, 1, 0]] = v``: every write wins, so the backward program has no int64 scatter
    of write numbers; with a repeated index it has one."""
    def write(index):
        def f(x):
            a = x.copy()
            a[np.array(index)] = x[:3] ** 2
            return np.sum(a ** 3)
        return f

    x = _point("")
    for index, masks in (([3, 1, -12], 0), ([3, 1, -9], 1)):  # (-9 is 3)
        f = write(index)
        graph = tj.jit(tj.grad(f)).lower(x).as_text("graph")
        assert sum("scatter" in line and ": i64[12]" in line for line in graph.splitlines()) == masks
        close(tj.grad(f)(x), numeric_grad(f, x))
