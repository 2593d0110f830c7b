"""Counts of rounded sensor readings with np.unique(return_counts=True), and the mode."""
import numpy as np

SIZES = {"test": {"n": 50}, "test2": {"n": 31}, "bench": {"n": 1_000_000}}
RTOL = 0.0


def init(rng, n):
    return (rng.normal(20.0, 3.0, n),)


def kernel(readings):
    binned = np.round(readings * 2.0) / 2.0
    values, counts = np.unique(binned, return_counts=True)
    return values, counts, values[np.argmax(counts)]
