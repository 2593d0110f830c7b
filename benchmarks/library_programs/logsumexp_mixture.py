"""E-step of a 1-D Gaussian mixture: log densities by scipy.stats.norm.logpdf, responsibilities by logsumexp."""
import numpy as np
from scipy.special import logsumexp
from scipy.stats import norm

SIZES = {"test": {"n": 30, "k": 3}, "test2": {"n": 8, "k": 2}, "bench": {"n": 200_000, "k": 5}}
RTOL = 1e-9


def init(rng, n, k):
    return rng.standard_normal(n) * 2, np.linspace(-2, 2, k), np.ones(k), np.full(k, 1.0 / k)


def kernel(x, means, sds, weights):
    logp = norm.logpdf(x[:, None], loc=means[None, :], scale=sds[None, :]) + np.log(weights)
    log_norm = logsumexp(logp, axis=1, keepdims=True)
    resp = np.exp(logp - log_norm)
    nk = resp.sum(axis=0)
    new_means = (resp * x[:, None]).sum(axis=0) / nk
    return resp, new_means, nk / x.size, log_norm.sum()
