"""Top-k scores per row: np.argsort descending, np.take_along_axis, softmax over the k best."""
import numpy as np

SIZES = {"test": {"n": 5, "m": 12, "k": 3}, "test2": {"n": 3, "m": 7, "k": 2},
         "bench": {"n": 2000, "m": 1000, "k": 10}}
RTOL = 1e-12


def init(rng, n, m, k):
    return rng.standard_normal((n, m)), k


def kernel(scores, k):
    order = np.argsort(-scores, axis=1)[:, :k]
    top = np.take_along_axis(scores, order, axis=1)
    e = np.exp(top - top[:, :1])
    return order, e / e.sum(axis=1, keepdims=True)
