"""tj.grad against jax.grad on the same functions (JAX is an optional dependency: skipped
when it is not installed). Each function is written once against an array namespace ``xp``."""
from __future__ import annotations

import numpy as np
import pytest

import tracejit as tj

jax = pytest.importorskip("jax")
jax.config.update("jax_enable_x64", True)
jnp = pytest.importorskip("jax.numpy")

FUNCTIONS = {
    "mlp": lambda xp, x: xp.sum(xp.tanh(x.reshape(3, 4) @ xp.ones((4, 2)) * 0.3) ** 2),
    "logsumexp": lambda xp, x: xp.max(x) + xp.log(xp.sum(xp.exp(x - xp.max(x)))),
    "relu_ties": lambda xp, x: xp.sum(xp.maximum(xp.round(x), 0.0) + xp.maximum(x, x)),
    "max_ties": lambda xp, x: xp.max(xp.concatenate([x, x])),
    "prod_zero": lambda xp, x: xp.prod(xp.where(x > 0.5, 0.0, x)),
    "power": lambda xp, x: xp.sum(xp.abs(x) ** 2.5),
    "var_std": lambda xp, x: xp.var(x) + xp.std(x),
    "where": lambda xp, x: xp.sum(xp.where(x > 0, xp.sin(x), x ** 3)),
    "slices": lambda xp, x: xp.sum(x[::-2] * x[1::2]) + xp.sum(x.reshape(3, 4).T[:, 1]),
    "clip": lambda xp, x: xp.sum(xp.clip(x, -0.3, 0.3) * x),
}


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_grad_matches_jax(name):
    f = FUNCTIONS[name]
    x = np.random.default_rng(7).uniform(-1, 1, 12)
    ours = tj.grad(lambda x: f(np, x))(x)
    theirs = np.asarray(jax.grad(lambda x: f(jnp, x))(jnp.asarray(x)))
    np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)


# conventions at special points, which JAX documents or implements
EDGES = {
    "abs_at_0": (lambda xp, x: xp.sum(xp.abs(x)), [0.0, 1.0, -1.0]),
    "sqrt_at_0": (lambda xp, x: xp.sum(xp.sqrt(x)), [0.0, 1.0]),
    "cbrt_at_0": (lambda xp, x: xp.sum(xp.cbrt(x)), [0.0, 1.0]),
    "sign": (lambda xp, x: xp.sum(xp.sign(x) * x), [0.0, 1.0]),
    "min_ties": (lambda xp, x: xp.min(x), [1.0, 1.0, 2.0]),
    "minimum_ties": (lambda xp, x: xp.sum(xp.minimum(x, 1.0)), [1.0, 0.5, 2.0]),
    "fmax_nan": (lambda xp, x: xp.sum(xp.fmax(x, xp.asarray([np.nan, 0.5]))), [0.3, 1.0]),
    "prod_two_zeros": (lambda xp, x: xp.prod(x), [0.0, 0.0, 2.0]),
    "prod_one_zero": (lambda xp, x: xp.prod(x), [0.0, 3.0, 2.0]),
    "remainder_fmod": (lambda xp, x: xp.sum(xp.remainder(x, 0.7) + xp.fmod(x, 0.6)), [1.5, -1.0]),
    "copysign": (lambda xp, x: xp.sum(xp.copysign(x, -x)), [1.5, -1.0]),
    "heaviside": (lambda xp, x: xp.sum(xp.heaviside(x, 0.5) * x), [0.0, 1.0]),
    "arctan2": (lambda xp, x: xp.sum(xp.arctan2(x, x + 1)), [0.0, 1.0]),
    "batch_matmul": (lambda xp, x: xp.sum(xp.matmul(x.reshape(2, 1, 1, 3), xp.ones((4, 3, 2))) ** 2),
                     [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]),
}


@pytest.mark.parametrize("name", sorted(EDGES))
def test_conventions_match_jax(name):
    f, x = EDGES[name]
    x = np.asarray(x)
    ours = tj.grad(lambda x: f(np, x))(x)
    theirs = np.asarray(jax.grad(lambda x: f(jnp, x))(jnp.asarray(x)))
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12)


COMPLEX = {
    "abs2": lambda xp, z: xp.sum(xp.abs(z) ** 2),
    "real_exp": lambda xp, z: xp.sum(xp.exp(z).real * z.imag),
    "angle_mix": lambda xp, z: xp.sum(xp.abs(z * z + 1j) + (z.conj() * z).real),
}


@pytest.mark.parametrize("name", sorted(COMPLEX))
def test_complex_grad_matches_jax(name):
    f = COMPLEX[name]
    z = np.array([1 + 2j, -0.5 + 0.3j, 0.2 - 0.7j])
    ours = tj.grad(lambda z: f(np, z))(z)
    theirs = np.asarray(jax.grad(lambda z: f(jnp, z))(jnp.asarray(z)))
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12)


def test_complex_vjp_jvp_match_jax():
    z, c, t = np.array([1 + 2j, -0.5 + 0.3j]), np.array([0.3 - 1j, 2 + 0.5j]), np.array([1j, 1.0 + 0j])
    f = lambda xp: (lambda z: xp.sin(z) * z + xp.conj(z) * 0.5)  # noqa: E731  (not holomorphic)
    _, pull = tj.vjp(f(np), z)
    _, jpull = jax.vjp(f(jnp), jnp.asarray(z))
    np.testing.assert_allclose(pull(c)[0], np.asarray(jpull(jnp.asarray(c))[0]), rtol=1e-12)
    ours = tj.jvp(f(np), (z,), (t,))[1]
    theirs = jax.jvp(f(jnp), (jnp.asarray(z),), (jnp.asarray(t),))[1]
    np.testing.assert_allclose(ours, np.asarray(theirs), rtol=1e-12)
