"""Regressions found in session 10 by random differential testing and hand-written probes:
each case once differed from NumPy eager (wrong values, a wrong kind of result, a crash or
an unclear error)."""
from __future__ import annotations

import numpy as np
import pytest

import tracejit as tj
from tests.differential import check


def _flat_writes():
    def one(a):
        a.flat[2] = 5.0
        return a

    def strided(a):
        a.flat[::3] = -1
        return a

    def through_transpose(a):
        a.T.flat[1:5] = [1, 2, 3, 4]
        return a

    def through_reversed(a):
        v = a[::-1]
        v.flat[0] = 42
        return a

    def fancy_of_columns(a):
        a[:, ::2].flat[[0, 3]] = 7
        return a

    def copy_of_slice(a):
        s = a.flat[1:3]
        s[0] = 99  # NumPy's a.flat[1:3] is a new array: a is unchanged
        return a, s

    def iterator_sees_later_writes(a):
        it = a.flat
        a[0, 0] = 100
        return it[0], a.flat[:3]

    return [one, strided, through_transpose, through_reversed, fancy_of_columns, copy_of_slice,
            iterator_sees_later_writes]


@pytest.mark.parametrize("fn", _flat_writes(), ids=lambda f: f.__name__)
@pytest.mark.parametrize("layout", ["C", "F", "T", "rev"])
def test_writes_through_flat_reach_the_array(fn, layout):
    x = np.arange(12.0).reshape(3, 4) - 5
    arr = {"C": x, "F": np.asfortranarray(x), "T": np.ascontiguousarray(x.T).T, "rev": x[:, ::-1]}[layout]
    check(fn, arr)


def test_flat_of_integers_and_three_axes():
    def fill(a):
        a.flat[1::4] = 3
        return a, np.sum(a.flat), len(a.flat)

    check(fill, np.arange(24).reshape(2, 3, 4))
    check(fill, np.ones((2, 3, 4), np.float32))


def _shape_setters():
    def of_a_view(a):
        b = a.view()
        b.shape = (6, 4)
        b[0] = 1
        return a, b

    def of_a_result(a):
        b = a * 2
        b.shape = (24,)
        return b, b[::5]

    def of_a_slice_then_written(a):
        r = a[1:]
        r.shape = (3, 2, 3)
        r += 1
        return a

    def needing_a_copy(a):
        b = a.T
        b.shape = (24,)  # NumPy: AttributeError (incompatible shape for in-place modification)
        return b

    def wrong_size(a):
        b = a[:]
        b.shape = (5,)
        return b

    return [of_a_view, of_a_result, of_a_slice_then_written, needing_a_copy, wrong_size]


@pytest.mark.parametrize("fn", _shape_setters(), ids=lambda f: f.__name__)
@pytest.mark.parametrize("order", ["C", "F"])
def test_setting_shape_is_a_view_as_in_numpy(fn, order):
    """``b.shape = s`` raised AttributeError ('Tracer' shape has no setter)."""
    x = np.asarray(np.arange(24.0).reshape(4, 6), order=order)
    check(fn, x)


def test_setting_the_shape_of_an_argument_is_refused_clearly():
    import tracejit as tj

    def f(a):
        a.shape = (2, 12)
        return a

    with pytest.raises(tj.UnsupportedError, match="shape of an argument"):
        tj.jit(f, fallback=False)(np.ones((4, 6)))


def _inplace_matmuls():
    def plain(a, b):
        a @= b
        return a

    def of_a_slice(a, b):
        c = a[:2]
        c @= b
        return a, c

    def reading_itself(a, b):
        a @= a.T @ a + b
        return a

    return [plain, of_a_slice, reading_itself]


@pytest.mark.parametrize("fn", _inplace_matmuls(), ids=lambda f: f.__name__)
@pytest.mark.parametrize("dtypes", [("f8", "f8"), ("f4", "f8"), ("f4", "i4"), ("i8", "i4"), ("c16", "f8")])
def test_inplace_matmul_as_numpy(fn, dtypes):
    """``a @= b`` was refused (UnsupportedError: run eagerly) for real arrays. (Small
    integer values: every product and sum is exact.)"""
    rng = np.random.default_rng(7)
    a = rng.integers(-4, 5, (4, 6)).astype(dtypes[0])
    b = rng.integers(-4, 5, (6, 6)).astype(dtypes[1])
    check(fn, a, b)


def test_inplace_matmul_errors_as_numpy():
    import tracejit as tj

    def f(a, b):
        a @= b
        return a

    for a, b, error in [(np.ones((3, 4), int), np.ones((4, 4)), TypeError),
                        (np.ones((3, 4)), np.ones((4, 5)), ValueError), (np.ones(4), np.ones(4), ValueError)]:
        with pytest.raises(error):
            f(a.copy(), b)
        with pytest.raises(error):
            tj.jit(f)(a.copy(), b)


@pytest.mark.parametrize("shapes", [((4, 6), (6, 4)), ((6,), (6, 6)), ((4, 6), (6,)), ((2, 3, 4), (4, 4)),
                                    ((2, 3, 4), (2, 4, 4)), ((3, 4), (2, 4, 4))])
def test_inplace_matmul_shapes_as_numpy(shapes):
    def f(a, b):
        a @= b
        return a

    rng = np.random.default_rng(8)
    check(f, rng.integers(-4, 5, shapes[0]) * 1.0, rng.integers(-4, 5, shapes[1]) * 1.0)


def _overflowing_fills():
    def full(a):
        return np.full(3, 300, np.int8)

    def full_unsigned(a):
        return np.full((2, 2), -1, np.uint8)

    def full_like(a):
        return np.full_like(a, 300)

    def setitem_list(a):
        a[0:2] = [300, 1]
        return a

    def put_list(a):
        np.put(a, [0, 1], [300])
        return a

    def in_range(a):  # (floats and arrays still convert unsafely, as NumPy's)
        a[0:2] = [3.7, -1]
        np.put(a, [2], np.array([300]))
        return a, np.full(3, 2.9, np.int8), np.full_like(a, -7.5)

    return [full, full_unsigned, full_like, setitem_list, put_list, in_range]


@pytest.mark.parametrize("fn", _overflowing_fills(), ids=lambda f: f.__name__)
def test_python_ints_out_of_the_dtypes_range_raise_overflow_error(fn):
    """A Python int an integer dtype cannot hold, given as a fill or assigned value, raises
    OverflowError in NumPy 2: np.full, np.full_like, a list assigned and np.put's values
    wrapped instead (300 into int8 gave 44)."""
    check(fn, np.arange(3, dtype=np.int8))


@pytest.mark.parametrize("optimize", [False, True, "greedy", "optimal", None])
@pytest.mark.parametrize("spec", ["i,i", "ij->", "ij,ij->", "i,i,i", "i,j->", "i,i,j->", "ii,ii->", "ij,ji",
                                  "ij,jk,k->", "ij,jk->ik"])
def test_full_contractions_of_optimized_einsum_are_0d_arrays_as_numpy(spec, optimize):
    """NumPy's optimized einsum ends a full contraction of two operands sharing a label in
    a matrix product: a 0-d array (jit returned a NumPy scalar); other ends give scalars."""
    arrays = {1: np.arange(3.0), 2: np.arange(9.0).reshape(3, 3)}
    operands = [arrays[len(n)] for n in spec.partition("->")[0].split(",")]
    check(lambda *ops: np.einsum(spec, *ops, optimize=optimize), *operands)


def test_setting_the_shape_of_a_complex_value_is_refused_clearly():
    """It raised AttributeError ('ComplexTracer' shape has no setter); with fallback it runs eagerly."""
    import tracejit as tj

    def f(a):
        b = a * 2
        b.shape = (6,)
        return b

    x = np.ones((2, 3)) + 1j
    with pytest.raises(tj.UnsupportedError, match="shape assignment"):
        tj.jit(f, fallback=False)(x)
    check(f, x)


def _traced_int_conversions():
    def in_a_list(a, s):
        return np.array([s, 1], dtype=np.int8)

    def as_unsigned(a, s):
        return np.asarray(s, dtype=np.uint8)

    def assigned_in_a_list(a, s):
        a[0:2] = [s, 1]
        return a

    def placed(a, s):
        np.place(a, a > 0, [s])
        return a

    def put(a, s):
        np.put(a, [0, 2], s)
        return a

    def padded(a, s):
        return np.concatenate([np.pad(a, 1, constant_values=s), np.pad(a, (1, 2), constant_values=(s, 2))])

    return [in_a_list, as_unsigned, assigned_in_a_list, placed, put, padded]


@pytest.mark.parametrize("fn", _traced_int_conversions(), ids=lambda f: f.__name__)
def test_traced_python_ints_out_of_the_dtypes_range_raise_overflow_error(fn):
    """A Python int argument converted to an integer dtype: checked at run time (each call
    of the one compiled function), OverflowError as NumPy's; it wrapped (300 gave 44)."""
    import tracejit as tj

    f = tj.jit(fn)
    for s in (5, 300, -1, 127, -129, 255, 2**40):
        a = np.arange(3, dtype=np.int8)
        try:
            want = fn(a.copy(), s)
        except OverflowError:
            with pytest.raises(OverflowError, match="out of bounds"):
                f(a.copy(), s)
            continue
        np.testing.assert_array_equal(f(a.copy(), s), want)


def _ufuncs_with_dtype():
    x = np.array([0.5, 1.5, -2.0, np.nan])
    xi = np.arange(4)
    return [
        ("less_bool", lambda a, b: np.less(a, b, dtype=bool), x, x[::-1]),  # (raised: float input cast to bool)
        ("isnan_bool", lambda a: np.isnan(a, dtype=bool), x),
        ("logical_and_bool", lambda a, b: np.logical_and(a, b, dtype=bool), x, x),
        ("weak_float_into_int", lambda a: np.add(a, 1.5, dtype=np.int64), xi),  # (gave a + 1)
        ("sqrt_int", lambda a: np.sqrt(a, dtype=np.int64), xi),  # (gave floats: NumPy has no loop)
        ("float_into_int8", lambda a, b: np.add(a, b, dtype=np.int8), xi, x),
        ("ints_in_float32", lambda a: (np.true_divide(a, 2, dtype=np.float32), np.floor_divide(a, 2, dtype=np.float64),
                                       np.add(a, a, dtype=np.float32)), xi),
        ("weak_int_unsigned", lambda a: np.add(a, 3, dtype=np.uint8), xi.astype(np.uint8)),
    ]


@pytest.mark.parametrize("case", _ufuncs_with_dtype(), ids=lambda c: c[0])
def test_ufunc_dtype_argument_picks_numpys_loop(case):
    """``dtype=`` fixes a ufunc's output dtype and NumPy picks the loop (inputs cast
    'same_kind'): tracejit assumed every input had ``dtype`` too."""
    import tracejit as tj

    _, fn, *args = case
    try:
        with np.errstate(invalid="ignore"):
            fn(*args)
    except TypeError:  # (NumPy's error subclass is private: the type family is compared)
        with pytest.raises(TypeError, match="same_kind|No loop"):
            tj.jit(fn)(*args)
        return
    with np.errstate(invalid="ignore"):
        check(fn, *args)


def test_array_fill_values_broadcast_as_numpys():
    """np.full / np.full_like with an array fill value broadcast it (the scalar overflow check
    once copied the fill into a 0-d cell: a ValueError, then a host call with a bug warning)."""
    import warnings

    fill = np.arange(9.0).reshape(3, 3)
    x = np.ones((2, 3, 3), np.float32)

    def f(a):
        return np.full_like(a, fill) + np.full((2, 3, 3), fill[0], dtype=np.int16), np.full(3, [1, 2, 3])

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = tj.jit(f)(x)
    want = f(x)
    for g, w in zip(got, want):
        assert g.dtype == w.dtype and g.shape == w.shape and np.array_equal(g, w)
