"""Derivatives of numpy.linalg.qr, lstsq and eigvalsh (``compiler/ops/lapack.py``,
``compiler/ops/lstsq_rules.py``) and of generalized loops (``frontend/probe.py``) under a
transform: reverse and forward mode against central differences of NumPy's own functions
(float64, relative 1e-6) and against each other, eagerly and under ``tj.jit``, batched,
float32, second order, against ``jax.grad`` where JAX is installed, and the cases still
refused."""
from __future__ import annotations

import numpy as np
import pytest

import tracejit as tj
from tests.gradcheck import close, numeric_grad
from tracejit.errors import UnsupportedError

RNG = np.random.default_rng(1818)
W = RNG.normal(size=(7, 7))
B6 = RNG.normal(size=(6, 2))
V6 = RNG.normal(size=6)


def check_both_modes(f, x, rtol=1e-6):
    """grad eagerly and jitted and jvp against central differences; jacfwd against jacrev."""
    expect = numeric_grad(f, x)
    reverse = tj.grad(f)(x)
    close(reverse, expect, rtol)
    close(tj.jit(tj.grad(f))(x), expect, rtol)
    t = RNG.uniform(-1, 1, x.shape)
    value, tangent = tj.jvp(f, (x,), (t,))
    close(value, f(x), 1e-10)
    close(tangent, float(np.sum(expect * t)), rtol)
    close(tangent, float(np.sum(reverse * t)), 1e-9)  # the two modes agree to rounding


def check_hessian(f, x):
    h = tj.hessian(f)(x).reshape(x.size, x.size)
    expect = np.stack([numeric_grad(lambda v, i=i: tj.grad(f)(v).reshape(-1)[i], x, 1e-5).reshape(-1)
                       for i in range(x.size)])
    np.testing.assert_allclose(h, expect, rtol=1e-5, atol=1e-5 * max(1.0, float(np.abs(expect).max())))


def rank2(m, n):
    return RNG.normal(size=(m, 2)) @ RNG.normal(size=(2, n))


# -- each written once against an array namespace (NumPy here, jax.numpy below)
FUNCTIONS = {
    # QR (reduced, m >= n): Q and R as LAPACK's Householder QR gives them (R's diagonal of either sign)
    "qr_q": (lambda xp, a: xp.sum(xp.linalg.qr(a)[0] * W[:6, :4]), (6, 4)),
    "qr_r": (lambda xp, a: xp.sum(xp.linalg.qr(a)[1] ** 2 * W[:4, :4]), (6, 4)),
    "qr_both": (lambda xp, a: xp.sum(xp.sin(xp.linalg.qr(a)[0])) + xp.sum(xp.linalg.qr(a)[1] * W[:4, :4]), (6, 4)),
    "qr_square": (lambda xp, a: xp.sum(xp.linalg.qr(a)[0] * W[:5, :5]) + xp.sum(xp.linalg.qr(a)[1] ** 3), (5, 5)),
    "qr_r_only": (lambda xp, a: xp.sum(xp.linalg.qr(a, mode="r") * W[:3, :3]), (6, 3)),
    "qr_complete_square": (lambda xp, a: xp.sum(xp.linalg.qr(a, mode="complete")[0] * W[:4, :4]), (4, 4)),
    "qr_column": (lambda xp, a: xp.sum(xp.linalg.qr(a)[0] * W[:5, :1]) + xp.sum(xp.linalg.qr(a)[1]), (5, 1)),
    "eigvalsh": (lambda xp, a: xp.sum(xp.linalg.eigvalsh(a + a.T) * xp.arange(1.0, 5.0)), (4, 4)),
    "eigvalsh_upper": (lambda xp, a: xp.sum(xp.linalg.eigvalsh(a @ a.T, UPLO="U") ** 2), (4, 4)),
    # lstsq at full rank: overdetermined (the QR path), square, underdetermined (LQ), vector right-hand side
    "lstsq_tall": (lambda xp, a: xp.sum(xp.sin(xp.linalg.lstsq(a, B6, rcond=None)[0])), (6, 4)),
    "lstsq_square": (lambda xp, a: xp.sum(xp.linalg.lstsq(a, B6[:4], rcond=None)[0] ** 2), (4, 4)),
    "lstsq_wide": (lambda xp, a: xp.sum(xp.linalg.lstsq(a, V6[:3], rcond=None)[0] * xp.arange(1.0, 6.0)), (3, 5)),
    "lstsq_residuals": (lambda xp, a: xp.sum(xp.linalg.lstsq(a, B6, rcond=None)[1]), (6, 3)),
    "lstsq_rhs": (lambda xp, b: xp.sum(xp.linalg.lstsq(W[:6, :4] + 2 * xp.eye(6, 4), b, rcond=None)[0] ** 3), (6, 2)),
    "lstsq_singular_values": (lambda xp, a: xp.sum(xp.linalg.lstsq(a, V6, rcond=None)[3] * xp.arange(1.0, 5.0)),
                              (6, 4)),
}


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_against_finite_differences(name):
    f, shape = FUNCTIONS[name]
    check_both_modes(lambda a: f(np, a), RNG.normal(size=shape))


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_against_jax(name):
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    jnp = pytest.importorskip("jax.numpy")
    f, shape = FUNCTIONS[name]
    x = RNG.normal(size=shape)
    ours = tj.grad(lambda a: f(np, a))(x)
    theirs = np.asarray(jax.grad(lambda a: f(jnp, a))(jnp.asarray(x)))
    close(ours, theirs, 1e-8)


def test_lstsq_general_path_and_rank_deficiency():
    """dgelsd itself (an aspect ratio over 2), with residuals; and a rank-2 matrix whose
    perturbations stay below ``rcond`` (the truncated pseudo-inverse's derivative)."""
    b = RNG.normal(size=30)
    check_both_modes(lambda a: np.sum(np.linalg.lstsq(a, b)[0] ** 2) + np.sum(np.linalg.lstsq(a, b)[1]),
                     RNG.normal(size=(30, 5)))
    for m, n in ((6, 4), (4, 6), (5, 5)):
        rhs = RNG.normal(size=(m, 2))
        f = lambda a: np.sum(np.sin(np.linalg.lstsq(a, rhs, rcond=1e-3)[0]))  # noqa: E731
        a = rank2(m, n)
        assert np.linalg.lstsq(a, rhs, rcond=1e-3)[2] == 2
        check_both_modes(f, a, 1e-5)


def test_lstsq_both_arguments_and_rank_output():
    a, b = RNG.normal(size=(6, 3)), RNG.normal(size=6)

    def f(m, r):
        x, res, rank, s = np.linalg.lstsq(m, r)
        return np.sum(x ** 2) + np.sum(res) * rank + np.sum(s)  # (rank: an integer factor, no derivative)
    ga, gb = tj.grad(f, argnums=(0, 1))(a, b)
    close(ga, numeric_grad(lambda m: f(m, b), a))
    close(gb, numeric_grad(lambda r: f(a, r), b))


def test_batched_qr_and_eigvalsh():
    x = RNG.normal(size=(2, 3, 5, 4))
    check_both_modes(lambda a: np.sum(np.linalg.qr(a)[0] * W[:5, :4]) + np.sum(np.linalg.qr(a)[1] ** 2), x)
    s = RNG.normal(size=(3, 4, 4))
    check_both_modes(lambda a: np.sum(np.linalg.eigvalsh(a + np.swapaxes(a, -1, -2)) ** 2), s)


def test_float32():
    """float32 inputs: NumPy computes in float64 and rounds; derivatives within float32's accuracy."""
    for name in ("qr_both", "eigvalsh", "lstsq_tall", "lstsq_residuals"):
        f, shape = FUNCTIONS[name]
        x = RNG.normal(size=shape)
        g = tj.grad(lambda a: f(np, a))(x.astype(np.float32))
        assert g.dtype == np.float32
        close(g, numeric_grad(lambda a: f(np, a), x), 1e-4)
        close(tj.jit(tj.grad(lambda a: f(np, a)))(x.astype(np.float32)), g, 1e-5)


SECOND_ORDER = {  # (small: a Hessian is one product per element)
    "qr": (lambda a: np.sum(np.linalg.qr(a)[0] * W[:3, :2]) + np.sum(np.linalg.qr(a)[1] ** 2), (3, 2)),
    "eigvalsh": (lambda a: np.sum(np.linalg.eigvalsh(a + a.T) ** 3), (3, 3)),
    "lstsq_tall": (lambda a: np.sum(np.linalg.lstsq(a, V6[:3])[0] ** 2) + np.sum(np.linalg.lstsq(a, V6[:3])[1]),
                   (3, 2)),
    "lstsq_wide": (lambda a: np.sum(np.linalg.lstsq(a, V6[:2])[0] ** 3), (2, 3)),
}


@pytest.mark.parametrize("name", [pytest.param(k, marks=pytest.mark.slow) if k == "lstsq_tall" else k
                                  for k in sorted(SECOND_ORDER)])  # (lstsq_tall: 80 s on a loaded machine)
def test_second_order(name):
    f, shape = SECOND_ORDER[name]
    check_hessian(f, RNG.normal(size=shape))


def test_inside_a_loss_and_jit():
    """Least squares fitted inside a loss over feature weights (grad of jit, jit of grad)."""
    X, y = RNG.normal(size=(12, 3)), RNG.normal(size=12)

    def loss(w):
        coef = np.linalg.lstsq(X * w, y, rcond=None)[0]
        q, _ = np.linalg.qr(X * w)
        return np.sum((X @ coef - y) ** 2) + np.sum(q[:, 0] * y)
    w = RNG.uniform(0.5, 1.5, 3)
    check_both_modes(loss, w)
    close(tj.grad(tj.jit(loss))(w), numeric_grad(loss, w))


@pytest.mark.parametrize("fn, why", [
    (lambda m: np.sum(np.linalg.qr(m, mode="complete")[0]), "numpy.linalg.qr.*complete"),
    (lambda m: np.sum(np.linalg.qr(m.T)[1]), "numpy.linalg.qr.*fewer rows than columns"),
    (lambda m: np.sum(np.linalg.qr(m.T)[0]), "numpy.linalg.qr.*fewer rows than columns"),
])
def test_unsupported_names_function_and_line(fn, why):
    x = RNG.normal(size=(5, 3))
    for g in (tj.grad(fn), tj.jit(tj.grad(fn))):
        with pytest.raises(UnsupportedError, match=rf"{why}.*test_autodiff_qr_lstsq.py:\d+"):
            g(x)
    with pytest.raises(UnsupportedError, match=rf"{why}.*test_autodiff_qr_lstsq.py:\d+"):
        tj.jvp(fn, (x,), (x,))


def test_second_derivative_of_singular_values_is_refused():
    f = lambda a: np.sum(np.linalg.lstsq(a, V6)[3] ** 2)  # noqa: E731
    with pytest.raises(UnsupportedError, match=r"numpy.linalg.lstsq.*singular values.*test_autodiff_qr_lstsq.py:\d+"):
        tj.hessian(f)(RNG.normal(size=(6, 3)))


# -- generalized loops (frontend/probe.py): a loop whose slices depend on the index

def trisolve(low, b):
    x = np.zeros_like(b)
    for i in range(b.shape[0]):
        x[i] = (b[i] - low[i, :i] @ x[:i]) / low[i, i]
    return x


def _ops(graph) -> set:
    return {graph.op(n) for n in graph.topo_order()}


def test_generalized_loop_unrolls_when_differentiated():
    b = np.arange(1.0, 9.0)
    low = np.tril(RNG.normal(size=(8, 8))) + 4 * np.eye(8)
    solve = tj.jit(lambda m: trisolve(m, b))
    assert "gfor" in _ops(solve.lower(low).traced.graph)  # generalized when not differentiated
    f = lambda m: np.sum(np.sin(trisolve(m, b)))  # noqa: E731
    check_both_modes(f, low)
    assert "gfor" not in _ops(tj.jit(tj.grad(f)).lower(low).traced.graph)
    g = lambda v: np.sum(trisolve(low, v) ** 2)  # noqa: E731  (the right-hand side differentiated)
    check_both_modes(g, b)
    # a loop off the differentiated path stays generalized
    h = lambda m: np.sum(trisolve(low, b) * m[:, 0] ** 2)  # noqa: E731
    check_both_modes(h, low)
    assert "gfor" in _ops(tj.jit(tj.grad(h)).lower(low).traced.graph)
    close(tj.jacfwd(lambda m: trisolve(m, b))(low), tj.jacrev(lambda m: trisolve(m, b))(low), 1e-10)


def test_under_disable_jit():
    """The derivative programs evaluated by the ops' NumPy references (the marker's dlacpy included)."""
    b = RNG.normal(size=5)
    f = lambda a: (np.sum(np.linalg.lstsq(a, b)[0] ** 2) + np.sum(np.linalg.qr(a)[0][:, 0])  # noqa: E731
                   + np.sum(np.linalg.eigvalsh(a.T @ a)))
    a = RNG.normal(size=(5, 3))
    tj.config.disable_jit = True
    try:
        close(tj.grad(f)(a), numeric_grad(f, a))
    finally:
        tj.config.disable_jit = False
