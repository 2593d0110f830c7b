"""PCA by SVD (scikit-learn style): center, thin SVD, sign flip, explained variance ratio, projection."""
import numpy as np

SIZES = {"test": {"n": 30, "d": 5}, "test2": {"n": 17, "d": 4}, "bench": {"n": 5000, "d": 64}}
RTOL = 1e-7


def init(rng, n, d):
    A = rng.standard_normal((d, d))
    return rng.standard_normal((n, d)) @ A, 3


def kernel(X, n_components):
    mean = X.mean(axis=0)
    Xc = X - mean
    U, S, Vt = np.linalg.svd(Xc, full_matrices=False)
    max_abs_cols = np.argmax(np.abs(U), axis=0)
    signs = np.sign(U[max_abs_cols, range(U.shape[1])])
    U *= signs
    Vt *= signs[:, np.newaxis]
    explained_variance = (S ** 2) / (X.shape[0] - 1)
    ratio = explained_variance / explained_variance.sum()
    components = Vt[:n_components]
    return Xc @ components.T, ratio[:n_components], np.cumsum(ratio)
