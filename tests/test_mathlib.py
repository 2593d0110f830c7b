"""Accuracy of the vector math library: every float32 exponent (and the float64 range)
swept against correctly rounded references; special values exactly as NumPy; the
optimized IR vectorized and free of libm calls."""
from __future__ import annotations

import re

import numpy as np
import pytest

import tracejit as tj
from tests.conftest import ulp_distance
from tests.mathref import reference, sweep
from tracejit import special

UNARY = ["exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "sin", "cos", "tan", "tanh",
         "arctan", "arcsin", "arccos", "sinh", "cosh", "arcsinh", "arccosh", "arctanh", "cbrt"]
LIMIT = {np.dtype(np.float32): 2.0, np.dtype(np.float64): 4.0}  # ulp, from the issue
DTYPES = [np.dtype(np.float32), np.dtype(np.float64)]


def inputs(name: str, dtype) -> np.ndarray:
    """The test inputs of ``name`` at ``dtype``: the exponent sweep plus a dense range per function."""
    x = sweep(dtype, per_exponent=5 if dtype == np.float32 else 2)
    extra = {"exp": (-800, 800), "exp2": (-1100, 1100), "expm1": (-50, 800), "sinh": (-720, 720),
             "cosh": (-720, 720), "tanh": (-25, 25), "sin": (-100, 100), "cos": (-100, 100),
             "tan": (-100, 100), "arcsin": (-1, 1), "arccos": (-1, 1), "arctanh": (-1, 1),
             "log1p": (-1, 3), "log": (0, 4), "arccosh": (1, 5)}.get(name)
    if extra:
        x = np.concatenate([x, np.linspace(*extra, 20001).astype(dtype)])
    return x


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("name", UNARY)
def test_accuracy(name, dtype):
    x = inputs(name, dtype)
    got = tj.jit(getattr(np, name))(x)
    ref = reference(name, dtype, x)
    d = ulp_distance(got, ref)
    worst = int(np.argmax(d))
    assert d.max() <= LIMIT[dtype], \
        f"{name}[{dtype}]: {d.max()} ulp at x={x[worst]!r}: {got[worst]!r} vs {ref[worst]!r}"


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("name", UNARY + ["sigmoid", "erf"])
def test_special_values_match_numpy(name, dtype):
    x = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1.0, -1.0, 1e-30, -1e-30, 1e30, -1e30,
                  np.finfo(dtype).tiny / 4, np.finfo(dtype).max, -np.finfo(dtype).max], dtype)
    fn = getattr(special, name) if name in ("sigmoid", "erf") else getattr(np, name)
    got = tj.jit(fn)(x)
    with np.errstate(all="ignore"):
        ref = reference(name, dtype, x)
    same = (got == ref) | (np.isnan(got) & np.isnan(ref)) | (ulp_distance(got, ref) <= LIMIT[dtype])
    assert same.all(), f"{name}: {x[~same]} -> {got[~same]}, expected {ref[~same]}"
    zero = (ref == 0) & ~np.isnan(got)
    np.testing.assert_array_equal(np.signbit(got[zero]), np.signbit(ref[zero]), err_msg=f"{name}: sign of zero")


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_power_accuracy_and_special_cases(dtype):
    rng = np.random.default_rng(1)
    xs = np.concatenate([sweep(dtype, per_exponent=1), rng.uniform(0, 4, 3000).astype(dtype),
                         -rng.uniform(0, 4, 300).astype(dtype)])
    ys = np.array([0, -0.0, 1, -1, 2, 3, 0.5, -0.5, 7, -7, 1e-3, 2.5, 10.25, -33, 1e10, -1e10,
                   np.inf, -np.inf, np.nan, 300, -300, 1024.5, 0.1], dtype)
    x = np.concatenate([np.repeat(xs, ys.size), xs])
    y = np.concatenate([np.tile(ys, xs.size), rng.uniform(-50, 50, xs.size).astype(dtype)])
    got = tj.jit(np.power)(x, y)
    ref = reference("power", dtype, x, y)
    d = ulp_distance(got, ref)
    assert d.max() <= LIMIT[dtype], (x[np.argmax(d)], y[np.argmax(d)])
    # C99 special cases: exactly NumPy's (sign of NaN aside)
    s = np.array([0.0, -0.0, 1.0, -1.0, np.inf, -np.inf, np.nan, 2.0, 0.5, -2.0, -0.5, 3.0, -3.0], dtype)
    sx, sy = (a.ravel() for a in np.meshgrid(s, s))
    got = tj.jit(np.power)(sx, sy)
    with np.errstate(all="ignore"):
        ref = np.power(sx, sy)
    ok = (got == ref) | (np.isnan(got) & np.isnan(ref))
    ok &= np.isnan(ref) | (np.signbit(got) == np.signbit(ref))
    ordinary = np.isfinite(ref) & (ref != 0) & (np.abs(sx) != 1) & (sy != 0)  # no special rule applies
    ok |= ordinary & (ulp_distance(got, ref) <= LIMIT[dtype])
    assert ok.all(), list(zip(sx[~ok], sy[~ok], got[~ok], ref[~ok]))


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_sigmoid_and_erf(dtype):
    x = np.concatenate([sweep(dtype, per_exponent=3, lo_exp=-60, hi_exp=10),
                        np.linspace(-30, 30, 20001)]).astype(dtype)
    got = tj.jit(special.erf)(x)
    d = ulp_distance(got, reference("erf", dtype, x))
    assert d.max() <= LIMIT[dtype], ("erf", x[np.argmax(d)])
    # sigmoid is the expression 1/(1+exp(-x)) as NumPy evaluates it in the same dtype
    # (exp may overflow to inf, giving 0): compare with that, allowing both exps' error.
    with np.errstate(over="ignore"):
        eager = (1 / (1 + np.exp(-x))).astype(dtype)
    d = ulp_distance(tj.jit(special.sigmoid)(x), eager)
    assert d.max() <= 2 * LIMIT[dtype], ("sigmoid", x[np.argmax(d)], d.max())
    f = tj.jit(lambda v: 1 / (1 + np.exp(-v)))
    assert "sigmoid(" in f.lower(x).as_text("kernels")


def test_arctan2_and_hypot_special_cases():
    s = np.array([0.0, -0.0, 1.0, -1.0, np.inf, -np.inf, np.nan, 1e-310, 1e308], np.float64)
    y, x = (a.ravel() for a in np.meshgrid(s, s))
    for fn in (np.arctan2, np.hypot):
        got = tj.jit(fn)(y, x)
        ref = fn(y, x)
        ok = (ulp_distance(got, ref) <= 2) & ((np.signbit(got) == np.signbit(ref)) | np.isnan(ref))
        assert ok.all(), (fn.__name__, list(zip(y[~ok], x[~ok], got[~ok], ref[~ok])))


@pytest.mark.parametrize("name", ["exp", "log", "sin", "cos", "tanh", "expm1", "log1p", "arctan",
                                  "power", "cbrt", "erf", "sigmoid", "exp2", "log2", "tan"])
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_kernels_are_vectorized_without_libm_calls(name, dtype):
    fn = {"power": lambda v: v ** v, "erf": special.erf, "sigmoid": special.sigmoid}.get(name, getattr(np, name, None))
    ir = tj.jit(fn).lower(np.ones(1024, dtype)).as_text("llvm-opt")
    calls = set(re.findall(r"call [^@]*@([\w.\"]+)", ir))
    defined = set(re.findall(r"define [^@]*@([\w.\"]+)", ir))
    foreign = {c for c in calls if not c.startswith("llvm.") and c not in defined}
    assert not foreign, f"{name}: calls {foreign}"
    assert re.search(r"<\d+ x (float|double)>", ir), f"{name}: no vector instructions"


@pytest.mark.slow
@pytest.mark.parametrize("name", ["exp", "log", "sin", "cos", "tanh", "expm1"])
def test_float32_exhaustive(name):
    """Every float32 bit pattern, in chunks."""
    f = tj.jit(getattr(np, name))
    worst = 0.0
    for start in range(0, 1 << 32, 1 << 26):
        x = np.arange(start, start + (1 << 26), dtype=np.uint64).astype(np.uint32).view(np.float32)
        d = ulp_distance(f(x), reference(name, np.float32, x))
        worst = max(worst, float(d.max()))
    assert worst <= 2.0, worst


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_tanh_saturates_to_one_exactly_as_numpy(dtype):
    """float32 tanh was clamped at |x| = 9 and so returned 0.99999994 for every larger |x|,
    inf included, where NumPy's is exactly 1 from |x| = 10 on."""
    big = np.array([10.0, 10.5, 20.0, 100.0, 1e30, np.finfo(dtype).max, np.inf], dtype)
    below = np.array([9.5, -9.5] if dtype == np.float32 else [], dtype)  # (float32: 0.99999994 as NumPy's)
    x = np.concatenate([big, -big, below] * 3)  # (vector lanes and the tail)
    got = tj.jit(np.tanh)(x)
    np.testing.assert_array_equal(got, np.tanh(x))
