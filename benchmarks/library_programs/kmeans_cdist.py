"""A few Lloyd iterations of k-means: initial centers by rng.choice, distances by scipy's cdist."""
import numpy as np
from scipy.spatial.distance import cdist

SIZES = {"test": {"n": 40, "d": 2, "k": 3}, "test2": {"n": 25, "d": 3, "k": 4}, "bench": {"n": 20_000, "d": 8, "k": 16}}
RTOL = 1e-9
RANDOM = True


def init(rng, n, d, k):
    return rng.standard_normal((n, d)), k, np.random.default_rng(int(rng.integers(1 << 30)))


def kernel(X, k, rng, n_iter=5):
    centers = X[rng.choice(X.shape[0], size=k, replace=False)]
    for _ in range(n_iter):
        labels = cdist(X, centers, "sqeuclidean").argmin(axis=1)
        counts = np.bincount(labels, minlength=k)
        for j in range(k):
            if counts[j] > 0:
                centers[j] = X[labels == j].mean(axis=0)
    inertia = ((X - centers[labels]) ** 2).sum()
    return centers, labels, inertia
