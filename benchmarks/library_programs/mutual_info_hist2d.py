"""Mutual information of two signals from np.histogram2d, the zero cells handled under np.errstate."""
import numpy as np

SIZES = {"test": {"n": 200, "bins": 8}, "test2": {"n": 50, "bins": 5}, "bench": {"n": 200_000, "bins": 32}}
RTOL = 1e-9


def init(rng, n, bins):
    x = rng.standard_normal(n)
    return x, 0.6 * x + 0.8 * rng.standard_normal(n), bins


def kernel(x, y, bins):
    pxy, xedges, yedges = np.histogram2d(x, y, bins=bins)
    pxy = pxy / pxy.sum()
    px = pxy.sum(axis=1)
    py = pxy.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = pxy * np.log(pxy / np.outer(px, py))
    mi = np.nan_to_num(terms).sum()
    return mi, xedges, yedges
