"""Softmax cross entropy of logits against integer labels (log-sum-exp with np.log), and accuracy."""
import numpy as np

SIZES = {"test": {"n": 10, "c": 4}, "test2": {"n": 7, "c": 3}, "bench": {"n": 100_000, "c": 100}}
RTOL = 1e-10


def init(rng, n, c):
    return rng.standard_normal((n, c)), rng.integers(0, c, n)


def kernel(logits, labels):
    m = logits.max(axis=1, keepdims=True)
    logz = m[:, 0] + np.log(np.exp(logits - m).sum(axis=1))
    picked = logits[np.arange(logits.shape[0]), labels]
    loss = (logz - picked).mean()
    return loss, (np.argmax(logits, axis=1) == labels).mean()
