"""GRU forward over T time steps by a Python loop (batch 64, 128 -> 256, float32)."""
import numpy as np

SIZES = {"test": {"steps": 3, "batch": 4, "inputs": 5, "hidden": 6},
         "bench": {"steps": 50, "batch": 64, "inputs": 128, "hidden": 256},
         "bench_5": {"steps": 5, "batch": 64, "inputs": 128, "hidden": 256}}


def init(rng, steps, batch, inputs, hidden):
    def w(*shape):
        return (rng.standard_normal(shape) / np.sqrt(shape[0])).astype(np.float32)
    x = rng.standard_normal((steps, batch, inputs)).astype(np.float32)
    return (x, w(inputs, hidden), w(hidden, hidden), np.zeros(hidden, np.float32),
            w(inputs, hidden), w(hidden, hidden), np.zeros(hidden, np.float32),
            w(inputs, hidden), w(hidden, hidden), np.zeros(hidden, np.float32))


def sigmoid(v):
    return 1 / (1 + np.exp(-v))


def kernel(x, wz, uz, bz, wr, ur, br, wh, uh, bh):
    h = np.zeros((x.shape[1], uz.shape[0]), dtype=x.dtype)
    for t in range(x.shape[0]):
        z = sigmoid(x[t] @ wz + h @ uz + bz)
        r = sigmoid(x[t] @ wr + h @ ur + br)
        c = np.tanh(x[t] @ wh + (r * h) @ uh + bh)
        h = (1 - z) * h + z * c
    return h
