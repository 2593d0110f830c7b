"""Histogram of the pairwise distances of a point cloud (np.histogram over the upper triangle)."""
import numpy as np

SIZES = {"test": {"n": 12, "d": 3}, "test2": {"n": 17, "d": 2}, "bench": {"n": 1000, "d": 3}}
RTOL = 1e-12


def init(rng, n, d):
    return (rng.random((n, d)),)


def kernel(points):
    diff = points[:, None, :] - points[None, :, :]
    dist = np.sqrt((diff ** 2).sum(axis=-1))
    iu = np.triu_indices(points.shape[0], k=1)
    counts, edges = np.histogram(dist[iu], bins=32, range=(0.0, np.sqrt(points.shape[1])))
    density = counts / counts.sum()
    return density, 0.5 * (edges[1:] + edges[:-1])
