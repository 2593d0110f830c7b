"""tj.grad & co. on NumPy functions: compiled, eagerly, composed with jit and with each other,
checked against central finite differences of the function run by NumPy."""
from __future__ import annotations

import numpy as np
import pytest

import tracejit as tj
from tests.gradcheck import close, numeric_grad

RNG = np.random.default_rng(1818)


def logsumexp(x):
    m = np.max(x)
    return m + np.log(np.sum(np.exp(x - m)))


FUNCTIONS = {
    "poly": lambda x: np.sum(x ** 3 - 2 * x ** 2 + x),
    "trig": lambda x: np.sum(np.sin(x) * np.cos(2 * x) + np.tanh(x)),
    "mean_var_std": lambda x: np.mean(x) + np.var(x) + np.std(x),
    "logsumexp": logsumexp,
    "softmax_entropy": lambda x: -np.sum(np.exp(x) / np.sum(np.exp(x)) * (x - np.log(np.sum(np.exp(x))))),
    "clip": lambda x: np.sum(np.clip(x, -0.5, 0.5) ** 2),
    "where": lambda x: np.sum(np.where(x > 0, x ** 2, -x)),
    "abs_max": lambda x: np.sum(np.abs(x)) + np.max(x) - np.min(x),
    "matrix": lambda x: np.sum((x.reshape(3, 4) @ x.reshape(4, 3)) ** 2),
    "transpose_slice": lambda x: np.sum(x.reshape(3, 4).T[1:, ::2] * np.arange(6.0).reshape(3, 2)),
    "concat": lambda x: np.sum(np.concatenate([x, x[:3] ** 2]) ** 2),
    "stack_prod": lambda x: np.prod(np.stack([x[:4], x[4:8]]) + 1.5),
    "norm": lambda x: np.sqrt(np.sum(x * x)) + np.linalg.norm(x),
    "sigmoid": lambda x: np.sum(1 / (1 + np.exp(-x))),
    "power": lambda x: np.sum(np.abs(x) ** 1.5 + 2.0 ** x),
    "maximum_relu": lambda x: np.sum(np.maximum(x, 0.0) * x),
    "astype": lambda x: np.sum(x.astype(np.float32).astype(np.float64) * 0 + x * 2),
    "nanmean": lambda x: np.nanmean(x) + np.nansum(x ** 2),  # (a float sum divided by an int64 count)
    "diag": lambda x: np.trace(x.reshape(3, 4)) + np.sum(np.diagonal(x.reshape(3, 4), 1)),
}


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_grad_matches_finite_differences(name):
    f = FUNCTIONS[name]
    x = RNG.uniform(-1, 1, 12)
    expect = numeric_grad(f, x)
    close(tj.grad(f)(x), expect)
    close(tj.jit(tj.grad(f))(x), expect)
    with_jvp = tj.jvp(f, (x,), (np.ones(12),))[1]
    close(with_jvp, np.sum(expect))


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_hessian_vector_products_match_finite_differences(name):
    """Second order: the backward program's own ops differentiate (forward over reverse, and
    reverse over reverse)."""
    f = FUNCTIONS[name]
    x, v = RNG.uniform(-1, 1, 12), RNG.standard_normal(12)
    if name in ("abs_max", "clip", "where", "maximum_relu", "power"):
        x = x + 0.1 * np.sign(x)  # (away from kinks)
    g = tj.grad(f)
    eps = 1e-5
    expect = (g(x + eps * v) - g(x - eps * v)) / (2 * eps)
    hvp = tj.jvp(lambda x: tj.grad(f)(x), (x,), (v,))[1]
    close(hvp, expect, rtol=1e-5)
    close(tj.grad(lambda x: np.sum(tj.grad(f)(x) * v))(x), expect, rtol=1e-5)


def test_eager_mode_gives_the_same_values():
    f = FUNCTIONS["trig"]
    x = RNG.uniform(-1, 1, 12)
    compiled = tj.grad(f)(x)
    tj.config.disable_jit = True
    try:
        eager = tj.grad(f)(x)
        hess_eager = tj.hessian(f)(x[:3])
    finally:
        tj.config.disable_jit = False
    close(eager, compiled, rtol=1e-12)
    close(hess_eager, tj.hessian(f)(x[:3]), rtol=1e-12)


def test_compositions():
    def f(x, y):
        return np.sum(np.sin(x) * y ** 2)

    x, y = RNG.uniform(-1, 1, 5), RNG.uniform(-1, 1, 5)
    expect = np.cos(x) * y ** 2
    close(tj.grad(tj.jit(f))(x, y), expect)
    close(tj.jit(tj.grad(f))(x, y), expect)
    gx, gy = tj.grad(f, argnums=(0, 1))(x, y)
    close(gy, 2 * np.sin(x) * y)
    # grad of grad: d/dx sum(cos(x) y^2) = -sin(x) y^2
    close(tj.grad(lambda x, y: np.sum(tj.grad(f)(x, y)))(x, y), -np.sin(x) * y ** 2)
    # jvp of grad: a Hessian-vector product
    v = RNG.standard_normal(5)
    _, hvp = tj.jvp(lambda x: tj.grad(f)(x, y), (x,), (v,))
    close(hvp, -np.sin(x) * y ** 2 * v)
    # jacfwd == jacrev, hessian
    g = lambda x: np.tanh(x[:, None] * x[None, :]).sum(axis=0)  # noqa: E731
    close(tj.jacfwd(g)(x), tj.jacrev(g)(x), rtol=1e-12)
    h = tj.hessian(lambda x: np.sum(x ** 3))(x)
    close(h, np.diag(6 * x))


def test_pytrees_and_has_aux():
    params = {"w": RNG.standard_normal((3, 2)), "b": RNG.standard_normal(2)}
    data = RNG.standard_normal((4, 3))

    def loss(p, x):
        y = np.tanh(x @ p["w"] + p["b"])
        return np.mean(y ** 2), {"out": y}

    (value, aux), grads = tj.value_and_grad(loss, has_aux=True)(params, data)
    assert set(grads) == {"w", "b"} and grads["w"].shape == (3, 2)
    close(value, loss(params, data)[0])
    close(aux["out"], np.tanh(data @ params["w"] + params["b"]))
    flat = lambda w: loss({"w": w.reshape(3, 2), "b": params["b"]}, data)[0]  # noqa: E731
    close(grads["w"].ravel(), numeric_grad(flat, params["w"].ravel()))
    g, aux2 = tj.grad(loss, has_aux=True)(params, data)
    close(g["b"], grads["b"])


def test_vjp_and_jvp_api():
    f = lambda x, y: (x * y, np.sin(x))  # noqa: E731
    x, y = RNG.standard_normal(3), RNG.standard_normal(3)
    out, pull = tj.vjp(f, x, y)
    close(out[0], x * y)
    gx, gy = pull((np.ones(3), np.ones(3)))
    close(gx, y + np.cos(x))
    close(gy, x)
    out, tangent = tj.jvp(f, (x, y), (np.ones(3), np.zeros(3)))
    close(tangent[0], y)
    close(tangent[1], np.cos(x))


def test_shapes_and_layouts():
    x = RNG.standard_normal((4, 6))
    f = lambda a: np.sum(np.exp(a) * a)  # noqa: E731
    close(tj.grad(f)(x[:, ::2]), (np.exp(x) * (1 + x))[:, ::2])  # non-contiguous argument
    close(tj.grad(f)(np.float64(0.5)), np.exp(0.5) * 1.5)  # 0-d
    assert tj.grad(f)(np.zeros((0, 3))).shape == (0, 3)  # zero-size
    x32 = x.astype(np.float32)
    g32 = tj.grad(f)(x32)
    assert g32.dtype == np.float32
    close(g32, np.exp(x) * (1 + x), rtol=1e-5)
    assert tj.grad(lambda s: s * s * 3.0)(2.0) == pytest.approx(12.0)  # a Python float argument
    # broadcasting inside: the gradient is summed back to the argument's shape
    b = RNG.standard_normal(6)
    close(tj.grad(lambda b, x: np.sum((x + b) ** 2))(b, x), np.sum(2 * (x + b), axis=0))


def test_closures_are_constants():
    x = RNG.standard_normal(3)
    # the same array closed over and passed: only the argument is differentiated
    close(tj.jit(lambda x: tj.grad(lambda y: np.sum(x * y))(x))(x), x)


def test_one_compilation_per_signature_and_lowered_program():
    f = lambda x: np.sum(np.tanh(x) ** 2)  # noqa: E731
    g = tj.grad(f)
    for _ in range(3):
        g(RNG.standard_normal(8))
    assert g.cache_info().compilations <= 1 and g.cache_info().traces == 1
    low = tj.jit(tj.grad(f)).lower(np.ones(8))
    text = low.as_text("optimized")
    assert "tanh" in text and "output" in text
    assert "copy(in" not in low.as_text("kernels")  # (the argument's alias copy is gone)
    graph = low.as_text("graph")  # the backward nodes carry the user's line
    assert "reciprocal" not in graph and "multiply" in graph and "test_autodiff_api.py" in graph


def test_errors():
    with pytest.raises(TypeError, match="scalar output"):
        tj.grad(lambda x: x * 2)(np.ones(3))
    with pytest.raises(TypeError, match="floating"):
        tj.grad(lambda x: np.sum(x))(np.arange(3))
    with pytest.raises(TypeError, match="floating"):
        tj.grad(lambda x: np.sum(x > 0))(np.ones(3))
    with pytest.raises(tj.UnsupportedError, match=r"cannot differentiate through scatter.*test_autodiff_api.py"):
        tj.grad(_power_at)(np.ones(3))


def _power_at(x):
    a = x * 2
    np.power.at(a, np.array([0, 0]), x[:2])
    return np.sum(a)


def test_integer_values_have_zero_derivative():
    x = RNG.standard_normal(5)
    f = lambda x: np.sum(x * np.floor(x) + (x > 0) * x + x.astype(np.int64))  # noqa: E731
    close(tj.grad(f)(x), np.floor(x) + (x > 0))


def test_more_errors_name_the_callers_line():
    with pytest.raises(TypeError, match=r"argument 0 must be floating point.*test_autodiff_api.py"):
        tj.grad(lambda x: np.sum(x * 1.0))(np.arange(3))
    with pytest.raises(TypeError, match="floating"):
        tj.grad(lambda x: x * 2.0)(3)  # a Python int
    with pytest.raises(TypeError, match="requires a real output"):
        tj.grad(lambda z: np.sum(z))(np.ones(2) + 1j)
    with pytest.raises(tj.UnsupportedError, match="jacrev of complex"):
        tj.jacrev(lambda z: z * 2)(np.ones(2) + 1j)
    with pytest.raises(ValueError, match="argnums 3 is out of range"):
        tj.grad(lambda x: np.sum(x), argnums=3)(np.ones(2))
    with pytest.raises(TypeError, match="pair"):
        tj.grad(lambda x: np.sum(x), has_aux=True)(np.ones(2))
    _, pull = tj.vjp(lambda x: x * 2, np.ones(3))
    with pytest.raises(ValueError, match="cotangent of shape"):
        pull(np.ones(4))
    with pytest.raises(ValueError, match="tangent of shape"):
        tj.jvp(lambda x: x * 2, (np.ones(3),), (np.ones(2),))


def test_misc_arguments():
    close(tj.grad(lambda x, scale=2.0: np.sum(x * scale))(np.ones(2), scale=3.0), [3.0, 3.0])
    close(tj.grad(lambda x, y: np.sum(y))(np.ones(2), np.ones(2)), [0.0, 0.0])  # no dependence: zeros
    close(tj.grad(lambda x, y: np.sum(x * y), argnums=-1)(np.ones(2), np.full(2, 3.0)), [1.0, 1.0])
    # a complex intermediate value (pairs of reals inside) is differentiated like any other
    close(tj.grad(lambda x: np.sum(np.exp(1j * x).real))(np.ones(2)), -np.sin(np.ones(2)))


def test_grad_inside_loops():
    a = np.array([[3.0, 0.5], [0.5, 1.0]])
    b = np.array([1.0, -2.0])
    loss = lambda x: 0.5 * x @ a @ x - b @ x  # noqa: E731

    @tj.jit
    def unrolled(x, lr):
        for _ in range(60):
            x = x - lr * tj.grad(loss)(x)
        return x

    @tj.jit
    def rolled(x, lr):
        return tj.fori_loop(0, 60, lambda i, x: x - lr * tj.grad(loss)(x), x)

    close(unrolled(np.zeros(2), 0.2), np.linalg.solve(a, b), rtol=1e-4)
    close(rolled(np.zeros(2), 0.2), unrolled(np.zeros(2), 0.2), rtol=1e-12)


def test_jacobians_of_pytrees():
    x, y = RNG.standard_normal(3), RNG.standard_normal(2)
    close(tj.jacrev(lambda x: x ** 2)(x), np.diag(2 * x))
    close(tj.jacfwd(lambda x: np.sum(x ** 2))(x), 2 * x)  # a scalar result: the gradient's shape

    def f(p, y):
        return {"a": p["u"] * np.sum(y), "b": np.sum(p["u"]) * y}

    p = {"u": x}
    for jac in (tj.jacfwd, tj.jacrev):
        j = jac(f, argnums=(0, 1))(p, y)
        assert j["a"][0]["u"].shape == (3, 3) and j["a"][1].shape == (3, 2) and j["b"][0]["u"].shape == (2, 3)
        close(j["a"][0]["u"], np.eye(3) * np.sum(y))
        close(j["a"][1], np.outer(x, np.ones(2)))
        close(j["b"][0]["u"], np.outer(y, np.ones(3)))
        close(j["b"][1], np.eye(2) * np.sum(x))
    h = tj.hessian(lambda p: np.sum(p["u"] ** 3) * 2.0)(p)
    close(h["u"]["u"], np.diag(12 * x))


def test_eager_mode_vjp_jvp_and_grad_of_a_called_jit():
    f = tj.jit(lambda x: np.sum(np.sin(x) ** 2))
    x = np.linspace(0, 1, 5)
    f(x)
    f(x)  # (a compiled signature with its direct call installed: tracers still inline)
    close(tj.grad(f)(x), 2 * np.sin(x) * np.cos(x))
    tj.config.disable_jit = True
    try:
        close(tj.grad(f)(x), 2 * np.sin(x) * np.cos(x))
        _, pull = tj.vjp(np.sin, x)
        close(pull(np.ones(5))[0], np.cos(x))
        close(tj.jvp(np.sin, (x,), (np.ones(5),))[1], np.cos(x))
        close(tj.jacfwd(np.sin)(x[:2]), np.diag(np.cos(x[:2])))
        z = x[1:3] + 1j * x[2:4]  # (not at Re z == 0: complex sin returns Re z itself there, for its sign)
        close(tj.grad(lambda z: np.sum(np.abs(z) ** 2))(z), 2 * np.conj(z))  # (complex results)
        close(tj.vjp(np.sin, z)[1](np.ones(2))[0], np.cos(z))
    finally:
        tj.config.disable_jit = False


def test_vjp_and_jvp_inside_jit():
    @tj.jit
    def g(x):
        out, pull = tj.vjp(lambda x: np.sin(x) * x, x)
        (ct,) = pull(np.ones_like(x))
        _, tangent = tj.jvp(np.tanh, (x,), (np.ones_like(x),))
        return out, ct, tangent

    x = RNG.standard_normal(4)
    out, ct, tangent = g(x)
    close(out, np.sin(x) * x)
    close(ct, np.cos(x) * x + np.sin(x))
    close(tangent, 1 - np.tanh(x) ** 2)


def test_complex_arguments_follow_jax_conventions():
    """grad of a real function of z is df/dx - 1j df/dy; vjp is linear in the cotangent
    (c * f'(z) for a holomorphic f); jvp of a holomorphic f is f'(z) * t."""
    z = np.array([1 + 2j, -0.5 + 0.3j])
    close(tj.grad(lambda z: np.sum(np.abs(z) ** 2))(z), 2 * np.conj(z))
    close(tj.grad(lambda z: np.abs(z) ** 2)(1 + 2j), 2 - 4j)  # a Python complex
    c = np.array([0.3 - 1j, 2 + 0.5j])
    derivative = np.cos(z) * z + np.sin(z)
    out, pull = tj.vjp(lambda z: np.sin(z) * z, z)
    close(out, np.sin(z) * z)
    close(pull(c)[0], c * derivative)
    t = np.array([1j, 1.0 + 0j])
    close(tj.jvp(lambda z: np.sin(z) * z, (z,), (t,))[1], derivative * t)
    close(tj.jit(lambda z: tj.grad(lambda z: np.sum((z * z).real))(z))(z), 2 * z)  # (x^2 - y^2: 2x + 2iy)


def test_nested_transforms_keep_their_variables_apart():
    """Perturbation confusion (Siskind & Pearlmutter): an inner transform's argument and the
    outer one's stay distinct, even for values the inner function closes over."""
    assert tj.grad(lambda x: x * tj.grad(lambda y: x + y)(1.0))(2.0) == pytest.approx(1.0)
    assert tj.jvp(lambda x: x * tj.jvp(lambda y: x + y, (1.0,), (1.0,))[1], (2.0,), (1.0,))[1] == pytest.approx(1.0)
    assert tj.grad(lambda x: tj.grad(lambda y: x * y * y)(x))(1.5) == pytest.approx(6.0)


def test_stop_gradient():
    x = RNG.standard_normal(5)

    def lse(x):  # the shift by the maximum is a constant: no tie mask in the gradient program
        m = tj.stop_gradient(np.max(x))
        return m + np.log(np.sum(np.exp(x - m)))

    close(tj.grad(lse)(x), np.exp(x) / np.sum(np.exp(x)))
    close(tj.grad(lambda x: np.sum(x * tj.stop_gradient(x)))(x), x)
    close(tj.jvp(lambda x: x * tj.stop_gradient(x), (x,), (np.ones(5),))[1], x)
    z = x[:2] + 1j * x[2:4]
    close(tj.grad(lambda z: np.sum((z * tj.stop_gradient(z)).real))(z), z)  # (Re(z c): c)
    assert tj.stop_gradient(x) is x  # outside a trace: the value itself
    assert "equal" not in tj.jit(tj.grad(lse)).lower(x).as_text("optimized")
    # a max-shift whose derivative cancels needs no stop_gradient (compiler/autodiff/shift.py);
    # one that does not cancel keeps the max's tie mask unless stopped
    assert "equal" not in tj.jit(tj.grad(FUNCTIONS["logsumexp"])).lower(x).as_text("optimized")
    assert "equal" in tj.jit(tj.grad(lambda x: np.sum(np.exp(x - np.max(x))))).lower(x).as_text("optimized")
    stopped = tj.grad(lambda x: np.sum(np.exp(x - tj.stop_gradient(np.max(x)))))
    assert "equal" not in tj.jit(stopped).lower(x).as_text("optimized")


def test_vjp_and_jvp_with_aux():
    f = lambda x: (np.sin(x), {"n": np.sum(x)})  # noqa: E731
    x = RNG.standard_normal(3)
    out, pull, aux = tj.vjp(f, x, has_aux=True)
    close(out, np.sin(x))
    close(aux["n"], np.sum(x))
    close(pull(np.ones(3))[0], np.cos(x))
    out, tangent, aux = tj.jvp(f, (x,), (np.ones(3),), has_aux=True)
    close(tangent, np.cos(x))
    close(aux["n"], np.sum(x))
    g = tj.jit(lambda x: tj.vjp(f, x, has_aux=True)[1](np.ones(3))[0])
    close(g(x), np.cos(x))


def test_host_calls_off_the_differentiated_path():
    f = lambda x, y: np.sum(x * np.fft.fft(y).real)  # noqa: E731  (np.fft runs as a host call)
    x, y = np.ones(4), np.arange(4.0)
    close(tj.grad(f)(x, y), np.fft.fft(y).real)
    close(tj.jit(tj.grad(f))(x, y), np.fft.fft(y).real)
    with pytest.raises(tj.UnsupportedError, match=r"through host \(numpy.fft.fft\).*test_autodiff_api.py"):
        tj.grad(lambda x: np.sum(np.fft.fft(x).real))(x)
    g = lambda x: np.sum(np.linalg.lstsq(np.eye(2) * 3 + x.reshape(2, 2), x[:2])[0])  # noqa: E731  (rules: adrules)
    close(tj.grad(g)(x), numeric_grad(g, x))
    with pytest.raises(tj.UnsupportedError, match=r"through numpy.linalg.qr"):  # (a wide matrix's QR)
        tj.grad(lambda x: np.sum(np.linalg.qr(x.reshape(2, 2)[:1])[1]))(x)


def test_static_and_needed_arguments_through_grad():
    x = np.full(4, 2.0)
    g = tj.jit(lambda x, n: np.sum(x ** n), static_argnames="n")
    close(tj.grad(g)(x, n=3), 3 * x ** 2)
    h = lambda x, n: np.sum(x[:n] ** 2)  # noqa: E731  (n's value is needed: made static)
    close(tj.grad(h)(x, 2), [4.0, 4.0, 0.0, 0.0])
    tj.config.disable_jit = True
    try:
        close(tj.grad(h)(x, 2), [4.0, 4.0, 0.0, 0.0])
        f = lambda x, y: np.sum(x * np.fft.fft(y).real)  # noqa: E731  (a host call, evaluated eagerly)
        close(tj.grad(f)(x, np.arange(4.0)), np.fft.fft(np.arange(4.0)).real)
    finally:
        tj.config.disable_jit = False
