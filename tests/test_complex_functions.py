"""Complex functions, ordering, max/argmax and matrix products, jitted against eager NumPy.

Accuracy bound (docs/design.md, "Complex functions"): each part of a result is within
``ULPS`` = 8 ulp of NumPy's, or within ``ULPS`` epsilons of ``|f(z)|`` (normwise: a part
that cancels, such as ``sin``'s real part near a zero, keeps only absolute accuracy, in
NumPy as here); ``log1p``/``expm1`` (NumPy's own cancelling formulas) within ``ULPS``
epsilons of ``max(|f(z)|, 1)``; a general ``power`` ``exp(b log a)`` within ``ULPS``
epsilons of ``|f| (1 + |b log a|)`` (the conditioning of exp). NaNs, infinities and the
signs of zero parts equal NumPy's exactly; integer powers, ordering and clip are bit for
bit. Matrix products within 4 epsilons of ``|A| @ |B|`` (normwise).
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import tracejit as tj
from tracejit.frontend.complex import matmul as complex_matmul

ULPS = 8
C64, C128 = np.dtype(np.complex64), np.dtype(np.complex128)
SPECIALS = np.array([0.0, -0.0, 1.0, -1.0, 0.5, -3.0, 2.5e-8, 3e-320, 1e300, -1e300, np.inf, -np.inf, np.nan])


def special_grid(dtype: np.dtype) -> np.ndarray:
    """Every pair of special parts: zeros of both signs (the branch cut on the negative real
    axis from above and below), subnormals, huge values, infinities, NaN."""
    re, im = np.meshgrid(SPECIALS, SPECIALS)
    with np.errstate(all="ignore"):
        z = np.empty(re.size, dtype)
        z.real, z.imag = re.ravel(), im.ravel()
    return z


def values(dtype: np.dtype, n: int = 200, seed: int = 17) -> np.ndarray:
    """Random values over many magnitudes, values near |z| = 1, then the special grid."""
    rng = np.random.default_rng(seed)
    scale = np.exp(rng.uniform(-6, 6, n))
    z = (rng.standard_normal(n) + 1j * rng.standard_normal(n)) * scale
    unit = np.exp(1j * rng.uniform(-np.pi, np.pi, 40)) * (1 + 1e-7 * rng.standard_normal(40))
    return np.concatenate([z.astype(dtype), unit.astype(dtype), special_grid(dtype)])


def assert_close(got, want, what: str, scale=None, ulps: float = ULPS):
    """Same type, dtype, shape; NaN pattern, infinities and zero signs exact; each part within
    ``ulps`` ulp or ``ulps`` epsilons of ``scale`` (default ``|want|``)."""
    assert type(got) is type(want), f"{what}: {type(got)} != {type(want)}"
    got, want = np.asarray(got), np.asarray(want)
    assert got.dtype == want.dtype and got.shape == want.shape, \
        f"{what}: {got.dtype}{got.shape} != {want.dtype}{want.shape}"
    eps = np.finfo(want.real.dtype).eps
    with np.errstate(all="ignore"):
        scale = np.abs(want) if scale is None else np.where(np.isnan(scale), 0.0, scale)
        for part in ("real", "imag"):
            g, w = getattr(got, part), getattr(want, part)
            nan = np.isnan(w)
            assert (np.isnan(g) == nan).all(), f"{what} {part}: NaN at {np.nonzero(np.isnan(g) != nan)[0][:5]}"
            exact = ~nan & (~np.isfinite(w) | (w == 0))
            bad = exact & ((g != w) | (np.signbit(g) != np.signbit(w)))
            assert not bad.any(), f"{what} {part}: {g[bad][:4]} != {w[bad][:4]}"
            loose = ~nan & ~exact
            err = np.abs(g - w)
            ok = (err <= ulps * np.spacing(np.abs(w))) | (err <= ulps * eps * scale)
            assert (ok | ~loose).all(), f"{what} {part}: {g[loose & ~ok][:4]} != {w[loose & ~ok][:4]}"


def run(fn, *args):
    """``fn`` eagerly and jitted (warnings silenced as NumPy's)."""
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return fn(*args), tj.jit(fn)(*args)


UNARY = ("sqrt", "log", "log10", "log2", "exp", "exp2", "sin", "cos", "tan", "sinh", "cosh", "tanh", "reciprocal",
         "arcsin", "arccos", "arctan", "arcsinh", "arccosh", "arctanh")


@pytest.mark.parametrize("dtype", [C64, C128], ids=["c64", "c128"])
def test_functions_match_numpy_with_special_values(dtype):
    def f(z):
        return tuple(getattr(np, name)(z) for name in UNARY) + (np.log1p(z), np.expm1(z))

    z = values(dtype)
    want, got = run(f, z)
    for name, g, w in zip(UNARY, got, want):
        assert_close(g, w, name)
    with np.errstate(all="ignore"):
        for name, g, w in zip(("log1p", "expm1"), got[-2:], want[-2:]):
            assert_close(g, w, name, scale=np.maximum(np.abs(w), 1))


def test_broadcasting_scalars_noncontiguous_and_new_shapes():
    def f(z, x):
        return np.sqrt(z * x + 1j), np.log(z + 2.0), np.tanh(x - z[..., :1]), np.sin(1j * x), np.cos(z).real

    f_jit = tj.jit(f)
    rng = np.random.default_rng(1)
    for shape, dtype, real in [((6, 5), C64, np.float32), ((3, 1, 4), C64, np.float64)]:
        if True:
            z = (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(dtype)
            x = rng.standard_normal(shape[-1:]).astype(real)
            z = np.swapaxes(z, -1, -2)[..., ::-1].swapaxes(-1, -2)  # a strided, reversed view
            with np.errstate(all="ignore"):
                want = f(z, x)
            got = f_jit(z, x)
            for i, (g, w) in enumerate(zip(got, want)):
                if w.dtype.kind == "c":
                    assert_close(g, w, f"out{i} {shape} {dtype}")
                else:
                    assert g.dtype == w.dtype and g.shape == w.shape
                    np.testing.assert_allclose(g, w, rtol=ULPS * np.finfo(w.dtype).eps)


def test_scalar_results_are_numpy_scalars():
    want, got = run(lambda z: (np.sqrt(z[0]), np.log(z[1]), z[0] ** 0.5, np.sin(z[2])), values(C128, 3))
    for g, w in zip(got, want):
        assert_close(g, w, "scalar")


@pytest.mark.parametrize("dtype", [C64, C128], ids=["c64", "c128"])
def test_power_constant_exponents(dtype):
    """Integer exponents (NumPy's repeated multiplication, bit for bit), NumPy's array fast
    paths (``z**2``, ``z**-1``, ``z**0.5``), real and complex exponents, a zero base."""
    exponents = [0, 1, 2, 3, -1, -5, 99, 100, 2.0, 0.5, -0.5, 2.5, 0.5 + 0.5j, np.float32(3)]

    def f(z):
        return tuple(z ** e for e in exponents)

    z = values(dtype, 60)
    want, got = run(f, z)
    with np.errstate(all="ignore"):
        w_log = np.abs(np.log(z))
    for e, g, w in zip(exponents, got, want):
        integer = complex(e).imag == 0 and complex(e).real == int(complex(e).real) and abs(complex(e).real) < 100
        with np.errstate(all="ignore"):
            cond = 1 + abs(complex(e)) * w_log
        kept = ~(cond > 1e6)  # beyond, the result hangs on the last bits of b log a (in NumPy too)
        assert_close(g[kept], w[kept], f"z**{e!r}", scale=np.abs(w[kept]) * cond[kept], ulps=0 if integer else ULPS)


def test_power_traced_exponents_and_real_operands():
    def f(a, b, x, n):
        return np.power(a, b), x ** a, a ** n

    a = values(C128, 40)[::3]
    b = np.array([0, 1, 2, 3, -1, -3, 7, -42, 99, 100, 0.5, -2.5, 1 + 1j, 2j, np.inf, np.nan], C128)
    aa, bb = np.meshgrid(a, b)
    rng = np.random.default_rng(2)
    x = rng.uniform(0.1, 3, aa.shape[1])
    n = rng.integers(-20, 20, aa.shape[1])
    want, got = run(f, aa, bb, x, n)
    for name, g, w, e, base in zip(("power", "x**z", "z**n"), got, want, (bb, aa, n), (aa, x, aa)):
        with np.errstate(all="ignore"):
            cond = 1 + np.abs(e * np.log(base))  # exp(b log a): relative error ~ eps * cond
        kept = ~(cond > 1e6)  # beyond, the result hangs on the last bits of b log a (in NumPy too)
        assert_close(g[kept], w[kept], name, scale=np.abs(w[kept]) * cond[kept])
    integer = (bb.imag == 0) & np.isfinite(bb.real) & (bb.real == np.round(bb.real)) & (np.abs(bb.real) < 100)
    assert_close(got[0][integer], want[0][integer], "integer power", scale=np.abs(want[0][integer]), ulps=0)
    assert_close(got[2], want[2], "z**int array", ulps=0)


def _ordering(a, b):
    return (a < b, a <= b, a > b, a >= b, np.maximum(a, b), np.minimum(a, b), np.fmax(a, b), np.fmin(a, b),
            np.clip(a, b, b[::-1]), np.clip(a, 0.5, None), a.clip(max=1j), a < 1.0)


@pytest.mark.parametrize("dtype", [C64, C128], ids=["c64", "c128"])
def test_ordering_is_lexicographic_with_numpy_nan_rules(dtype):
    s = np.array([0.0, -0.0, 1.0, -1.0, np.inf, -np.inf, np.nan])
    re, im = np.meshgrid(s, s)
    z = np.empty(re.size, dtype)
    z.real, z.imag = re.ravel(), im.ravel()
    a, b = (v.ravel() for v in np.meshgrid(z, z))
    want, got = run(_ordering, a, b)
    for i, (g, w) in enumerate(zip(got, want)):
        assert g.dtype == w.dtype and g.shape == w.shape, i
        np.testing.assert_array_equal(g, w, err_msg=str(i), strict=True)
        if w.dtype.kind == "c":
            for part in ("real", "imag"):  # zeros' signs (NaNs' are not NumPy's concern)
                gp, wp = getattr(g, part), getattr(w, part)
                assert ((np.signbit(gp) == np.signbit(wp)) | np.isnan(wp)).all(), (i, part)


def _extremes(a):
    return a.max(), np.min(a, axis=1, keepdims=True), np.argmax(a, axis=0), a.T.argmin(axis=1)


@pytest.mark.parametrize("dtype", [C64, C128], ids=["c64", "c128"])
def test_max_min_argmax_argmin_in_numpy_order(dtype):
    """The first NaN element wins, else the first lexicographic extreme (zeros' signs kept)."""
    rng = np.random.default_rng(6)
    s = np.array([0.0, -0.0, 1.0, -1.0, np.inf, -np.inf, np.nan])
    f = tj.jit(_extremes)
    calls = [((5, 6), True)] + ([((3, 8), False)] if dtype == C128 else [])  # then a new shape, no NaNs
    for shape, nans in calls:
        z = np.empty(shape, dtype)
        z.real, z.imag = rng.choice(s if nans else s[:-1], shape), rng.choice(s if nans else s[:-1], shape)
        want, got = run(lambda a: _extremes(a), z)[0], f(z)
        for i, (g, w) in enumerate(zip(got, want)):
            assert type(g) is type(w) and np.asarray(g).dtype == np.asarray(w).dtype and np.shape(g) == np.shape(w), i
            np.testing.assert_array_equal(g, w, err_msg=str(i))
            if np.asarray(w).dtype.kind == "c":
                for part in ("real", "imag"):
                    gp, wp = getattr(np.asarray(g), part), getattr(np.asarray(w), part)
                    assert ((np.signbit(gp) == np.signbit(wp)) | np.isnan(wp)).all(), (i, part)


def _products(a, b, v, r):
    return a @ b, np.matmul(a, b[0]), np.dot(a[0], v), v @ b, v @ v, r @ b[1], a[1] @ r.T, np.dot(a[0], 2j)


def _check_products(got, want, dtype, k):
    eps = np.finfo(np.dtype(dtype).char.lower()).eps
    for i, (g, w) in enumerate(zip(got, want)):
        assert type(g) is type(w) and g.dtype == w.dtype and g.shape == w.shape, (i, g.dtype, w.dtype)
        assert np.all(np.abs(g - w) <= 4 * k * eps * (1 + np.abs(w))), i


@pytest.mark.parametrize("dtype", [C64, C128], ids=["c64", "c128"])
def test_matmul_shapes_and_dtypes(dtype):
    k = 7
    rng = np.random.default_rng(3)

    def c(*shape):
        return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(dtype)

    a, b, v = c(2, 5, k), c(2, k, 3), c(k)
    r = rng.standard_normal((4, k))  # float64: complex64 @ float64 is complex128
    b = np.swapaxes(c(2, 3, k), -1, -2)  # a transposed operand
    want, got = run(_products, a, b, v, r)
    _check_products(got, want, dtype, k)


@pytest.mark.parametrize("method, dtype", [("block", C64), ("four", C128), ("gauss", C64), ("interleaved", C128)])
def test_matmul_methods(method, dtype, monkeypatch):
    monkeypatch.setattr(complex_matmul, "METHOD", method)
    rng = np.random.default_rng(4)
    a = (rng.standard_normal((2, 4, 6)) + 1j * rng.standard_normal((2, 4, 6))).astype(dtype)
    b = (rng.standard_normal((5, 6)) + 1j * rng.standard_normal((5, 6))).astype(dtype).T
    want, got = run(lambda x, y: (x @ y,), a, b)
    _check_products(got, want, dtype, 6)


def test_matmul_large_uses_gauss_within_bound_and_inplace():
    n = 130  # 130**3 >= schedule/matmul.MIN_FLOPS: Gauss, three real GEMMs
    rng = np.random.default_rng(5)

    def f(a, b):
        c = a @ b
        c @= b
        return c

    a = (rng.standard_normal((n, n)) + 1j * rng.standard_normal((n, n)))
    b = (rng.standard_normal((n, n)) + 1j * rng.standard_normal((n, n))) / n
    want, got = run(f, a, b)
    bound = (np.abs(a) @ np.abs(b)) @ np.abs(b)
    assert got.dtype == want.dtype and got.shape == want.shape
    assert np.max(np.abs(got - want) / bound) <= 4 * np.finfo(np.float64).eps


def test_errors_name_the_line():
    z = values(C128, 4)[:4]
    with pytest.raises(ValueError, match=r"test_complex_functions\.py:\d+"):
        tj.jit(lambda a: a @ a[:3])(z)
    with pytest.raises(tj.UnsupportedError, match=r"cumsum.*test_complex_functions\.py:\d+"):
        tj.jit(lambda a: np.cumsum(a), fallback=False)(z)
