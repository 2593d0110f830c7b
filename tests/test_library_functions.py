"""Functions of other libraries called from jitted code (``frontend/libraries.py``): traced
through where they are made of NumPy calls, host calls where they need concrete arrays,
native where tracejit has a handler (``scipy.linalg.solve_triangular``)."""
from __future__ import annotations

import sys
import textwrap

import numpy as np
import pytest

import tracejit as tj
from tracejit.frontend import usercode


@pytest.fixture
def fake_library(tmp_path, monkeypatch):
    """A module ``fakelib`` loaded from a directory tracejit takes for a library's."""
    (tmp_path / "fakelib.py").write_text(textwrap.dedent("""
        import numpy as np

        def concrete_norm(x):
            a = np.asarray(x)  # needs a concrete array
            return a / np.sqrt((a * a).sum())

        def traced_norm(x):
            return x / np.sqrt((x * x).sum())

        def apply(f, x):
            return f(x) + 1
    """))
    prefix = str(tmp_path) + "/"
    monkeypatch.setattr(usercode, "_PREFIXES", getattr(usercode, "_PREFIXES") + (prefix,))
    getattr(usercode, "_by_file").clear()
    monkeypatch.syspath_prepend(str(tmp_path))
    sys.modules.pop("fakelib", None)
    import fakelib
    yield fakelib
    sys.modules.pop("fakelib", None)
    getattr(usercode, "_by_file").clear()


def test_library_function_needing_concrete_arrays_is_a_host_call(fake_library):
    lib = fake_library
    x = np.linspace(1.0, 2.0, 7)

    def f(x):
        return lib.concrete_norm(x * 2) + x

    g = tj.jit(f)
    np.testing.assert_array_equal(g(x), f(x))
    np.testing.assert_array_equal(g(x[:3]), f(x[:3]))
    assert [name for name, _, _ in g.lower(x).fallbacks] == ["fakelib.concrete_norm"]


def test_library_function_made_of_numpy_calls_is_traced(fake_library):
    lib = fake_library
    x = np.linspace(1.0, 2.0, 7)
    g = tj.jit(lambda x: lib.traced_norm(x) * 3)
    np.testing.assert_allclose(g(x), lib.traced_norm(x) * 3, rtol=1e-15)
    assert g.lower(x).fallbacks == []


def test_library_refusal_without_fallback_names_function_and_line(fake_library):
    lib = fake_library
    g = tj.jit(lambda x: lib.concrete_norm(x), fallback=False)
    with pytest.raises(tj.UnsupportedError, match=r"fakelib.concrete_norm needs concrete arrays .*test_library_fun"):
        g(np.ones(3))


def test_user_callback_needing_concrete_values_runs_in_the_host_call(fake_library):
    lib = fake_library

    def f(x):
        return lib.apply(lambda v: v * len(v.tolist()), x) * 2  # the user's callback needs concrete values

    x = np.arange(4.0)
    np.testing.assert_array_equal(tj.jit(f)(x), f(x))


scipy_linalg = pytest.importorskip("scipy.linalg", reason="scipy is an optional extra (pip install scipy)")


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int64])
@pytest.mark.parametrize("options", [{"lower": True}, {"lower": True, "trans": 1}, {"lower": False, "trans": "T"},
                                     {"lower": False, "unit_diagonal": True}])
def test_solve_triangular_native_as_scipy(dtype, options):
    rng = np.random.default_rng(3)
    n = 9
    a = np.tril(rng.integers(-3, 4, (n, n))) + 4 * n * np.eye(n, dtype=np.int64)
    a = (a if options["lower"] else a.T).astype(dtype)
    b = rng.integers(-5, 6, (n, 3)).astype(dtype)

    def f(a, b):
        return scipy_linalg.solve_triangular(a, b, **options)

    g = tj.jit(f)
    for bb in (b, b[:, 0], b[:, ::2]):
        got, want = g(a, bb), f(a, bb)
        assert got.dtype == want.dtype and got.shape == want.shape
        bound = 8 * n * np.finfo(want.dtype).eps * np.abs(want).max()  # normwise (backward-stable solve)
        np.testing.assert_allclose(got, want, rtol=0, atol=bound)
    assert g.lower(a, b).fallbacks == []


def test_solve_triangular_errors_as_scipy():
    from scipy.linalg import solve_triangular
    a, b = np.tril(np.ones((4, 4))), np.ones(4)
    g = tj.jit(lambda a, b: solve_triangular(a, b, lower=True))
    singular = a.copy()
    singular[2, 2] = 0
    with pytest.raises(np.linalg.LinAlgError, match="singular matrix"):
        g(singular, b)
    bad = a.copy()
    bad[1, 0] = np.nan
    with pytest.raises(ValueError, match="infs or NaNs"):
        g(bad, b)
    with pytest.raises(ValueError, match="incompatible"):
        g(a, np.ones(5))
    np.testing.assert_array_equal(g(a, b), solve_triangular(a, b, lower=True))


def test_scipy_function_needing_concrete_arrays_runs_as_host_call():
    ndimage = pytest.importorskip("scipy.ndimage")
    x = np.random.default_rng(0).standard_normal((6, 7))

    def f(x):
        return ndimage.uniform_filter(x * 2, 3) - x

    g = tj.jit(f)
    np.testing.assert_array_equal(g(x), f(x))
    assert [name for name, _, _ in g.lower(x).fallbacks] == ["scipy.ndimage.uniform_filter"]


# -- found by the fuzzer's SciPy group (tests/fuzz/sciops.py) --------------------------------------


def test_scipy_special_erf_and_expit_are_native():
    """SciPy's ufuncs have no ``__module__``: matched by identity (they fell back to host calls)."""
    special = pytest.importorskip("scipy.special")
    x = np.linspace(-3.0, 3.0, 11)
    g = tj.jit(lambda x: special.erf(x) + special.expit(x * 2))
    np.testing.assert_allclose(g(x), special.erf(x) + special.expit(x * 2), rtol=1e-14, atol=1e-15)
    assert g.lower(x).fallbacks == []


def test_foreign_ufunc_host_call_is_named_by_its_module():
    special = pytest.importorskip("scipy.special")
    x = np.linspace(0.5, 3.0, 6).astype(np.float32)
    g = tj.jit(lambda x: special.gammaln(x + 1) * 2)
    np.testing.assert_array_equal(g(x), special.gammaln(x + 1) * 2)
    assert [name for name, _, _ in g.lower(x).fallbacks] == ["scipy.special.gammaln"]
    with pytest.raises(tj.UnsupportedError, match=r"^scipy\.special\.gammaln is not supported"):
        tj.jit(lambda x: special.gammaln(x), fallback=False)(x)


def test_library_objects_methods_are_wrapped():
    """``scipy.stats.norm`` is an object, not a function: its methods (and those of the frozen
    distribution its call returns) run as host calls; ``isinstance`` sees its own class."""
    stats = pytest.importorskip("scipy.stats")
    norm = stats.norm

    def f(x):
        frozen = stats.norm(1.0, 2.0)
        kind = 1.0 if isinstance(norm, stats.rv_continuous) else 0.0
        return stats.norm.pdf(x * 2) + norm.logcdf(x, loc=0.5) + frozen.cdf(x) + kind

    x = np.linspace(-2.0, 2.0, 7)
    g = tj.jit(f)
    np.testing.assert_array_equal(g(x), f(x))
    np.testing.assert_array_equal(g(x[:3]), f(x[:3]))
    assert len(g.lower(x).fallbacks) == 3


def test_scipy_result_objects_of_host_calls_keep_their_fields():
    """SciPy's results are tuples with extra fields (``df``, ``statistic_location``): rebuilt whole."""
    stats = pytest.importorskip("scipy.stats")

    def f(x):
        t = stats.ttest_1samp(x * 2, 0.5)
        k = stats.kstest(x, stats.norm.cdf)
        return t.statistic + 1, t.pvalue, t.df, k.statistic_location, k.statistic_sign

    x = np.array([-1.5, 0.25, 2.0, 0.75, -0.5, 1.0])
    got, want = tj.jit(f)(x), f(x)
    for a, b in zip(got, want):
        assert type(a) is type(b) and a == b


def test_host_call_may_return_float16():
    special = pytest.importorskip("scipy.special")
    x = (np.arange(12).reshape(3, 4) / 7).astype(np.float16)

    def f(x):
        return special.softmax(x * 2, axis=1) + 1

    got = tj.jit(f)(x)
    assert got.dtype == np.float16
    np.testing.assert_array_equal(got, f(x))


@pytest.mark.parametrize("n", [1, 2])
def test_lu_solve_placeholders_hold_valid_pivots(n):
    """Placeholder evaluation gave ``lu_solve`` random pivots (3 or 4) past a 1x1 or 2x2
    matrix, and LAPACK swapped rows out of bounds: heap corruption, then an abort. Integer
    placeholders now index every axis of the call's arrays."""
    linalg = pytest.importorskip("scipy.linalg")
    a = np.arange(1.0, 1 + n * n).reshape(n, n) + 4 * np.eye(n)

    def f(a, b):
        return linalg.lu_solve(linalg.lu_factor(a @ a.T + 1.0), b * 2)

    b = np.ones((n, 1))
    got = tj.jit(f)(a, b)
    np.testing.assert_allclose(got, f(a, b), rtol=1e-12)


def test_scipy_special_ufuncs_native_with_scipys_result_dtype():
    """``scipy.special.erf``/``expit`` of small ints, bools and float16 are float64 in SciPy (its
    loops: d->d first); the native ops took exp's loops (float16, float32). Fuzz seed 9003000130."""
    special = pytest.importorskip("scipy.special")

    def f(x, y, h):
        return special.erf(x), special.expit(y), special.erf(h) * 2, special.expit(h.astype(np.float32))

    x, y = np.arange(-3, 4, dtype=np.int8), np.array([True, False, True])
    h = np.linspace(-2, 2, 5).astype(np.float16)
    g = tj.jit(f)
    for got, want in zip(g(x, y, h), f(x, y, h)):
        assert got.dtype == want.dtype
        np.testing.assert_allclose(got, want, rtol=4 * np.finfo(want.dtype).eps, atol=1e-15)
    assert g.lower(x, y, h).fallbacks == []


def test_host_call_result_dtype_set_by_the_data_is_refused_clearly():
    """``ttest_1samp(x).df`` is int64, or float64 where ``x`` holds a NaN: a host call's result
    types are fixed while tracing, so the second call raises UnsupportedError (was an internal
    error; fuzz seed 9005000118)."""
    stats = pytest.importorskip("scipy.stats")
    g = tj.jit(lambda x: stats.ttest_1samp(x, 0.5, axis=0).df + 0)
    x = np.arange(6.0).reshape(3, 2)
    np.testing.assert_array_equal(g(x), stats.ttest_1samp(x, 0.5, axis=0).df)
    x[0, 0] = np.nan
    with pytest.raises(tj.UnsupportedError, match="returned dtype float64, traced as int64"):
        g(x)
