"""Regressions found by the autodiff fuzzer (``python -m tests.fuzz --grad``, tests/fuzz/adgen.py):
each test is a minimized program, checked against finite differences or NumPy."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import tracejit as tj


def central(f, args, dirs, h=1e-6):
    """The central finite difference of ``f`` at ``args`` along ``dirs``."""
    plus = f(*[a + h * d for a, d in zip(args, dirs)])
    minus = f(*[a - h * d for a, d in zip(args, dirs)])
    return (plus - minus) / (2 * h)


def check_grad(f, *args, rtol=1e-6):
    """tj.grad (compiled and under jit) and tj.jvp of ``f`` against central differences."""
    rng = np.random.default_rng(0)
    dirs = [rng.standard_normal(np.shape(a)) for a in args]
    argnums = tuple(range(len(args)))
    numeric = central(f, args, dirs)
    for g in (tj.grad(f, argnums=argnums)(*args), tj.jit(tj.grad(f, argnums=argnums))(*args)):
        directional = sum(np.sum(gi * d) for gi, d in zip(g, dirs))
        assert abs(directional - numeric) <= rtol * max(1.0, abs(numeric)), (directional, numeric)
    _, tangent = tj.jvp(f, args, tuple(dirs))
    assert abs(tangent - numeric) <= rtol * max(1.0, abs(numeric)), (tangent, numeric)


@pytest.mark.parametrize("shapes", [((4,), (4,)), ((3, 4), (4,)), ((3, 4), (2, 4)), ((2, 3, 4), (5, 4)),
                                    ((), (3,))])
def test_inner_is_traced_and_differentiable(shapes):
    """np.inner was a host call: jit ran it, but grad refused it (fuzz seed 2000018)."""
    rng = np.random.default_rng(1)
    a, b = (rng.standard_normal(s) for s in shapes)
    np.testing.assert_allclose(tj.jit(np.inner)(a, b), np.inner(a, b), rtol=1e-12)
    check_grad(lambda a, b: np.sum(np.sin(np.inner(a, b))), a, b)


def test_inner_misaligned_is_numpys_error():
    with pytest.raises(ValueError, match="not aligned"):
        tj.jit(lambda a, b: np.inner(a, b))(np.ones((3, 4)), np.ones(3))


def test_jvp_of_cond_with_broadcast_capture():
    """jvp of a tj.cond whose branch multiplies by a captured, broadcast array: the primal result
    of the jvp's cond is unused, its temporary became a row scratch, and the kernel verifier
    rejected it as a result of the wrong shape (fuzz seed 3000080)."""
    def f(x, y):
        return np.sum(tj.cond(np.sum(x) > 0.1, lambda u: np.sin(u) * y, lambda u: u * u - y, x))
    rng = np.random.default_rng(2)
    for x in (rng.uniform(0.1, 1, (2, 3)), -rng.uniform(0.1, 1, (2, 3))):
        check_grad(f, x, rng.uniform(-1, 1, 3))


def test_cond_result_unused_in_a_fused_branch():
    """The same without autodiff: a branch result nobody reads, computed in a fused kernel."""
    def f(x, y):
        return tj.cond(np.sum(x) > 0.1, lambda u: (np.sin(u) * y, np.cos(u) * y + u), lambda u: (u, u * 2), x)[1]
    x, y = np.linspace(0.1, 1, 6).reshape(2, 3), np.array([0.5, -1.0, 2.0])
    np.testing.assert_allclose(tj.jit(f)(x, y), np.cos(x) * y + x, rtol=1e-12)
    np.testing.assert_allclose(tj.jit(f)(-x, y), -2 * x, rtol=1e-12)


@pytest.mark.parametrize("a, b", [(np.arange(6).reshape(2, 3), np.arange(3)),
                                  (np.arange(6.).reshape(2, 3) + 1j, np.arange(6).reshape(2, 3) * 1j + 1),
                                  (np.array([True, False, True]), np.array([True, True, False])),
                                  (np.ones((2, 3), np.float32), np.ones(3))])
def test_inner_dtypes_as_numpy(a, b):
    got, want = tj.jit(lambda a, b: np.inner(a, b))(a, b), np.inner(a, b)
    assert np.asarray(got).dtype == want.dtype
    np.testing.assert_allclose(got, want)


def test_inner_of_a_concrete_and_a_traced_matrix():
    """np.inner with a concrete 2-D operand beside a traced one: its handler reshaped the
    concrete one as a tracer and failed to a host call with a warning (test_capture_concrete)."""
    a, b = np.arange(9.0).reshape(3, 3), np.arange(2.0, 11.0).reshape(3, 3)[::-1]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_allclose(tj.jit(lambda x: np.inner(x, np.array(b)))(a), np.inner(a, b), rtol=1e-12)
        np.testing.assert_allclose(tj.jit(lambda x: np.inner(np.array(b), x))(a), np.inner(b, a), rtol=1e-12)


def check_complex_grad(f, z, rtol=1e-6):
    """tj.grad of a real function of complex ``z`` (compiled and under disable_jit), by JAX's
    convention ``df/dx - 1j df/dy``: ``Re(sum(grad * v))`` is the derivative along ``v``."""
    rng = np.random.default_rng(3)
    v = rng.standard_normal(np.shape(z)) + 1j * rng.standard_normal(np.shape(z))
    numeric = central(f, [z], [v])
    for g in (tj.grad(f)(z), tj.jit(tj.grad(f))(z)):
        directional = float(np.sum((g * v).real))
        assert abs(directional - numeric) <= rtol * max(1.0, abs(numeric)), (directional, numeric)
    tj.config.disable_jit = True
    try:
        directional = float(np.sum((tj.grad(f)(z) * v).real))
    finally:
        tj.config.disable_jit = False
    assert abs(directional - numeric) <= rtol * max(1.0, abs(numeric)), (directional, numeric)


Z = np.array([0.3 + 0.4j, -0.5 + 0.2j, 0.7 + 0j, -0.6j])


@pytest.mark.parametrize("f", [lambda z: np.real(np.sum(z / 2.0)), lambda z: np.real(np.mean(z * z)),
                               lambda z: np.sum(np.imag(z / (np.abs(z) + 1.0))),
                               lambda z: np.real(np.sum(z / np.array([2.0, 3.0, 1j, -0.5j]))),
                               lambda z: np.real(np.sum(1.0 / (z + 2.0))), lambda z: np.real(np.sum(z ** -2))])
def test_complex_division_by_a_real_or_imaginary_divisor(f):
    """Complex division (Smith's two branches selected by where) divided by 0 in the branch not
    taken: a real divisor made every cotangent NaN (0 * inf), so grad of np.mean(z) or z / 2.0
    was NaN (fuzz --kind complex probe)."""
    check_complex_grad(f, Z)


@pytest.mark.parametrize("f", [lambda z: np.real(np.sum(np.reciprocal(z))), lambda z: np.imag(np.sum(1 / z)),
                               lambda z: np.real(np.sum(z ** 1.5)), lambda z: np.real(np.sum(np.power(z * z + 2, 1.5))),
                               lambda z: np.imag(np.sum(z ** (0.5 + 1j)))])
def test_complex_reciprocal_and_general_power(f):
    """np.reciprocal of a real or imaginary z divided by 0 in the branch not taken; z ** 1.5
    (exp(b log z) with C's product) multiplied np.inf into the Annex G branch not taken: NaN
    gradients everywhere."""
    check_complex_grad(f, Z)


@pytest.mark.parametrize("same_length", [True, False])
def test_module_rewritten_and_loaded_again(tmp_path, same_length):
    """A module file rewritten and loaded again (importlib.reload, autoreload; the fuzzer's programs
    of two kinds with one seed) was converted from linecache's stale lines: jit and grad ran the
    old function (a complex program traced as the float32 one before it: 'grad requires a real output')."""
    import importlib.util

    def load(body):
        path = tmp_path / "rewritten.py"
        path.write_text("import numpy as np\n\n\ndef f(x):\n" + body)
        spec = importlib.util.spec_from_file_location("rewritten", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module.f

    old = load("    for i in range(2):\n        x = np.sin(x)\n    if np.sum(x) > 0:\n        x = x * 2\n"
               "    return np.sum(x)\n")
    x = np.linspace(0.1, 0.5, 3)
    np.testing.assert_allclose(tj.jit(old)(x), old(x), rtol=1e-12)
    tail = "" if same_length else "    x = x + 1.0\n"
    new = load("    for i in range(3):\n        x = x * x\n    if np.sum(x) > 0:\n        x = x * 3\n" + tail +
               "    return np.sum(x)\n")
    np.testing.assert_allclose(tj.jit(new)(x), new(x), rtol=1e-12)
    np.testing.assert_allclose(tj.grad(new)(x), 24 * x ** 7, rtol=1e-12)


def test_complex_magnitude_at_zero():
    """|z| scaled its parts by the larger one, 0/0 at z = 0 in the branch not taken: grad of
    sum(|z|**2) was NaN where an element is 0 (fuzz seed 181000040, complex). JAX's grad of |z|
    at 0j is 0."""
    z = np.array([0j, 0.3 - 0.4j, -0.0 + 0j])
    np.testing.assert_allclose(tj.grad(lambda z: np.sum(np.abs(z) ** 2))(z), 2 * np.conj(z), atol=1e-15)
    assert tj.grad(lambda z: np.abs(z))(0j) == 0
    check_complex_grad(lambda z: np.sum(np.abs(z * np.array([1.0, 0.0, 1.0, 0.0])) ** 2), Z)


@pytest.mark.parametrize("f", [lambda y, x: y @ x, lambda y, x: np.matmul(y, x), lambda y, x: x @ y,
                               lambda y, x: y @ (x @ y)])
def test_real_vector_times_complex_matrix(f):
    """A real 1-D operand on the left of a complex matmul: its imaginary part (a 0-d zero) was made
    a row, an AxisError under jit and grad (fuzz seeds 182000044, 182000067, complex)."""
    y, x = np.array([0.5, -1.0, 2.0]), np.arange(9.0).reshape(3, 3) * (0.3 + 0.5j) - 1j
    np.testing.assert_allclose(tj.jit(f)(y, x), f(y, x), rtol=1e-12)
    check_complex_grad(lambda x: np.real(np.sum(f(y, x) * (1.0 - 0.5j))), x)
    check_grad(lambda y: np.sum(np.abs(f(y, x)) ** 2), y)
