"""MLP forward pass: two dense layers with ReLU and a softmax over classes."""
import numpy as np

SIZES = {"test": {"batch": 8, "width": 16}, "bench": {"batch": 512, "width": 1024}}


def init(rng, batch, width):
    f = np.float32
    return (rng.standard_normal((batch, width)).astype(f), (rng.standard_normal((width, width)) / 32).astype(f),
            rng.standard_normal(width).astype(f), (rng.standard_normal((width, 10)) / 32).astype(f),
            rng.standard_normal(10).astype(f))


def kernel(x, w1, b1, w2, b2):
    h = np.maximum(x @ w1 + b1, 0.0)
    logits = h @ w2 + b2
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)
