"""One k-means step: assign points to the nearest centre, then move each centre to its mean."""
import numpy as np

SIZES = {"test": {"n": 60, "k": 4, "d": 3}, "bench": {"n": 200_000, "k": 8, "d": 4}}


def init(rng, n, k, d):
    return rng.random((n, d)), rng.random((k, d))


def kernel(points, centres):
    dist = ((points[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2)
    labels = dist.argmin(axis=1)
    onehot = (labels[:, None] == np.arange(centres.shape[0])).astype(points.dtype)
    counts = onehot.sum(axis=0)
    return (onehot.T @ points) / np.maximum(counts, 1.0)[:, None], labels
