"""Train/test split with np.random.shuffle of an index array (legacy state), standardization from the train part."""
import numpy as np

SIZES = {"test": {"n": 30, "d": 3}, "test2": {"n": 11, "d": 2}, "bench": {"n": 100_000, "d": 20}}
RTOL = 1e-12
GLOBAL_RANDOM = True


def init(rng, n, d):
    return rng.standard_normal((n, d)) * 3 + 1, rng.integers(0, 2, n)


def kernel(X, y, test_frac=0.25):
    idx = np.arange(X.shape[0])
    np.random.shuffle(idx)
    n_test = int(round(test_frac * len(idx)))
    test, train = idx[:n_test], idx[n_test:]
    mu = X[train].mean(axis=0)
    sd = X[train].std(axis=0)
    Xtr = (X[train] - mu) / sd
    Xte = (X[test] - mu) / sd
    return Xtr, Xte, y[train].mean(), y[test].mean()
