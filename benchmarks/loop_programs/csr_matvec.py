"""Sparse (CSR) matrix times vector by a loop over rows; the row's slice bounds are read from data."""
import numpy as np

SIZES = {"test": {"n": 8, "per_row": 3}, "bench": {"n": 2000, "per_row": 10}}


def init(rng, n, per_row):
    counts = rng.integers(0, 2 * per_row + 1, n)
    indptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    indices = rng.integers(0, n, indptr[-1]).astype(np.int64)
    return rng.standard_normal(indptr[-1]), indices, indptr, rng.standard_normal(n)


def kernel(data, indices, indptr, x):
    n = indptr.shape[0] - 1
    y = np.zeros(n)
    for i in range(n):
        cols = indices[indptr[i]:indptr[i + 1]]
        y[i] = data[indptr[i]:indptr[i + 1]] @ x[cols]
    return y
