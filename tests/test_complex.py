"""complex64/complex128: traced as real and imaginary parts, checked against eager NumPy.

Arithmetic (+ - * /, unary minus, conj, square, abs) matches NumPy bit for bit (its
complex loops are reproduced operation for operation, fused multiply-adds included
where NumPy's are); exp, sums and means within a few ulp. Promotion follows NumPy 2
(weak Python complex scalars included); arguments of any layout come in without a copy,
complex results go out viewed as complex; in-place writes reach the caller's arrays;
unsupported complex operations name the user's line.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tracejit as tj
from tests.conftest import assert_same
from tracejit.frontend.tree import flatten

C64, C128 = np.dtype(np.complex64), np.dtype(np.complex128)
rng = np.random.default_rng(1234)


def crand(shape, dtype=C128, scale=1.0):
    z = rng.standard_normal(shape) + 1j * rng.standard_normal(shape)
    return (z * scale).astype(dtype)


SPECIALS = np.array([0, -0.0, 1, -1, 0.5, 3e-320, 1e300, -1e300, np.inf, -np.inf, np.nan, 2.5e-8])


def special_grid(dtype):
    """Every pair of special parts (zeros, subnormals, huge, inf, nan) as complex values."""
    re, im = np.meshgrid(SPECIALS, SPECIALS)
    with np.errstate(all="ignore"):
        return (re + 1j * im).astype(dtype).ravel()


def assert_complex(actual, expected, ulps: float = 0, what: str = ""):
    """Same structure, types (scalar or array), dtypes and shapes; complex parts equal
    (or within ``ulps``, NaNs equal)."""
    a_leaves, a_tree = flatten(actual)
    e_leaves, e_tree = flatten(expected)
    assert a_tree == e_tree, f"{what}: {a_tree} != {e_tree}"
    for a, e in zip(a_leaves, e_leaves):
        assert type(a) is type(e), f"{what}: {type(a)} != {type(e)}"
        a_arr, e_arr = np.asarray(a), np.asarray(e)
        assert a_arr.dtype == e_arr.dtype and a_arr.shape == e_arr.shape, \
            f"{what}: {a_arr.dtype}{a_arr.shape} != {e_arr.dtype}{e_arr.shape}"
        if e_arr.dtype.kind == "c":
            assert_same(a_arr.real.copy(), e_arr.real.copy(), ulps=ulps, what=f"{what} real")
            assert_same(a_arr.imag.copy(), e_arr.imag.copy(), ulps=ulps, what=f"{what} imag")
        else:
            assert_same(a_arr, e_arr, ulps=ulps, what=what)


def check(fn, *args, ulps: float = 0):
    """``fn`` jitted == eager, on fresh copies of the arguments (which must end equal too),
    twice (the second call runs the cached code)."""
    f = tj.jit(fn)
    for _ in range(2):
        eager = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
        jitted = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", np.exceptions.ComplexWarning)
            want = fn(*eager)
            got = f(*jitted)
        assert_complex(got, want, ulps, getattr(fn, "__name__", "fn"))
        for e, j in zip(eager, jitted):
            if isinstance(e, np.ndarray):
                assert_complex(j, e, 0, "argument")
    return f


# -- arithmetic, bit for bit -----------------------------------------------------------------------

BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
}


@pytest.mark.parametrize("dtype", [C64, C128])
@pytest.mark.parametrize("op", list(BINARY))
def test_binary_complex_complex_exact(op, dtype):
    check(BINARY[op], crand((7, 9), dtype), crand((7, 9), dtype))


@pytest.mark.parametrize("dtype", [C64, C128])
@pytest.mark.parametrize("op", list(BINARY))
def test_binary_on_special_values_exact(op, dtype):
    z = special_grid(dtype)
    check(BINARY[op], z[:, None], z[None, :])


@pytest.mark.parametrize("op", list(BINARY))
@pytest.mark.parametrize("real", [np.float32, np.float64, np.int32, np.bool_])
@pytest.mark.parametrize("dtype", [C64, C128])
def test_binary_complex_real_both_orders_broadcast(op, real, dtype):
    z = crand((5, 1, 4), dtype)
    x = (rng.standard_normal((3, 1)) * 4).astype(real)
    check(BINARY[op], z, x)
    check(BINARY[op], x, z)


@pytest.mark.parametrize("dtype", [C64, C128])
def test_unary_ops_exact(dtype):
    z = np.concatenate([crand(40, dtype), special_grid(dtype)])
    check(lambda z: -z, z)
    check(lambda z: +z, z)
    check(lambda z: (np.conj(z), np.conjugate(z), z.conj(), z.conjugate()), z)
    check(lambda z: (np.square(z), z ** 2), z)
    check(lambda z: z * z.conj(), z)
    check(lambda z: (np.real(z), np.imag(z), z.real, z.imag), z)


@pytest.mark.parametrize("dtype", [C64, C128])
def test_abs_is_magnitude_of_matching_float_dtype_and_overflow_safe(dtype):
    z = np.concatenate([crand(50, dtype), special_grid(dtype), crand(10, dtype, 1e300 if dtype == C128 else 1e30),
                        crand(10, dtype, 1e-300 if dtype == C128 else 1e-40)])
    f = check(lambda z: (np.abs(z), abs(z), np.absolute(z)), z)
    out = f(z)[0]
    assert out.dtype == (np.float32 if dtype == C64 else np.float64)
    big = np.array([3e300 + 4e300j]) if dtype == C128 else np.array([3e30 + 4e30j], np.complex64)
    assert np.isfinite(f(big)[0]).all()


@pytest.mark.parametrize("dtype", [C64, C128])
def test_numpy_scalar_math_exact(dtype):
    """Operators on NumPy scalars use NumPy's scalar math (no fused products, C's hypot
    for abs), ufunc calls and 0-d arrays its array loops: both are matched."""
    f = tj.jit(lambda a, b: (a * b, a / b, a ** 2, a - b, -a, np.multiply(a, b), np.abs(a)))
    g = tj.jit(lambda a, b: abs(a * b))
    for _ in range(20):
        a, b = crand(2, dtype)
        assert isinstance(a, np.generic)
        assert_complex(f(a, b), (a * b, a / b, a ** 2, a - b, -a, np.multiply(a, b), np.abs(a)))
        assert_complex(f(np.array(a), np.array(b)), (np.array(a) * np.array(b), np.array(a) / np.array(b),
                                                      np.array(a) ** 2, a - b, -a, np.multiply(a, b), np.abs(a)))
        assert_complex(g(a, b), abs(a * b), ulps=1)  # our hypot vs the C library's: within 1 ulp


def test_python_complex_scalars_and_constants():
    x = rng.standard_normal(6)
    z = crand(6)
    check(lambda x: 1j * x, x)
    check(lambda x: x + 2j, x)
    check(lambda z: (2 - 3j) / z + z * 0.5 - 1, z)
    check(lambda z: z * np.complex64(1 + 2j), z)
    captured = crand(6, C64)
    check(lambda x: x * captured + captured, x.astype(np.float32))
    check(lambda x: (x, captured), x)  # a constant complex array returned as is


@pytest.mark.parametrize("left,right", [
    (C64, np.float64), (C64, np.float32), (C64, C128), (C128, np.float32), (C64, np.int8), (C64, np.int64),
    (np.float32, complex), (np.float64, complex), (np.int32, complex), (C64, complex), (C64, float),
    (C64, int), (np.float32, np.complex128),
])
def test_promotion_follows_numpy(left, right):
    def operand(kind):
        if kind is complex:
            return 1.5 - 2j
        if kind in (float, int):
            return kind(3)
        kind = np.dtype(kind)
        return crand(4, kind) if kind.kind == "c" else (rng.standard_normal(4) * 3).astype(kind)
    a, b = operand(left), operand(right)
    if isinstance(a, np.ndarray) and isinstance(b, np.ndarray):
        check(lambda a, b: a * b + a, a, b)
    else:
        arr, scalar = (a, b) if isinstance(a, np.ndarray) else (b, a)
        check(lambda a: a * scalar - scalar, arr)


def test_numpy_scalar_promotes_strongly():
    z = crand(5, C64)
    check(lambda z: z + np.float64(1.5), z)  # complex128, as NumPy


# -- functions, reductions, selection ----------------------------------------------------------------

@pytest.mark.parametrize("dtype", [C64, C128])
def test_exp_within_a_few_ulp(dtype):
    z = crand((4, 33), dtype, 3.0)
    f = tj.jit(np.exp)
    got, want = f(z), np.exp(z)
    assert got.dtype == want.dtype
    scale = np.abs(want)  # parts near zero: relative to the magnitude
    eps = np.finfo(got.real.dtype).eps
    assert np.all(np.abs(got - want) <= 4 * eps * scale)
    exact = np.array([0j, complex(0, -0.0), 1 + 0j, complex(2, -0.0)], dtype)  # zero imaginary parts stay exact
    got, want = tj.jit(np.exp)(exact), np.exp(exact)
    assert_complex(got, want, ulps=2)
    assert np.array_equal(np.signbit(got.imag), np.signbit(want.imag)) and not got.imag.any()


@pytest.mark.parametrize("dtype", [C64, C128])
@pytest.mark.parametrize("axis", [None, 0, 1, (0, 1)])
def test_sum_and_mean(dtype, axis):
    """Pairwise sums in another order than NumPy's: within a few eps of the sum of magnitudes."""
    z = crand((6, 300), dtype)
    f = tj.jit(lambda z: (z.sum(axis=axis), np.sum(z, axis=axis, keepdims=True), z.mean(axis=axis),
                          np.mean(z, axis=axis)))
    got = f(z)
    want = (z.sum(axis=axis), np.sum(z, axis=axis, keepdims=True), z.mean(axis=axis), np.mean(z, axis=axis))
    eps = np.finfo(z.real.dtype).eps
    magnitude = np.abs(z.real).astype(np.float64) + np.abs(z.imag)
    bounds = [magnitude.sum(axis=axis), magnitude.sum(axis=axis, keepdims=True),
              magnitude.mean(axis=axis), magnitude.mean(axis=axis)]
    for g, w, bound in zip(got, want, bounds):
        assert type(g) is type(w) and np.asarray(g).dtype == dtype and np.shape(g) == np.shape(w)
        assert np.all(np.abs(g - w) <= 4 * eps * bound)


def test_mean_divides_like_numpy():
    z = np.array([[1 + 1j, 2 + 3j, 7 - 1j]], C64)  # exact sums: only the division can differ
    check(lambda z: (z.mean(), z.mean(axis=1)), z)


def test_where_comparisons_and_equality():
    z, w = crand(30), crand(30)
    w[::3] = z[::3]
    check(lambda z, w: np.where(np.abs(z) < np.abs(w), z, w), z, w)
    check(lambda z, w: np.where(z.real > 0, z, 1j), z, w)
    check(lambda z, w: np.where(z.imag > 0, 2.0, w.astype(np.complex64)), z, w)
    check(lambda z, w: (z == w, z != w, np.isnan(z), np.isfinite(z), np.isinf(z)), z, w)
    check(lambda z, w: (np.abs(z) <= 2) & (abs(w) > 0.5), z, w)


def test_astype_creation_and_conversions():
    x = rng.standard_normal((3, 4))
    check(lambda x: x.astype(complex) * 2j, x)
    check(lambda x: x.astype(np.complex64) + 1, x.astype(np.float32))
    check(lambda x: np.zeros(x.shape, dtype=complex) + x, x)
    check(lambda x: np.zeros_like(x, dtype=np.complex64) - 1j, x)
    check(lambda x: (np.ones_like(x.astype(complex)), np.full(x.shape, 1 - 1j)), x)
    z = crand((3, 4))
    check(lambda z: (z.astype(np.complex64), z.astype(bool)), z)
    check(lambda z: (np.angle(z), np.angle(z, deg=True), np.angle(z.real)), z, ulps=4)  # arctan2: ulps
    with pytest.warns(np.exceptions.ComplexWarning):
        tj.jit(lambda z: z.astype(np.float64))(z)


def test_views_and_shapes():
    z = crand((4, 6))
    check(lambda z: (z.T, z[1:3, ::2], z.reshape(2, 12), z[None, :, 1], z.ravel(), z[2, 3]), z)
    check(lambda z: (np.concatenate([z, z * 1j]), np.stack([z, 2 * z], axis=1)), z)


# -- arguments, results, layouts -------------------------------------------------------------------------

def test_noncontiguous_zero_size_and_scalar_arguments():
    base = crand((8, 10))
    check(lambda z: z * 2 + 1j, base[::2, 1::3])
    check(lambda z: z * 2 + 1j, base.T)
    check(lambda z: z * 2 + 1j, crand((0, 3)))
    check(lambda z: z * 2 + 1j, np.array(1 + 2j))
    check(lambda z: z * 2 + 1j, np.complex64(1 + 2j))
    check(lambda z: z.sum(), crand(5), ulps=2)
    big_endian = crand(6).astype(">c16")
    assert_complex(tj.jit(lambda z: z * 2)(big_endian), big_endian * 2)


def test_mixed_results_and_returning_the_argument():
    z, x = crand(5), rng.standard_normal(5)
    check(lambda z, x: {"z": z, "n": np.abs(z) + x, "t": (z * x, x)}, z, x)
    f = tj.jit(lambda z: z)
    out = f(z)
    assert out is not z and np.array_equal(out, z)


def test_cached_calls_other_values_and_dispatch():
    f = tj.jit(lambda a, b: a * b - 1j)
    for seed in range(4):
        a, b = crand(16), crand(16)
        assert_complex(f(a, b), a * b - 1j)
    assert f.cache_info().traces == 1 and f.cache_info().hits >= 3


def test_real_float_pair_signature_is_not_taken_by_a_complex_argument():
    f = tj.jit(lambda a: a * 2)
    pairs = rng.standard_normal((3, 2))
    assert_complex(f(pairs), pairs * 2)
    z = crand((3, 2))
    assert_complex(f(z), z * 2)
    assert_complex(f(pairs), pairs * 2)
    assert f.cache_info().traces == 2


# -- in-place updates ------------------------------------------------------------------------------------------

def test_inplace_updates_reach_the_callers_array():
    def masked(z, c):
        z[np.abs(z) > 1] = 0
        z += c
        z[0] = 5j
        z.imag[1] = -2
        z.real = z.real * 2
        return z * 1  # (elementwise: a sum's order would differ from NumPy's, by more ulps where it cancels)
    check(masked, crand(10), crand(10), ulps=2)

    def scaled(z):
        z *= 1j
        z[1:3] = z[1:3] * 2
    check(scaled, crand((4, 3), C64))


def test_inplace_on_local_values_and_views():
    def f(x):
        z = np.zeros(x.shape, dtype=complex)
        z[x > 0] = 1 + 2j
        v = z[1:]
        v += 1
        r = z.real
        r[0] = 7
        return z, v
    check(f, rng.standard_normal(6))


def test_inplace_casting_rules():
    with pytest.raises(TypeError):
        tj.jit(lambda x, z: x.__iadd__(z))(rng.standard_normal(3), crand(3))
    check(lambda z, w: z.__iadd__(w), crand(3, C64), crand(3, C128))  # same_kind: allowed, as NumPy


# -- Python loops -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [C64, C128])
def test_mandelbrot_with_where_and_with_masked_writes(dtype):
    x, y = np.linspace(-2.2, 0.8, 23), np.linspace(-1.3, 1.3, 17)

    def with_where(x, y):
        c = (x[None, :] + 1j * y[:, None]).astype(dtype)
        z = np.zeros_like(c)
        count = np.zeros(c.shape, dtype=np.int32)
        for _ in range(12):
            z = np.where(np.abs(z) <= 2, z * z + c, z)
            count += np.abs(z) <= 2
        return count, z

    def with_masks(x, y):
        c = x[None, :] + 1j * y[:, None]
        z = np.zeros_like(c)
        divtime = 12 + np.zeros(z.shape, dtype=int)
        for i in range(12):
            z = z**2 + c
            diverge = abs(z) > 2
            divtime[diverge & (divtime == 12)] = i
            z[diverge] = 2
        return divtime

    check(with_where, x, y)
    check(with_masks, x, y)


# -- unsupported uses name the line --------------------------------------------------------------------------------

@pytest.mark.parametrize("fn", [
    lambda z: np.cumsum(z), lambda z: np.sort(z),
], ids=["cumsum", "sort"])  # the rest is native now: tests/test_complex_functions.py
def test_unsupported_complex_ops_raise_naming_the_line(fn):  # (fallback=False: not run as host calls)
    with pytest.raises(tj.UnsupportedError, match=r"test_complex\.py:\d+"):
        tj.jit(fn, fallback=False)(crand((3, 3)))


def test_mask_selection_of_complex_values_raises_clearly():
    with pytest.raises(tj.UnsupportedError, match=r"boolean mask.*test_complex\.py:\d+"):
        tj.jit(lambda z: z[np.abs(z) > 1] * 2, fallback=False)(crand(6))
    check(lambda z: z[np.array([0, 2, 4])] * 2, crand(6))  # integer-array indexing works


def test_complex_values_carried_by_loops_and_branches():
    """A complex carried value is carried as its two real parts (frontend/control.py)."""
    def mandel(c, n):
        def body(i, s):
            z, count = s
            z = z * z + c
            return z, count + (np.abs(z) <= 2)
        return tj.fori_loop(0, n, body, (np.zeros_like(c), np.zeros(c.shape, np.int64)))
    c = np.linspace(-2, 1, 30)[None, :] + 1j * np.linspace(-1.5, 1.5, 20)[:, None]
    with np.errstate(all="ignore"):
        check(mandel, c, np.int64(25))
        check(mandel, c.astype(np.complex64), np.int64(7))
    check(lambda z, p: tj.cond(p > 0, lambda a: a * 1j, lambda a: a.conj(), z), crand(5), np.int64(1))
    check(lambda z, p: tj.cond(p > 0, lambda a: a * 1j, lambda a: a.conj(), z), crand(5), np.int64(-1))
    check(lambda z: tj.while_loop(lambda s: np.abs(s[0]).max() < 50, lambda s: (s[0] * (1 + 1j), s[1] + 1),
                                  (z, np.int64(0))), crand(4))


def test_numpy_type_errors_stay_type_errors():
    with pytest.raises(TypeError):
        tj.jit(lambda z: z // 2, fallback=False)(crand(3))
    with pytest.raises(tj.UnsupportedError, match="complex256"):
        tj.jit(lambda z: np.zeros(3, dtype=np.clongdouble) + z, fallback=False)(crand(3))


# -- random shapes -----------------------------------------------------------------------------------------------------

@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(0, 4), min_size=0, max_size=3), st.lists(st.integers(0, 4), min_size=0, max_size=3),
       st.sampled_from([C64, C128]), st.booleans())
def test_random_broadcast_shapes(shape_a, shape_b, dtype, real_b):
    try:
        np.broadcast_shapes(tuple(shape_a), tuple(shape_b))
    except ValueError:
        return
    a = crand(tuple(shape_a), dtype)
    b = rng.standard_normal(tuple(shape_b)) if real_b else crand(tuple(shape_b), dtype)
    f = tj.jit(lambda a, b: (a * b - a / (b + 3), np.abs(a - b)))
    with np.errstate(all="ignore"):
        assert_complex(f(a, b), (a * b - a / (b + 3), np.abs(a - b)))


# -- the persistent cache ----------------------------------------------------------------------------------------------

PROGRAM = """
import json
import numpy as np, tracejit as tj
z = np.arange(12).reshape(3, 4) * (1 - 0.5j)
f = tj.jit(lambda z, w: (z * w + 1j, np.abs(z)))
a, b = f(z, z.T.copy().T.astype(np.complex64))
info = f.cache_info()
print(json.dumps({"compilations": info.compilations, "disk_hits": info.disk_hits,
                  "ok": bool(np.array_equal(a, z * z.astype(np.complex64) + 1j) and np.array_equal(b, np.abs(z))),
                  "dtype": str(a.dtype)}))
"""


def test_disk_cache_gives_correct_complex_results(tmp_path):
    env = {**os.environ, "TRACEJIT_CACHE": "1", "TRACEJIT_CACHE_DIR": str(tmp_path / "cache")}
    results = []
    for _ in range(2):
        res = subprocess.run([sys.executable, "-c", PROGRAM], capture_output=True, text=True, env=env, timeout=120,
                             cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        assert res.returncode == 0, res.stderr
        results.append(json.loads(res.stdout.strip().splitlines()[-1]))
    assert results[0]["compilations"] == 1 and results[1]["disk_hits"] == 1
    assert all(r["ok"] and r["dtype"] == "complex128" for r in results)
