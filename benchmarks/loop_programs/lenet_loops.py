"""LeNet-5-style forward: convolutions and max-pools by nested loops over output pixels."""
import numpy as np

SIZES = {"test": {"batch": 2, "side": 16}, "bench": {"batch": 4, "side": 28}}


def init(rng, batch, side):
    def w(*shape):
        return (rng.standard_normal(shape) / np.sqrt(np.prod(shape[1:]))).astype(np.float32)
    flat = 16 * ((side - 4) // 2 - 4) // 2 * (((side - 4) // 2 - 4) // 2)
    return (rng.standard_normal((batch, 1, side, side)).astype(np.float32), w(6, 1, 5, 5),
            np.zeros(6, np.float32), w(16, 6, 5, 5), np.zeros(16, np.float32), w(120, flat),
            w(84, 120), w(10, 84))


def conv(x, w, b):
    n, _, h, wd = x.shape
    f, _, k, _ = w.shape
    out = np.zeros((n, f, h - k + 1, wd - k + 1), dtype=x.dtype)
    for i in range(h - k + 1):
        for j in range(wd - k + 1):
            patch = x[:, :, i:i + k, j:j + k]
            out[:, :, i, j] = patch.reshape(n, -1) @ w.reshape(f, -1).T + b
    return out


def maxpool(x):
    n, c, h, w = x.shape
    out = np.zeros((n, c, h // 2, w // 2), dtype=x.dtype)
    for i in range(h // 2):
        for j in range(w // 2):
            out[:, :, i, j] = x[:, :, 2 * i:2 * i + 2, 2 * j:2 * j + 2].max(axis=(2, 3))
    return out


def kernel(x, w1, b1, w2, b2, f1, f2, f3):
    h = maxpool(np.maximum(conv(x, w1, b1), 0))
    h = maxpool(np.maximum(conv(h, w2, b2), 0))
    h = h.reshape(h.shape[0], -1)
    h = np.maximum(h @ f1.T, 0)
    h = np.maximum(h @ f2.T, 0)
    return h @ f3.T
