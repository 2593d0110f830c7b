"""Logistic regression by gradient descent, 100 epochs, the losses collected in a Python list."""
import numpy as np

SIZES = {"test": {"n": 20, "d": 3}, "bench": {"n": 2000, "d": 20}}
EPOCHS, RATE = 100, 0.5


def init(rng, n, d):
    X = rng.standard_normal((n, d))
    return X, (X @ rng.standard_normal(d) > 0).astype(np.float64)


def kernel(X, y):
    w = np.zeros(X.shape[1])
    losses = []
    for _ in range(EPOCHS):
        p = 1 / (1 + np.exp(-(X @ w)))
        loss = -np.mean(y * np.log(p + 1e-12) + (1 - y) * np.log(1 - p + 1e-12))
        w -= RATE * X.T @ (p - y) / len(y)
        losses.append(loss)
    return w, np.array(losses)
