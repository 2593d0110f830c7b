"""cumsum / cumprod / accumulate and sort / argsort (``compiler/ops/scan_sort.py``):
jit against NumPy eager, bit for bit, over dtypes, axes, odd and empty shapes,
non-contiguous inputs, NaNs and signed zeros, ties, threads and random shapes."""
from __future__ import annotations

import os

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tracejit as tj
from tests.conftest import assert_same, check_jit

EXAMPLES = int(os.environ.get("TRACEJIT_HYPOTHESIS_EXAMPLES", 25))
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
rng = np.random.default_rng(7)

INT_DTYPES = ["bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"]
ALL_DTYPES = INT_DTYPES + ["float32", "float64"]


def sample(shape, dtype, low=-5, high=6):
    """Values with many ties (and, for floats, fractions)."""
    dtype = np.dtype(dtype)
    if dtype.kind == "b":
        return rng.integers(0, 2, shape).astype(bool)
    if dtype.kind == "u":
        return rng.integers(0, high, shape).astype(dtype)
    if dtype.kind == "i":
        return rng.integers(low, high, shape).astype(dtype)
    return (rng.integers(low, high, shape) * 0.5 + rng.integers(0, 2, shape) * rng.random(shape)).astype(dtype)


def signbits(x):
    return np.signbit(x) if np.asarray(x).dtype.kind == "f" else None


# -- scans ------------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_cumsum_cumprod_default_dtypes(dtype):
    x = sample((4, 9), dtype, -2, 3)
    check_jit(lambda a: (np.cumsum(a), np.cumsum(a, axis=0), np.cumprod(a, axis=-1), a.cumsum(1), a.cumprod()), x)


@pytest.mark.parametrize("axis", [None, 0, 1, 2, -1, -3])
def test_cumsum_axes_3d(axis):
    x = sample((3, 5, 4), "float64")
    check_jit(lambda a: (np.cumsum(a, axis=axis), np.cumprod(a, axis=axis)), x)


def test_scan_dtype_argument():
    x = sample((6, 7), "int32", -100, 100)
    check_jit(lambda a: (np.cumsum(a, dtype=np.int8), np.cumsum(a, axis=1, dtype=np.float32),
                         np.cumprod(a, dtype=np.uint16), np.cumsum(a > 0, dtype=bool),
                         np.cumprod(a > -50, axis=0, dtype=bool)), x)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_float_cumsum_is_sequential_bit_for_bit(dtype):
    own = np.random.default_rng(63)  # fixed data: the shared generator's depends on test order
    x = (own.standard_normal(100_003) * 10 ** own.uniform(-3, 3, 100_003)).astype(dtype)
    f = check_jit(lambda a: np.cumsum(a), x)
    pairwise = np.add.reduce(x)  # NumPy's sum is pairwise: the scan's last element is not it
    assert f(x)[-1] == np.cumsum(x)[-1] and (f(x)[-1] != pairwise or dtype == "float64")


def test_float_cumsum_exact_under_fastmath():
    x = rng.standard_normal((5, 1000)).astype(np.float32)
    f = tj.jit(lambda a: np.cumsum(a, axis=1), fastmath=True)
    assert_same(f(x), np.cumsum(x, axis=1))


def test_scan_signed_zeros_nan_inf():
    x = np.array([-0.0, -0.0, 0.0, -0.0, np.inf, -np.inf, 1.0, np.nan, 2.0])
    f = check_jit(lambda a: (np.cumsum(a[:2]), np.cumsum(a), np.cumprod(a), np.cumprod(-a[:4])), x)
    r = f(x)
    assert np.signbit(r[0]).all() and np.array_equal(np.signbit(r[3]), np.signbit(np.cumprod(-x[:4])))


def test_integer_scans_wrap_like_numpy():
    x = np.array([2 ** 62, 2 ** 62, 2 ** 62, -5], np.int64)
    check_jit(lambda a: (np.cumsum(a), np.cumprod(a)), x)
    check_jit(lambda a: np.cumprod(a, dtype=np.uint8), np.arange(1, 12, dtype=np.int64))


@pytest.mark.parametrize("dtype", ["float32", "float64", "int8", "uint16", "int64"])
@pytest.mark.parametrize("cols", [4, 7, 33, 100])
def test_column_scans_run_adjacent_lines_in_vector_lanes(dtype, cols):
    """Scans along axis 0 of a C-contiguous array run adjacent columns in vector lanes (a
    short last group line by line): still each column in order, bit for bit."""
    x = sample((50, cols), dtype, -3, 4)
    if np.dtype(dtype).kind == "f":
        x = (rng.standard_normal((50, cols)) * 10.0 ** rng.integers(-4, 5, (50, cols))).astype(dtype)
    f = check_jit(lambda a: (np.cumsum(a, axis=0), np.cumprod(a, axis=0), np.cumsum(a[:, ::-1], axis=0),
                             np.cumsum(a.reshape(5, 10, cols), axis=1)), x)
    lanes = [k.along.lanes for k in f.lower(x).kernels if k.kind == "along_axis"]
    converted = np.cumsum(x).dtype != x.dtype  # the scan reads a contiguous converted copy
    assert lanes[0] >= 4 and (lanes[2] == 1 or converted)  # reversed columns: line by line


def test_ufunc_accumulate():
    x = sample((5, 6), "int16")
    check_jit(lambda a: (np.add.accumulate(a), np.multiply.accumulate(a, axis=1),
                         np.add.accumulate(a.astype(np.float32), axis=-1, dtype=np.float64),
                         np.add.accumulate(a[0], axis=None)), x)


def test_scans_of_scalars_and_expressions():
    # halves of small integers: every sum is exact, so a.sum()'s order (ours or NumPy's
    # pairwise) cannot round differently whatever data the shared generator hands out
    x = (np.random.default_rng(111).integers(-8, 8, 8) * 0.5).astype(np.float32)
    check_jit(lambda a: (np.cumsum(a[3]), np.cumsum(a[3], axis=0), np.cumprod(a.sum()), np.cumsum(a * 2 + 1) - a,
                         np.cumsum(np.arange(10)), np.cumsum(np.ones((3, 4)), axis=0) * a[:4]), x)


# -- sorts ------------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_sort_argsort_dtypes(dtype):
    x = sample((5, 37), dtype)
    check_jit(lambda a: (np.sort(a), np.sort(a, axis=0), np.argsort(a, kind="stable"),
                         np.argsort(a, axis=0, stable=True), np.sort(a, axis=None),
                         np.argsort(a, axis=None, kind="mergesort")), x)


@pytest.mark.parametrize("n", [1, 2, 15, 16, 17, 31, 32, 33, 100, 1000, 4099])
def test_sort_lengths_around_runs_and_merges(n):
    x = sample((3, n), "float64", -1000, 1000)
    check_jit(lambda a: (np.sort(a), np.argsort(a, kind="stable"), np.sort(a, axis=0)), x)


def test_sort_nan_inf_and_signed_zeros_stable():
    x = np.array([np.nan, 1.0, -0.0, np.inf, 0.0, -np.nan, -np.inf, -0.0, 0.0, 2.0, np.nan, -1.0] * 3)
    for dtype in (np.float32, np.float64):
        a = x.astype(dtype)
        f = check_jit(lambda v: (np.sort(v, kind="stable"), np.argsort(v, kind="stable"), np.sort(v)), a)
        s = f(a)[0]
        assert np.array_equal(np.signbit(s), np.signbit(np.sort(a, kind="stable")))
        assert np.isnan(s[-9:]).all() and np.array_equal(np.signbit(s[-9:]), np.signbit(a[np.isnan(a)]))


@pytest.mark.parametrize("n", [1, 2, 3, 5, 8, 9, 33, 1000])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_nans_go_last_in_order_for_every_pass_count(n, dtype):
    """NaNs are set apart before the merges, at the end of the half the last pass writes
    (which half depends on the number of passes): lines of no, some and only NaNs."""
    x = sample((4, n), dtype, -3, 3)
    x[1, rng.random(n) < 0.3] = np.nan
    x[2, :] = -np.nan
    x[3, ::2] = np.nan
    x[3, 1::4] = -np.nan
    x[3, 3::4] = -0.0
    f = check_jit(lambda a: (np.sort(a, kind="stable"), np.argsort(a, kind="stable"), np.sort(a.T, axis=0)), x)
    assert np.array_equal(np.signbit(f(x)[0]), np.signbit(np.sort(x, kind="stable")))


def test_default_kind_values_and_argsort_without_ties():
    """Every kind is the same stable sort: values always equal NumPy's; default-kind
    argsort is compared only where there are no ties (NumPy leaves their order open)."""
    x = rng.permutation(3000).reshape(3, 1000).astype(np.float64) + rng.random((3, 1000))
    check_jit(lambda a: (np.sort(a, kind="quicksort"), np.sort(a, kind="heapsort"), np.argsort(a),
                         np.argsort(a, axis=0, kind="quicksort"), np.argsort(a, kind="heapsort")), x)


def test_sort_non_contiguous_inputs():
    x = sample((12, 40), "float32")
    check_jit(lambda a: (np.sort(a.T), np.argsort(a[::2, ::-3], kind="stable", axis=0), np.sort(a[:, 5:30], axis=None),
                         np.cumsum(a[::-1, ::3], axis=1), np.cumprod(a.T[2:7], axis=0)), x)
    check_jit(lambda a: (np.sort(a), np.argsort(a, kind="stable"), np.cumsum(a, axis=0)), x.T)
    check_jit(lambda a: np.sort(a), x[:, ::2])  # a strided argument


@pytest.mark.parametrize("shape", [(0,), (3, 0), (0, 4), (1,), (1, 1), (5, 1), (1, 6), (2, 0, 3)])
def test_zero_size_and_length_one_axes(shape):
    x = sample(shape, "float64")
    check_jit(lambda a: (np.sort(a), np.sort(a, axis=0), np.argsort(a, kind="stable"),
                         np.argsort(a, axis=None, kind="stable"),  # (ties: the default kind leaves their order open)
                         np.cumsum(a, axis=-1), np.cumprod(a, axis=0), np.cumsum(a)), x)


def test_zero_d_inputs():
    x = np.array(2.5)
    check_jit(lambda a: (np.cumsum(a), np.cumsum(a, axis=0), np.cumprod(a, axis=-1), np.argsort(a),
                         np.sort(a, axis=None), np.argsort(a, axis=0)), x)


def test_consumers_and_producers_fuse_around_the_kernel():
    x = sample((6, 50), "float64")
    f = check_jit(lambda a: np.sort(a * 2 - 1)[:, ::-1] + np.cumsum(a, axis=1) / 3, x)
    kernels = f.lower(x).kernels
    assert sum(k.kind == "along_axis" for k in kernels) == 2
    assert len(kernels) == 4  # the operand a*2-1, the sort, the scan, the final map


def test_constant_operands_fold():
    c = sample((4, 9), "int32")
    fn = lambda a: a + np.sort(c, axis=0) + np.argsort(c[0], kind="stable") + np.cumsum(c, axis=1)  # noqa: E731
    check_jit(fn, c)
    f = tj.jit(fn, freeze=True)  # the captured c as a constant: its scans fold
    assert_same(f(c), fn(c))
    assert not any(k.kind == "along_axis" for k in f.lower(c).kernels)


def test_method_sort_in_place_and_argsort_method():
    def local(a):
        b = a * 1.0
        r = b.sort()
        b[0].sort()  # a view: sorts a row of b in place
        return r, b, a.argsort(kind="stable"), a.argsort(axis=0)

    x = rng.permutation(40).reshape(5, 8).astype(np.float64)
    check_jit(local, x)

    def on_argument(a):
        a.sort(axis=0)
        a[:, 1:3].sort(kind="stable")

    x = sample((7, 6), "int32")
    ref = x.copy()
    on_argument(ref)
    got = x.copy()
    assert tj.jit(on_argument)(got) is None
    assert_same(got, ref)


def test_parallel_lines_match_serial(monkeypatch):
    monkeypatch.setattr(tj.config, "num_threads", 4)
    x = sample((64, 3000), "float64", -30, 30)
    f = check_jit(lambda a: (np.sort(a), np.argsort(a, kind="stable"), np.cumsum(a, axis=1), np.cumprod(a, axis=0)), x)
    kernels = [k for k in f.lower(x).kernels if k.kind == "along_axis"]
    assert all(k.parallel_grain > 0 for k in kernels)


def test_inside_loops_and_branches(monkeypatch):
    """Scan and sort kernels (with their scratch) inside loop bodies and branches."""
    monkeypatch.setattr(tj.config, "num_threads", 2)

    def loop(a, n):
        def body(i, v):
            return np.sort(np.cumsum(v, axis=1) * 0.5 - v[:, ::-1], axis=1) + i

        return tj.fori_loop(0, n, body, a)

    def branch(a):
        return tj.cond(a.sum() > 0, lambda v: np.argsort(v, axis=0, kind="stable"),
                       lambda v: np.argsort(-v, axis=0, kind="stable"), a)

    x = sample((40, 300), "float64")
    ref = x.copy()
    for i in range(3):
        ref = np.sort(np.cumsum(ref, axis=1) * 0.5 - ref[:, ::-1], axis=1) + i
    assert_same(tj.jit(loop)(x, 3), ref)
    for v in (x, -x):
        expected = np.argsort(v if v.sum() > 0 else -v, axis=0, kind="stable")
        assert_same(tj.jit(branch)(v), expected)


def test_lowered_text_names_the_kernel():
    x = np.ones((3, 4))
    text = tj.jit(lambda a: np.argsort(a, axis=0)).lower(x).as_text("kernels")
    assert "argsort along k<3" in text and "stable bottom-up merge sort" in text
    assert "define" in tj.jit(lambda a: np.cumsum(a)).lower(x).as_text("llvm")


# -- errors -----------------------------------------------------------------------------------

def test_unsupported_and_bad_arguments():
    x = np.ones((3, 4))
    with pytest.raises(tj.UnsupportedError, match=r"order=.*test_scans_sort.py"):
        tj.jit(lambda a: np.sort(a, order="f"), fallback=False)(x)
    with pytest.raises(ValueError, match=r"wrong size.*test_scans_sort.py"):  # (out= itself: test_numpy_functions17)
        tj.jit(lambda a: np.cumsum(a, out=a))(x)
    with pytest.raises(ValueError, match="sort kind"):
        tj.jit(lambda a: np.argsort(a, kind="bogo"))(x)
    with pytest.raises(ValueError, match="keyword"):
        tj.jit(lambda a: np.sort(a, kind="stable", stable=True))(x)
    with pytest.raises(np.exceptions.AxisError):
        tj.jit(lambda a: np.cumsum(a, axis=2))(x)
    with pytest.raises(np.exceptions.AxisError):
        tj.jit(lambda a: np.sort(a[0, 0]))(x)
    with pytest.raises(TypeError, match="accumulate on a scalar"):
        tj.jit(lambda a: np.add.accumulate(a[0, 0]))(x)
    with pytest.raises(ValueError, match="multiple axes"):
        tj.jit(lambda a: np.add.accumulate(a, axis=None))(x)
    with pytest.raises(TypeError):
        tj.jit(lambda a: a.sort(axis=None))(x.copy())
    with pytest.raises(tj.UnsupportedError, match="power.accumulate"):
        tj.jit(lambda a: np.power.accumulate(a), fallback=False)(x)


# -- random shapes ----------------------------------------------------------------------------

@SETTINGS
@given(data=st.data(), dtype=st.sampled_from(["int8", "uint16", "int64", "float32", "float64", "bool"]))
def test_random_shapes_against_numpy(data, dtype):
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=40))
    dt = np.dtype(dtype)
    if dt.kind == "f":
        elements = st.one_of(st.floats(width=dt.itemsize * 8, allow_subnormal=False),
                             st.sampled_from([0.0, -0.0, 1.0, np.nan]))
    elif dt.kind == "b":
        elements = st.booleans()
    else:
        elements = st.integers(-3 if dt.kind == "i" else 0, 3)
    x = data.draw(hnp.arrays(dt, shape, elements=elements))
    axis = data.draw(st.sampled_from([None] + list(range(-len(shape), len(shape)))))
    if data.draw(st.booleans()):
        x = x[::-1]
    f = tj.jit(lambda a: (np.sort(a, axis=axis, kind="stable"), np.argsort(a, axis=axis, kind="stable"),
                          np.cumsum(a, axis=axis), np.cumprod(a, axis=axis)))
    with np.errstate(all="ignore"):
        expected = (np.sort(x, axis=axis, kind="stable"), np.argsort(x, axis=axis, kind="stable"),
                    np.cumsum(x, axis=axis), np.cumprod(x, axis=axis))
        got = f(x)
    assert_same(got, expected)
    if dt.kind == "f":
        assert np.array_equal(np.signbit(got[0]), np.signbit(expected[0]))


def test_long_lines_get_fewer_chunks_of_scratch(monkeypatch):
    """Each parallel chunk of a sort has a scratch block: long lines get one chunk per
    thread rather than four (the plan only: nothing this large runs)."""
    from tracejit.compiler.schedule.scan_sort import CHUNKS_PER_THREAD
    monkeypatch.setattr(tj.config, "num_threads", 4)
    short = tj.jit(lambda a: np.argsort(a)).lower(np.zeros((64, 1000)))
    (k,) = [k for k in short.kernels if k.kind == "along_axis"]
    assert k.along.chunks == 4 * CHUNKS_PER_THREAD
    x = np.broadcast_to(np.float64(0), (64, 1 << 22))
    low = tj.jit(lambda a: np.argsort(a)).lower(x)
    (k,) = [k for k in low.kernels if k.kind == "along_axis"]
    assert k.along.chunks == 4 and k.parallel_grain == 16
    assert low.memory()["temporaries"] <= 4 * 2 * (1 << 22) * 16
