"""Programs the export tests compile to C (importable by ``python -m tracejit.export``)."""
from __future__ import annotations

import numpy as np

import tracejit as tj


def wave(x, y):
    """A transcendental map."""
    return np.sin(x) * y + np.exp(-x * x)


def layer(x, w, b):
    """A fused matrix product + bias + softmax layer."""
    z = x @ w + b
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def softmax(x):
    """Row softmax: any batch size."""
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def diffuse(u):
    """One explicit heat step, updating ``u`` in place; returns its total."""
    u[1:-1] = u[1:-1] + 0.25 * (u[:-2] - 2.0 * u[1:-1] + u[2:])
    return u.sum()


def newton_sqrt(a):
    """Square roots by Newton's iteration in a tj.while_loop until every update is tiny."""
    def cond(state):
        x, step, i = state
        return (np.abs(step).max() > 1e-12) & (i < 100)

    def body(state):
        x, _, i = state
        new = 0.5 * (x + a / x)
        return new, new - x, i + 1

    x, _, _ = tj.while_loop(cond, body, (a + 1.0, np.ones_like(a), 0))
    return x


def row_norms(x):
    """A reduction over a long inner axis and a total."""
    return np.sqrt((x * x).sum(axis=1)), x.sum()


def int_mix(a, b):
    """Integer arithmetic."""
    return (a * 3 + b) // 2 - np.maximum(a, b), a ^ b


TABLE = np.linspace(-1.0, 1.0, 16)  # a global array: frozen into the library as a constant


def odd_results(x, k):
    """An argument returned as it is, one value returned twice, a constant, a 0-d result, bools."""
    y = x * 2.0 + TABLE
    return x, y, y, (x > 0), k.max(), np.ones(3)


def lookup(table, idx):
    """Rows of a table at indices read from data (a range check: TJ_ERR_CHECK when one is out)."""
    return table[idx] * 2.0


def stencil(u):
    """A three-point stencil updating its argument in place."""
    u[1:-1] = 0.25 * u[:-2] + 0.5 * u[1:-1] + 0.25 * u[2:]
    return u


def jacobi_solve(a, b):
    """Jacobi iterations until the update is small (a ``tj.while_loop``)."""
    d = np.diag(a)
    r = a - np.diag(d)

    def body(state):
        x, _, i = state
        new = (b - r @ x) / d
        return new, np.abs(new - x).max(), i + 1

    return tj.while_loop(lambda s: (s[1] > 1e-6) & (s[2] < 100), body, (np.zeros_like(b), np.float32(1.0), 0))[0]


_MLP = np.random.default_rng(64)
MLP_W1 = (_MLP.standard_normal((64, 128)) / 8).astype(np.float32)
MLP_B1 = (_MLP.standard_normal(128) / 8).astype(np.float32)
MLP_W2 = (_MLP.standard_normal((128, 10)) / 11).astype(np.float32)
MLP_B2 = (_MLP.standard_normal(10) / 8).astype(np.float32)


def mlp(x):
    """A two-layer perceptron over a batch of rows, its weights global arrays (library constants)."""
    return np.maximum(x @ MLP_W1 + MLP_B1, 0) @ MLP_W2 + MLP_B2


def mlp_args(x, w1, b1, w2, b2):
    """The same perceptron with its weights as arguments (B packed per task where it is large)."""
    return np.maximum(x @ w1 + b1, 0) @ w2 + b2


def gram(x):
    """A product over the rows: its K is N (the code needs N fixed)."""
    return x.T @ x
