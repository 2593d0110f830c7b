"""A small CNN forward pass: 3x3 convolution over channels by slices, ReLU, 2x2 max
pooling by reshape, and a dense layer."""
import numpy as np

SIZES = {"test": {"batch": 2, "size": 8, "channels": 4}, "bench": {"batch": 32, "size": 64, "channels": 16}}


def init(rng, batch, size, channels):
    f = np.float32
    return (rng.standard_normal((batch, size, size, 3)).astype(f),
            (rng.standard_normal((3, 3, 3, channels)) / 4).astype(f),
            (rng.standard_normal(((size // 2 - 1) ** 2 * channels, 10)) / 64).astype(f))


def kernel(images, filters, dense):
    b, s = images.shape[0], images.shape[1] - 2
    out = np.zeros((b, s, s, filters.shape[3]), np.float32)
    for i in range(3):
        for j in range(3):
            out += images[:, i:i + s, j:j + s, :] @ filters[i, j]
    act = np.maximum(out, 0.0)
    half = s // 2
    pooled = act[:, :2 * half, :2 * half, :].reshape(b, half, 2, half, 2, -1).max(axis=(2, 4))
    return pooled.reshape(b, -1) @ dense
