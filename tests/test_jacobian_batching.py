"""tj.jacfwd / tj.jacrev / tj.hessian build each product once: batched over all basis vectors
(``compiler/autodiff/batching.py``) or, where an op has no batching rule, a loop over them.
Both ways (the loop forced too) against central differences and against JAX (when installed),
and the traced program's size independent of the number of basis vectors."""
from __future__ import annotations

import numpy as np
import pytest

import tracejit as tj
from benchmarks.jacobian_size import graph_size, mlp
from tests.gradcheck import close
from tracejit.frontend import jacobians

RNG = np.random.default_rng(1919)
A = RNG.standard_normal((5, 12))
B3 = RNG.standard_normal((2, 4, 3))
IDX = np.array([3, 0, 0, 7, 11])


def numeric_jacobian(f, x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Central differences of every result element in every element of ``x``."""
    x = np.asarray(x, dtype=np.float64)
    cols = []
    for i in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[i] += eps
        down[i] -= eps
        cols.append((np.asarray(f(up)) - np.asarray(f(down))) / (2 * eps))
    out = np.stack(cols, axis=-1)
    return out.reshape(np.shape(f(x)) + x.shape)


# functions of a 12-element vector, each reaching one or more batching rules
FUNCTIONS = {
    "elementwise": lambda x: np.sin(x) * np.exp(-x) + np.where(x > 0, x ** 2, -x),
    "matvec": lambda x: A @ np.tanh(x),  # a constant matrix @ a batched vector
    "vecmat": lambda x: np.tanh(x[:5]) @ A,  # a batched vector @ a constant matrix
    "bilinear": lambda x: x.reshape(3, 4) @ x.reshape(4, 3),  # both operands active
    "batched_matmul": lambda x: np.concatenate([(B3 @ x[:3]).ravel(), (B3 @ np.sin(x).reshape(3, 4)).ravel(),
                                                (x.reshape(2, 2, 3) @ B3[0].T @ x[:4].reshape(4, 1)).ravel()]),
    "reductions": lambda x: np.concatenate([np.sum(x.reshape(3, 4) ** 2, axis=0), np.max(x.reshape(3, 4), axis=1),
                                            np.mean(x, keepdims=True)]),
    "views": lambda x: (x.reshape(3, 4).T[::2, 1:] * 2.0).ravel(),
    "broadcast": lambda x: (x[:4, None] * x[None, 4:8] + np.broadcast_to(x[8:], (4, 4))).ravel(),
    "diag_cumsum": lambda x: np.concatenate([np.diagonal(x.reshape(3, 4), 1),
                                             np.cumsum(x.reshape(3, 4), axis=1).ravel(), np.ones(2)]),
    "gather": lambda x: x[IDX] ** 2,  # no batching rule: the loop
    "fori": lambda x: tj.fori_loop(0, 3, lambda i, c: np.sin(c) * x, x),  # no batching rule: the loop
}


@pytest.fixture(params=["batched", "loop"])
def mode(request, monkeypatch):
    """Batch where every op has a rule (the default), or force the loop for all."""
    monkeypatch.setattr(jacobians, "BATCHED", request.param == "batched")
    return request.param


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_jacobians_match_finite_differences(name, mode):
    f = FUNCTIONS[name]
    x = RNG.uniform(-1, 1, 12)
    expect = numeric_jacobian(f, x)
    close(tj.jacrev(f)(x), expect, 1e-6)
    close(tj.jacfwd(f)(x), expect, 1e-6)
    if mode == "batched":  # batched unless an op has no batching rule
        assert bool(tj.jacrev(f).lower(x).traced.graph.nodes_with_op("while")) == (name in ("gather", "fori"))


def test_jit_grad_and_hessian_of_jacobians(mode):
    x = RNG.uniform(-1, 1, 12)
    f = FUNCTIONS["matvec"]
    close(tj.jit(tj.jacrev(f))(x), numeric_jacobian(f, x))
    scalar = lambda x: np.sum(np.tanh(A @ x) ** 2) + np.sum(x[IDX] ** 3)  # noqa: E731
    expect = numeric_jacobian(lambda v: numeric_jacobian(scalar, v, 1e-4), x, 1e-4)
    close(tj.hessian(scalar)(x), expect, 1e-5)
    close(tj.jacrev(tj.jacrev(scalar))(x), expect, 1e-5)
    # reverse over jacrev: d/dx of sum(J(x) ** 2)
    g = tj.grad(lambda v: np.sum(tj.jacrev(FUNCTIONS["elementwise"])(v) ** 2))(x)
    close(g, numeric_jacobian(lambda v: np.sum(numeric_jacobian(FUNCTIONS["elementwise"], v) ** 2), x, 1e-4), 1e-5)


def test_pytrees_several_argnums_and_float32(mode):
    rng = np.random.default_rng(3)
    x, w1, b1, w2, b2 = (rng.standard_normal(6), rng.standard_normal((6, 5)), rng.standard_normal(5),
                         rng.standard_normal((5, 3)), rng.standard_normal(3))
    for jac in (tj.jacfwd, tj.jacrev):
        jx, jw1 = jac(mlp, argnums=(0, 1))(x, w1, b1, w2, b2)
        close(jx, numeric_jacobian(lambda v: mlp(v, w1, b1, w2, b2), x))
        close(jw1, numeric_jacobian(lambda v: mlp(x, v, b1, w2, b2), w1))
        j32 = jac(lambda v: np.tanh(v * np.float32(2.0)))(x.astype(np.float32))
        assert j32.dtype == np.float32
        close(j32, np.diag(2 / np.cosh(2 * x) ** 2), 1e-5)
        d = jac(lambda p: {"s": np.sum(p["a"] * p["b"]), "v": p["a"] ** 2})({"a": x[:3], "b": x[3:]})
        close(d["s"]["a"], x[3:])
        close(d["v"]["b"], np.zeros((3, 3)))
        close(d["v"]["a"], np.diag(2 * x[:3]))


def test_matches_jax():
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    jnp = jax.numpy
    rng = np.random.default_rng(5)
    args = (rng.standard_normal(16), rng.standard_normal((16, 32)) / 4, rng.standard_normal(32),
            rng.standard_normal((32, 16)) / 6, rng.standard_normal(16))

    def jax_mlp(x, w1, b1, w2, b2):
        return jnp.tanh(x @ w1 + b1) @ w2 + b2

    for ours, theirs in ((tj.jacfwd, jax.jacfwd), (tj.jacrev, jax.jacrev)):
        got = ours(mlp, argnums=(0, 3))(*args)
        want = theirs(jax_mlp, argnums=(0, 3))(*args)
        for g, w in zip(got, want):
            close(g, np.asarray(w), 1e-12)
    hess = tj.hessian(lambda x, *p: np.sum(mlp(x, *p) ** 2))(*args)
    close(hess, np.asarray(jax.hessian(lambda x, *p: jnp.sum(jax_mlp(x, *p) ** 2))(*args)), 1e-12)


@pytest.mark.parametrize("kind", ["jacfwd", "jacrev", "hessian"])
@pytest.mark.parametrize("name", ["mlp", "gather"])
def test_program_size_does_not_grow_with_the_basis(kind, name):
    """Traced nodes (sub-graphs included) for 4 and 64 basis vectors: the same; kernels too,
    up to fusion's size-dependent choices (before: 16 times as many for 64)."""
    def fun(x):
        if name == "gather":
            return np.sin(x)[np.arange(x.size)[::-1]] * x
        return np.tanh(x @ np.ones((x.size, 8))) @ np.ones((8, x.size))
    transform = {"jacfwd": tj.jacfwd, "jacrev": tj.jacrev, "hessian": lambda f: tj.hessian(lambda x: np.sum(f(x)))}
    sizes = []
    for n in (4, 64):
        x = np.linspace(-1, 1, n)
        low = transform[kind](fun).lower(x)
        sizes.append((graph_size(low.traced.graph), len(low.kernels)))
        assert low.traced.graph.nodes_with_op("while") if name == "gather" else True
    assert sizes[0][0] == sizes[1][0]  # traced nodes: equal
    assert sizes[1][1] <= sizes[0][1] + 2  # kernels: fusion may split one more for larger arrays
