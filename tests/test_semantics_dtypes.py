"""Issue 14, frontend semantics: dtypes of results (einsum, NumPy's float16 results of small
ints) and Python numbers (weak and strong, exact integer arithmetic, NumPy functions of Python
numbers), each as a differential test against eager NumPy (tests/differential.py)."""
from __future__ import annotations

import numpy as np
import pytest

import tracejit as tj
from tests.differential import check

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


# -- item 11: NumPy's float16 results (issue 17: computed as NumPy's float16 loops) ----------

@pytest.mark.parametrize("dtype", [np.uint8, np.int8])
def test_angle_of_small_ints_is_numpys_float16(dtype):
    check(lambda a: (np.angle(a), np.angle(a, deg=True)), np.arange(-2, 3).astype(dtype))


@pytest.mark.parametrize("dtype", [np.bool_, np.int16, np.uint32, np.float32, np.int64])
def test_angle_of_real_arrays(dtype):
    check(lambda a: (np.angle(a), np.angle(a, deg=True)), np.arange(-2, 3).astype(dtype))


UNARY = [np.sqrt, np.sin, np.exp, np.log1p, np.arctan, np.cbrt, np.signbit, np.isnan, np.floor, np.reciprocal,
         np.negative, np.abs, np.square, np.rint]


@pytest.mark.parametrize("ufunc", UNARY, ids=lambda u: u.__name__)
@pytest.mark.parametrize("dtype", [np.bool_, np.int8, np.uint8, np.int16, np.uint64, np.float32])
def test_small_int_results_are_numpys(ufunc, dtype):
    a = np.arange(1, 5).astype(dtype)
    with np.errstate(all="ignore"):
        try:
            want = ufunc(a)
        except TypeError:
            return  # NumPy has no loop (negative of bool...): a TypeError both ways, tested elsewhere
    check(ufunc, a, ulps=4 if want.dtype != np.float16 else 1)


@pytest.mark.parametrize("dtype", [np.bool_, np.int8, np.uint8])
def test_divisions_and_means_of_small_ints(dtype):
    a = np.arange(1, 7).astype(dtype).reshape(2, 3)
    check(lambda a: (a / a, a / 2, a.mean(), a.mean(axis=0), np.median(a), a.var(), a // 1 if a.dtype != bool else a),
          a, ulps=1)



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



# -- siblings found by the sweeps: NumPy functions convert Python numbers to strong arrays ---------

@pytest.mark.parametrize("x", [0.5, 3, True, np.float32(2.5), np.array(2.5), np.array(3, np.int16)],
                         ids=["float", "int", "bool", "np.float32", "0-d", "0-d int16"])
def test_numpy_functions_of_python_numbers(x):
    b = np.array([1.0, 2.0, 3.0], np.float32)
    check(lambda x, b: (np.isclose(b, x), np.isclose(x, b), np.dot(b, x), np.dot(x, b), np.round(x * 1), np.copy(x),
                        np.clip(x, b, 2), np.where(b > 1, x, 0), np.sum(x), np.reshape(x, (1,)), np.atleast_3d(x),
                        np.broadcast_to(x, (2,)), np.median(b * x), np.repeat(x, 2)), x, b)


def test_round_of_bools_is_numpys_float16():
    check(np.round, np.array([True, False]))


def test_negative_float_to_fractional_power():
    f = tj.jit(lambda a, x, y: a * x ** y)
    with pytest.raises(tj.UnsupportedError, match="complex"):
        f(np.ones(2), -1.0, 0.5)
    check(lambda a, x, y: a * x ** y, np.ones(2), -2.0, 3.0)



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



def test_negative_integer_power_folded_from_constants():
    """``y * 0`` simplifies to a constant: folding the power must not raise inside the optimizer."""
    check(lambda x, y: (2 == np.array(1, np.int32)) ** np.invert(y * np.array(0, np.int32)) + x,
          np.arange(4.0), np.arange(4, dtype=np.int16))

