"""Issue 14, frontend semantics: each item as a differential test against eager NumPy,
with the sweeps that found its siblings (dtypes of small ints, Python numbers, views
and copies by memory layout, 0-d masks). Results are compared by value, dtype, shape
and kind (NumPy scalar or 0-d array), and every argument after the call."""
from __future__ import annotations

import copy

import numpy as np
import pytest

import tracejit as tj
from tests.conftest import assert_same


def _run(fn, args):
    try:
        with np.errstate(all="ignore"):
            return fn(*args)
    except Exception as e:  # noqa: BLE001 - compared by type
        return e


def clone(x):
    """A copy of ``x`` with the same strides (``copy.deepcopy`` would make it contiguous)."""
    if isinstance(x, (list, tuple)):
        return type(x)(clone(v) for v in x)
    if not isinstance(x, np.ndarray) or x.ndim == 0 or x.size == 0:
        return copy.deepcopy(x)
    lo = sum((n - 1) * s for n, s in zip(x.shape, x.strides) if s < 0)
    hi = sum((n - 1) * s for n, s in zip(x.shape, x.strides) if s > 0)
    buffer = np.zeros((hi - lo) // x.itemsize + 1, x.dtype)
    out = np.lib.stride_tricks.as_strided(buffer[-lo // x.itemsize:], x.shape, x.strides)
    out[...] = x
    return out


def check(fn, *args, ulps: float = 0):
    """jit and eager agree on the result (value, dtype, shape, scalar or array) and on
    every argument afterwards (called on copies laid out as ``args``); when eager raises,
    jit raises the same exception type."""
    eager_args, jit_args = clone(args), clone(args)
    want = _run(fn, eager_args)
    got = _run(tj.jit(fn), jit_args)
    if isinstance(want, Exception):
        assert isinstance(got, type(want)), f"eager raised {want!r}, jit gave {got!r}"
        return got
    assert not isinstance(got, Exception), f"jit raised {got!r}, eager gave {want!r}"
    _same_kind(got, want)
    assert_same(got, want, ulps=ulps)
    assert_same(list(jit_args), list(eager_args), what="arguments after the call")
    return got


def _same_kind(got, want):
    if isinstance(want, (tuple, list)):
        for g, w in zip(got, want):
            _same_kind(g, w)
    elif isinstance(want, (np.ndarray, np.generic)):
        assert isinstance(got, np.ndarray) == isinstance(want, np.ndarray), \
            f"{type(got).__name__} where NumPy gives {type(want).__name__}"


# -- item 10: einsum computes in its operands' dtype -------------------------------------------

BOOL = np.array([[True, False, False], [True, True, False]])
SMALL = np.full((2, 3), 100, np.int8)


@pytest.mark.parametrize("spec", ["ij->j", "ij->", "ij->i", "ij,kj->ik", "ij,ij->i", "ij,ij->", "ij,ik->jk"])
@pytest.mark.parametrize("a", [BOOL, SMALL, SMALL.astype(np.uint16)], ids=["bool", "int8", "uint16"])
def test_einsum_keeps_bool_and_small_ints(spec, a):
    args = (a,) if "," not in spec else (a, a)
    check(lambda *xs: np.einsum(spec, *xs), *args)


def test_einsum_promotes_mixed_operands():
    check(lambda a, b: np.einsum("ij,jk->ik", a, b), SMALL, np.ones((3, 2), np.uint8))
    check(lambda a, b: np.einsum("ij,j->i", a, b), BOOL, np.arange(3, dtype=np.int16))


# -- item 11: NumPy's float16 results raise the float16 error ---------------------------------

@pytest.mark.parametrize("dtype", [np.uint8, np.int8])
def test_angle_of_small_ints_is_numpys_float16(dtype):
    with pytest.raises(TypeError, match="float16.*not supported"):
        tj.jit(np.angle)(np.arange(3).astype(dtype))


@pytest.mark.parametrize("dtype", [np.bool_, np.int16, np.uint32, np.float32, np.int64])
def test_angle_of_real_arrays(dtype):
    check(lambda a: (np.angle(a), np.angle(a, deg=True)), np.arange(-2, 3).astype(dtype))


UNARY = [np.sqrt, np.sin, np.exp, np.log1p, np.arctan, np.cbrt, np.signbit, np.isnan, np.floor, np.reciprocal,
         np.negative, np.abs, np.square, np.rint]


@pytest.mark.parametrize("ufunc", UNARY, ids=lambda u: u.__name__)
@pytest.mark.parametrize("dtype", [np.bool_, np.int8, np.uint8, np.int16, np.uint64, np.float32])
def test_small_int_results_are_numpys_or_the_float16_error(ufunc, dtype):
    a = np.arange(1, 5).astype(dtype)
    with np.errstate(all="ignore"):
        try:
            want = ufunc(a)
        except TypeError:
            return  # NumPy has no loop (negative of bool...): a TypeError both ways, tested elsewhere
    if want.dtype == np.float16:
        with pytest.raises(TypeError, match="float16"):
            tj.jit(ufunc)(a)
    else:
        check(ufunc, a, ulps=4)


@pytest.mark.parametrize("dtype", [np.bool_, np.int8, np.uint8])
def test_divisions_and_means_of_small_ints(dtype):
    a = np.arange(1, 7).astype(dtype).reshape(2, 3)
    check(lambda a: (a / a, a / 2, a.mean(), a.mean(axis=0), np.median(a), a.var(), a // 1 if a.dtype != bool else a),
          a, ulps=1)


# -- item 12: views NumPy returns ---------------------------------------------------------------

def _views(a):
    d, c, s = np.diag(a), a.conj(), a.astype(a.dtype, copy=False)
    dg, cj, r = np.diagonal(a, 1), a.conjugate(), a.real
    a[1, 1] = 100.0
    a[0, 1] = -5.0
    return d, c, s, dg, cj, r


@pytest.mark.parametrize("layout", ["C", "F", "T", "neg"])
def test_views_see_later_writes(layout):
    a = np.arange(9.0).reshape(3, 3)
    a = {"C": a, "F": np.asfortranarray(a), "T": a.T, "neg": a[::-1]}[layout]
    check(_views, a)


def test_copies_do_not_see_later_writes():
    def f(a):
        c1, c2, c3 = a.astype(a.dtype), np.copy(a), a.astype(np.float32, copy=False)
        a[0, 0] = 7.0
        return c1, c2, c3
    check(f, np.zeros((2, 2)))


def test_writes_through_views_reach_the_array():
    def f(a):
        a.astype(a.dtype, copy=False)[0, 0] = 5.0
        a.conj()[1, 0] = 6.0
        a.real[1, 1] = 7.0
        return a
    check(f, np.zeros((2, 2)))


def test_diagonals_and_imag_are_read_only():
    for fn in (lambda a: np.diag(a).__setitem__(0, 1.0), lambda a: a.diagonal().__iadd__(1.0),
               lambda a: a.imag.__setitem__(0, 1.0), lambda a: np.broadcast_to(a, a.shape).__setitem__(0, 1.0)):
        check(fn, np.zeros((3, 3)))


def test_diagonal_of_more_dims_and_axes():
    a = np.arange(60.0).reshape(3, 4, 5)
    check(lambda a: (np.diagonal(a), np.diagonal(a, 1, 2, 0), np.diagonal(a, -1, 1, 2), np.trace(a[0], 1)), a)


def test_views_of_numpy_scalars_are_new_arrays():
    def f(a):
        s = a.sum()  # a NumPy scalar: arrays made from it are new memory
        v, c = s[None], np.copy(s)
        v[0] = 5.0
        c[...] = 6.0
        return s, v, c
    check(f, np.ones(3))


# -- item 15: a reshape is a view exactly where NumPy's is ---------------------------------------

def _layouts():
    base = np.arange(1.0, 13).reshape(3, 4)
    return {"C": base, "F": np.asfortranarray(base), "T": np.arange(1.0, 13).reshape(4, 3).T, "neg": base[::-1],
            "negcol": base[:, ::-1], "colstep": np.arange(1.0, 25).reshape(3, 8)[:, ::2],
            "3dT": np.arange(1.0, 25).reshape(2, 3, 4).transpose(1, 2, 0),
            "3dmix": np.arange(1.0, 25).reshape(2, 3, 4).transpose(0, 2, 1)[:, ::-1]}


PRODUCERS = {
    "argument": lambda a: a, "ufunc": lambda a: a * 2.0, "transposed ufunc": lambda a: a.T + 1.0,
    "np.copy": np.copy, "ndarray.copy": lambda a: a.copy(), "astype": lambda a: a.astype(np.float32),
    "where": lambda a: np.where(a > 3, a, 0.0), "sum": lambda a: a.sum(axis=0), "cumsum": lambda a: np.cumsum(a, axis=1),
    "sort": lambda a: np.sort(a, axis=0), "argsort": lambda a: np.argsort(a, axis=0),
    "concatenate": lambda a: np.concatenate([a, a]), "stack": lambda a: np.stack([a, a], axis=1),
    "matmul": lambda a: a @ np.ones((a.shape[-1], 3)), "gather": lambda a: a[:, [1, 0]], "take": lambda a: np.take(a, [1, 0], 1),
    "zeros_like": np.zeros_like, "pad": lambda a: np.pad(a, 1), "roll": lambda a: np.roll(a, 1, axis=0),
    "tile": lambda a: np.tile(a, 1), "einsum": lambda a: np.einsum("ij,jk->ki", a[:, :2, ...].reshape(a.shape[0], -1),
                                                                    np.ones((a[:, :2, ...].size // a.shape[0], 2))),
}


def _through_reshape(make):
    def write_view(a):
        b = make(a)
        v = b.reshape(-1)
        v[0] = 100
        return b, v

    def write_base(a):
        b = make(a)
        v, r = b.reshape(-1), np.ravel(b)
        b[(0,) * b.ndim] = 100
        b[(-1,) * b.ndim] += 1
        return v, r, b
    return write_view, write_base


@pytest.mark.parametrize("producer", list(PRODUCERS))
@pytest.mark.parametrize("layout", list(_layouts()))
def test_reshape_is_a_view_exactly_where_numpy_s_is(producer, layout):
    for program in _through_reshape(PRODUCERS[producer]):
        check(program, _layouts()[layout])


def test_issue_example_strided_argument_is_not_overwritten():
    def f(a):
        w = a.reshape(-1)
        w[0] = 0.0
        return w.sum()
    b = np.arange(1.0, 7).reshape(2, 3)[::-1]
    check(f, b)
    tj.jit(f)(b)
    assert b[0, 0] == 4.0


def test_writing_a_fortran_argument_through_its_ravel():
    def f(a):
        v = a.T.ravel()  # a view of the Fortran-order memory
        v[1:3] = -1.0
        v += 1.0
        return a.sum(axis=0), v
    check(f, np.asfortranarray(np.arange(12.0).reshape(3, 4)))


def test_reshape_copy_argument():
    f = np.asfortranarray(np.ones((2, 3)))
    check(lambda a: np.reshape(a, -1, copy=False), f)  # ValueError both ways
    check(lambda a: np.reshape(a, -1, copy=False), f.T)
    check(lambda a: (np.reshape(a, -1, copy=True).__setitem__(0, 5.0), a)[1], f.T)


def test_unmodelled_layouts_refuse_ambiguous_writes():
    def f(a):
        b = tj.fori_loop(0, 2, lambda i, c: c.T.copy().T, a)  # Fortran order after the loop, eagerly
        v = b.reshape(-1)
        b[0, 0] = 5.0
        return v
    with pytest.raises(tj.UnsupportedError, match="memory layout"):
        tj.jit(f)(np.ones((2, 3)))

    def g(a):  # reading only: no question of aliasing
        b = tj.fori_loop(0, 2, lambda i, c: c * 2, a)
        return b.reshape(-1) + 1
    check(g, np.ones((2, 3)))


# -- item 16: Python numbers ------------------------------------------------------------------------

def test_numpy_functions_of_python_floats_are_strong():
    a = np.ones(3, np.float32)
    check(lambda a, s: a * (np.sin(s) + s), a, 0.5)
    check(lambda a, s: (np.tan(s) + s).astype(np.float32), a, 0.5)
    check(lambda a, s: (a * (s + np.float32(1)), a * (s + 1) + np.exp(s) * s), a, 0.5)


@pytest.mark.parametrize("fn", [lambda a, s, t: s * t + a, lambda a, s, t: (s << 24) + a + t,
                                lambda a, s, t: a + (s + t * t), lambda a, s, t: a + (-s - t * 2 ** 23)])
def test_python_int_arithmetic_is_exact_or_raises_overflow(fn):
    a = np.ones(3, np.float32)
    check(fn, a, 2**20, 3)  # in range: exact
    f = tj.jit(fn)
    with pytest.raises(OverflowError, match="int64"):
        f(a, 2**40, 2**40)
    assert f.cache_info().traces == 1  # the ints stay traced


def test_python_int_results_beyond_int64_use_python():
    check(lambda a, s: s + 10**20, np.ones(2), 5)
    check(lambda a, s: (a + s * 10**19) if False else s * 10**19, np.ones(2), 3)


def test_python_arithmetic_errors():
    for fn, args in [(lambda a, s, t: a + s // t, (1, 0)), (lambda a, s, t: a + s % t, (1.5, 0.0)),
                     (lambda a, s, t: a + s / t, (1, 0)), (lambda a, s, t: a + (s << t), (1, -1)),
                     (lambda a, s, t: a + (s >> t), (1, -2)), (lambda a, s, t: a + s ** t, (0.0, -1.0))]:
        check(fn, np.ones(2), *args)


def test_python_bools_are_ints_in_arithmetic():
    a = np.ones(2, np.float32)
    for fn in (lambda a, b, c: a + (b + c), lambda a, b, c: a * (b - c), lambda a, b, c: a + (-b),
               lambda a, b, c: a + (b & c), lambda a, b, c: a + (b * 3), lambda a, b, c: a + (b < c)):
        check(fn, a, True, True)
        check(fn, a, True, False)


def test_loop_index_arithmetic_stays_weak():
    check(lambda a: tj.fori_loop(0, 3, lambda i, c: c + i * 2, a), np.ones(2, np.float32))


# -- item 17: NumPy functions of Python numbers ---------------------------------------------------

def test_issue_17_examples():
    a = np.arange(3.0)
    check(lambda a: np.clip(3, -1, a), a)
    check(lambda a: np.repeat(a, 2, axis=0), np.array(3.0))
    check(lambda a, s: s + 10**20, a, 5)
    check(lambda a: np.where(a > 1, a, 2**32), np.arange(3, dtype=np.uint16))


@pytest.mark.parametrize("dtype", [np.bool_, np.int8, np.uint8, np.uint64, np.float32])
def test_clip_follows_numpy_promotion(dtype):
    a = np.arange(4).astype(dtype)
    for lo, hi in [(0.5, 2), (-1000, 2), (1, np.float32(2.5)), (None, 2**40), (True, 2), (-3, 2**63)]:
        check(lambda a: np.clip(a, lo, hi), a)
    check(lambda a, s: (np.clip(s, -1, a), np.clip(a, s, 3)), a, 2)
    check(lambda a, s: np.clip(s, 0, a), a, True)


@pytest.mark.parametrize("dtype", [np.int8, np.uint16, np.uint64])
@pytest.mark.parametrize("value", [2**40, -3, 2**63 + 5])
def test_where_casts_python_ints_like_numpy(dtype, value):
    a = np.arange(3).astype(dtype)
    check(lambda a: (np.where(a > 0, a, value), np.where(a > 0, value, a)), a)


def test_comparisons_of_0d_with_huge_ints_are_scalars():
    check(lambda a: (a < 10**20, a == 2**64), np.array(3, np.int8))


def test_integer_powers_with_negative_exponents():
    check(lambda a, s: a ** s, np.arange(3, dtype=np.uint64), -3)  # OverflowError, as NumPy
    check(lambda a, s: a ** s, np.array([True, False]), -3)  # ValueError (after the call)
    check(lambda a, e: a ** e, np.arange(3), np.array([1, -1, 2]))


# -- item 18: boolean masks of 0-d arrays ---------------------------------------------------------

@pytest.mark.parametrize("value", [-1.0, 2.0])
def test_masks_of_0d_arrays(value):
    def f(a):
        a[a < 0] = a[a < 0] * 2
        a[a > 1] += 1
        return a, a[a > 0].sum(), a[True], a[False]
    check(f, np.array(value))


def test_0d_masks_of_arrays():
    def f(a):
        m = a.sum() > 0
        a[m] = a[m] * 2
        return a, a[m].sum(), a[np.True_]
    check(f, np.arange(6.0).reshape(2, 3))
    check(f, -np.ones(3))


# -- axes of 0-d arrays --------------------------------------------------------------------------------

@pytest.mark.parametrize("fn", [lambda a: np.swapaxes(a, 0, 0), lambda a: np.moveaxis(a, 0, 0), np.flipud,
                                lambda a: np.flip(a, 0), lambda a: np.flip(a)])
def test_axes_of_0d_arrays(fn):
    check(fn, np.array(2.0))


# -- siblings found by the sweeps: NumPy functions convert Python numbers to strong arrays ---------

@pytest.mark.parametrize("x", [0.5, 3, True, np.float32(2.5), np.array(2.5), np.array(3, np.int16)],
                         ids=["float", "int", "bool", "np.float32", "0-d", "0-d int16"])
def test_numpy_functions_of_python_numbers(x):
    b = np.array([1.0, 2.0, 3.0], np.float32)
    check(lambda x, b: (np.isclose(b, x), np.isclose(x, b), np.dot(b, x), np.dot(x, b), np.round(x * 1), np.copy(x),
                        np.clip(x, b, 2), np.where(b > 1, x, 0), np.sum(x), np.reshape(x, (1,)), np.atleast_3d(x),
                        np.broadcast_to(x, (2,)), np.median(b * x), np.repeat(x, 2)), x, b)


def test_round_of_bools_is_numpys_float16():
    with pytest.raises(TypeError, match="float16"):
        tj.jit(np.round)(np.array([True, False]))


def test_negative_float_to_fractional_power():
    f = tj.jit(lambda a, x, y: a * x ** y)
    with pytest.raises(tj.UnsupportedError, match="complex"):
        f(np.ones(2), -1.0, 0.5)
    check(lambda a, x, y: a * x ** y, np.ones(2), -2.0, 3.0)


def test_more_views():
    a = np.arange(24.0).reshape(2, 3, 4)
    check(lambda a: (np.matrix_transpose(a).__setitem__((0, 0, 0), 9.0), np.permute_dims(a, (2, 0, 1)) * 1, a)[2], a)
    check(lambda a: (np.atleast_3d(a[0, 0]).__setitem__((0, 1, 0), -1.0), a)[1], a)


def _random_layout(rng, shape):
    """An array of ``shape`` laid out in memory in a random axis order, with reversed axes
    and gaps, as views of a larger array give."""
    perm = rng.permutation(len(shape))
    steps = [int(rng.choice([1, 1, 2, -1, -2])) for _ in shape]
    big = tuple(shape[p] * abs(steps[p]) for p in perm)
    base = np.arange(int(np.prod(big)), dtype=np.float64).reshape(big)
    view = base[tuple(slice(None, None, steps[p]) for p in perm)]
    return view.transpose(np.argsort(perm))


@pytest.mark.parametrize("seed", range(100))
def test_order_k_matches_numpys_allocation(seed):
    from tracejit.compiler.layout import StridedView
    from tracejit.frontend.memorder import order_k
    rng = np.random.default_rng(seed)
    shape = tuple(int(n) for n in rng.integers(1, 4, rng.integers(1, 5)))
    operands = [_random_layout(rng, shape) for _ in range(int(rng.integers(1, 4)))]
    if len(operands) > 1 and rng.random() < 0.5:  # an operand broadcast along some axes
        operands[-1] = operands[-1][tuple(slice(0, 1) if rng.random() < 0.4 else slice(None) for _ in shape)]
    views = [StridedView(x.shape, tuple(s // 8 for s in x.strides)).broadcast_to(shape) for x in operands]
    result = [np.negative, np.add, np.clip][len(operands) - 1](*operands)  # one iteration over all operands
    want = StridedView(shape, tuple(s // 8 for s in result.strides)).normalized().strides
    assert order_k(shape, views).normalized().strides == want


def _layout_of_result(fn, *arrays):
    """(the memory layout tracejit models for ``fn``'s traced result, NumPy's strides of
    its eager result), both in elements with length-1 dims ignored."""
    from tracejit.compiler.layout import StridedView
    from tracejit.frontend.memorder import numpy_layout
    seen = []

    def traced(*xs):
        r = fn(*xs)
        seen.append(numpy_layout(r))
        return r
    tj.jit(traced).lower(*arrays)
    want = fn(*arrays)
    normal = StridedView(want.shape, tuple(s // want.itemsize for s in want.strides)).normalized().strides
    return (seen[0].normalized().strides if seen[0] is not None else None), normal


def _spec(ndim: int) -> str:
    labels = "ijkl"[:ndim]
    return f"{labels},{labels}->{labels[1:]}{labels[0]}"


@pytest.mark.parametrize("seed", range(60))  # (400 seeds checked when written)
def test_modelled_layouts_match_numpy(seed):
    rng = np.random.default_rng(1000 + seed)
    shape = tuple(int(n) for n in rng.integers(1, 4, rng.integers(2, 5)))
    a, b = _random_layout(rng, shape), _random_layout(rng, shape)
    axis = int(rng.integers(0, len(shape)))
    axes = tuple(sorted(set(int(x) for x in rng.integers(0, len(shape), 2))))
    keep = bool(rng.random() < 0.5)
    index = rng.integers(0, shape[axis], 3)
    cases = {
        "sum": lambda a, b: a.sum(axis=axes, keepdims=keep), "max": lambda a, b: np.max(a, axis=axis),
        "mean": lambda a, b: a.mean(axis=axis, keepdims=keep), "concatenate": lambda a, b: np.concatenate([a, b], axis),
        "stack": lambda a, b: np.stack([a, b], axis), "cumsum": lambda a, b: np.cumsum(a, axis), "sort": lambda a, b: np.sort(a, axis),
        "where": lambda a, b: np.where(a > 3, a, b), "astype": lambda a, b: a.astype(np.float32), "np.copy": lambda a, b: np.copy(a),
        "gather": lambda a, b: a[(slice(None),) * axis + (index,)], "take": lambda a, b: np.take(a, index, axis),
        "argmax": lambda a, b: a.argmax(axis), "zeros_like": lambda a, b: np.zeros_like(a), "tile": lambda a, b: np.tile(a, 1),
        "einsum": lambda a, b: np.einsum(_spec(a.ndim), a, b), "pad": lambda a, b: np.pad(a, 1),
    }
    for name, fn in cases.items():
        got, want = _layout_of_result(fn, a, b)
        assert got == want, f"{name}: modelled {got}, NumPy {want} (a {a.strides}, b {b.strides}, shape {shape})"


@pytest.mark.parametrize("s", [1, 2, -1])
def test_integer_parameters_given_as_python_ints(s):
    a = np.arange(12.0).reshape(3, 4)
    check(lambda a, s: (np.roll(a, s), np.roll(a, 1, axis=s), np.flip(a, s), np.median(a, axis=s),
                        np.linalg.norm(a, ord=s if s > 0 else 1, axis=1)), a, s)
    for fn in (lambda a, s: np.repeat(a, s), lambda a, s: np.tile(a, s), lambda a, s: np.diff(a, n=s),
               lambda a, s: a.transpose(s, 1 - s), lambda a, s: np.swapaxes(a, s, 0)):
        check(fn, a, s)


def test_int64_uint64_comparisons_are_exact():
    s, u = np.array([-5, 0, 3, 2**62], np.int64), np.array([0, 0, 2**63 + 1, 2**62], np.uint64)
    for op in ("<", "<=", ">", ">=", "==", "!="):
        check(eval(f"lambda a, b: (a {op} b, b {op} a, a[0] {op} b, np.uint64(5) {op} a)"), s, u)  # noqa: S307


def test_python_int_exponents_of_integer_arrays():
    f = tj.jit(lambda a, k: a ** k)
    with pytest.raises(ValueError, match="negative integer powers"):
        f(np.arange(3), -1)
    check(lambda a, k: a ** k, np.arange(3), 3)


def test_rot90_and_split_are_views():
    def f(a):
        r, (s0, s1), parts = np.rot90(a), np.split(a, [1]), np.array_split(a, 3, axis=1)
        a[0, 0] = -1.0
        s1[0, 1] = -2.0
        parts[2][:] = 0.0
        return r, s0, s1, parts, np.rot90(a, 2, (1, 0)), np.split(a, 2, axis=1)
    check(f, np.arange(24.0).reshape(4, 6))
    check(lambda a: np.split(a, 5), np.arange(24.0).reshape(4, 6))  # ValueError both ways


def test_negative_integer_power_folded_from_constants():
    """``y * 0`` simplifies to a constant: folding the power must not raise inside the optimizer."""
    check(lambda x, y: (2 == np.array(1, np.int32)) ** np.invert(y * np.array(0, np.int32)) + x,
          np.arange(4.0), np.arange(4, dtype=np.int16))


# -- round 2 (fuzzer seed 101): diagonals and trace of any rank ------------------------------

DIAG_INPUTS = [np.arange(12.0).reshape(3, 4), np.arange(60, dtype=np.int32).reshape(3, 4, 5),
               np.arange(120.0).reshape(4, 5, 6)[::2, ::-1, 1::2], np.arange(24, dtype=np.int8).reshape(2, 3, 4).T]


@pytest.mark.parametrize("a", DIAG_INPUTS, ids=["2d", "3d", "strided", "transposed"])
@pytest.mark.parametrize("offset", [0, 1, -2, 9])
def test_trace_and_diagonal_of_any_rank(a, offset):
    """np.trace sums each diagonal (an array of the other axes for ndim > 2), any axis pair."""
    pairs = [(0, 1), (1, 0), (-1, 0), (0, -1), (a.ndim - 2, a.ndim - 1)]
    check(lambda x: [(np.trace(x, offset, p, q), x.trace(offset, p, q), np.diagonal(x, offset, p, q) * 2)
                     for p, q in pairs], a)
    check(lambda x: (np.trace(x[:, None]), np.trace(x[None], axis1=1, axis2=-1), np.trace(x, dtype=np.float32)), a)


def test_trace_seeds():
    check(lambda a: np.logaddexp(a, np.trace(a)), np.arange(512, dtype=np.uint64).reshape(8, 8, 8))

    def shifted(a):
        for i in range(4):
            a[i] *= 7 + i
        v = np.trace(a)
        v[None] <<= i
        return v
    check(shifted, np.arange(60, dtype=np.int64).reshape(4, 3, 5))
    check(lambda a: (np.diag(a, 1), np.diag(a[::2], -1), np.diagonal(a, 0, 0, 0)), np.arange(6.0))
    z = (np.arange(24.0) + 1j * np.arange(24.0)[::-1]).reshape(2, 3, 4)
    check(lambda a: (np.trace(a), a.trace(1, 2, 0), np.diagonal(a, -1, 1, 2), a.diagonal(), np.diag(a[0], 1)), z)


# -- round 2: NumPy scalars and 0-d boolean indices ------------------------------------------

SCALAR_KEYS = [(), ..., None, True, False, np.True_, np.False_, np.array(True), np.array(False), (None, None),
               (True, True), (..., None), (None, True), (False, ...), 0, slice(None), np.array([True]), [0]]


@pytest.mark.parametrize("key", SCALAR_KEYS, ids=repr)
def test_traced_numpy_scalars_index_as_numpy_scalars(key):
    """``s[()]`` is ``s``, ``s[True]`` ``array([s])``, ``s[False]`` empty; ints and slices raise IndexError."""
    check(lambda x: (x.sum()[key], np.argmin(x)[key], x[1][key]), np.arange(3.0))


@pytest.mark.parametrize("key", [(0, slice(None), True), (True, 1), (slice(None), True, 1), (1, True, None),
                                 (True, None, True), (True, ..., 1), (np.array(True), 1, None, 2), (False, 1),
                                 (slice(None), np.False_), (True, False)], ids=repr)
def test_zero_d_boolean_indices_among_others(key):
    """0-d booleans (with the key's integers) give one new axis, in place when adjacent, else first."""
    def f(a):
        b = a[key]
        a[key] = -1.0
        a[key] += 0.5
        return b, a
    check(f, np.arange(24.0).reshape(2, 3, 4))


def test_traced_zero_d_masks_select():
    def f(a):
        m = a[0, 0, 1] > 0
        a[a[0, 0, 0] > 0, 0] = 7.0
        return a[m], a[m, 1], a[True, m].sum(), a[False, m], a[1, m], np.float64(2.0) * a[0, 0, 1][m]
    check(f, np.arange(24.0).reshape(2, 3, 4))
    check(lambda a: (a.sum()[a[0] >= 0].sum(), a.sum()[a[0] > 0]), np.arange(3.0))


def test_scalar_item_assignment_raises_typeerror_zero_d_arrays_do_not():
    def scalar(a):
        s = a.sum()
        s[()] = 1.0
        return s

    def zero_d(a):
        s = np.zeros(())
        s[()] = a[0]
        s[None] = a[1]
        s[True] = s * 2
        s[...] += 1
        return s
    check(scalar, np.arange(3.0))
    check(zero_d, np.arange(3.0))


def test_numpy_scalars_from_constants_indexed_by_traced_booleans():
    """A NumPy scalar computed from constants is indexed by NumPy itself: a Python-scalar
    argument in the index becomes static; an array-dependent boolean is refused clearly."""
    def from_python_float(x):
        for i in range(3):
            pass
        return np.min(i, axis=None)[x >= 1.0].sum()
    check(from_python_float, 3.25)
    check(from_python_float, 0.5)

    def from_array(a):
        return np.argmin(3)[a.mean() > 0]
    with pytest.raises(tj.UnsupportedError, match=r"NumPy scalar indexed by a traced boolean.*np.full"):
        tj.jit(from_array)(np.ones(3))
    check(lambda a: np.full((), np.argmin(3))[a.mean() > 0], np.ones(3))
