"""2-D convolution (valid, 5x5 filter) written as a sum of shifted slices."""
import numpy as np

SIZES = {"test": {"n": 20}, "bench": {"n": 2000}}


def init(rng, n):
    return rng.random((n, n)).astype(np.float32), rng.random((5, 5)).astype(np.float32)


def kernel(image, weights):
    kh, kw = weights.shape
    h, w = image.shape[0] - kh + 1, image.shape[1] - kw + 1
    out = np.zeros((h, w), np.float32)
    for i in range(kh):
        for j in range(kw):
            out += weights[i, j] * image[i:i + h, j:j + w]
    return out
