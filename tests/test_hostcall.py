"""Host fallback (frontend/hostcall.py): NumPy calls tracejit does not compile run in
Python at run time inside the compiled program, with eager NumPy's results."""
import functools
import re

import numpy as np
import pytest

import tracejit as tj
from tests.differential import same
from tracejit.errors import UnsupportedError


def _spd(n, seed=0, dtype=np.float64):
    a = np.random.default_rng(seed).standard_normal((n, n))
    return (a @ a.T + n * np.eye(n)).astype(dtype)


_same = functools.partial(same, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_linalg_in_fused_computation(dtype):
    def f(a, b):
        x = np.linalg.solve(a, b * 2.0)
        inv = np.linalg.inv(a)
        c = np.linalg.cholesky(a)
        s = np.linalg.svd(a * 2.0, compute_uv=False)  # (a host call among native LAPACK calls)
        return (inv @ x).sum(axis=0) + np.linalg.det(a) * 1e-3 + s[0], np.tril(c) - c
    jf = tj.jit(f)
    a, b = _spd(5, dtype=dtype), np.arange(15, dtype=dtype).reshape(5, 3)
    _same(jf(a, b), f(a, b))
    a2, b2 = _spd(7, 1, dtype), np.ones((7, 2), dtype)  # a second call with new shapes
    _same(jf(a2, b2), f(a2, b2))
    names = [name for name, _, _ in jf.lower(a, b).fallbacks]
    assert names == ["numpy.linalg.svd"]


def test_fft_percentile_histogram2d_non_contiguous():
    def f(x, y):
        spec = np.abs(np.fft.rfft(x[::2] * 3.0))
        p = np.percentile(y.T, [10, 50, 90], axis=1)
        h, ex, ey = np.histogram2d(x[:6], y[0], bins=3, range=[[0, 1], [0, 1]])
        return spec.max() + p.sum(), h, ex + ey.sum()
    jf = tj.jit(f)
    rng = np.random.default_rng(3)
    x, y = rng.random(16), rng.random((4, 6))
    _same(jf(x, y), f(x, y))
    assert "fallback numpy.fft.rfft" in jf.lower(x, y).as_text("graph")
    assert "host call (fallback) numpy.histogram2d" in jf.lower(x, y).as_text("optimized")
    assert 'color="red' in jf.lower(x, y).to_dot()


def test_int_and_bool_operands_and_scalar_results():
    def f(a, m):
        return np.linalg.matrix_rank(a.astype(np.float64)) + 1, np.count_nonzero(m) * 2, np.trace(a) + 0
    jf = tj.jit(f)
    a, m = np.arange(9).reshape(3, 3), np.array([True, False, True])
    _same(jf(a, m), f(a, m))


def test_runs_per_iteration_of_a_rolled_loop_and_only_when_a_branch_is_taken():
    calls = []

    def side(col):
        calls.append(1)
        return col * 2

    @tj.jit
    def loop(a, n):
        acc = np.zeros(a.shape[1])
        for i in range(n):
            acc = acc + np.apply_along_axis(side, 0, a)[i % a.shape[0]]
        return acc

    @tj.jit
    def branch(a, t):
        if a.sum() > t:
            b = np.apply_along_axis(side, 0, a)
        else:
            b = a - 1
        return b

    a = np.arange(12.0).reshape(3, 4)
    _same(loop(a, 20), loop.eager(a, 20))
    calls.clear()
    loop(a, 20)
    assert len(calls) == 20 * 4
    assert "while" in loop.lower(a, 20).as_text("graph")  # rolled, not unrolled
    _same(branch(a, 0.0), branch.eager(a, 0.0))
    _same(branch(a, 1e9), branch.eager(a, 1e9))
    calls.clear()
    branch(a, 0.0)
    assert len(calls) == 4
    calls.clear()
    branch(a, 1e9)
    assert calls == []


def test_effects_run_once_each_in_program_order():
    log = []

    def first(x):
        log.append("first")
        return x + 1

    def second(x):
        log.append("second")
        return x * 2

    @tj.jit
    def f(a):
        u = np.apply_along_axis(second, 0, a)  # results unused by the first: order from the program
        v = np.apply_along_axis(first, 0, a)
        np.apply_along_axis(first, 0, a)  # result dropped: it still runs
        return v + u

    a = np.ones((2, 1))
    f(a)
    log.clear()
    out = f(a)
    assert log == ["second", "first", "first"]
    np.testing.assert_array_equal(out, f.eager(a))


def test_exception_in_callback_surfaces_with_its_type():
    @tj.jit
    def f(a):
        return np.linalg.svd(a, compute_uv=False) + 1

    with pytest.raises(np.linalg.LinAlgError, match="SVD did not converge"):
        f(np.full((3, 3), np.nan))
    np.testing.assert_allclose(f(np.eye(3) * 2), np.full(3, 3.0))  # and the next call works


def test_data_dependent_result_shape_is_refused():
    @tj.jit
    def f(a):
        return np.trim_zeros(a * 2) + a  # (returned or reduced, it is allowed: frontend/hostdynamic.py)

    # refused, so the whole function runs eagerly (frontend/eagerfallback.py), the refusal kept
    (_, _, why), = f.lower(np.ones(3)).fallbacks
    assert re.search("numpy.trim_zeros.*depends on the values.*test_hostcall.py", why)
    np.testing.assert_array_equal(f(np.ones(3)), np.full(3, 3.0))
    assert f.cache_info().compilations == 0


def test_fallback_false_raises():
    @tj.jit(fallback=False)
    def f(a):
        return np.linalg.svd(a)

    with pytest.raises(UnsupportedError, match="numpy.linalg.svd is not supported"):
        f(np.eye(2))


def test_shape_error_is_the_eager_error():
    @tj.jit
    def f(a):
        return np.linalg.inv(a)

    with pytest.raises(np.linalg.LinAlgError):
        f(np.ones((2, 3)))


def test_random_legacy_functions_match_eager_bit_for_bit():
    def f(x):
        return x + np.random.rand(3) * 2 + np.random.normal(0, 1, size=3) + np.random.randint(0, 5, size=3)
    jf = tj.jit(f)
    x = np.arange(3.0)
    np.random.seed(7)
    jitted = [jf(x), jf(x)]
    np.random.seed(7)
    eager = [f(x), f(x)]
    for j, e in zip(jitted, eager):
        np.testing.assert_array_equal(j, e)
    assert not np.array_equal(jitted[0], jitted[1])  # fresh numbers every call


def test_generator_argument_and_captured():
    def f(x, rng):
        return x * rng.standard_normal(x.shape) + rng.integers(0, 10, size=x.shape)
    jf = tj.jit(f)
    x = np.arange(4.0)
    got = [jf(x, np.random.default_rng(5)) for _ in range(2)]
    rng = np.random.default_rng(5)
    np.testing.assert_array_equal(got[0], f(x, rng))
    np.testing.assert_array_equal(got[1], got[0])  # the same seed: the same numbers
    rng = np.random.default_rng(9)
    a, b = jf(x, rng), jf(x, rng)
    rng = np.random.default_rng(9)
    np.testing.assert_array_equal(a, f(x, rng))
    np.testing.assert_array_equal(b, f(x, rng))

    captured = np.random.default_rng(11)

    @tj.jit
    def g(x):
        return x + captured.uniform(size=3)

    first, second = g(x[:3]), g(x[:3])
    same = np.random.default_rng(11)
    np.testing.assert_array_equal(first, x[:3] + same.uniform(size=3))
    np.testing.assert_array_equal(second, x[:3] + same.uniform(size=3))


def test_complex_operands_and_results():
    def f(x):
        s = np.fft.fft(x) * (1 + 2j)
        return np.fft.ifft(s).real, np.abs(s), np.fft.ifft(s)
    jf = tj.jit(f)
    x = np.random.default_rng(2).random(8)
    _same(jf(x), f(x))


def test_error_in_a_loop_skips_later_host_calls_and_raises_once():
    calls = []

    def check(v):
        calls.append(1)
        if v[0] > 3:
            raise ValueError("too big")
        return v

    @tj.jit
    def f(a, n):
        for _ in range(n):
            a = np.apply_along_axis(check, 0, a) + 1
        return a

    a = np.zeros((1, 1))
    np.testing.assert_array_equal(f(a, 3), f.eager(a, 3))
    calls.clear()
    with pytest.raises(ValueError, match="too big"):
        f(a, 10)
    assert len(calls) == 5  # the fifth fails, the other five steps skip their call


def test_random_walk_in_a_rolled_loop_matches_eager(monkeypatch, caplog):
    from tracejit.config import config
    monkeypatch.setattr(config, "log", set(config.log) | {"fallbacks"})

    def walk(x0, n):
        x = x0
        for _ in range(n):
            x = x + np.random.randn(3) * 0.1
        return x + np.random.choice(x, size=2).sum()
    jw = tj.jit(walk)
    x0 = np.zeros(3)
    with caplog.at_level("INFO", logger="tracejit"):
        np.random.seed(3)
        got = [jw(x0, 30), jw(x0, 30)]
    np.random.seed(3)
    want = [walk(x0, 30), walk(x0, 30)]
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g, w)
    assert "while" in jw.lower(x0, 30).as_text("graph")
    logged = [r.getMessage() for r in caplog.records if "host call" in r.getMessage()]
    assert len(logged) == 2 and "numpy.random.randn" in logged[0]  # once per function and line


def test_ndarray_method_without_a_handler():
    def f(x):
        return (x * 2).byteswap() + 0
    jf = tj.jit(f)
    x = np.arange(6, dtype=np.int32).reshape(2, 3)
    _same(jf(x), f(x))
    assert jf.lower(x).fallbacks[0][0] == "ndarray.byteswap"


def test_function_writing_its_argument_runs_on_a_copy_written_back():
    def f(x):
        y = x * 2
        np.random.shuffle(y)
        return y

    np.random.seed(3)
    want = f(np.arange(6.0))
    np.random.seed(3)
    _same(tj.jit(f)(np.arange(6.0)), want)  # (tests/test_realworld_library.py: more of these)


@pytest.mark.parametrize("f, args", [
    (lambda x: np.repeat(x, [1, 2, 3]), (np.arange(3.0),)),
    (lambda x: np.linalg.norm(x, 3) + 1, (np.arange(4.0),)),
    (lambda v: np.pad(v, 1, mode="linear_ramp"), (np.arange(4.0),)),
    (lambda a, b: np.dot(a, b) * 2, (np.ones((2, 3)), np.arange(60.0).reshape(4, 3, 5))),
])
def test_refused_forms_run_as_host_calls(f, args):
    _same(tj.jit(f)(*args), f(*args))


def test_eager_error_for_arguments_numpy_rejects():
    with pytest.raises(ValueError, match="no fields"):  # (a handler's refusal; NumPy's own error, as eagerly)
        tj.jit(lambda a: np.sort(a, order="f"))(np.ones((3, 4)))


def test_complex_functions_without_native_code_match_eager():
    def f(z):
        return np.log(z) + np.sqrt(z) * np.sin(z), np.maximum(z, z * 2), np.cumsum(z), z.max()
    z = np.random.default_rng(4).random((3, 3)) + 1j * np.random.default_rng(5).random((3, 3))
    got, want = tj.jit(f)(z), f(z)
    for g, w in zip(got, want):
        assert np.asarray(g).dtype == np.asarray(w).dtype and np.shape(g) == np.shape(w)
        np.testing.assert_allclose(g, w, rtol=1e-12)


def test_code_is_shared_across_shapes_each_with_its_callback():
    @tj.jit
    def f(a):
        return np.linalg.svd(a * 2.0, compute_uv=False) + 1.0
    for n in (3, 5):
        a = np.eye(n) + 0.1
        np.testing.assert_allclose(f(a), np.linalg.svd(a * 2.0, compute_uv=False) + 1.0)
    assert f.cache_info().reused + f.cache_info().disk_hits >= 1  # the callback's address is data
