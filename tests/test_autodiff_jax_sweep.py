"""tj.grad / tj.value_and_grad / tj.jvp against jax.grad / jax.jvp on functions of several arguments
(issue 18's differential test; jax is an optional dependency: skipped when absent). The
h5-autodiff branch's tests/test_autodiff_jax.py covers one-argument functions, the conventions at
special points and complex values; this file: several arguments with broadcasting, pytrees,
float32, the eager path and forward mode.

Each function is written once against an array namespace ``xp`` and run with ``numpy``
(traced by tracejit) and ``jax.numpy``: elementwise chains, reductions, matrix products,
broadcasting, softmax, logsumexp, ``where``, ``maximum`` (ties included: both split the
derivative evenly), slicing and reshapes. Gradients with respect to every argument, float64
(relative 1e-10) and, on a subset, float32 (relative 2e-4), compiled (``tj.jit(tj.value_and_grad)``)
and eagerly (``disable_jit``, with ``tj.jvp`` against ``jax.jvp``).
"""
from __future__ import annotations

import os
import zlib

import numpy as np
import pytest

import tracejit as tj

os.environ.setdefault("JAX_PLATFORMS", "cpu")
jax = pytest.importorskip("jax", reason="jax is not installed (optional: pip install jax) - no differential test")
jnp = pytest.importorskip("jax.numpy")
jax.config.update("jax_enable_x64", True)

RNG = np.random.default_rng(1802)


def _logsumexp(xp, x, axis):
    m = xp.max(x, axis=axis, keepdims=True)
    return xp.squeeze(m, axis) + xp.log(xp.sum(xp.exp(x - m), axis=axis))


def _softmax(xp, x):
    e = xp.exp(x - xp.max(x, axis=-1, keepdims=True))
    return e / xp.sum(e, axis=-1, keepdims=True)


# name -> (f(xp, *args) -> scalar, argument shapes)
FUNCTIONS = {
    "elementwise_chain": (lambda xp, a: xp.sum(xp.tanh(xp.sin(a) * xp.exp(-a * a) + xp.cos(a) ** 2) / (1 + a * a)),
                          [(7,)]),
    "log_sqrt_chain": (lambda xp, a: xp.sum(xp.log1p(a * a) * xp.sqrt(1.5 + a) - xp.expm1(a / 3)), [(3, 4)]),
    "binary_broadcast": (lambda xp, a, b: xp.sum((a * b - b / (2 + a * a)) ** 2), [(3, 1), (4,)]),
    "broadcast_scalar_row": (lambda xp, a, b, c: xp.mean(a * b + c ** 2 * a), [(2, 3, 4), (3, 1), ()]),
    "reductions": (lambda xp, a: xp.sum(xp.mean(a, axis=0) ** 2) + xp.prod(xp.max(a, axis=1))
                   - xp.sum(xp.min(a, axis=0, keepdims=True) * a), [(4, 5)]),
    "var_std": (lambda xp, a: xp.sum(xp.var(a, axis=1)) + xp.std(a), [(3, 6)]),
    "matmul": (lambda xp, a, b: xp.sum(xp.tanh(a @ b)), [(3, 4), (4, 5)]),
    "matmul_transposed": (lambda xp, a, b: xp.sum((a.T @ b) ** 2) + xp.sum(a @ a.T), [(6, 3), (6, 2)]),
    "matvec_batched": (lambda xp, a, v: xp.sum(xp.sin(a @ v)), [(2, 3, 4), (4,)]),
    "mlp_softmax_xent": (lambda xp, x, w, b: -xp.mean(xp.sum(xp.log(_softmax(xp, x @ w + b)) * (x[:, :3] > 0), axis=1)),
                         [(5, 4), (4, 3), (3,)]),
    "softmax": (lambda xp, a: xp.sum(_softmax(xp, a) * xp.arange(12.0).reshape(3, 4)), [(3, 4)]),
    "logsumexp_rows": (lambda xp, a: xp.sum(_logsumexp(xp, a, 1) ** 2), [(4, 6)]),
    "logsumexp_all": (lambda xp, a: _logsumexp(xp, a.reshape(-1), 0), [(3, 5)]),
    "where": (lambda xp, a, b: xp.sum(xp.where(a > b, a * b, xp.exp(b) - a)), [(5,), (5,)]),
    "where_broadcast": (lambda xp, a, b: xp.sum(xp.where(a > 0, a, 0.0) * b), [(3, 4), (4,)]),
    "maximum_relu": (lambda xp, a, w: xp.sum(xp.maximum(a @ w, 0.0) ** 2 + xp.minimum(a, 0.2)), [(4, 3), (3, 3)]),
    "maximum_two": (lambda xp, a, b: xp.sum(xp.maximum(a, b) * xp.minimum(a, b) ** 2), [(6,), (6,)]),
    "slicing": (lambda xp, a: xp.sum(a[1:, ::2] ** 2) + xp.sum(a[::-1, 1] * a[0, :4]) + xp.sum(a[-1]), [(4, 5)]),
    "reshape_transpose": (lambda xp, a: xp.sum(xp.transpose(a.reshape(2, 3, 4), (2, 0, 1))[1:] * xp.arange(18.0)
                                                .reshape(3, 2, 3)), [(6, 4)]),
    "concatenate_stack": (lambda xp, a, b: xp.sum(xp.concatenate([a, b * 2], axis=0) ** 3)
                          + xp.sum(xp.stack([a[0], b[0]]) ** 2), [(2, 3), (3, 3)]),
    "abs_clip_power": (lambda xp, a: xp.sum(xp.abs(a) ** 1.5 + xp.clip(a, -0.3, 0.4) * 2.0 ** a), [(8,)]),
    "sigmoid_bce": (lambda xp, z, y: xp.mean(y * xp.log(1 / (1 + xp.exp(-z)))
                                             + (1 - y) * xp.log1p(-1 / (1 + xp.exp(-z)))), [(9,), (9,)]),
}


def _args(shapes, dtype, seed):
    rng = np.random.default_rng(seed)
    return [rng.uniform(-1.0, 1.0, s).astype(dtype) for s in shapes]


def _jax_grads(name, args):
    f, _ = FUNCTIONS[name]
    argnums = tuple(range(len(args)))
    value, grads = jax.value_and_grad(lambda *a: f(jnp, *a), argnums=argnums)(*[jnp.asarray(a) for a in args])
    return float(value), [np.asarray(g) for g in grads]


def _close(got, want, rtol):
    scale = max(1.0, float(np.max(np.abs(want)))) if np.size(want) else 1.0
    np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol * scale)


FLOAT32 = ("elementwise_chain", "binary_broadcast", "matmul_transposed", "mlp_softmax_xent", "logsumexp_rows",
           "slicing")  # (float32: a subset, to keep the default run's compilations few)
CASES = [(name, np.float64) for name in sorted(FUNCTIONS)] + [(name, np.float32) for name in FLOAT32]


@pytest.mark.parametrize("name,dtype", CASES, ids=[f"{n}-{np.dtype(d).name}" for n, d in CASES])
def test_value_and_grad_matches_jax(name, dtype):
    f, shapes = FUNCTIONS[name]
    args = _args(shapes, dtype, seed=zlib.crc32(name.encode()) % 1000)
    argnums = tuple(range(len(args)))
    rtol = 1e-10 if dtype == np.float64 else 2e-4
    want_value, want = _jax_grads(name, args)
    value, grads = tj.jit(tj.value_and_grad(lambda *a: f(np, *a), argnums=argnums))(*args)
    _close(value, want_value, rtol)
    for g, w, a in zip(grads, want, args):
        assert g.shape == a.shape and g.dtype == a.dtype, (g.shape, g.dtype, a.shape, a.dtype)
        _close(g, w, rtol)


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_grad_eagerly_and_jvp_match_jax(name):
    """The same gradients with ``disable_jit`` (the traced program evaluated by NumPy), and the
    forward-mode product along a random direction against ``jax.jvp``."""
    f, shapes = FUNCTIONS[name]
    args = _args(shapes, np.float64, seed=zlib.crc32(name.encode()) % 1000 + 1)
    argnums = tuple(range(len(args)))
    _, want = _jax_grads(name, args)
    tangents = _args(shapes, np.float64, seed=7)
    was = tj.config.disable_jit
    tj.config.disable_jit = True  # (no compilation: the compiled path is the test above)
    try:
        grads = tj.grad(lambda *a: f(np, *a), argnums=argnums)(*args)
        _, got_t = tj.jvp(lambda *a: f(np, *a), tuple(args), tuple(tangents))
    finally:
        tj.config.disable_jit = was
    for g, w in zip(grads, want):
        _close(g, w, 1e-10)
    _, want_t = jax.jvp(lambda *a: f(jnp, *a), tuple(map(jnp.asarray, args)), tuple(map(jnp.asarray, tangents)))
    _close(got_t, np.asarray(want_t), 1e-10)


def test_ties_split_the_derivative_as_jax_does():
    """``maximum``/``minimum`` of equal operands and ``max`` over tied elements: both systems
    give each tied operand half (or 1/k) of the derivative."""
    a = np.array([0.0, 1.0, -2.0, 3.0, 3.0])
    b = np.array([0.0, 0.5, -2.0, 4.0, 3.0])

    def f(xp, a, b):
        return xp.sum(xp.maximum(a, b) * 3.0 + xp.minimum(a, 0.0)) + xp.max(a) * 2.0

    got = tj.grad(lambda a, b: f(np, a, b), argnums=(0, 1))(a, b)
    want = jax.grad(lambda a, b: f(jnp, a, b), argnums=(0, 1))(jnp.asarray(a), jnp.asarray(b))
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g, np.asarray(w))


def test_training_step_gradient_matches_jax():
    """The digits example's loss (two ReLU layers, logsumexp by max-shift, one-hot labels)
    over a dict of parameters."""
    rng = np.random.default_rng(5)
    params = {"W0": rng.standard_normal((8, 16)) * 0.3, "b0": rng.standard_normal(16) * 0.1,
              "W1": rng.standard_normal((16, 4)) * 0.3, "b1": rng.standard_normal(4) * 0.1}
    x, y = rng.random((6, 8)), rng.integers(0, 4, 6)

    def loss(xp, p, x, y):
        h = xp.maximum(x @ p["W0"] + p["b0"], 0.0)
        logits = h @ p["W1"] + p["b1"]
        m = xp.max(logits, axis=1, keepdims=True)
        log_probs = logits - m - xp.log(xp.sum(xp.exp(logits - m), axis=1, keepdims=True))
        return -xp.mean(xp.sum(xp.where(y[:, None] == xp.arange(4), log_probs, 0.0), axis=1))

    value, got = tj.jit(tj.value_and_grad(lambda p: loss(np, p, x, y)))(params)
    want_value, want = jax.value_and_grad(lambda p: loss(jnp, p, jnp.asarray(x), jnp.asarray(y)))(
        {k: jnp.asarray(v) for k, v in params.items()})
    _close(value, float(want_value), 1e-12)
    assert set(got) == set(params)
    for k in params:
        _close(got[k], np.asarray(want[k]), 1e-10)
