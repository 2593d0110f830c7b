"""Covariance matrix (PolyBench): centre the columns, then data.T @ data / (n - 1)."""

SIZES = {"test": {"n": 30, "m": 8}, "bench": {"n": 4000, "m": 500}}


def init(rng, n, m):
    return (rng.random((n, m)),)


def kernel(data):
    mean = data.mean(axis=0)
    centred = data - mean
    return centred.T @ centred / (data.shape[0] - 1.0)
