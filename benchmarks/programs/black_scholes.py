"""Black-Scholes call and put prices; the normal CDF by the Abramowitz-Stegun polynomial."""
import numpy as np

SIZES = {"test": {"n": 100}, "bench": {"n": 2_000_000}}


def init(rng, n):
    return (rng.uniform(10, 100, n), rng.uniform(10, 100, n), rng.uniform(0.25, 2.0, n), 0.02, 0.3)


def _cnd(d):
    k = 1.0 / (1.0 + 0.2316419 * np.abs(d))
    poly = k * (0.31938153 + k * (-0.356563782 + k * (1.781477937 + k * (-1.821255978 + k * 1.330274429))))
    w = 1.0 - 0.3989422804014327 * np.exp(-0.5 * d * d) * poly
    return np.where(d < 0, 1.0 - w, w)


def kernel(price, strike, years, rate, vol):
    sqrt_t = np.sqrt(years)
    d1 = (np.log(price / strike) + (rate + 0.5 * vol * vol) * years) / (vol * sqrt_t)
    d2 = d1 - vol * sqrt_t
    discounted = strike * np.exp(-rate * years)
    call = price * _cnd(d1) - discounted * _cnd(d2)
    put = discounted * (1.0 - _cnd(d2)) - price * (1.0 - _cnd(d1))
    return call, put
