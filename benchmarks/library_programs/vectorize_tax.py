"""A Python scalar function with branches through np.vectorize, and the same through np.piecewise."""
import numpy as np

SIZES = {"test": {"n": 40}, "test2": {"n": 7}, "bench": {"n": 20_000}}
RTOL = 1e-12


def init(rng, n):
    return (rng.uniform(0, 200_000, n),)


def tax(income):
    if income < 10_000:
        return 0.0
    elif income < 50_000:
        return 0.2 * (income - 10_000)
    return 8_000 + 0.4 * (income - 50_000)


def kernel(incomes):
    t1 = np.vectorize(tax, otypes=[float])(incomes)
    t2 = np.piecewise(incomes, [incomes < 10_000, (incomes >= 10_000) & (incomes < 50_000), incomes >= 50_000],
                      [0.0, lambda x: 0.2 * (x - 10_000), lambda x: 8_000 + 0.4 * (x - 50_000)])
    return t1, t2, np.abs(t1 - t2).max()
