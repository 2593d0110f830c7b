"""Advanced indexing against NumPy eager: integer-array gathers (``x[idx]``, mixed with
slices, ``None`` and ints, ``np.take``) and writes through integer arrays (scatters)
(frontend/numpy/advanced.py, compiler/ops/gather.py, compiler/ops/scatter.py). Boolean selections
and ``np.nonzero``: test_indexing_masks.py."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tracejit as tj
from tests.cases import MAIN_DTYPES, values
from tests.conftest import assert_same, check_jit
from tracejit.compiler.interpreter import evaluate
from tracejit.compiler.pipeline import optimize

RNG = np.random.default_rng(2024)
X = RNG.standard_normal((5, 6, 7))
I = np.array([0, 4, -1, 2])
J = np.array([[1], [5], [-6]])

GATHERS = {
    "rows": lambda x, i, j: x[i],
    "middle": lambda x, i, j: x[:, i],
    "last_ellipsis": lambda x, i, j: x[..., i],
    "broadcast_pair": lambda x, i, j: x[i, j],
    "separated_pair": lambda x, i, j: x[i, :, j],  # non-adjacent: the index dims go first
    "int_and_array_separated": lambda x, i, j: x[2, :, i],
    "int_and_array_adjacent": lambda x, i, j: x[:, 2, i],
    "slices_around": lambda x, i, j: x[1:4, i[:3], ::-2],
    "newaxis": lambda x, i, j: x[None, i, 2],
    "newaxis_between": lambda x, i, j: x[i, None, i],
    "all_arrays": lambda x, i, j: x[i, i, j],
    "0d_indices": lambda x, i, j: x[i[0], i[1], i[3]],
    "2d_index": lambda x, i, j: x[i.reshape(2, 2)],
    "computed_index": lambda x, i, j: x[(i * 3 + 1) % 5],
    "gather_of_gather": lambda x, i, j: x[i][i % 4],
    "transposed_source": lambda x, i, j: x.T[i],
    "view_of_gather": lambda x, i, j: x[i][:, ::-1].T,
    "reshape_of_gather": lambda x, i, j: x[i].reshape(-1),
    "empty_index": lambda x, i, j: x[i[:0]],
    "empty_source": lambda x, i, j: x[:, :0][i],
    "take_flat": lambda x, i, j: np.take(x, i),
    "take_axis": lambda x, i, j: np.take(x, j, axis=1),
    "take_method": lambda x, i, j: x.take(i, axis=-1),
    "take_scalar": lambda x, i, j: np.take(x, i[2]),
    "fused_sum": lambda x, i, j: (x[i] * 2 + 1).sum(),
    "fused_rows": lambda x, i, j: x[i].sum(axis=(1, 2)) + x[i[::-1]].max(axis=(1, 2)),
    "argmax_row": lambda x, i, j: x[np.argmax(x.sum(axis=(1, 2)))],
}


@pytest.mark.parametrize("name", list(GATHERS))
def test_gather_matches_numpy(name):
    check_jit(GATHERS[name], X, I, J, rtol=1e-12)


def test_gather_constant_indices():
    check_jit(lambda x: x[[1, 2, -1]], X)
    check_jit(lambda x: x[:, [[0, 1], [2, -3]]], X)
    check_jit(lambda x: x[np.array([3, 3, 0]), 1:, np.array([-1])], X)
    check_jit(lambda x: x[[]], X)


@pytest.mark.parametrize("dtype", MAIN_DTYPES + [np.dtype(np.uint16), np.dtype(np.int8)], ids=str)
def test_gather_dtypes(dtype):
    v = values(RNG, (41, 3), dtype)
    i = RNG.integers(-41, 41, 29)
    check_jit(lambda v, i: v[i], v, i)
    check_jit(lambda v, i: v[i, 1:], v, i)
    check_jit(lambda v, i: v[i].sum(axis=0), v, i)


@pytest.mark.parametrize("index_dtype", [np.int8, np.uint8, np.int32, np.uint32, np.int64, np.uint64])
def test_index_dtypes(index_dtype):
    v = RNG.standard_normal(100)
    i = RNG.integers(0, 100, 17).astype(index_dtype)
    check_jit(lambda v, i: v[i] * 2, v, i)


def test_noncontiguous_and_large():
    a = RNG.standard_normal((3000, 400))[:, ::2]
    i = RNG.integers(-3000, 3000, 5000)
    check_jit(lambda a, i: a[i], a, i)
    check_jit(lambda a, i: a[:, i % 200].sum(axis=1), a, i, rtol=1e-12)
    check_jit(lambda a, i: np.exp(a[i]) * a[i], a, i, rtol=1e-12)
    check_jit(lambda a, i: a[i[::-3]], a, i[::2])


def test_gather_is_one_fused_kernel():
    f = tj.jit(lambda x, i: (x[i] * 2 + 1).sum())
    text = f.lower(np.zeros(100, np.float32), np.zeros(30, np.int64)).as_text("kernels")
    (line,) = [ln for ln in text.splitlines() if "gather(" in ln]
    assert "sum[" in line and "multiply(" in line, text  # the gather is loaded inside the reduction
    assert "no temporaries" in text, text


def test_out_of_range_traced_index_raises_index_error():
    f = tj.jit(lambda x, i: x[i] + 1)
    x = np.arange(5.0)
    assert_same(f(x, np.array([4, -5])), x[np.array([4, -5])] + 1)
    for bad in ([5], [-6], [2**62], [-2**62], [0, 1, 7]):
        with pytest.raises(IndexError, match=r"out of bounds for axis 0 with size 5 \(at .*test_indexing_advanced"):
            f(x, np.array(bad))
    g = tj.jit(lambda x, i: x[:, i.astype(np.uint8)])
    with pytest.raises(IndexError, match="axis 1 with size 5"):
        g(np.ones((2, 5)), np.array([255]))


def test_out_of_range_check_leaves_arguments_as_eager():
    def f(x, i):
        x += 1
        r = x[i]
        x += 5
        return r
    x = np.zeros(4)
    with pytest.raises(IndexError):
        tj.jit(f)(x, np.array([9]))
    assert (x == 1).all()  # eager NumPy added 1 before the failing line, and not 5 (frontend/checks.py snapshot)


def test_constant_index_errors_while_tracing():
    x = np.zeros((3, 4))
    with pytest.raises(IndexError, match="index 3 is out of bounds for axis 0 with size 3"):
        tj.jit(lambda v: v[[0, 3]])(x)
    with pytest.raises(IndexError, match="integer"):
        tj.jit(lambda v: v[[0.5]])(x)
    with pytest.raises(IndexError, match="could not be broadcast"):
        tj.jit(lambda v, i: v[i, np.array([0, 1, 2])])(x, np.array([0, 1]))
    with pytest.raises(IndexError, match="size 0"):
        tj.jit(lambda v, i: v[:0][i])(x, np.array([0]))


def test_mixed_masks_name_the_line():
    with pytest.raises(tj.UnsupportedError, match=r"single mask.*test_indexing_advanced"):
        tj.jit(lambda x: x[x[:, 0] > 0, 1], fallback=False)(np.zeros((3, 2)))

    def masked_write(x):
        x[x[:, 0] > 0, 1] = 0
    with pytest.raises(tj.UnsupportedError, match="boolean index"):
        tj.jit(masked_write, fallback=False)(np.zeros((3, 2)))


# -- writes through integer arrays (scatter) ----------------------------------------------------

def _set_scalar(x, i):
    x[i] = 1.5


def _set_rows_broadcast(x, i):
    x[:, i] = np.arange(7.0)


def _add_repeated(x, i):
    x[i] += 1  # repeated indices: each write is x_old + 1, the last one wins (as NumPy)


def _set_from_gather(x, i):
    x[i, 1:3] = x[i[::-1], :2] * 2


def _separated(x, i):
    y = np.zeros(x.shape)
    y[i, 2, i] = x[i, 1, i] * 2
    return y


def _swap_rows(x, i):
    x[[1, 3]] = x[[3, 1]]


def _empty(x, i):
    x[i[:0]] = 7


def _int_values(x, i):
    v = np.zeros(10, np.int32)
    v[i] = np.arange(6) * 1.7  # cast unsafely, as NumPy's assignment
    return v


@pytest.mark.parametrize("fn", [_set_scalar, _set_rows_broadcast, _add_repeated, _set_from_gather, _separated,
                                _swap_rows, _empty, _int_values], ids=lambda f: f.__name__)
def test_scatter_matches_numpy(fn):
    x = RNG.standard_normal((5, 6, 7))
    i = np.array([0, 4, -1, 2, 4, 0])
    eager, jitted = x.copy(), x.copy()
    want = fn(eager, i)
    got = tj.jit(fn)(jitted, i)
    assert_same(got, want)
    assert_same(jitted, eager)


def test_scatter_last_write_wins_large():
    v = np.zeros(20000)
    i = RNG.integers(-20000, 20000, 60000)

    def put(v, i):
        v[i] = np.arange(60000.0)
    eager, jitted = v.copy(), v.copy()
    put(eager, i)
    tj.jit(put)(jitted, i)
    assert_same(jitted, eager)


def test_scatter_out_of_range_raises_and_leaves_the_argument():
    x = np.zeros(5)
    with pytest.raises(IndexError, match=r"index 5 is out of bounds for axis 0 with size 5"):  # (eager's own:
        tj.jit(_set_scalar)(x, np.array([1, 5]))  # the check failed before the call, the function ran eagerly)
    assert (x == 0).all()
    with pytest.raises(ValueError, match="could not broadcast"):
        tj.jit(lambda x, i: x.__setitem__(i, np.ones(3)))(x, np.array([1, 2]))


def test_reference_interpreter_and_verified_passes():
    def fn(x, i, j):
        y = x * 1
        y[i[:2], 0] = -x[j[:2, 0] % 5, 1]
        return x[i, :, j] * 2 + x[1:, i[1:3]].sum(), y
    graph = tj.jit(fn).lower(X, I, J).traced.graph
    got = evaluate(graph, [X, I, J])
    want = fn(X.copy(), I, J)
    np.testing.assert_allclose(got[0], want[0], rtol=1e-12)
    np.testing.assert_array_equal(got[1], want[1])
    optimize(graph, verify=True)  # every pass keeps the graph well-formed


def test_other_sizes_share_code():
    f = tj.jit(lambda x, i: x[i] * 3)
    g = tj.jit(_set_scalar)
    for n in (5, 9, 100, 1000):
        x = RNG.standard_normal((n, 3))
        i = RNG.integers(-n, n, n + 2)
        assert_same(f(x, i), x[i] * 3)
        eager, jitted = x.copy(), x.copy()
        _set_scalar(eager, i)
        g(jitted, i)
        assert_same(jitted, eager)
        bad = i.copy()
        bad[-1] = n
        with pytest.raises(IndexError, match=f"size {n} "):
            f(x, bad)
    assert f.cache_info().compilations == 1  # extents and bounds are run-time sizes
    assert g.cache_info().compilations == 1


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(shape=st.lists(st.integers(1, 5), min_size=1, max_size=3), data=st.data())
def test_gather_random_shapes(shape, data):
    x = RNG.standard_normal(shape).astype(np.float32)
    axis = data.draw(st.integers(0, len(shape) - 1))
    n = shape[axis]
    ishape = data.draw(st.lists(st.integers(0, 3), max_size=2))
    i = RNG.integers(-n, n, ishape)
    key = (slice(None),) * axis + (i,)
    expected = x[key]
    got = tj.jit(lambda x, i: x[(slice(None),) * axis + (i,)])(x, i)
    assert_same(got, expected)


@st.composite
def mixed_keys(draw):
    """A shape and a key mixing slices, ints, None and integer arrays (broadcasting)."""
    shape = draw(st.lists(st.integers(1, 4), min_size=1, max_size=4))
    batch = draw(st.sampled_from([(), (3,), (2, 1), (1, 3)]))
    key = []
    for n in shape:
        kind = draw(st.sampled_from(["slice", "int", "array", "array"]))
        if kind == "slice":
            start, stop = draw(st.integers(-n, n)), draw(st.integers(-n, n))
            key.append(slice(start, stop, draw(st.sampled_from([1, 2, -1]))))
        elif kind == "int":
            key.append(draw(st.integers(-n, n - 1)))
        else:
            key.append(RNG.integers(-n, n, batch))
        if draw(st.booleans()) and draw(st.booleans()):
            key.append(None)
    if not any(isinstance(k, np.ndarray) for k in key):
        key[0] = RNG.integers(-shape[0], shape[0], batch)
    return tuple(shape), tuple(key)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=mixed_keys())
def test_mixed_keys_follow_numpy_placement(case):
    shape, key = case
    x = RNG.standard_normal(shape)
    arrays = [k for k in key if isinstance(k, np.ndarray)]

    def fn(x, *arrays):
        it = iter(arrays)
        return x[tuple(next(it) if isinstance(k, np.ndarray) else k for k in key)] * 2
    check_jit(fn, x, *arrays)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=mixed_keys())
def test_mixed_key_writes_follow_numpy(case):
    shape, key = case
    x = RNG.standard_normal(shape)
    arrays = [k for k in key if isinstance(k, np.ndarray)]
    value = RNG.standard_normal(x[key].shape)  # repeated indices: the last write wins in both

    def fn(x, value, *arrays):
        it = iter(arrays)
        x[tuple(next(it) if isinstance(k, np.ndarray) else k for k in key)] = value
    eager, jitted = x.copy(), x.copy()
    fn(eager, value, *arrays)
    tj.jit(fn)(jitted, value, *arrays)
    assert_same(jitted, eager)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(shape=st.lists(st.integers(1, 5), min_size=1, max_size=3), data=st.data())
def test_scatter_random_shapes(shape, data):
    x = RNG.integers(-50, 50, shape).astype(np.int32)
    axis = data.draw(st.integers(0, len(shape) - 1))
    n = shape[axis]
    i = RNG.integers(-n, n, data.draw(st.lists(st.integers(0, 4), max_size=2)))
    key = (slice(None),) * axis + (i,)
    value = RNG.integers(-9, 9, x[key].shape)

    def put(x, i, value):
        x[(slice(None),) * axis + (i,)] = value
    eager, jitted = x.copy(), x.copy()
    put(eager, i, value)
    tj.jit(put)(jitted, i, value)
    assert_same(jitted, eager)

