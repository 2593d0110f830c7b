"""Boolean selections against NumPy eager (``x[mask]`` reduced, returned, assigned back) and
``np.nonzero``/``np.where(c)``/``np.argwhere``/``np.flatnonzero``, also as met by the passes
that reason about which elements a kernel reads (frontend/numpy/selection.py, compiler/ops/gather.py)."""
from __future__ import annotations

import numpy as np
import pytest

import tracejit as tj
from tests.cases import MAIN_DTYPES, values
from tests.conftest import assert_same, check_jit

RNG = np.random.default_rng(2024)
X = RNG.standard_normal((5, 6, 7))


# -- boolean selections ------------------------------------------------------------------------

MASKED = {
    "sum": lambda x: x[x > 0.3].sum(),
    "np_sum": lambda x: np.sum(x[x < 0]),
    "mean": lambda x: x[x > 0.3].mean(),
    "max": lambda x: x[x < 1].max(),
    "min": lambda x: np.min(x[x > -1]),
    "prod": lambda x: x[np.abs(x) < 1.2].prod(),
    "any": lambda x: x[x > 0].any(),
    "all": lambda x: np.all(x[x > 0] > 0.1),
    "square_sum": lambda x: (x[x > 0] ** 2).sum(),
    "ufunc_reduce": lambda x: np.add.reduce(x[x > 0]) + np.maximum.reduce(x[x > 0]),
    "two_selections_inline_masks": lambda x: (x[x > 0] * x[x > 0] + 1).sum(),
    "var": lambda x: x[x > 0].var(),
    "std_ddof": lambda x: np.std(x[x > -1], ddof=1),
    "astype": lambda x: x[x > 0].astype(np.float32).sum(),
    "where": lambda x: np.where(x[x > 0] > 1, x[x > 0], 0.0).sum(),
    "clip_returned": lambda x: np.clip(x[x > 0], 0.5, 1.0),
    "size": lambda x: x[x > 0].size,
    "mean_of_ints": lambda x: (x > 0).astype(np.int32)[x > -0.5].mean(),
    "returned": lambda x: x[x > 0.5],
    "returned_in_tuple": lambda x: (x[x > 0], x.sum(), x[x < 0] * 2),
    "leading_mask": lambda x: x[x[:, 0, 0] > 0],
    "leading_mask_sum": lambda x: x[x[:, 0, 0] > 0].sum(),
    "argument_mask_returned": lambda x: x[np.isfinite(x)] - 1,
}


@pytest.mark.parametrize("name", list(MASKED))
def test_selection_matches_numpy(name):
    check_jit(MASKED[name], X, rtol=1e-12)


@pytest.mark.parametrize("dtype", MAIN_DTYPES + [np.dtype(np.uint8), np.dtype(np.int16)], ids=str)
def test_selection_dtypes(dtype):
    own = np.random.default_rng(5)  # fixed data: the shared generator's depends on test order
    x = values(own, (7, 9), dtype)
    m = values(own, (7, 9), np.bool_)
    for fn in (lambda x, m: x[m].sum(), lambda x, m: x[m], lambda x, m: x[m].max(),
               lambda x, m: x[m].min(), lambda x, m: x[m].mean(), lambda x, m: x[m].prod()):
        check_jit(fn, x, m, rtol=1e-5 if dtype == np.float32 else 1e-12)


def test_selection_noncontiguous_and_empty():
    x = RNG.standard_normal((6, 10))[::2, ::-3]
    check_jit(lambda x: x[x > 0], x)
    check_jit(lambda x: x[x > 0].sum(), x, rtol=1e-12)
    empty = np.zeros((0, 3))
    check_jit(lambda x: x[x > 0], empty)
    check_jit(lambda x: x[x > 0].sum(), empty)
    with np.errstate(all="ignore"):
        assert np.isnan(tj.jit(lambda x: x[x > 0].mean())(np.zeros(4)))


def test_selection_of_an_argument_returned():
    def also_writes(x, y):
        r = x[x > 0]
        y += 1
        x *= 2  # the selection holds the values before this write
        return r, y[y > 1.5]

    x = RNG.standard_normal((6, 10))[::2, ::-3]
    check_jit(lambda x, m: (x[m], x[m]), x, x > 0)
    eager, jitted = (x.copy(), RNG.standard_normal(5)), None
    jitted = tuple(a.copy() for a in eager)
    assert_same(tj.jit(also_writes)(*jitted), also_writes(*eager))
    assert_same(jitted, eager)


def test_max_of_empty_selection_raises_value_error():
    f = tj.jit(lambda x: x[x > 10].max())
    assert f(np.array([11.0, 1.0])) == 11.0
    with pytest.raises(ValueError, match="zero-size array to reduction operation maximum"):
        f(np.array([1.0, 2.0]))
    with pytest.raises(ValueError, match="minimum"):
        tj.jit(lambda x: x[x > 10].min() + 1)(np.array([1.0]))


def test_masked_writes():
    def sqrt_positive(x):
        x = x.copy()
        m = x > 0
        x[m] = np.sqrt(x[m]) * 2
        return x

    def increment(x, m):
        x[m] += 1

    def from_other(x, y):
        m = y > 0
        x[m] = y[m] - x[m]
        return x

    def inline_masks(x):
        x[x > 0] = np.sqrt(x[x > 0])
        return x

    check_jit(sqrt_positive, X, rtol=1e-12)
    check_jit(inline_masks, X.copy(), rtol=1e-12)
    for fn, args in ((increment, (X.copy(), X > 0)), (from_other, (X.copy(), -X))):
        eager = [a.copy() for a in args]
        jitted = [a.copy() for a in args]
        assert_same(tj.jit(fn)(*jitted), fn(*eager))
        assert_same(jitted[0], eager[0])


def test_selection_of_constant_mask():
    mask = RNG.random(X.shape) > 0.5
    check_jit(lambda x: x[mask].sum() + x[mask].size, X, rtol=1e-12)
    check_jit(lambda x: x[mask], X)


def test_selection_errors_name_the_line():
    x = np.ones((3, 4))
    cases = [lambda x: x[x > 0] + x, lambda x: x[x > 0].reshape(2, -1), lambda x: np.matmul(x[x > 0], x[x < 0]),
             lambda x: len(x[x > 0]), lambda x: x[x > 0][:2], lambda x: np.sort(x[x > 0]),
             lambda x: x[x > 0] + x[x < 0], lambda x: x[x > 0].cumsum()]
    for fn in cases:
        with pytest.raises(tj.UnsupportedError, match=r"data-dependent size.*test_indexing_masks"):
            tj.jit(fn, fallback=False)(x)


def test_selection_axes():
    check_jit(lambda x: x[x > 0].sum(axis=0) + x[x > 0].max(axis=-1), X, rtol=1e-12)
    check_jit(lambda x: x[x[:, 0, 0] > 0].sum(axis=(0, 1, 2)), X, rtol=1e-12)
    with pytest.raises(np.exceptions.AxisError):
        tj.jit(lambda x: x[x > 0].sum(axis=1))(X)
    check_jit(lambda x: x[x[:, 0, 0] > 0].sum(axis=1), X, rtol=1e-12)  # (more: test_selections_dynamic.py)


def test_selection_with_mask_of_other_shape():
    with pytest.raises(IndexError, match="does not match"):
        tj.jit(lambda x: x[np.ones(3, bool)])(np.ones((4, 2)))


# -- nonzero and relatives --------------------------------------------------------------------

@pytest.mark.parametrize("fn", [
    lambda x: np.nonzero(x > 0), lambda x: np.where(x > 0), lambda x: np.argwhere(x > 0),
    lambda x: np.flatnonzero(x > 0), lambda x: (x > 0).nonzero(), lambda x: np.nonzero(x.astype(np.int32)),
    lambda x: np.nonzero(x[0, 0] > 0)[0].sum(),
], ids=["nonzero", "where1", "argwhere", "flatnonzero", "method", "ints", "reduced"])
def test_nonzero_family(fn):
    check_jit(fn, X)
    check_jit(fn, np.zeros((2, 3, 4)))


def test_selections_keep_the_values_of_their_time():
    def later_writes(x, m):
        r, nz = x[m], np.nonzero(m)
        x *= 2
        m[:] = False
        return r, nz, x[m].sum()
    eager = (X.copy(), X > 0)
    jitted = tuple(a.copy() for a in eager)
    assert_same(tj.jit(later_writes)(*jitted), later_writes(*eager))
    assert_same(jitted, eager)


def test_nonzero_errors():
    with pytest.raises(ValueError, match="0d"):
        tj.jit(lambda x: np.nonzero(x.sum()), fallback=False)(X)
    with pytest.raises(ValueError, match="both or neither"):
        tj.jit(lambda x: np.where(x > 0, x), fallback=False)(X)
    with pytest.raises(tj.UnsupportedError, match="data-dependent"):
        tj.jit(lambda x: np.nonzero(x)[0] + x, fallback=False)(X)


# -- interactions with the passes that reason about which elements a kernel reads ---------------

def test_gathers_meet_fusion_blocking_memory_plan_and_matmul():
    n = 300_000  # large enough for blocked maps, parallel kernels and streaming
    x = RNG.standard_normal(n)
    idx = RNG.integers(-n, n, n)
    rows = RNG.standard_normal((64, 96)).astype(np.float32)
    cols = RNG.integers(-96, 96, 96)

    def blocked(x, i):  # two 1-d maps of one extent: the second gathers the first's output
        a = np.exp(x) * 2
        return a[i] + 1

    def in_place_chain(x, i):  # temporaries of one size: a gather must not overwrite its source
        a = np.sin(x) * x
        b = a[i] * 2
        return (b[i] + a).sum()

    def row_softmax_gather(r, c):  # row-fused kernels: the gather reads a row written in the group
        e = np.exp(r - r.max(axis=1, keepdims=True))
        return e[:, c] / e.sum(axis=1, keepdims=True)

    def matmul_operands(r, c):
        return r[:, c] @ r[c % 64] + (r @ r.T)[:, c % 64]

    check_jit(blocked, x, idx, rtol=1e-12)
    check_jit(in_place_chain, x, idx, rtol=1e-9)
    check_jit(row_softmax_gather, rows, cols, rtol=1e-6)
    check_jit(matmul_operands, rows, cols, rtol=1e-4, atol=1e-4)
    f = tj.jit(blocked, fastmath=True)
    np.testing.assert_allclose(f(x, idx), blocked(x, idx), rtol=1e-12)



def test_product_of_a_selection_with_a_zero_and_an_overflow_is_numpys():
    # Once multiplied in vector lanes: one lane overflowed to inf (3e38 * -1.87) while another
    # held -0.0, inf * 0 = NaN, where NumPy's order reaches 0 first and gives 0.0 (float
    # products now take their values in order: tests/test_ordered_products.py)
    own = np.random.default_rng(0)  # 26 values selected, among them -0.0 and 3e38
    x = values(own, (7, 9), np.float32)
    m = values(own, (7, 9), np.bool_)
    want = x[m].prod()
    got = tj.jit(lambda x, m: x[m].prod())(x, m)
    assert np.isnan(got) == np.isnan(want) and (np.isnan(want) or got == want)
