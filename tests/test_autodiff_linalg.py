"""Derivatives of numpy.linalg's LAPACK functions (rules of the ``lapack`` op,
``compiler/ops/lapack.py``): solve, inv, det, slogdet, cholesky, eigh, in both modes, batched, inside
losses and loops, eigh, against central finite differences of NumPy's own functions (float64,
relative 1e-6)."""
from __future__ import annotations

import numpy as np
import pytest

import tracejit as tj
from tests.gradcheck import close, numeric_grad
from tracejit.errors import UnsupportedError

RNG = np.random.default_rng(1808)


def check_both_modes(f, x):
    expect = numeric_grad(f, x)
    close(tj.grad(f)(x), expect)
    close(tj.jit(tj.grad(f))(x), expect)
    t = RNG.uniform(-1, 1, x.shape)
    value, tangent = tj.jvp(f, (x,), (t,))
    close(value, f(x), 1e-10)
    close(tangent, float(np.sum(expect * t)))


def well_conditioned(*batch: int, n: int = 4) -> np.ndarray:
    return RNG.normal(size=batch + (n, n)) + 3 * np.eye(n)


W = RNG.normal(size=(4, 4))
B = RNG.normal(size=(4, 2))
V = RNG.normal(size=4)

FUNCTIONS = {
    "solve_vector": lambda a: np.sum(np.linalg.solve(a, V) ** 2),
    "solve_matrix": lambda a: np.sum(np.sin(np.linalg.solve(a, B))),
    "solve_rhs": lambda a: np.sum(np.linalg.solve(W + 4 * np.eye(4), a) * a),
    "inv": lambda a: np.sum(np.linalg.inv(a) * W),
    "inv_twice": lambda a: np.sum(np.linalg.inv(np.linalg.inv(a) @ a + a) ** 2),
    "cholesky": lambda a: np.sum(np.linalg.cholesky(a @ a.T + np.eye(4)) * W),
    "cholesky_upper": lambda a: np.sum(np.linalg.cholesky(a @ a.T + np.eye(4), upper=True) * W),
    # (squared eigenvectors: their signs are LAPACK's choice)
    "eigh_values": lambda a: np.sum(np.linalg.eigh(a + a.T)[0] * np.arange(1.0, 5.0)),
    "eigh_vectors": lambda a: np.sum(np.linalg.eigh(a + a.T)[1] ** 2 * W),
    "eigh_upper": lambda a: np.sum(np.linalg.eigh(a @ a.T, UPLO="U")[1] ** 2 * W)
    + np.sum(np.linalg.eigh(a @ a.T, UPLO="U")[0] ** 2),
}
CUMSUM = {
    "det": lambda a: np.linalg.det(a),
    "slogdet": lambda a: np.linalg.slogdet(a)[1] * 2.0 + np.linalg.slogdet(a)[0],
    "det_of_inverse": lambda a: np.linalg.det(np.linalg.inv(a) + W * 0.1),
}


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_linalg_against_finite_differences(name):
    check_both_modes(FUNCTIONS[name], well_conditioned())


@pytest.mark.parametrize("name", sorted(CUMSUM))
def test_determinants_against_finite_differences(name):
    a = well_conditioned()
    check_both_modes(CUMSUM[name], a)
    check_both_modes(CUMSUM[name], -a)  # a negative determinant, pivoting


def test_logdet_gradient_is_inverse_transpose():
    a = well_conditioned()
    close(tj.grad(lambda m: np.linalg.slogdet(m)[1])(a), np.linalg.inv(a).T)


def test_batched():
    a = well_conditioned(2, 3)
    check_both_modes(lambda m: np.sum(np.linalg.solve(m, B) ** 2) + np.sum(np.linalg.inv(m)[..., 0, :]), a)
    x = RNG.normal(size=(2, 4, 4))
    check_both_modes(lambda m: np.sum(np.linalg.cholesky(m @ np.swapaxes(m, -1, -2) + np.eye(4)) ** 3), x)
    check_both_modes(lambda m: np.sum(np.linalg.eigh(m + np.swapaxes(m, -1, -2))[1] ** 2 * W), x)


def test_solve_both_arguments():
    a, b = well_conditioned(), RNG.normal(size=(4, 3))
    ga, gb = tj.grad(lambda m, r: np.sum(np.linalg.solve(m, r) ** 2), argnums=(0, 1))(a, b)
    close(ga, numeric_grad(lambda m: np.sum(np.linalg.solve(m, b) ** 2), a))
    close(gb, numeric_grad(lambda r: np.sum(np.linalg.solve(a, r) ** 2), b))


def ridge_loss(w, X, y, lam):
    """The validation error of a ridge fit whose features are scaled by ``w``: a solve in a loss."""
    Xw = X * w
    coef = np.linalg.solve(Xw.T @ Xw + lam * np.eye(X.shape[1]), Xw.T @ y)
    return np.mean((Xw @ coef - y * 1.1) ** 2)


def test_solve_inside_a_loss():
    X, y = RNG.normal(size=(20, 5)), RNG.normal(size=20)
    w = RNG.uniform(0.5, 1.5, 5)
    f = lambda v: ridge_loss(v, X, y, 0.3)  # noqa: E731
    check_both_modes(f, w)
    close(tj.grad(tj.jit(f))(w), numeric_grad(f, w))


def test_solve_in_a_loop():
    """Newton steps on a small nonlinear system, each a solve, inside a fori_loop."""
    def newton(p):
        def step(i, x):
            jac = np.diag(3 * x ** 2) + p.reshape(3, 3)
            r = x ** 3 + p.reshape(3, 3) @ x - 1.0
            return x - np.linalg.solve(jac, r)
        return np.sum(tj.fori_loop(0, 4, step, np.ones(3)) ** 2)
    p = (np.eye(3) * 2 + RNG.normal(size=(3, 3)) * 0.1).reshape(-1)
    check_both_modes(newton, p)


def test_hessian_of_logdet_free_solve():
    a = well_conditioned(n=3)
    f = lambda m: np.sum(np.linalg.inv(m) ** 2)  # noqa: E731
    h = tj.hessian(f)(a).reshape(9, 9)
    expect = np.stack([numeric_grad(lambda v, i=i: tj.grad(f)(v).reshape(-1)[i], a, 1e-5).reshape(-1)
                       for i in range(9)])
    np.testing.assert_allclose(h, expect, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("fn, name", [(lambda m: np.sum(np.linalg.qr(m[:2])[1]), "qr"),
                                      (lambda m: np.sum(np.linalg.qr(m[:, :2], mode="complete")[0]), "qr")])
def test_no_rule_yet_names_function_and_line(fn, name):  # (eigvalsh, qr, lstsq: test_autodiff_qr_lstsq.py)
    with pytest.raises(UnsupportedError, match=rf"numpy.linalg.{name}.*test_autodiff_linalg.py:\d+"):
        tj.grad(fn)(well_conditioned())


def test_two_products_in_one_expression():
    """Regression (passes/fusion.py): two matmuls whose epilogue chains meet in one
    elementwise expression (dgetrf's rules build ``L @ X * mask + X * mask @ U``) were both
    made that expression's product: 'node (matmul) must have a buffer'."""
    a, b = RNG.normal(size=(5, 5)), RNG.normal(size=(1, 5, 5))
    m = np.tril(np.ones((5, 5)), -1)
    for f, x in ((lambda p, q: (p @ q) * 2.0 + (q @ p) * 3.0, a), (lambda p, q: (p @ q) * m + (q @ p) * m, b)):
        np.testing.assert_allclose(tj.jit(f)(x, x + 1.0), f(x, x + 1.0), rtol=1e-12, atol=1e-12)
