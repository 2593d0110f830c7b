"""A piecewise tax schedule with np.select over the brackets."""
import numpy as np

SIZES = {"test": {"n": 40}, "test2": {"n": 9}, "bench": {"n": 2_000_000}}
RTOL = 1e-12


def init(rng, n):
    return (rng.uniform(0, 200_000, n),)


def kernel(income):
    conds = [income < 10_000, income < 40_000, income < 100_000]
    taxes = [np.zeros_like(income), 0.1 * (income - 10_000), 3_000 + 0.25 * (income - 40_000)]
    tax = np.select(conds, taxes, default=18_000 + 0.4 * (income - 100_000))
    return tax, tax.sum() / income.sum()
